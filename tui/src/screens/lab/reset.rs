//! Putting a lab back, and giving it up: `R` resets the current step's files, `X` the whole
//! lab's, `A` abandons the session. Each asks first, saying what changes and that the
//! learner's other files stay. The work is a [`LabJob`] like a check run
//! (`crate::tasks::lab`), on core's resets (`cloudmaster_core::lab::reset_step` and
//! `reset_all`), as `cloudmaster lab reset` and `lab abandon` do; the command line and the
//! TUI share the workspace's state file, so either sees what the other did.

use cloudmaster_core::api::LabSession;
use cloudmaster_core::lab::ResetSummary;

use super::{OpenLab, open_mut, run_job};
use crate::action::{Command, LabJob, LabResult};
use crate::app::{App, nav};
use crate::popups::confirm::{ConfirmAction, ConfirmPopup};

/// The open lab, when its session can still change; else says why not.
fn active<'a>(app: &'a mut App, what: &str) -> Option<&'a mut OpenLab> {
    let state = &open_mut(app)?.workspace.state;
    let status = state.status;
    if !state.is_active() {
        app.status = Some(format!(
            "This lab session is {}: there is nothing to {what}",
            status.as_str()
        ));
        return None;
    }
    open_mut(app)
}

/// `R`: asks before resetting the current step.
pub(super) fn ask_to_reset_step(app: &mut App) -> Vec<Command> {
    let Some(open) = active(app, "reset") else {
        return Vec::new();
    };
    let state = &open.workspace.state;
    let Some(step) = state.current_step.clone() else {
        app.status = Some("Every step passes: X resets the whole lab".to_owned());
        return Vec::new();
    };
    let number = state.index(&step).map_or(1, |i| i + 1);
    let title = state
        .step(&step)
        .map_or(step.as_str(), |s| s.title.as_str());
    let message = format!(
        "Step {number}, {title}, starts again: its files go back to the starter files with \
         the solutions of the steps before it, and files only this step or later ones create \
         are removed. Your other files stay."
    );
    app.confirm = Some(ConfirmPopup {
        title: "Reset this step?".to_owned(),
        message,
        action: ConfirmAction::ResetLabStep { step },
    });
    Vec::new()
}

/// `X`: asks before resetting every step.
pub(super) fn ask_to_reset_lab(app: &mut App) -> Vec<Command> {
    if active(app, "reset").is_none() {
        return Vec::new();
    }
    let message = "Every step starts again from the starter files; files the lab's solutions \
                   create are removed. Your other files stay."
        .to_owned();
    app.confirm = Some(ConfirmPopup {
        title: "Reset the whole lab?".to_owned(),
        message,
        action: ConfirmAction::ResetLab,
    });
    Vec::new()
}

/// `A`: asks before abandoning the session.
pub(super) fn ask_to_abandon(app: &mut App) -> Vec<Command> {
    let Some(open) = active(app, "abandon") else {
        return Vec::new();
    };
    let message = format!(
        "The session of {} ends now, without credit. Your files in the workspace folder \
         stay; you can start the lab again afterwards (N).",
        open.workspace.state.lab.title
    );
    app.confirm = Some(ConfirmPopup {
        title: "Abandon the lab session?".to_owned(),
        message,
        action: ConfirmAction::AbandonLab,
    });
    Vec::new()
}

/// Confirmed: reset `step` (`None`: the whole lab).
pub fn reset(app: &mut App, step: Option<String>) -> Vec<Command> {
    run_job(app, LabJob::Reset { step })
}

/// Confirmed: abandon the session.
pub fn abandon(app: &mut App) -> Vec<Command> {
    run_job(app, LabJob::Abandon)
}

/// The workspace is back to how `step` starts: forget the results of it and the steps after
/// it, say what changed, and check the files as they are now.
pub(super) fn done(app: &mut App, step: &str, all: bool, summary: &ResetSummary) -> Vec<Command> {
    let Some(open) = open_mut(app) else {
        return Vec::new();
    };
    let state = &open.workspace.state;
    let index = state.index(step).unwrap_or(0);
    let later: Vec<String> = state.step_ids()[index..]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    open.results.retain(|id, _| !later.contains(id));
    open.verdict = None;
    open.scroll = 0;
    let what = if all {
        "the whole lab".to_owned()
    } else {
        format!("step {}", index + 1)
    };
    let files = |n: usize| match n {
        1 => "1 file".to_owned(),
        n => format!("{n} files"),
    };
    let message = format!(
        "Reset {what}: {} written, {} removed",
        files(summary.written.len()),
        files(summary.removed.len())
    );
    open.announce = Some(message.clone());
    app.status = Some(message);
    run_job(app, LabJob::Check)
}

/// The session is abandoned: the result shows it (the files stay, `N` starts again), and
/// nobody needs the workspace watched any more.
pub(super) fn abandoned(
    app: &mut App,
    session: Option<Box<LabSession>>,
    already_ended: bool,
) -> Vec<Command> {
    let Some(screen) = app.lab.as_mut() else {
        return Vec::new();
    };
    let Some(open) = screen.open.as_ref() else {
        return Vec::new();
    };
    let status = open.workspace.state.status;
    let dir = open.workspace.root.clone();
    let mut commands = Vec::new();
    if let Some(session) = session {
        screen.open = None;
        screen.result = Some(Box::new(LabResult {
            session: *session,
            dir,
            workspace_here: true,
        }));
        commands.push(Command::UnwatchLab);
    }
    app.status = Some(if already_ended {
        format!(
            "The session had already ended ({}): nothing was abandoned",
            status.as_str()
        )
    } else {
        "Abandoned: your files stay".to_owned()
    });
    app.dashboard.stale = true;
    let course = app.lab.as_ref().map(|l| l.course.clone());
    commands.extend(course.map_or_else(Vec::new, |c| nav::reload_course(app, &c)));
    commands
}
