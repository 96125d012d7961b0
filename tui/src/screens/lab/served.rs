//! A lab in a TUI served over SSH (`cloudmaster-server --ssh-listen`). The TUI then runs on
//! the server, so nothing may be set up or checked there: a lab's checks run the course's
//! programs, which belong on the learner's machine, next to the learner's files. The
//! screen shows the lab (what it asks, the tools it needs), how far the learner got (the
//! open session's steps and time left, else the latest session's result) and the two
//! commands to run where the workspace is. `r` reads the standing again, so checks run
//! on the learner's machine show up here.

use cloudmaster_core::api::LabSessionStatus;
use cloudmaster_core::display::date;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::result::{step_lines, verdict};
use crate::action::{Cmd, Command, Request, ServedLab};
use crate::app::App;
use crate::backend::BackendResult;
use crate::theme;
use crate::ui;

/// What `c` (check) says instead of checking.
const CHECK_WHERE_THE_FILES_ARE: &str = "Labs are checked where their files are: run `cloudmaster lab check` in the lab's folder on your machine";

/// The request that loads the standing of `lab`.
pub(super) fn request(course: &str, lab: &str) -> Request {
    Request::ServedLab {
        course: course.to_owned(),
        lab: lab.to_owned(),
    }
}

/// The standing arrived (the first time, or reloaded with `r`).
pub fn served_loaded(
    app: &mut App,
    course: &str,
    lab: &str,
    result: BackendResult<Box<ServedLab>>,
) -> Vec<Command> {
    super::view_loaded(
        app,
        (course, lab),
        result,
        "Could not load the lab",
        |screen| &mut screen.served,
        |served| &served.summary.title,
    )
}

pub(super) fn on_cmd(app: &mut App, cmd: Cmd) -> Option<Vec<Command>> {
    match cmd {
        Cmd::Refresh => {
            let screen = app.lab.as_ref()?;
            let request = request(&screen.course, &screen.lab);
            app.status = Some("Reading the lab's standing again…".to_owned());
            Some(vec![app.fetch(request)])
        }
        Cmd::Check => {
            app.status = Some(CHECK_WHERE_THE_FILES_ARE.to_owned());
            Some(Vec::new())
        }
        _ => None,
    }
}

pub(super) fn render(app: &App, served: &ServedLab, frame: &mut Frame, area: Rect) {
    let lab = &served.summary;
    let [title, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let standing = match (&served.session, lab.passed) {
        (Some(session), _) => verdict(session.status),
        (None, true) => verdict(LabSessionStatus::Passed),
        (None, false) => ("not started", theme::dim()),
    };
    ui::title_rule(
        frame,
        title,
        vec![Span::styled(
            format!(" Lab · {} ", lab.title),
            theme::title(),
        )],
        vec![Span::styled(format!(" {} ", standing.0), standing.1)],
    );

    let width = usize::from(body.width.saturating_sub(4));
    let mut facts = format!(
        "  {} · about {} min · {} steps · {} min time limit",
        lab.difficulty, lab.estimated_minutes, lab.steps, lab.time_limit_minutes
    );
    if !lab.tools.is_empty() {
        facts.push_str(&format!(" · needs {}", lab.tools.join(", ")));
    }
    let mut lines = vec![Line::styled(facts, theme::dim()), Line::raw("")];
    match &served.session {
        Some(session) => {
            let when = match session.status {
                LabSessionStatus::Active => format!(
                    "Session open since {} UTC; it expires at {} UTC.",
                    date(&session.started_at),
                    date(&session.expires_at.min(session.idle_expires_at))
                ),
                _ => format!(
                    "Latest session started {} UTC, {}.",
                    date(&session.started_at),
                    verdict(session.status).0
                ),
            };
            lines.push(Line::raw(when));
            lines.push(Line::raw(""));
            lines.push(Line::styled("Steps", theme::md::h2()));
            lines.extend(step_lines(&session.steps, width));
        }
        None => lines.push(Line::raw("You have not started this lab yet.")),
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Where to work", theme::md::h2()));
    lines.push(Line::raw(
        "This terminal is served by the server, which runs no lab checks. On your own \
         machine, where your files are:",
    ));
    let course = app.lab.as_ref().map_or("", |l| l.course.as_str());
    let folder = format!("{course}-{}", lab.id);
    for (what, command) in [
        (
            format!("# sets the workspace up in ./{folder}"),
            format!("cloudmaster lab start {course} {}", lab.id),
        ),
        (
            "# then, in that folder: checks your work and records it".to_owned(),
            "cloudmaster lab check".to_owned(),
        ),
    ] {
        lines.push(Line::styled(format!("  {what}"), theme::dim()));
        lines.push(Line::styled(format!("  {command}"), theme::accent()));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("r", theme::key()),
        Span::raw(" reads your standing again"),
    ]));
    frame.render_widget(
        Paragraph::new(lines)
            .block(ui::block("Lab", true))
            .wrap(Wrap { trim: false }),
        body,
    );
}
