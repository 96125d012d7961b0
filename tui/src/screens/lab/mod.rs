//! The lab runner. `Enter` on a lab in the course outline starts a session (or resumes the
//! active one) and sets its workspace up in `COURSE-LAB` under the folder the TUI was started
//! in, the same folder and state file `cloudmaster lab start` uses, so either can continue
//! the other. The learner edits there in another terminal; the screen shows the steps, the
//! current step's instructions and its conditions ✓/✗ with the authored messages.
//!
//! Checks run in the background when the lab opens, on `c`, and whenever a file of the
//! workspace changes (a watch reports changes as
//! [`Action::LabFilesChanged`](crate::action::Action::LabFilesChanged); a change that
//! only repeats what the last run left behind is ignored, so checks that write files do not
//! loop). One job runs at a time, since each reads and writes the workspace's state file; a
//! change noticed meanwhile runs the checks once more afterwards. `h` reveals the next hint
//! (hint texts come from the server as they unlock), `S` submits after a confirmation and
//! shows the server's verdict per step. The background work is in `crate::tasks::lab`;
//! drawing in `render.rs`.
//!
//! A lab whose checks run programs (`command` and `script` conditions: the course author's
//! code, run as the learner) opens on a consent screen listing them, unless the learner
//! allowed them before for this server, course, lab and set of programs. `y` allows them
//! (remembered in the data folder, as `cloudmaster lab check` does); any other key declines:
//! the lab stays open and only the declarative checks run, the others shown as skipped, so
//! steps that need them cannot pass here. Reopening the lab asks again.
//!
//! A TUI served over SSH runs on the server, which must run no course programs: there a lab
//! opens on its standing and the commands to run on the learner's machine (`served.rs`).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use cloudmaster_core::api::LabSubmission;
use cloudmaster_core::lab::consent::Program;
use cloudmaster_core::lab::watch::Snapshot;
use cloudmaster_core::lab::{LabWorkspace, RunOptions, StepResult};
use time::OffsetDateTime;

use crate::action::{
    Cmd, Command, LAB_TICK, LabJob, LabOutcome, LabResult, LabUpdate, Request, ServedLab,
    StartedLab,
};
use crate::app::{App, ScreenId, nav};
use crate::backend::BackendResult;
use crate::popups::confirm::{ConfirmAction, ConfirmPopup};

mod render;
mod reset;
mod result;
mod served;

pub use render::{render, status};
pub use reset::{abandon, reset};
pub use result::{result_loaded, start_again};
pub use served::served_loaded;

#[derive(Debug)]
pub struct LabScreen {
    pub course: String,
    pub lab: String,
    /// The outline's title until the lab arrives.
    pub title: String,
    /// `None` while the session starts, and while a result is shown.
    pub open: Option<Box<OpenLab>>,
    /// The result of a session that ended (passed, or abandoned here), shown instead of
    /// the runner.
    pub result: Option<Box<LabResult>>,
    /// The lab's standing, in a TUI served over SSH (which never opens the runner).
    pub served: Option<Box<ServedLab>>,
}

impl LabScreen {
    /// Waiting for a session to start or a result to arrive.
    pub fn waiting(&self) -> bool {
        self.open.is_none() && self.result.is_none() && self.served.is_none()
    }
}

/// Whether the course's programs may run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consent {
    /// Nothing to ask: the lab runs no programs, or the learner allowed them.
    Allowed,
    /// The screen lists these programs and waits for an answer; nothing runs meanwhile.
    Asking(Vec<Program>),
    /// The learner said no: declarative checks only.
    Declined,
}

impl Consent {
    /// How checks run.
    pub fn run_options(&self) -> RunOptions {
        match self {
            Consent::Allowed => RunOptions::LOCAL,
            Consent::Asking(_) | Consent::Declined => RunOptions::DECLINED,
        }
    }
}

/// A lab whose workspace is set up.
#[derive(Debug)]
pub struct OpenLab {
    pub workspace: LabWorkspace,
    pub consent: Consent,
    /// The latest local result of each step checked, by step id.
    pub results: BTreeMap<String, StepResult>,
    /// The job running, if any.
    pub busy: Option<LabJob>,
    /// Files changed while a job ran: check again when it is done.
    pub recheck: bool,
    /// The workspace's files after the last check run.
    pub checked_files: Option<Snapshot>,
    /// Why the last run was not recorded by the server, if it was not.
    pub unreported: Option<String>,
    /// The verdict of the last submission, until the next check run.
    pub verdict: Option<LabSubmission>,
    /// The instructions' scroll offset.
    pub scroll: u16,
    /// What the status bar says once the next check run is in, unless the run has news
    /// of its own (a reset says what it did).
    pub announce: Option<String>,
}

impl OpenLab {
    fn new(workspace: LabWorkspace, ask_consent: Vec<Program>) -> Self {
        let consent = if ask_consent.is_empty() {
            Consent::Allowed
        } else {
            Consent::Asking(ask_consent)
        };
        Self {
            workspace,
            consent,
            results: BTreeMap::new(),
            busy: None,
            recheck: false,
            checked_files: None,
            unreported: None,
            verdict: None,
            scroll: 0,
            announce: None,
        }
    }

    /// The step on screen: the current one, else (every step passes) the last.
    pub fn shown_step(&self) -> Option<&cloudmaster_core::course::Step> {
        let state = &self.workspace.state;
        match &state.current_step {
            Some(id) => state.step(id),
            None => state.lab.steps.last(),
        }
    }
}

fn open_mut(app: &mut App) -> Option<&mut OpenLab> {
    app.lab.as_mut()?.open.as_deref_mut()
}

/// Opens `lab` of `course`: starts or resumes its session, unless it is open already. A lab
/// the learner `passed` (and has no session open of) shows its result instead; no new
/// session starts.
pub fn open(app: &mut App, course: &str, lab: &str, title: &str, passed: bool) -> Vec<Command> {
    let same = app
        .lab
        .as_ref()
        .is_some_and(|l| l.course == course && l.lab == lab);
    if same {
        return nav::switch(app, ScreenId::Lab);
    }
    // The lab shown so far stops being watched before it is replaced.
    let mut commands = if app.screen == ScreenId::Lab {
        leave(app)
    } else {
        Vec::new()
    };
    app.lab = Some(LabScreen {
        course: course.to_owned(),
        lab: lab.to_owned(),
        title: title.to_owned(),
        open: None,
        result: None,
        served: None,
    });
    let dir = workspace_dir(app, course, lab);
    let request = if app.served {
        served::request(course, lab)
    } else if passed {
        Request::LabResult {
            course: course.to_owned(),
            lab: lab.to_owned(),
            dir,
            session: None,
        }
    } else {
        Request::StartLab {
            course: course.to_owned(),
            lab: lab.to_owned(),
            dir,
            consent: app.lab_consent.clone(),
            again: false,
        }
    };
    commands.push(app.fetch(request));
    commands.extend(nav::switch(app, ScreenId::Lab));
    commands
}

/// Where the workspace of `lab` goes: `COURSE-LAB` in the folder the TUI started in.
fn workspace_dir(app: &App, course: &str, lab: &str) -> std::path::PathBuf {
    app.lab_dir.join(format!("{course}-{lab}"))
}

/// The session and workspace are ready (or could not be had).
pub fn started(
    app: &mut App,
    course: &str,
    lab: &str,
    result: BackendResult<Box<StartedLab>>,
) -> Vec<Command> {
    let waiting = app
        .lab
        .as_ref()
        .is_some_and(|l| l.course == course && l.lab == lab && l.waiting());
    if !waiting {
        return Vec::new();
    }
    match result {
        Err(err) => {
            app.show_error("Could not open the lab", err.message);
            app.lab = None;
            nav::leave_unopened(app, ScreenId::Lab)
        }
        Ok(started) => {
            let StartedLab {
                workspace,
                ask_consent,
            } = *started;
            if let Some(screen) = app.lab.as_mut() {
                screen.title = workspace.state.lab.title.clone();
                screen.open = Some(Box::new(OpenLab::new(workspace, ask_consent)));
            }
            if app.screen == ScreenId::Lab {
                on_enter(app)
            } else {
                Vec::new()
            }
        }
    }
}

/// The screen is shown: watch the workspace, check it (files may have changed while
/// away), and keep the time left current.
pub fn on_enter(app: &mut App) -> Vec<Command> {
    let Some((root, active)) = app
        .lab
        .as_ref()
        .and_then(|l| l.open.as_ref())
        .map(|o| (o.workspace.root.clone(), o.workspace.state.is_active()))
    else {
        return Vec::new();
    };
    if !active {
        // A passed (or ended) session: its result stands, there is nothing to check.
        app.status = Some(format!(
            "This lab session is {}: its result is shown",
            app.lab
                .as_ref()
                .and_then(|l| l.open.as_ref())
                .map_or("over", |o| o.workspace.state.status.as_str())
        ));
        return Vec::new();
    }
    let mut commands = vec![Command::WatchLab { root }];
    commands.extend(run_job(app, LabJob::Check));
    commands.extend(keep_ticking(app, Duration::ZERO));
    commands
}

/// The screen is left: nobody looks at the checks, so stop watching.
pub fn leave(app: &App) -> Vec<Command> {
    match app.lab.as_ref().and_then(|l| l.open.as_ref()) {
        Some(_) => vec![Command::UnwatchLab],
        None => Vec::new(),
    }
}

pub fn on_cmd(app: &mut App, cmd: Cmd) -> Option<Vec<Command>> {
    if showing_served(app) {
        return served::on_cmd(app, cmd);
    }
    if showing_result(app) {
        return result::on_cmd(app, cmd);
    }
    // About the instructions panel's height: the header, the title and path rows, the
    // checks panel and the borders take the rest.
    let page = app.height.saturating_sub(12).max(1);
    let open = open_mut(app)?;
    match cmd {
        Cmd::Down => open.scroll = open.scroll.saturating_add(1),
        Cmd::Up => open.scroll = open.scroll.saturating_sub(1),
        Cmd::PageDown => open.scroll = open.scroll.saturating_add(page),
        Cmd::PageUp => open.scroll = open.scroll.saturating_sub(page),
        Cmd::Top => open.scroll = 0,
        // Clamped to the text when drawn.
        Cmd::Bottom => open.scroll = u16::MAX,
        Cmd::Check => return Some(run_job(app, LabJob::Check)),
        Cmd::Hint => return Some(run_job(app, LabJob::Hint)),
        Cmd::Submit => return Some(ask_to_submit(app)),
        Cmd::Refresh => return Some(run_job(app, LabJob::Refresh)),
        Cmd::ResetStep => return Some(reset::ask_to_reset_step(app)),
        Cmd::ResetLab => return Some(reset::ask_to_reset_lab(app)),
        Cmd::Abandon => return Some(reset::ask_to_abandon(app)),
        _ => return None,
    }
    Some(Vec::new())
}

/// `y` on the consent screen: the programs may run; remember that, then check.
pub fn allow(app: &mut App) -> Vec<Command> {
    let store = app.lab_consent.clone();
    let Some(open) = open_mut(app).filter(|o| matches!(o.consent, Consent::Asking(_))) else {
        return Vec::new();
    };
    open.consent = Consent::Allowed;
    app.status = Some("Allowed: the checks run the course's programs".to_owned());
    run_job(app, LabJob::Allow { store })
}

/// Any other key on the consent screen: declarative checks only.
pub fn decline(app: &mut App) -> Vec<Command> {
    let Some(open) = open_mut(app).filter(|o| matches!(o.consent, Consent::Asking(_))) else {
        return Vec::new();
    };
    open.consent = Consent::Declined;
    app.status = Some(
        "Declined: only the checks that read files run; reopen the lab to be asked again"
            .to_owned(),
    );
    run_job(app, LabJob::Check)
}

/// A read-only view of the lab on screen arrived, the first time or reloaded with `r`: a
/// session's result, or the standing a TUI served over SSH shows. `view` is where the
/// screen keeps it and `title` the lab's title in it. A failed reload leaves what is shown;
/// a view that never arrived leaves the screen, as a lab that could not open does.
fn view_loaded<T>(
    app: &mut App,
    (course, lab): (&str, &str),
    result: BackendResult<T>,
    failed: &str,
    view: fn(&mut LabScreen) -> &mut Option<T>,
    title: fn(&T) -> &str,
) -> Vec<Command> {
    let Some(screen) = app
        .lab
        .as_mut()
        .filter(|l| l.course == course && l.lab == lab && l.open.is_none())
    else {
        return Vec::new();
    };
    match result {
        Ok(loaded) => {
            title(&loaded).clone_into(&mut screen.title);
            *view(screen) = Some(loaded);
            Vec::new()
        }
        Err(err) => {
            let shown = view(screen).is_some();
            app.show_error(failed, err.message);
            if shown {
                return Vec::new();
            }
            app.lab = None;
            nav::leave_unopened(app, ScreenId::Lab)
        }
    }
}

/// Whether the lab screen shows a lab's standing in a TUI served over SSH.
pub fn showing_served(app: &App) -> bool {
    app.lab.as_ref().is_some_and(|l| l.served.is_some())
}

/// Whether the lab screen shows a session's result (not the runner).
pub fn showing_result(app: &App) -> bool {
    app.lab.as_ref().is_some_and(|l| l.result.is_some())
}

/// Whether the lab on screen waits for the learner's consent.
pub fn asking_consent(app: &App) -> bool {
    app.lab
        .as_ref()
        .and_then(|l| l.open.as_ref())
        .is_some_and(|o| matches!(o.consent, Consent::Asking(_)))
}

/// Starts `job` unless another one runs (a check asked for meanwhile runs afterwards), or
/// the learner has not answered the consent screen yet.
fn run_job(app: &mut App, job: LabJob) -> Vec<Command> {
    let Some(open) = open_mut(app) else {
        return Vec::new();
    };
    if matches!(open.consent, Consent::Asking(_)) {
        return Vec::new();
    }
    if let Some(busy) = &open.busy {
        if job == LabJob::Check {
            open.recheck = true;
        } else {
            app.status = Some(format!("Wait: {}", busy_label(busy)));
        }
        return Vec::new();
    }
    if job == LabJob::Check {
        open.recheck = false;
    }
    open.busy = Some(job.clone());
    let workspace = Box::new(open.workspace.clone());
    let opts = open.consent.run_options();
    vec![app.fetch(Request::Lab {
        workspace,
        job,
        opts,
    })]
}

pub fn busy_label(job: &LabJob) -> &'static str {
    match job {
        LabJob::Check | LabJob::Allow { .. } => "checking…",
        LabJob::Hint => "asking for a hint…",
        LabJob::Submit => "submitting…",
        LabJob::Refresh => "reloading…",
        LabJob::Reset { .. } => "resetting…",
        LabJob::Abandon => "abandoning…",
    }
}

/// `S`: asks before submitting.
fn ask_to_submit(app: &mut App) -> Vec<Command> {
    let Some(open) = open_mut(app) else {
        return Vec::new();
    };
    let state = &open.workspace.state;
    let passing = state.steps.iter().filter(|s| s.passed || s.skipped).count();
    let total = state.lab.steps.len();
    let message = if passing == total {
        "Every step passes here. Upload the workspace for grading?".to_owned()
    } else {
        format!(
            "{passing} of {total} steps pass here. Upload the workspace for grading anyway? \
             Steps that fail earn no credit."
        )
    };
    app.confirm = Some(ConfirmPopup {
        title: "Submit the lab?".to_owned(),
        message,
        action: ConfirmAction::SubmitLab,
    });
    Vec::new()
}

/// Confirmed: submit.
pub fn submit(app: &mut App) -> Vec<Command> {
    run_job(app, LabJob::Submit)
}

/// A file of the workspace changed: check again, unless the change is what the last run
/// left behind.
pub fn files_changed(app: &mut App, root: &Path, snapshot: Snapshot) -> Vec<Command> {
    // A notice sent just before the watch stopped: the checks run when the screen is back.
    if app.screen != ScreenId::Lab {
        return Vec::new();
    }
    let Some(open) = open_mut(app).filter(|o| o.workspace.root == root) else {
        return Vec::new();
    };
    if open.checked_files.as_ref() == Some(&snapshot) {
        return Vec::new();
    }
    run_job(app, LabJob::Check)
}

/// A job finished.
pub fn done(
    app: &mut App,
    session: uuid::Uuid,
    job: &LabJob,
    result: BackendResult<Box<LabUpdate>>,
) -> Vec<Command> {
    let Some(open) = open_mut(app).filter(|o| o.workspace.state.session_id == session) else {
        return Vec::new();
    };
    open.busy = None;
    let update = match result {
        Ok(update) => *update,
        Err(err) => {
            let title = match job {
                LabJob::Check | LabJob::Allow { .. } => "Could not run the checks",
                LabJob::Hint => "No hint",
                LabJob::Submit => "Could not submit",
                LabJob::Refresh => "Could not reload the lab",
                LabJob::Reset { .. } => "Could not reset the lab",
                LabJob::Abandon => "Could not abandon the lab",
            };
            app.show_error(title, err.message);
            return recheck_if_asked(app);
        }
    };
    let hints_before = hints_shown(open);
    open.workspace = update.workspace;
    let hints_now = hints_shown(open);
    match update.outcome {
        LabOutcome::Checked {
            results,
            unreported,
            after,
        } => {
            open.verdict = None;
            open.checked_files = Some(after);
            open.unreported = unreported;
            let passed = results.iter().filter(|r| r.passed()).count();
            for result in results {
                open.results.insert(result.step_id.clone(), result);
            }
            // Say what changed; an earlier message would be stale now.
            let announce = open.announce.take();
            app.status = if open.workspace.state.current_step.is_none() {
                Some("Every step passes here: S submits".to_owned())
            } else if hints_now > hints_before {
                Some(format!("Hint {hints_now} is shown below"))
            } else if passed > 0 {
                Some("Step passed ✓: on to the next one".to_owned())
            } else {
                announce
            };
        }
        LabOutcome::Hint(hint) => {
            app.status = Some(format!(
                "Hint {} of {} is shown below",
                hint.number, hint.of
            ));
        }
        LabOutcome::Submitted(submission) => {
            let passed = submission.passed;
            open.verdict = Some(submission);
            app.status = Some(if passed {
                "Lab passed: it is recorded as complete".to_owned()
            } else {
                "Not passed yet: fix the steps marked ✗ and submit again".to_owned()
            });
            app.dashboard.stale = true;
            let course = app.lab.as_ref().map(|l| l.course.clone());
            let mut commands = course.map_or_else(Vec::new, |c| nav::reload_course(app, &c));
            commands.extend(recheck_if_asked(app));
            return commands;
        }
        LabOutcome::Refreshed => {}
        LabOutcome::Reset { step, all, summary } => {
            return reset::done(app, &step, all, &summary);
        }
        LabOutcome::Abandoned {
            session,
            already_ended,
        } => return reset::abandoned(app, session, already_ended),
    }
    recheck_if_asked(app)
}

/// Hints shown of the current step.
fn hints_shown(open: &OpenLab) -> u32 {
    let state = &open.workspace.state;
    state
        .current_step
        .as_deref()
        .and_then(|id| state.local(id))
        .map_or(0, |l| l.hints_shown)
}

fn recheck_if_asked(app: &mut App) -> Vec<Command> {
    if open_mut(app).is_some_and(|o| o.recheck) {
        return run_job(app, LabJob::Check);
    }
    Vec::new()
}

/// Asks for the next tick after `delay` while a lab with an active session is on screen.
fn keep_ticking(app: &mut App, delay: Duration) -> Vec<Command> {
    let active = app
        .lab
        .as_ref()
        .and_then(|l| l.open.as_ref())
        .is_some_and(|o| o.workspace.state.is_active());
    if app.screen != ScreenId::Lab || !active {
        return Vec::new();
    }
    app.schedule_tick(delay)
}

/// The clock moved on: redraw the time left.
pub fn tick(app: &mut App, now: OffsetDateTime) -> Vec<Command> {
    app.ticked(now);
    keep_ticking(app, LAB_TICK)
}

/// `42 min left`, `1 h 05 min left`, or `time is up`: the lab's clock is redrawn every
/// half minute, so it does not show seconds.
pub fn minutes_left(until: OffsetDateTime, now: OffsetDateTime) -> String {
    if until <= now {
        return "time is up".to_owned();
    }
    match (until - now).whole_minutes() {
        m if m < 60 => format!("{m} min left"),
        m => format!("{} h {:02} min left", m / 60, m % 60),
    }
}

#[cfg(test)]
mod tests;
