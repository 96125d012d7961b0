//! The local state of a lab workspace, `DIR/.cloudmaster/lab.json`: which session the folder
//! belongs to (server, profile, ids), the lab as the server sent it (plus the solutions
//! revealed since), and the learner's local progress (current step, failed checks, hints,
//! when each step started). The command line and the terminal UI both read and write it, so
//! a lab started in one can be continued in the other.
//!
//! `.cloudmaster` is left out of submitted archives and never touched by resets: starter and
//! solution files that would land in it are refused ([`is_state_path`]), and the packer
//! leaves it out.

use std::io::{self, Write as _};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{IfNotEmpty, WorkspaceError, materialize_starter};
use crate::api::{HintView, LabSession, LabSessionStatus, MAX_CHECK_OUTPUT_BYTES};
use crate::course::{Lab, LabFile, Step};
use crate::lab::{Outcome, RunOptions, StepResult, check_step};

/// The folder inside a workspace that holds its state.
pub const STATE_DIR: &str = crate::lab::archive::LOCAL_STATE_DIR;
const STATE_FILE: &str = "lab.json";
/// Bumped when the file changes incompatibly.
const FORMAT: u32 = 1;

/// Why a workspace's state could not be read, written or set up.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "{} is not inside a lab workspace: neither it nor a folder above it has {STATE_DIR}/{STATE_FILE}",
        from.display()
    )]
    NotAWorkspace { from: PathBuf },
    #[error("{} is damaged: {reason}", path.display())]
    Damaged { path: PathBuf, reason: String },
    #[error(
        "{} has format {found}, which this cloudmaster does not read (it reads {FORMAT}); upgrade cloudmaster",
        path.display()
    )]
    Format { path: PathBuf, found: u32 },
    #[error(
        "lab `{lab}` has a starter file in {STATE_DIR}/ ({path}), the folder cloudmaster keeps \
         the workspace state in; the lab's author must move it"
    )]
    StarterInStateDir { lab: String, path: String },
    #[error(
        "the solution of step `{step}` has a file in {STATE_DIR}/ ({path}), the folder \
         cloudmaster keeps the workspace state in; nothing was written"
    )]
    SolutionInStateDir { step: String, path: String },
    #[error(transparent)]
    Files(#[from] WorkspaceError),
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// `DIR/.cloudmaster/lab.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabState {
    pub format: u32,
    pub session_id: Uuid,
    /// The server and profile the session was started with: later commands talk to them.
    pub server: String,
    pub profile: String,
    /// The [identity](crate::api::ServerIdentity) of the server the session lives on, when it
    /// said: the same server answering at another URL (a new port) is still this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_id: Option<String>,
    pub course_id: String,
    pub lab_id: String,
    /// The session's status when last heard from the server (or set locally by `abandon`).
    pub status: LabSessionStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub idle_expires_at: OffsetDateTime,
    /// The step checks work on; `None` when every step passes locally.
    pub current_step: Option<String>,
    /// One entry per step of the lab, in order.
    pub steps: Vec<LocalStep>,
    /// The lab as received (no solution files), plus the solutions revealed since.
    pub lab: Lab,
    /// The [content digest](crate::lab::content_digest) of the workspace as it was set up:
    /// a failing run on it is no attempt (the learner has not changed anything yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starter_digest: Option<String>,
}

/// How many content digests of failing runs a step keeps, newest last.
const KEPT_DIGESTS: usize = 64;

/// Local progress on one step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LocalStep {
    pub id: String,
    /// The step's checks passed in this workspace (cleared by a reset of the step).
    pub passed: bool,
    /// Skipped with `lab solution --skip` (no credit).
    pub skipped: bool,
    /// Failing runs on distinct workspace contents (drives `after_failures` hints).
    pub failed_checks: u32,
    pub hints_shown: u32,
    /// The content digests of the failing runs counted in `failed_checks` (the latest
    /// [`KEPT_DIGESTS`]): a run on the same content again does not count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_digests: Vec<String>,
    /// When the step became the current one (drives time-based hints).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    /// What the step's last failing run reported (the failed conditions' ids, messages and
    /// details, the last [`MAX_CHECK_OUTPUT_BYTES`] bytes), for the tutor; cleared when the
    /// step passes or is reset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<String>,
}

/// A workspace: its root folder and its state.
#[derive(Debug, Clone, PartialEq)]
pub struct LabWorkspace {
    pub root: PathBuf,
    pub state: LabState,
}

impl LabState {
    /// The state of a workspace for `session` of `lab`, started on `server` with `profile`.
    pub fn new(
        server: &str,
        profile: &str,
        course_id: &str,
        session: &LabSession,
        lab: Lab,
    ) -> LabState {
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
                    failed_digests: Vec::new(),
                    started_at: None,
                    last_failure: None,
                }
            })
            .collect();
        let mut state = LabState {
            format: FORMAT,
            session_id: session.id,
            server: server.to_owned(),
            server_id: None,
            profile: profile.to_owned(),
            course_id: course_id.to_owned(),
            lab_id: lab.id.clone(),
            status: session.status,
            expires_at: session.expires_at,
            idle_expires_at: session.idle_expires_at,
            current_step: None,
            steps,
            lab,
            starter_digest: None,
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

    pub fn step_ids(&self) -> Vec<&str> {
        self.lab.steps.iter().map(|s| s.id.as_str()).collect()
    }

    /// After the workspace was reset to before step `target` (the `index`-th step): that
    /// step and every later one are no longer passed, and their last failures are forgotten
    /// (the files they failed on are gone, so the tutor must not be told about them);
    /// `target` is the current step again, its clock restarted at `now`.
    pub fn restart_from(&mut self, index: usize, target: &str, now: OffsetDateTime) {
        let later: Vec<String> = self
            .step_ids()
            .get(index..)
            .unwrap_or_default()
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        for id in &later {
            let local = self.local_mut(id);
            local.passed = false;
            local.last_failure = None;
        }
        self.current_step = Some(target.to_owned());
        self.local_mut(target).started_at = Some(now);
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

    /// Takes a local run of one step on workspace content with digest `digest`: a pass
    /// marks the step passed and moves the current step on; a failure counts (failures make
    /// hints due) when the content is new for this step, not the content the workspace was
    /// set up with nor one a failing run of the step already counted. Returns whether the
    /// run counts: a pass, or a failure on new content. Either way the step keeps what
    /// failed ([`LocalStep::last_failure`]), or forgets it on a pass.
    pub fn record_run(&mut self, result: &StepResult, digest: &str) -> bool {
        if result.passed() {
            self.local_mut(&result.step_id).last_failure = None;
            self.pass_and_advance(&result.step_id);
            return true;
        }
        self.local_mut(&result.step_id).last_failure = Some(failure_text(result));
        if self.starter_digest.as_deref() == Some(digest) {
            return false;
        }
        let local = self.local_mut(&result.step_id);
        if local.failed_digests.iter().any(|d| d == digest) {
            return false;
        }
        local.failed_checks += 1;
        local.failed_digests.push(digest.to_owned());
        if local.failed_digests.len() > KEPT_DIGESTS {
            local.failed_digests.remove(0);
        }
        true
    }

    /// The hints of step `id` to reveal at `now`, as indexes: those not shown yet up to the
    /// last one whose `after_failures` or `after_minutes` threshold is reached (a hint is
    /// only shown after the ones before it).
    pub fn due_hints(&self, id: &str, now: OffsetDateTime) -> Range<usize> {
        let (Some(step), Some(local)) = (self.step(id), self.local(id)) else {
            return 0..0;
        };
        let shown = local.hints_shown as usize;
        let minutes = local
            .started_at
            .map_or(0, |at| (now - at).whole_minutes().max(0));
        let due = step
            .hints
            .iter()
            .enumerate()
            .skip(shown)
            .filter(|(_, h)| {
                h.after_failures.is_some_and(|n| local.failed_checks >= n)
                    || h.after_minutes.is_some_and(|m| minutes >= i64::from(m))
            })
            .map(|(i, _)| i + 1)
            .max();
        shown..due.unwrap_or(shown)
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

    /// Keeps a hint the server revealed: its text goes into the stored lab (where hints not
    /// revealed have none), and the step counts it as shown.
    pub fn keep_hint(&mut self, hint: &HintView) {
        let Some(index) = (hint.number as usize).checked_sub(1) else {
            return;
        };
        if let Some(stored) = self
            .lab
            .steps
            .iter_mut()
            .find(|s| s.id == hint.step)
            .and_then(|s| s.hints.get_mut(index))
        {
            stored.text.clone_from(&hint.text);
        }
        let local = self.local_mut(&hint.step);
        local.hints_shown = local.hints_shown.max(hint.number);
    }

    /// Takes the texts of hints `lab` carries (those revealed, as the server sends a resumed
    /// session's lab) where the stored lab has none: hints revealed from another machine.
    pub fn take_revealed_hints(&mut self, lab: &Lab) {
        for step in &mut self.lab.steps {
            let Some(theirs) = lab.steps.iter().find(|s| s.id == step.id) else {
                continue;
            };
            for (mine, their) in step.hints.iter_mut().zip(&theirs.hints) {
                if mine.text.is_empty() {
                    mine.text.clone_from(&their.text);
                }
            }
        }
    }

    /// Whether the session can still take reports and submissions.
    pub fn is_active(&self) -> bool {
        self.status == LabSessionStatus::Active
    }

    /// Keeps a revealed solution (files with workspace-relative paths) in the stored lab,
    /// under the step's solution folder, where `apply_solution` and the resets find it.
    pub fn keep_solution(&mut self, step_id: &str, files: Vec<LabFile>) -> Result<(), StateError> {
        let folder = self
            .step(step_id)
            .map(|s| s.solution.trim_matches('/').to_owned())
            .unwrap_or_default();
        for mut file in files {
            let rel = file.path.trim_start_matches("./").to_owned();
            if is_state_path(Path::new(&rel)) {
                return Err(StateError::SolutionInStateDir {
                    step: step_id.to_owned(),
                    path: rel,
                });
            }
            file.path = format!("{folder}/{rel}");
            self.lab.files.retain(|f| f.path != file.path);
            self.lab.files.push(file);
        }
        self.lab.files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(())
    }
}

impl LabWorkspace {
    /// Finds the workspace holding `start`: the nearest folder at or above it with
    /// `.cloudmaster/lab.json`.
    pub fn find(start: &Path) -> Result<LabWorkspace, StateError> {
        let absolute = std::path::absolute(start).map_err(|source| StateError::Read {
            path: start.to_owned(),
            source,
        })?;
        let root = absolute
            .ancestors()
            .find(|dir| state_file(dir).is_file())
            .ok_or_else(|| StateError::NotAWorkspace {
                from: start.to_owned(),
            })?
            .to_owned();
        let state = read(&root)?;
        Ok(LabWorkspace { root, state })
    }

    /// The workspace at `root`, if it has a state file.
    pub fn open(root: &Path) -> Result<Option<LabWorkspace>, StateError> {
        if !state_file(root).is_file() {
            return Ok(None);
        }
        Ok(Some(LabWorkspace {
            root: root.to_owned(),
            state: read(root)?,
        }))
    }

    /// Writes the starter files of `state`'s lab into `dir` and saves `state` there. Returns
    /// the workspace (with an absolute root) and the files written, relative to `dir`.
    pub fn create(
        dir: &Path,
        state: LabState,
        if_not_empty: IfNotEmpty,
    ) -> Result<(LabWorkspace, Vec<String>), StateError> {
        let lab = &state.lab;
        let prefix = format!("{}/{STATE_DIR}/", lab.starter.trim_matches('/'));
        if let Some(file) = lab.starter_files().find(|f| f.path.starts_with(&prefix)) {
            return Err(StateError::StarterInStateDir {
                lab: lab.id.clone(),
                path: file.path.clone(),
            });
        }
        let written = materialize_starter(lab, dir, if_not_empty)?;
        let root = std::path::absolute(dir).map_err(|source| StateError::Read {
            path: dir.to_owned(),
            source,
        })?;
        let mut workspace = LabWorkspace { root, state };
        workspace.state.starter_digest = Some(crate::lab::content_digest(&workspace.root));
        workspace.save()?;
        Ok((workspace, written))
    }

    /// With every step passed here: makes the first step (not skipped) whose checks fail now
    /// the current one again, as the files changed since. Blocking: it runs checks, with
    /// `opts` (programs only with the learner's consent).
    pub fn reopen_first_failing(&mut self, opts: &RunOptions) -> Option<String> {
        let lab = &self.state.lab;
        let failing = lab
            .steps
            .iter()
            .filter(|s| self.state.local(&s.id).is_none_or(|l| !l.skipped))
            .find(|s| !check_step(&self.root, lab, s, opts).passed())?
            .id
            .clone();
        self.state.local_mut(&failing).passed = false;
        self.state.current_step = Some(failing.clone());
        Some(failing)
    }

    /// Writes the state back (atomically: a temporary file renamed over the old one).
    pub fn save(&self) -> Result<(), StateError> {
        let dir = self.root.join(STATE_DIR);
        let target = dir.join(STATE_FILE);
        let temp = dir.join(format!("{STATE_FILE}.tmp"));
        let write = || -> io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            let mut file = std::fs::File::create(&temp)?;
            serde_json::to_writer_pretty(&mut file, &self.state)?;
            file.write_all(b"\n")?;
            file.sync_all()?;
            std::fs::rename(&temp, &target)
        };
        write().map_err(|source| StateError::Write {
            path: target.clone(),
            source,
        })
    }
}

/// The failed conditions of `result` as text: `id: message` with the detail indented under
/// it, one condition after another; the tail when longer than [`MAX_CHECK_OUTPUT_BYTES`]
/// (the end of a program's output says the most).
fn failure_text(result: &StepResult) -> String {
    let mut text = String::new();
    for condition in &result.conditions {
        let Outcome::Failed { message, detail } = &condition.outcome else {
            continue;
        };
        text.push_str(&format!("{}: {message}\n", condition.id));
        for line in detail.iter().flat_map(|d| d.lines()) {
            text.push_str(&format!("    {line}\n"));
        }
    }
    if text.len() <= MAX_CHECK_OUTPUT_BYTES {
        return text;
    }
    let mut start = text.len() - MAX_CHECK_OUTPUT_BYTES;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text.split_off(start)
}

fn state_file(root: &Path) -> PathBuf {
    root.join(STATE_DIR).join(STATE_FILE)
}

fn read(root: &Path) -> Result<LabState, StateError> {
    let path = state_file(root);
    let text = std::fs::read_to_string(&path).map_err(|source| StateError::Read {
        path: path.clone(),
        source,
    })?;
    let state: LabState = serde_json::from_str(&text).map_err(|e| StateError::Damaged {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if state.format != FORMAT {
        return Err(StateError::Format {
            path,
            found: state.format,
        });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::LabStepState;
    use crate::course::Check;
    use crate::lab::testutil::{condition, file, lab, step};

    fn session(lab: &Lab) -> LabSession {
        let now = OffsetDateTime::now_utc();
        LabSession {
            id: Uuid::new_v4(),
            course_id: "course".into(),
            lab_id: lab.id.clone(),
            lab_title: lab.title.clone(),
            lab_version: 1,
            status: LabSessionStatus::Active,
            started_at: now,
            expires_at: now,
            idle_expires_at: now,
            ended_at: None,
            submissions: 0,
            steps: vec![LabStepState {
                id: "one".into(),
                hints_shown: 1,
                ..LabStepState::default()
            }],
            current_step: Some("one".into()),
        }
    }

    fn one_step_lab() -> Lab {
        let exists = condition("x", Check::FileExists { path: "x".into() });
        lab(
            vec![file("starter/main.tf", "# start\n")],
            vec![step("one", vec![exists], Vec::new())],
        )
    }

    #[test]
    fn a_created_workspace_is_found_from_inside_and_keeps_its_state() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("course-test-lab");
        let lab = one_step_lab();
        let state = LabState::new("http://s", "default", "course", &session(&lab), lab);
        let (created, written) = LabWorkspace::create(&root, state, IfNotEmpty::Refuse).unwrap();
        assert_eq!(written, ["main.tf"]);
        assert_eq!(created.state.local("one").unwrap().hints_shown, 1);
        std::fs::create_dir(root.join("sub")).unwrap();
        let found = LabWorkspace::find(&root.join("sub")).unwrap();
        assert_eq!(found, created);
        assert_eq!(LabWorkspace::open(dir.path()).unwrap(), None);
        assert!(matches!(
            LabWorkspace::find(dir.path()),
            Err(StateError::NotAWorkspace { .. })
        ));
    }

    #[test]
    fn revealed_hints_are_kept_in_the_stored_lab() {
        let mut lab = one_step_lab();
        let hint = |text: &str| crate::course::Hint {
            text: text.into(),
            ..Default::default()
        };
        lab.steps[0].hints = vec![hint(""), hint("")];
        let mut state = LabState::new("http://s", "default", "course", &session(&lab), lab);
        state.keep_hint(&HintView {
            step: "one".into(),
            number: 2,
            of: 2,
            text: "second".into(),
        });
        assert_eq!(state.step("one").unwrap().hints[1].text, "second");
        assert_eq!(state.local("one").unwrap().hints_shown, 2);
        let mut from_server = state.lab.clone();
        from_server.steps[0].hints[0].text = "first".into();
        from_server.steps[0].hints[1].text = "changed".into();
        state.take_revealed_hints(&from_server);
        let texts: Vec<&str> = state
            .step("one")
            .unwrap()
            .hints
            .iter()
            .map(|h| h.text.as_str())
            .collect();
        assert_eq!(texts, ["first", "second"]);
    }

    #[test]
    fn failures_and_minutes_make_hints_due_in_order() {
        let mut lab = one_step_lab();
        lab.steps[0].hints = vec![
            crate::course::Hint {
                text: "first".into(),
                after_minutes: Some(10),
                ..Default::default()
            },
            crate::course::Hint {
                text: "second".into(),
                after_failures: Some(2),
                ..Default::default()
            },
        ];
        let mut session = session(&lab);
        session.steps[0].hints_shown = 0;
        let start = session.started_at;
        let mut state = LabState::new("http://s", "default", "course", &session, lab);
        assert_eq!(state.due_hints("one", start), 0..0);
        assert_eq!(
            state.due_hints("one", start + time::Duration::minutes(10)),
            0..1
        );
        let failed = StepResult {
            step_id: "one".into(),
            conditions: vec![crate::lab::ConditionResult {
                id: "x".into(),
                outcome: crate::lab::Outcome::Failed {
                    message: "x failed".into(),
                    detail: None,
                },
                duration: std::time::Duration::ZERO,
            }],
            duration: std::time::Duration::ZERO,
        };
        state.starter_digest = Some("starter".into());
        assert!(state.record_run(&failed, "edited"));
        // The same content again, and the starter content, are no new attempts.
        assert!(!state.record_run(&failed, "edited"));
        assert!(!state.record_run(&failed, "starter"));
        assert_eq!(state.due_hints("one", start), 0..0);
        assert_eq!(state.local("one").unwrap().failed_checks, 1);
        assert!(state.record_run(&failed, "edited again"));
        // The second hint is due, so the first comes with it.
        assert_eq!(state.due_hints("one", start), 0..2);
        state.local_mut("one").hints_shown = 2;
        assert_eq!(state.due_hints("one", start), 2..2);
    }

    #[test]
    fn a_failing_run_is_kept_for_the_tutor_until_the_step_passes() {
        let lab = one_step_lab();
        let mut state = LabState::new("http://s", "default", "course", &session(&lab), lab);
        let run = |outcome| StepResult {
            step_id: "one".into(),
            conditions: vec![
                crate::lab::ConditionResult {
                    id: "fine".into(),
                    outcome: crate::lab::Outcome::Passed,
                    duration: std::time::Duration::ZERO,
                },
                crate::lab::ConditionResult {
                    id: "x".into(),
                    outcome,
                    duration: std::time::Duration::ZERO,
                },
            ],
            duration: std::time::Duration::ZERO,
        };
        let failed = run(crate::lab::Outcome::Failed {
            message: "x should exist".into(),
            detail: Some("line one\nline two".into()),
        });
        state.record_run(&failed, "edited");
        assert_eq!(
            state.local("one").unwrap().last_failure.as_deref(),
            Some("x: x should exist\n    line one\n    line two\n")
        );
        // The same content again is no new attempt, but it is still the last failure.
        let long = run(crate::lab::Outcome::Failed {
            message: "long".into(),
            detail: Some(format!("{}é the end", "a".repeat(MAX_CHECK_OUTPUT_BYTES))),
        });
        state.record_run(&long, "edited");
        let kept = state.local("one").unwrap().last_failure.clone().unwrap();
        assert!(kept.len() <= MAX_CHECK_OUTPUT_BYTES, "{}", kept.len());
        assert!(kept.ends_with("é the end\n"), "the tail is kept");
        state.record_run(&run(crate::lab::Outcome::Passed), "done");
        assert_eq!(state.local("one").unwrap().last_failure, None);
        assert!(
            !serde_json::to_string(&state)
                .unwrap()
                .contains("last_failure")
        );
    }

    #[test]
    fn a_damaged_or_newer_state_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(STATE_DIR)).unwrap();
        let path = state_file(dir.path());
        std::fs::write(&path, "{").unwrap();
        assert!(matches!(
            LabWorkspace::open(dir.path()),
            Err(StateError::Damaged { .. })
        ));
        let lab = one_step_lab();
        let mut state = LabState::new("http://s", "default", "course", &session(&lab), lab);
        state.format = FORMAT + 1;
        std::fs::write(&path, serde_json::to_string(&state).unwrap()).unwrap();
        assert!(matches!(
            LabWorkspace::open(dir.path()),
            Err(StateError::Format { found, .. }) if found == FORMAT + 1
        ));
    }
}
