//! `cloudmaster lab start COURSE/LAB [--dir DIR] [--force]`: opens (or resumes) a session
//! on the server and sets up the workspace folder.
//!
//! A folder is only written into when it is empty, already this session's workspace (then
//! nothing is overwritten: the learner's work stays), or `--force` is given. A folder that
//! clearly is not a workspace of this lab is refused before the server is asked, so a typo
//! in `--dir` never starts a session.

use std::path::{Path, PathBuf};

use cloudmaster_core::api::LabSession;
use cloudmaster_core::lab::{IfNotEmpty, missing_tools};
use serde::Serialize;

use super::workspace_state::{self, LabState, Workspace};
use super::{time_left, write_instructions};
use crate::commands::split_ref;
use crate::context::Context;
use crate::exit::{Exit, fail, fail_with_hint};
use crate::learning::unlock_hint;
use crate::output::date;

#[derive(clap::Args)]
pub struct Start {
    /// The lab: COURSE/LAB, such as cloud-foundations/cidr-plan
    lab: String,
    /// Workspace folder [default: ./COURSE-LAB]
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Use DIR even though it holds other files (starter files are written over same-named ones)
    #[arg(long)]
    force: bool,
}

/// `lab start -o json`.
#[derive(Serialize)]
struct Started<'a> {
    session: &'a LabSession,
    workspace: String,
    /// This folder already was the session's workspace: nothing was written.
    resumed: bool,
    files_written: Vec<String>,
    missing_tools: Vec<String>,
}

impl Start {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let (course, lab_id) = split_ref(&self.lab, "LAB")?;
        let dir = self
            .dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("{course}-{lab_id}")));
        let existing = workspace_state::open(&dir)?;
        if !self.force {
            let same_server = match &existing {
                Some(w) => workspace_state::on_configured_server(&w.state, ctx).await,
                None => false,
            };
            refuse_foreign(&dir, existing.as_ref(), same_server, &course, &lab_id)?;
        }

        let client = ctx.client()?;
        let server_id = workspace_state::server_id(client).await;
        let started = client
            .start_lab(&course, &lab_id)
            .await
            .map_err(|e| unlock_hint(e, &course))?;
        let session = started.session;
        let same_session = existing
            .as_ref()
            .is_some_and(|w| w.state.session_id == session.id);
        if let Some(previous) = existing.as_ref().filter(|_| !same_session && !self.force) {
            return Err(fail_with_hint(
                Exit::Conflict,
                format!(
                    "{} holds the workspace of an earlier session of {} ({}, {}), not of the \
                     session just opened ({})",
                    dir.display(),
                    previous.state.reference(),
                    previous.state.session_id,
                    previous.state.status.as_str(),
                    session.id
                ),
                "pass --force to start over in that folder (its starter files are written \
                 again), or choose another folder with --dir; the new session stays open for \
                 `lab start` to resume",
            ));
        }

        let (workspace, files_written) = match existing.filter(|_| same_session) {
            Some(mut workspace) => {
                // Keep the stored lab: it holds the solutions revealed so far. Hints revealed
                // elsewhere come with the server's lab.
                workspace.state.sync(&session);
                workspace.state.take_revealed_hints(&started.lab);
                // The same session, so the same server: perhaps at a new URL.
                workspace.state.server = ctx.config.server.value.as_str().to_owned();
                workspace.state.server_id = server_id.or(workspace.state.server_id.take());
                (workspace, Vec::new())
            }
            None => {
                let if_not_empty = if self.force {
                    IfNotEmpty::Overwrite
                } else {
                    IfNotEmpty::Refuse
                };
                let mut state = LabState::new(
                    ctx.config.server.value.as_str(),
                    &ctx.config.profile.value,
                    &course,
                    &session,
                    started.lab,
                );
                state.server_id = server_id;
                Workspace::create(&dir, state, if_not_empty).map_err(workspace_state::with_exit)?
            }
        };
        if same_session {
            workspace.save()?;
        }

        let missing = missing_tools(&workspace.state.lab);
        if !missing.is_empty() {
            ctx.warn(&format!(
                "this lab needs {} which {} not on PATH: install {} before checking your work \
                 (checks that run {} will fail)",
                missing.join(", "),
                if missing.len() == 1 { "is" } else { "are" },
                if missing.len() == 1 { "it" } else { "them" },
                if missing.len() == 1 { "it" } else { "them" },
            ));
        }
        let resumed = same_session;
        let output = Started {
            session: &session,
            workspace: dir.display().to_string(),
            resumed,
            files_written,
            missing_tools: missing,
        };
        ctx.print(&output, |out| {
            write_started(ctx, out, &workspace.state, &session, &output)
        })
    }
}

/// Refuses a non-empty folder that is not a workspace of this lab on this server
/// (`same_server`: the workspace's session lives on the configured server).
fn refuse_foreign(
    dir: &Path,
    existing: Option<&Workspace>,
    same_server: bool,
    course: &str,
    lab: &str,
) -> anyhow::Result<()> {
    let force_hint = "choose an empty or new folder with --dir, or pass --force to write the \
                      starter files into it (files with the same names are overwritten)";
    match existing {
        Some(w) if w.state.course_id == course && w.state.lab_id == lab && same_server => Ok(()),
        Some(w) => Err(fail_with_hint(
            Exit::Conflict,
            format!(
                "{} is the workspace of another lab session ({} on {})",
                dir.display(),
                w.state.reference(),
                w.state.server
            ),
            force_hint,
        )),
        None if is_non_empty(dir)? => Err(fail_with_hint(
            Exit::Conflict,
            format!(
                "{} is not empty and is not a workspace of {course}/{lab}",
                dir.display()
            ),
            force_hint,
        )),
        None => Ok(()),
    }
}

fn is_non_empty(dir: &Path) -> anyhow::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_some()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Err(fail(
            Exit::Conflict,
            format!("{} is a file, not a folder", dir.display()),
        )),
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot read {}", dir.display()))),
    }
}

fn write_started(
    ctx: &Context,
    out: &mut dyn std::io::Write,
    state: &LabState,
    session: &LabSession,
    started: &Started<'_>,
) -> std::io::Result<()> {
    let lab = &state.lab;
    let verb = if started.resumed
        || session.submissions > 0
        || session.steps.iter().any(|s| s.passed || s.skipped)
    {
        "Resumed"
    } else {
        "Started"
    };
    writeln!(
        out,
        "{} lab session {} for {}: {}",
        verb,
        session.id,
        ctx.bold(&state.reference()),
        lab.title
    )?;
    let files = match started.files_written.len() {
        0 if started.resumed => "your files are kept".to_owned(),
        n => format!("{} written", crate::output::plural(n, "starter file")),
    };
    writeln!(out, "Workspace:  {} ({files})", started.workspace)?;
    let now = time::OffsetDateTime::now_utc();
    writeln!(
        out,
        "Time limit: {} min; the session ends at {} UTC ({} left)",
        lab.time_limit_minutes,
        date(&session.expires_at),
        time_left(session.expires_at, now)
    )?;
    writeln!(
        out,
        "Idle until: {} UTC (a check, hint or submit keeps the session alive)",
        date(&session.idle_expires_at)
    )?;
    let passed: Vec<&str> = session
        .steps
        .iter()
        .filter(|s| s.passed)
        .map(|s| s.id.as_str())
        .collect();
    if !passed.is_empty() && !started.resumed {
        writeln!(
            out,
            "Already passed in this session: {} (`cloudmaster lab solution --step STEP` writes a \
             passed step's solution here)",
            passed.join(", ")
        )?;
    }
    writeln!(out)?;
    match state.current_step.as_deref().and_then(|id| state.step(id)) {
        Some(step) => {
            write_instructions(ctx, out, lab, step)?;
            writeln!(out)?;
            let cd = if Path::new(&started.workspace) == Path::new(".") {
                String::new()
            } else {
                format!("cd {}, ", started.workspace)
            };
            writeln!(
                out,
                "Next: {cd}edit the files, then run `cloudmaster lab check` (or `cloudmaster lab \
                 check --watch` to check on every save)."
            )
        }
        None => writeln!(
            out,
            "Every step is done. Next: `cloudmaster lab submit` from the workspace."
        ),
    }
}
