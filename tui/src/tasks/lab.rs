//! The lab runner's background work: setting a workspace up (and finding whether the
//! learner still has to allow the course's programs), running checks, hints and
//! submissions. Checks, packing and file I/O run on blocking threads (`spawn_blocking`:
//! checks may wait for programs); server calls go through the [`Backend`]. Like `cloudmaster
//! lab check`, a run is reported to the server but never needs it: when the report fails the
//! local result stands and the reason is shown.

use std::path::{Path, PathBuf};

use cloudmaster_core::api::{CheckReport, LabSessionStart, LabSessionStatus};
use cloudmaster_core::config::DEFAULT_PROFILE;
use cloudmaster_core::lab::consent::{self, ConsentKey, ConsentStore, Program};
use cloudmaster_core::lab::watch::{ChangeWatcher, WatchMode, snapshot, snapshot_blocking};
use cloudmaster_core::lab::{
    ArchiveLimits, IfNotEmpty, LabState, LabWorkspace, RunOptions, StateError, StepResult,
    WorkspaceError, content_digest, pack_workspace, reset_all, reset_step, run_step, self_report,
};
use tokio::sync::mpsc;

use crate::action::{Action, LabJob, LabOutcome, LabResult, LabUpdate, ServedLab, StartedLab};
use crate::backend::{Backend, BackendError, BackendResult};

/// Runs blocking `work` off the event loop's threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BackendError> + Send + 'static,
) -> BackendResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| BackendError::new(format!("the lab task stopped: {e}")))?
}

fn local_error(err: impl std::fmt::Display) -> BackendError {
    BackendError::new(err.to_string())
}

/// Starts (or resumes) the session, finds or creates its workspace in `dir`, and says which
/// of the course's programs still need the learner's consent (remembered in `consent`).
/// `again` writes the starter files into a `dir` that holds something else (see
/// [`prepare`]).
pub(crate) async fn start(
    backend: &dyn Backend,
    course: String,
    lab: String,
    dir: PathBuf,
    consent: Option<ConsentStore>,
    again: bool,
) -> BackendResult<StartedLab> {
    let started = backend.start_lab(&course, &lab).await?;
    let server = Server {
        url: backend.server_url(),
        id: backend.server_id().await,
    };
    blocking(move || {
        let workspace = prepare(&dir, &server, &course, started, again)?;
        let ask_consent = programs_to_allow(&workspace.state, consent.as_ref());
        Ok(StartedLab {
            workspace,
            ask_consent,
        })
    })
    .await
}

/// Session `id`, or else the learner's latest passed session of `lab`, to show its result,
/// and whether `dir` holds its workspace. No session is started (that would begin the lab
/// again).
pub(crate) async fn result(
    backend: &dyn Backend,
    course: &str,
    lab: &str,
    dir: PathBuf,
    id: Option<uuid::Uuid>,
) -> BackendResult<LabResult> {
    let session = match id {
        Some(id) => backend.lab_session(id).await?,
        None => backend
            .lab_sessions(false)
            .await?
            .into_iter()
            .filter(|s| s.course_id == course && s.lab_id == lab)
            .filter(|s| s.status == LabSessionStatus::Passed)
            .max_by_key(|s| s.ended_at.unwrap_or(s.started_at))
            .ok_or_else(|| {
                BackendError::with_code(
                    "not_found",
                    format!("no passed session of {course}/{lab} was found"),
                )
            })?,
    };
    let id = session.id;
    let (dir, workspace_here) = blocking(move || {
        // A folder that cannot be read is no workspace of the session: nothing to point at.
        let here = LabWorkspace::open(&dir)
            .ok()
            .flatten()
            .is_some_and(|w| w.state.session_id == id);
        Ok((dir, here))
    })
    .await?;
    Ok(LabResult {
        session,
        dir,
        workspace_here,
    })
}

/// How the learner stands in `lab` of `course`, for a TUI served over SSH: the lab, and its
/// open session, else the latest one. Nothing is started or set up.
pub(crate) async fn served(
    backend: &dyn Backend,
    course: &str,
    lab: &str,
) -> BackendResult<ServedLab> {
    let summary = backend
        .labs(course)
        .await?
        .into_iter()
        .find(|l| l.id == lab)
        .ok_or_else(|| {
            BackendError::with_code("not_found", format!("{course} has no lab named {lab}"))
        })?;
    let session = match summary.active_session {
        Some(id) => Some(backend.lab_session(id).await?),
        None => backend
            .lab_sessions(false)
            .await?
            .into_iter()
            .filter(|s| s.course_id == course && s.lab_id == lab)
            .max_by_key(|s| s.started_at),
    };
    Ok(ServedLab { summary, session })
}

/// The lab's programs, unless it has none or the learner allowed them already.
fn programs_to_allow(state: &LabState, store: Option<&ConsentStore>) -> Vec<Program> {
    let programs = consent::programs(&state.lab);
    let digest = consent::digest(&programs);
    let allowed = store.is_some_and(|store| store.granted(&consent_key(state), &digest));
    if allowed { Vec::new() } else { programs }
}

fn consent_key(state: &LabState) -> ConsentKey {
    ConsentKey {
        server: state.server.clone(),
        course_id: state.course_id.clone(),
        lab_id: state.lab_id.clone(),
        lab_version: state.lab.version,
    }
}

/// The server a lab is started on: its URL and, when it says, its identity.
struct Server {
    url: String,
    id: Option<String>,
}

/// Reuses `dir` when it is this session's workspace, creates it when it is missing or empty,
/// and refuses anything else: the learner's files are never written over. Starting `again`
/// (the learner asked to, after the lab ended) writes the starter files into `dir` whatever
/// it holds, like `lab start --force`: files with the same names are overwritten, the others
/// stay, and the ended session's state gives way to the new one.
fn prepare(
    dir: &Path,
    server: &Server,
    course: &str,
    started: LabSessionStart,
    again: bool,
) -> Result<LabWorkspace, BackendError> {
    let session = started.session;
    match LabWorkspace::open(dir).map_err(local_error)? {
        Some(mut workspace) if workspace.state.session_id == session.id => {
            workspace.state.sync(&session);
            workspace.state.take_revealed_hints(&started.lab);
            // The same session, so the same server: perhaps at a new URL.
            workspace.state.server.clone_from(&server.url);
            if server.id.is_some() {
                workspace.state.server_id.clone_from(&server.id);
            }
            workspace.save().map_err(local_error)?;
            Ok(workspace)
        }
        Some(other) if !again => Err(BackendError::new(format!(
            "{} is the workspace of another lab session ({}, session {}, {}); move that folder \
             away to start here, or go on with it using `cloudmaster lab` in that folder",
            dir.display(),
            other.state.reference(),
            other.state.session_id,
            other.state.status.as_str()
        ))),
        _ => {
            let mut state =
                LabState::new(&server.url, DEFAULT_PROFILE, course, &session, started.lab);
            state.server_id.clone_from(&server.id);
            let reference = state.reference();
            let if_not_empty = if again {
                IfNotEmpty::Overwrite
            } else {
                IfNotEmpty::Refuse
            };
            match LabWorkspace::create(dir, state, if_not_empty) {
                Ok((workspace, _written)) => Ok(workspace),
                Err(StateError::Files(WorkspaceError::NotEmpty { .. })) => {
                    Err(BackendError::new(format!(
                        "{} is not empty and is not a workspace of {reference}; move its files \
                         away, or use `cloudmaster lab start {reference} --dir {} --force`",
                        dir.display(),
                        dir.display()
                    )))
                }
                Err(err) => Err(local_error(err)),
            }
        }
    }
}

/// Does `job` on `workspace`, running checks with `opts`, and returns it updated.
pub(crate) async fn perform(
    backend: &dyn Backend,
    workspace: LabWorkspace,
    job: &LabJob,
    opts: RunOptions,
) -> BackendResult<LabUpdate> {
    match job {
        LabJob::Check => check(backend, workspace, opts).await,
        LabJob::Allow { store } => {
            if let Some(store) = store.clone() {
                let state = workspace.state.clone();
                blocking(move || {
                    let programs = consent::programs(&state.lab);
                    store
                        .grant(&consent_key(&state), &consent::digest(&programs))
                        .map_err(local_error)
                })
                .await?;
            }
            check(backend, workspace, RunOptions::LOCAL).await
        }
        LabJob::Hint => hint(backend, workspace).await,
        LabJob::Submit => submit(backend, workspace, opts).await,
        LabJob::Reset { step } => reset(backend, workspace, step.clone()).await,
        LabJob::Abandon => abandon(backend, workspace).await,
        LabJob::Refresh => {
            let mut workspace = workspace;
            let session = backend.lab_session(workspace.state.session_id).await?;
            workspace.state.sync(&session);
            save(workspace, LabOutcome::Refreshed).await
        }
    }
}

async fn save(workspace: LabWorkspace, outcome: LabOutcome) -> BackendResult<LabUpdate> {
    blocking(move || {
        workspace.save().map_err(local_error)?;
        Ok(LabUpdate { workspace, outcome })
    })
    .await
}

/// Runs one step; returns its result and the content digest of the workspace it ran on.
async fn run(
    workspace: &LabWorkspace,
    step: &str,
    opts: RunOptions,
) -> BackendResult<(StepResult, String)> {
    let (root, lab, step) = (
        workspace.root.clone(),
        workspace.state.lab.clone(),
        step.to_owned(),
    );
    blocking(move || {
        let digest = content_digest(&root);
        let result = run_step(&root, &lab, &step, &opts).map_err(local_error)?;
        Ok((result, digest))
    })
    .await
}

/// Checks the current step; when it passes, the workspace moves on and the next steps are
/// checked too while their work is already done (the first failing one is shown, but not
/// counted: the learner has not started it). A failing run reveals the hints it makes due.
/// With every step done, the first step that fails again becomes the current one.
async fn check(
    backend: &dyn Backend,
    workspace: LabWorkspace,
    opts: RunOptions,
) -> BackendResult<LabUpdate> {
    let mut workspace = if workspace.state.current_step.is_none() {
        blocking(move || {
            let mut workspace = workspace;
            workspace.reopen_first_failing(&opts);
            Ok(workspace)
        })
        .await?
    } else {
        workspace
    };
    let mut results = Vec::new();
    let mut unreported = None;
    let mut counted = true;
    while let Some(step) = workspace.state.current_step.clone() {
        let (result, digest) = run(&workspace, &step, opts).await?;
        let passed = result.passed();
        if counted || passed {
            let new_content = workspace.state.record_run(&result, &digest);
            if let Err(why) = report(backend, &mut workspace, &result, new_content).await {
                unreported.get_or_insert(why);
            }
        }
        if counted && !passed {
            reveal_due_hints(backend, &mut workspace, &step).await;
        }
        results.push(result);
        if !passed {
            break;
        }
        counted = false;
    }
    let root = workspace.root.clone();
    let after = blocking(move || Ok(snapshot_blocking(&root))).await?;
    let outcome = LabOutcome::Checked {
        results,
        unreported,
        after,
    };
    save(workspace, outcome).await
}

/// Reveals the hints of `step` that failures or time made due, through the server, which
/// counts them and alone has their text. When it cannot be asked (or says every hint is
/// shown, from elsewhere) the rest wait.
async fn reveal_due_hints(backend: &dyn Backend, workspace: &mut LabWorkspace, step: &str) {
    let due = workspace
        .state
        .due_hints(step, time::OffsetDateTime::now_utc());
    for _ in due {
        match backend.next_hint(workspace.state.session_id, step).await {
            Ok(hint) => workspace.state.keep_hint(&hint),
            Err(_) => break,
        }
    }
}

/// Reports a run; `Err` says why the server did not record it.
async fn report(
    backend: &dyn Backend,
    workspace: &mut LabWorkspace,
    result: &StepResult,
    new_content: bool,
) -> Result<(), String> {
    if !workspace.state.is_active() {
        return Err(format!(
            "the lab session is {}",
            workspace.state.status.as_str()
        ));
    }
    let report = CheckReport::of_run(result, new_content);
    match backend
        .report_check(workspace.state.session_id, &report)
        .await
    {
        Ok(session) => {
            workspace.state.sync(&session);
            Ok(())
        }
        Err(err) => Err(err.message),
    }
}

async fn hint(backend: &dyn Backend, mut workspace: LabWorkspace) -> BackendResult<LabUpdate> {
    let Some(step) = workspace.state.current_step.clone() else {
        return Err(BackendError::new(
            "every step passes: no hint is needed (S submits)",
        ));
    };
    let hint = match backend.next_hint(workspace.state.session_id, &step).await {
        Ok(hint) => hint,
        Err(err) if err.code.as_deref() == Some("not_found") => {
            let message = match workspace.state.step(&step).map_or(0, |s| s.hints.len()) {
                0 => format!("Step `{step}` has no hints."),
                total => format!("No more hints for step `{step}`: all {total} are shown."),
            };
            return Err(BackendError::with_code("not_found", message));
        }
        Err(err) => return Err(err),
    };
    workspace.state.keep_hint(&hint);
    save(workspace, LabOutcome::Hint(hint)).await
}

/// Checks every step once more (for the results of the checks the server does not run, if
/// the learner allowed them), packs the workspace without `.cloudmaster` and submits it.
async fn submit(
    backend: &dyn Backend,
    mut workspace: LabWorkspace,
    opts: RunOptions,
) -> BackendResult<LabUpdate> {
    let (root, lab) = (workspace.root.clone(), workspace.state.lab.clone());
    let (self_reported, archive) = blocking(move || {
        let (reported, _passing) = self_report(&root, &lab, &opts);
        let packed =
            pack_workspace(&root, &ArchiveLimits::default(), |_| {}).map_err(local_error)?;
        Ok((reported, packed.bytes))
    })
    .await?;
    let submission = backend
        .submit_lab(workspace.state.session_id, archive, &self_reported)
        .await?;
    workspace.state.sync(&submission.session);
    save(workspace, LabOutcome::Submitted(submission)).await
}

/// Puts the workspace back to how `step` starts (`None`: the whole lab to its starter files)
/// with core's resets, and makes the step the current one again, its clock restarted; the
/// local passes of it and the steps after it are undone (the server keeps its credit). A
/// step starts from the solutions of the steps before it, so those the workspace does not
/// hold yet are fetched first; resetting the whole lab needs no server.
async fn reset(
    backend: &dyn Backend,
    mut workspace: LabWorkspace,
    step: Option<String>,
) -> BackendResult<LabUpdate> {
    let state = &workspace.state;
    let (target, index) = match &step {
        Some(id) => {
            let index = state
                .index(id)
                .ok_or_else(|| BackendError::with_code("not_found", format!("no step `{id}`")))?;
            (id.clone(), index)
        }
        None => {
            let first = state.lab.steps.first();
            let first = first.ok_or_else(|| BackendError::new("the lab has no steps"))?;
            (first.id.clone(), 0)
        }
    };
    let missing: Vec<String> = state.lab.steps[..index]
        .iter()
        .filter(|s| state.lab.files_under(&s.solution).next().is_none())
        .map(|s| s.id.clone())
        .collect();
    for earlier in missing {
        let solution = backend
            .step_solution(workspace.state.session_id, &earlier)
            .await
            .map_err(|err| BackendError {
                message: format!(
                    "resetting the step needs the solution of the earlier step `{earlier}` \
                     from the server: {err} (X resets the whole lab without it)"
                ),
                code: err.code,
            })?;
        workspace
            .state
            .keep_solution(&earlier, solution.files)
            .map_err(local_error)?;
    }
    blocking(move || {
        let (root, lab) = (&workspace.root, &workspace.state.lab);
        let summary = match &step {
            Some(id) => reset_step(lab, id, root),
            None => reset_all(lab, root),
        }
        .map_err(local_error)?;
        workspace
            .state
            .restart_from(index, &target, time::OffsetDateTime::now_utc());
        workspace.save().map_err(local_error)?;
        Ok(LabUpdate {
            workspace,
            outcome: LabOutcome::Reset {
                step: target,
                all: step.is_none(),
                summary,
            },
        })
    })
    .await
}

/// Ends the session on the server without credit; the files stay. A session that ended
/// meanwhile (passed, out of time) is taken as the server has it.
async fn abandon(backend: &dyn Backend, mut workspace: LabWorkspace) -> BackendResult<LabUpdate> {
    let id = workspace.state.session_id;
    let already_ended = match backend.abandon_lab(id).await {
        Ok(()) => false,
        Err(err) if err.code.as_deref() == Some("session_closed") => true,
        Err(err) => return Err(err),
    };
    // The server's view says when (a failure to read it loses nothing but that).
    if !already_ended {
        workspace.state.status = LabSessionStatus::Abandoned;
    }
    let session = backend.lab_session(id).await.ok();
    if let Some(session) = &session {
        workspace.state.sync(session);
    }
    let outcome = LabOutcome::Abandoned {
        session: session.map(Box::new),
        already_ended,
    };
    save(workspace, outcome).await
}

/// Watches `root` until aborted, sending [`Action::LabFilesChanged`] for every change.
pub(crate) async fn watch(root: PathBuf, tx: mpsc::Sender<Action>) {
    let (mut watcher, fell_back) = ChangeWatcher::start(&root, WatchMode::Notify).await;
    if let Some(why) = fell_back {
        tracing::info!(%why, "file notifications do not work here: polling the lab workspace");
    }
    let mut baseline = snapshot(&root).await;
    while let Some(now) = watcher.changed_from(&baseline).await {
        baseline = now.clone();
        let changed = Action::LabFilesChanged {
            root: root.clone(),
            snapshot: now,
        };
        if tx.send(changed).await.is_err() {
            return;
        }
    }
}

/// Keeps the one lab watch running at a time.
#[derive(Default)]
pub(crate) struct LabWatch(Option<tokio::task::AbortHandle>);

impl LabWatch {
    pub(crate) fn start(
        &mut self,
        root: PathBuf,
        tx: &mpsc::Sender<Action>,
        tasks: &mut tokio::task::JoinSet<()>,
    ) {
        self.stop();
        self.0 = Some(tasks.spawn(watch(root, tx.clone())));
    }

    pub(crate) fn stop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[tokio::test]
    async fn the_watch_reports_a_saved_file_as_an_action() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let (tx, mut rx) = mpsc::channel(4);
        let watching = tokio::spawn(watch(root.clone(), tx));
        // The watch takes its baseline once it is set up; saving again until it answers
        // keeps the test independent of how long that takes. Only a watch that never
        // reports a change runs into the (generous) deadline.
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut saves = 0usize;
        let action = loop {
            saves += 1;
            std::fs::write(root.join("main.tf"), "x".repeat(saves)).unwrap();
            let wait = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await;
            if let Ok(action) = wait {
                break action.expect("the watch is running");
            }
            assert!(Instant::now() < deadline, "no change was reported");
        };
        watching.abort();
        let Action::LabFilesChanged {
            root: changed,
            snapshot,
        } = action
        else {
            panic!("{action:?}");
        };
        assert_eq!(changed, root);
        assert!(snapshot.contains_key(&root.join("main.tf")));
    }
}
