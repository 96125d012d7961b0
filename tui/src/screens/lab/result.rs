//! The result of a lab session that ended: a lab the learner passed opens on it (from the
//! server's record of the session, so it needs no workspace and starts nothing), and so does
//! a session abandoned here. It says when the session passed or ended, how many
//! submissions it took, each step (✓ passed, - skipped, ○ not passed) and where the
//! workspace is. `N` starts the lab again after a confirmation: a new session, with the
//! starter files written into the workspace folder (files with the same names are
//! overwritten, the others stay), like `cloudmaster lab start --force`.

use cloudmaster_core::api::{LabSessionStatus, LabStepState};
use cloudmaster_core::display::date;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::action::{Cmd, Command, LabResult, Request};
use crate::app::App;
use crate::backend::BackendResult;
use crate::popups::confirm::{ConfirmAction, ConfirmPopup};
use crate::theme;
use crate::ui::{self, truncate};

/// A result arrived (the first time, or reloaded with `r`).
pub fn result_loaded(
    app: &mut App,
    course: &str,
    lab: &str,
    result: BackendResult<Box<LabResult>>,
) -> Vec<Command> {
    super::view_loaded(
        app,
        (course, lab),
        result,
        "Could not load the lab's result",
        |screen| &mut screen.result,
        |result| &result.session.lab_title,
    )
}

/// Keys of the result.
pub(super) fn on_cmd(app: &mut App, cmd: Cmd) -> Option<Vec<Command>> {
    match cmd {
        Cmd::StartAgain => Some(ask_to_start_again(app)),
        Cmd::Refresh => Some(reload(app)),
        _ => None,
    }
}

/// `r`: reads the session shown again.
fn reload(app: &mut App) -> Vec<Command> {
    let Some(screen) = app.lab.as_ref() else {
        return Vec::new();
    };
    let Some(result) = screen.result.as_ref() else {
        return Vec::new();
    };
    let request = Request::LabResult {
        course: screen.course.clone(),
        lab: screen.lab.clone(),
        dir: result.dir.clone(),
        session: Some(result.session.id),
    };
    vec![app.fetch(request)]
}

/// `N`: asks before starting the lab again.
fn ask_to_start_again(app: &mut App) -> Vec<Command> {
    let Some(screen) = app.lab.as_ref() else {
        return Vec::new();
    };
    if screen.result.is_none() {
        return Vec::new();
    }
    let message = format!(
        "A new session of {} starts, with a new time limit. The starter files are written \
         into the workspace folder again: files with the same names are overwritten, your \
         other files stay.",
        screen.title
    );
    app.confirm = Some(ConfirmPopup {
        title: "Start the lab again?".to_owned(),
        message,
        action: ConfirmAction::StartLabAgain,
    });
    Vec::new()
}

/// Confirmed: a new session, its workspace set up over the folder.
pub fn start_again(app: &mut App) -> Vec<Command> {
    let consent = app.lab_consent.clone();
    let Some(screen) = app.lab.as_mut() else {
        return Vec::new();
    };
    let Some(result) = screen.result.take() else {
        return Vec::new();
    };
    let request = Request::StartLab {
        course: screen.course.clone(),
        lab: screen.lab.clone(),
        dir: result.dir,
        consent,
        again: true,
    };
    app.status = Some("Starting the lab again…".to_owned());
    vec![app.fetch(request)]
}

pub(super) fn render(result: &LabResult, frame: &mut Frame, area: Rect) {
    let session = &result.session;
    let [title, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let (verdict, style) = verdict(session.status);
    let heading = vec![Span::styled(
        format!(" Lab · {} ", session.lab_title),
        theme::title(),
    )];
    ui::title_rule(
        frame,
        title,
        heading,
        vec![Span::styled(format!(" {verdict} "), style)],
    );

    let width = usize::from(body.width.saturating_sub(4));
    let mut lines = vec![
        summary(result),
        Line::styled(
            format!("  Started {} UTC.", date(&session.started_at)),
            theme::dim(),
        ),
        Line::raw(""),
    ];
    lines.push(Line::styled("Steps", theme::md::h2()));
    lines.extend(step_lines(&session.steps, width));
    lines.push(Line::raw(""));
    let folder = result.dir.display().to_string();
    lines.push(if result.workspace_here {
        Line::from(vec![
            Span::styled("Workspace  ", theme::dim()),
            Span::styled(folder, theme::accent()),
        ])
    } else {
        Line::styled(
            format!("The session's workspace is not in {folder}"),
            theme::dim(),
        )
    });
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("N", theme::key()),
        Span::raw(" starts the lab again in a new session (asks first)"),
    ]));
    frame.render_widget(
        Paragraph::new(lines)
            .block(ui::block("Result", true))
            .wrap(Wrap { trim: false }),
        body,
    );
}

/// One line per step: ✓ passed, - skipped (no credit), ○ not passed yet.
pub(super) fn step_lines(steps: &[LabStepState], width: usize) -> Vec<Line<'static>> {
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let (mark, mark_style, note) = if step.skipped {
                ("-", theme::warning(), " (skipped: no credit)")
            } else if step.passed {
                ("✓", theme::done(), "")
            } else {
                ("○", theme::dim(), "")
            };
            let text = truncate(
                &format!("{} {}", i + 1, step.title),
                width.saturating_sub(4 + note.len()),
            );
            Line::from(vec![
                Span::raw("  "),
                Span::styled(format!("{mark} "), mark_style),
                Span::raw(text),
                Span::styled(note, theme::dim()),
            ])
        })
        .collect()
}

pub(super) fn verdict(status: LabSessionStatus) -> (&'static str, Style) {
    match status {
        LabSessionStatus::Passed => ("✓ passed", theme::done()),
        LabSessionStatus::Abandoned => ("abandoned", theme::warning()),
        LabSessionStatus::Failed | LabSessionStatus::Expired => ("✗ ended", theme::error()),
        LabSessionStatus::Active => ("active", theme::accent()),
    }
}

/// `Passed on 2026-03-01 10:42 UTC after 2 submissions.` and the like.
fn summary(result: &LabResult) -> Line<'static> {
    let session = &result.session;
    let when = session
        .ended_at
        .map_or_else(String::new, |at| format!(" on {} UTC", date(&at)));
    let submissions = match session.submissions {
        0 => "no submission".to_owned(),
        1 => "1 submission".to_owned(),
        n => format!("{n} submissions"),
    };
    let (_, style) = verdict(session.status);
    let text = match session.status {
        LabSessionStatus::Passed => format!("Passed{when} after {submissions}."),
        LabSessionStatus::Abandoned => format!("Abandoned{when}, after {submissions}: no credit."),
        LabSessionStatus::Failed | LabSessionStatus::Expired => {
            format!("Ended{when}: its time ran out, after {submissions}.")
        }
        LabSessionStatus::Active => "The session is still open.".to_owned(),
    };
    let mark = match session.status {
        LabSessionStatus::Passed => "✓",
        LabSessionStatus::Abandoned => "-",
        LabSessionStatus::Failed | LabSessionStatus::Expired => "✗",
        LabSessionStatus::Active => "•",
    };
    Line::from(vec![
        Span::styled(format!("{mark} "), style.patch(theme::title())),
        Span::raw(text),
    ])
}
