//! The local state of a lab workspace, `DIR/.cloudmaster/lab.json`: which session the folder
//! belongs to (server, profile, ids), the lab as the server sent it (plus the solutions
//! revealed since), and the learner's local progress (current step, failed checks, hints,
//! when each step started). Every workspace command finds it by searching upward from the
//! current folder (or `--dir`), so they work from any sub-folder of the workspace.
//!
//! `.cloudmaster` is left out of submitted archives and never touched by resets: starter and
//! solution files that would land in it are refused (`is_state_path`), and the core packer
//! leaves it out.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use cloudmaster_core::Client;
use cloudmaster_core::api::{LabSession, LabSessionStatus};
use cloudmaster_core::config::Origin;
use cloudmaster_core::course::{Lab, LabFile, Step};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::context::Context;
use crate::exit::{Exit, fail, fail_with_hint};

/// The folder inside a workspace that holds its state.
pub const STATE_DIR: &str = cloudmaster_core::lab::archive::LOCAL_STATE_DIR;
const STATE_FILE: &str = "lab.json";
/// Bumped when the file changes incompatibly.
const FORMAT: u32 = 1;

/// `DIR/.cloudmaster/lab.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabState {
    pub format: u32,
    pub session_id: Uuid,
    /// The server and profile the session was started with: later commands talk to them.
    pub server: String,
    pub profile: String,
    pub course_id: String,
    pub lab_id: String,
    /// The session's status when last heard from the server (or set locally by `abandon`).
    pub status: LabSessionStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub idle_expires_at: OffsetDateTime,
    /// The step `lab check` works on; `None` when every step passes locally.
    pub current_step: Option<String>,
    /// One entry per step of the lab, in order.
    pub steps: Vec<LocalStep>,
    /// The lab as received (no solution files), plus the solutions revealed since.
    pub lab: Lab,
}

/// Local progress on one step.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LocalStep {
    pub id: String,
    /// The step's checks passed in this workspace (cleared by a reset of the step).
    pub passed: bool,
    /// Skipped with `lab solution --skip` (no credit).
    pub skipped: bool,
    pub failed_checks: u32,
    pub hints_shown: u32,
    /// When the step became the current one (drives time-based hints).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
}

/// A workspace: its root folder and its state.
pub struct Workspace {
    pub root: PathBuf,
    pub state: LabState,
}

impl LabState {
    /// The state of a workspace for `session` of `lab`, on the server and profile in force.
    pub fn new(ctx: &Context, course_id: &str, session: &LabSession, lab: Lab) -> LabState {
        let steps = lab
            .steps
            .iter()
            .map(|step| {
                let server = session.steps.iter().find(|s| s.id == step.id);
                LocalStep {
                    id: step.id.clone(),
                    passed: server.is_some_and(|s| s.passed),
                    skipped: server.is_some_and(|s| s.skipped),
                    failed_checks: server.map_or(0, |s| s.failed_checks),
                    hints_shown: server.map_or(0, |s| s.hints_shown),
                    started_at: None,
                }
            })
            .collect();
        let mut state = LabState {
            format: FORMAT,
            session_id: session.id,
            server: ctx.config.server.value.to_string(),
            profile: ctx.config.profile.value.clone(),
            course_id: course_id.to_owned(),
            lab_id: lab.id.clone(),
            status: session.status,
            expires_at: session.expires_at,
            idle_expires_at: session.idle_expires_at,
            current_step: None,
            steps,
            lab,
        };
        state.current_step = session
            .current_step
            .clone()
            .filter(|id| state.step(id).is_some());
        let first = state.lab.steps.first().map(|s| s.id.clone());
        let started = if state.current_step == first {
            session.started_at
        } else {
            OffsetDateTime::now_utc()
        };
        if let Some(current) = state.current_step.clone() {
            state.local_mut(&current).started_at = Some(started);
        }
        state
    }

    /// `COURSE/LAB`.
    pub fn reference(&self) -> String {
        format!("{}/{}", self.course_id, self.lab_id)
    }

    /// The lab's step `id`.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.lab.steps.iter().find(|s| s.id == id)
    }

    /// The position of step `id` (0-based).
    pub fn index(&self, id: &str) -> Option<usize> {
        self.lab.steps.iter().position(|s| s.id == id)
    }

    /// Local progress of step `id`, created if the file lacks it.
    pub fn local_mut(&mut self, id: &str) -> &mut LocalStep {
        let at = match self.steps.iter().position(|s| s.id == id) {
            Some(at) => at,
            None => {
                self.steps.push(LocalStep {
                    id: id.to_owned(),
                    ..LocalStep::default()
                });
                self.steps.len() - 1
            }
        };
        &mut self.steps[at]
    }

    pub fn local(&self, id: &str) -> Option<&LocalStep> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The step named by `--step`, or the current one. Fails with a usage error naming the
    /// steps when `requested` is not a step of the lab.
    pub fn resolve_step(&self, requested: Option<&str>) -> anyhow::Result<Option<String>> {
        match requested {
            Some(id) if self.step(id).is_some() => Ok(Some(id.to_owned())),
            Some(id) => Err(fail(
                Exit::Usage,
                format!(
                    "lab `{}` has no step `{id}`; its steps are: {}",
                    self.reference(),
                    self.step_ids().join(", ")
                ),
            )),
            None => Ok(self.current_step.clone()),
        }
    }

    pub fn step_ids(&self) -> Vec<&str> {
        self.lab.steps.iter().map(|s| s.id.as_str()).collect()
    }

    /// Marks step `id` passed locally and moves the current step to the next step that is
    /// neither passed nor skipped (after `id`). Returns the new current step.
    pub fn pass_and_advance(&mut self, id: &str) -> Option<String> {
        self.local_mut(id).passed = true;
        self.advance_from(id)
    }

    /// Moves the current step past `id` to the next open step, starting its clock.
    pub fn advance_from(&mut self, id: &str) -> Option<String> {
        let from = self.index(id).map_or(0, |i| i + 1);
        let next = self.lab.steps[from.min(self.lab.steps.len())..]
            .iter()
            .map(|s| s.id.clone())
            .find(|s| self.local(s).is_none_or(|l| !l.passed && !l.skipped));
        if self.current_step.as_deref() == Some(id) || self.current_step.is_none() {
            self.current_step = next.clone();
            if let Some(next) = &next {
                self.local_mut(next).started_at = Some(OffsetDateTime::now_utc());
            }
        }
        self.current_step.clone()
    }

    /// Takes what the server knows about the session: status, deadlines, skipped steps and
    /// the counters that drive hints. Local passes stay local: a reset clears them here even
    /// though the server keeps the credit.
    pub fn sync(&mut self, session: &LabSession) {
        self.status = session.status;
        self.expires_at = session.expires_at;
        self.idle_expires_at = session.idle_expires_at;
        for remote in &session.steps {
            if self.step(&remote.id).is_none() {
                continue;
            }
            let local = self.local_mut(&remote.id);
            local.skipped |= remote.skipped;
            local.failed_checks = local.failed_checks.max(remote.failed_checks);
            local.hints_shown = local.hints_shown.max(remote.hints_shown);
        }
    }

    /// Whether the session can still take reports and submissions.
    pub fn is_active(&self) -> bool {
        self.status == LabSessionStatus::Active
    }

    /// Keeps a revealed solution (files with workspace-relative paths) in the stored lab,
    /// under the step's solution folder, where `apply_solution` and the resets find it.
    pub fn keep_solution(&mut self, step_id: &str, files: Vec<LabFile>) -> anyhow::Result<()> {
        let folder = self
            .step(step_id)
            .map(|s| s.solution.trim_matches('/').to_owned())
            .unwrap_or_default();
        for mut file in files {
            let rel = file.path.trim_start_matches("./").to_owned();
            if is_state_path(Path::new(&rel)) {
                return Err(fail(
                    Exit::Failure,
                    format!(
                        "the solution of step `{step_id}` has a file in {STATE_DIR}/ ({rel}), \
                         the folder cloudmaster keeps the workspace state in; nothing was written"
                    ),
                ));
            }
            file.path = format!("{folder}/{rel}");
            self.lab.files.retain(|f| f.path != file.path);
            self.lab.files.push(file);
        }
        self.lab.files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(())
    }
}

impl Workspace {
    /// Finds the workspace holding `start` (or the current folder): the nearest folder at or
    /// above it with `.cloudmaster/lab.json`.
    pub fn find(start: Option<&Path>) -> anyhow::Result<Workspace> {
        let from = match start {
            Some(dir) => dir.to_owned(),
            None => std::env::current_dir().context("cannot read the current folder")?,
        };
        let absolute = std::path::absolute(&from)
            .with_context(|| format!("cannot resolve {}", from.display()))?;
        let root = absolute
            .ancestors()
            .find(|dir| state_file(dir).is_file())
            .ok_or_else(|| {
                fail_with_hint(
                    Exit::NotFound,
                    format!(
                        "{} is not inside a lab workspace: neither it nor a folder above it \
                         has {STATE_DIR}/{STATE_FILE}",
                        from.display()
                    ),
                    "start a lab with `cloudmaster lab start COURSE/LAB`, or pass --dir with \
                     the workspace of one",
                )
            })?
            .to_owned();
        let state = read(&root)?;
        Ok(Workspace { root, state })
    }

    /// The state file of the workspace at `root`, if it has one.
    pub fn open(root: &Path) -> anyhow::Result<Option<Workspace>> {
        if !state_file(root).is_file() {
            return Ok(None);
        }
        Ok(Some(Workspace {
            root: root.to_owned(),
            state: read(root)?,
        }))
    }

    /// Writes the state back (atomically: a temporary file renamed over the old one).
    pub fn save(&self) -> anyhow::Result<()> {
        let dir = self.root.join(STATE_DIR);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let target = dir.join(STATE_FILE);
        let temp = dir.join(format!("{STATE_FILE}.tmp"));
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&temp)?;
            serde_json::to_writer_pretty(&mut file, &self.state)?;
            file.write_all(b"\n")?;
            file.sync_all()?;
            std::fs::rename(&temp, &target)
        };
        write().with_context(|| format!("cannot write {}", target.display()))
    }

    /// The client for this workspace's session: the server and profile it was started with.
    /// Refuses to talk to another server (a session id means nothing there).
    pub fn client<'c>(&self, ctx: &'c Context) -> anyhow::Result<&'c Client> {
        let server = &ctx.config.server;
        let profile = &ctx.config.profile;
        if server.value.as_str() != self.state.server || profile.value != self.state.profile {
            let explicit = matches!(server.origin, Origin::Flag | Origin::Env)
                || matches!(profile.origin, Origin::Flag | Origin::Env);
            let how = if explicit {
                "drop --server/--profile (or CLOUDMASTER_SERVER/CLOUDMASTER_PROFILE), or set them to"
            } else {
                "pass"
            };
            return Err(fail_with_hint(
                Exit::Usage,
                format!(
                    "the lab session of {} lives on {} (profile `{}`), not on {} (profile `{}`)",
                    self.root.display(),
                    self.state.server,
                    self.state.profile,
                    server.value,
                    profile.value
                ),
                format!(
                    "{how} `--server {} --profile {}`",
                    self.state.server, self.state.profile
                ),
            ));
        }
        ctx.client()
    }
}

fn state_file(root: &Path) -> PathBuf {
    root.join(STATE_DIR).join(STATE_FILE)
}

fn read(root: &Path) -> anyhow::Result<LabState> {
    let path = state_file(root);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let state: LabState = serde_json::from_str(&text).map_err(|e| {
        fail_with_hint(
            Exit::Failure,
            format!("{} is damaged: {e}", path.display()),
            "start the lab again with `cloudmaster lab start COURSE/LAB --force` in this folder",
        )
    })?;
    if state.format != FORMAT {
        return Err(fail(
            Exit::Failure,
            format!(
                "{} has format {}, which this cloudmaster does not read (it reads {FORMAT}); \
                 upgrade cloudmaster",
                path.display(),
                state.format
            ),
        ));
    }
    Ok(state)
}

/// Whether a workspace-relative path is inside `.cloudmaster` (never written by lab files,
/// never submitted, never watched).
pub fn is_state_path(rel: &Path) -> bool {
    rel.components()
        .next()
        .is_some_and(|c| c.as_os_str() == STATE_DIR)
}
