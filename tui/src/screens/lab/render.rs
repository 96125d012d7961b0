//! Drawing the lab runner: a title rule with the step count and time left, the workspace
//! path (where the learner edits), the steps beside the current step's instructions, and a
//! panel with the current step's conditions ✓/✗ and its hints, or the verdict of the last
//! submission.

use cloudmaster_core::api::LabSubmission;
use cloudmaster_core::course::Step;
use cloudmaster_core::lab::consent::{self, Program};
use cloudmaster_core::lab::{ConditionResult, Outcome};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Consent, OpenLab, busy_label, minutes_left};
use crate::app::App;
use crate::markdown;
use crate::theme;
use crate::ui::{self, truncate};

/// Columns of the steps panel.
const STEPS_WIDTH: u16 = 26;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let Some(screen) = &app.lab else {
        return;
    };
    if let Some(served) = &screen.served {
        super::served::render(app, served, frame, area);
        return;
    }
    if let Some(result) = &screen.result {
        super::result::render(result, frame, area);
        return;
    }
    let Some(open) = &screen.open else {
        let block = ui::block(&screen.title, true);
        ui::placeholder(frame, area, block, true, None);
        return;
    };
    if let Consent::Asking(programs) = &open.consent {
        render_consent(open, programs, frame, area);
        return;
    }
    let state = &open.workspace.state;
    let (panel_title, panel_lines) = match &open.verdict {
        Some(verdict) => verdict_panel(open, verdict),
        None => checks_panel(open),
    };
    let panel_height = wrapped_height(&panel_lines, area.width.saturating_sub(2)) + 2;
    let [title, path, middle, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(4),
        Constraint::Length(panel_height.clamp(3, (area.height / 2).max(3))),
    ])
    .areas(area);

    let mut right = Vec::new();
    if let Some(index) = state.current_step.as_deref().and_then(|id| state.index(id)) {
        right.push(Span::styled(
            format!(" step {} of {} ", index + 1, state.lab.steps.len()),
            theme::dim(),
        ));
    }
    if let Some(now) = app.now {
        let left = minutes_left(state.expires_at, now);
        right.push(Span::styled(format!(" {left} "), theme::warning()));
    }
    let heading = vec![Span::styled(
        format!(" Lab · {} ", state.lab.title),
        theme::title(),
    )];
    ui::title_rule(frame, title, heading, right);

    let where_ = format!("{}", open.workspace.root.display());
    let room = usize::from(path.width).saturating_sub(14);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" Workspace  ", theme::dim()),
            Span::styled(truncate(&where_, room), theme::accent()),
        ])),
        path,
    );

    let [steps_area, text_area] =
        Layout::horizontal([Constraint::Length(STEPS_WIDTH), Constraint::Min(10)]).areas(middle);
    render_steps(open, frame, steps_area);
    render_instructions(open, frame, text_area);
    frame.render_widget(
        Paragraph::new(panel_lines)
            .block(ui::block(&panel_title, open.verdict.is_some()))
            .wrap(Wrap { trim: false }),
        bottom,
    );
}

/// Lines of each script the consent screen shows.
const SCRIPT_LINES: usize = 8;

/// The consent screen: what the lab's checks would run, and the question.
fn render_consent(open: &OpenLab, programs: &[Program], frame: &mut Frame, area: Rect) {
    let state = &open.workspace.state;
    let [title, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let heading = vec![Span::styled(
        format!(" Lab · {} ", state.lab.title),
        theme::title(),
    )];
    ui::title_rule(frame, title, heading, Vec::new());
    let mut lines = vec![
        Line::raw(format!(
            "The checks of this lab (version {}) run {} from the course on this computer, as \
             you, in {}:",
            state.lab.version,
            if programs.len() == 1 {
                "1 program".to_owned()
            } else {
                format!("{} programs", programs.len())
            },
            open.workspace.root.display()
        )),
        Line::raw(""),
    ];
    for line in consent::describe(programs, SCRIPT_LINES).lines() {
        lines.push(Line::styled(line.to_owned(), theme::accent()));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("y", theme::key()),
        Span::raw(" allows them (asked again when a new version changes them) · "),
        Span::styled("any other key", theme::key()),
        Span::raw(" declines: only the checks that read files run"),
    ]));
    frame.render_widget(
        Paragraph::new(lines)
            .block(ui::block("Allow this course's programs to run?", true))
            .wrap(Wrap { trim: false }),
        body,
    );
}

/// Rows `lines` take when wrapped at `width` columns.
fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(width).max(1)).sum();
    u16::try_from(rows).unwrap_or(u16::MAX)
}

fn render_steps(open: &OpenLab, frame: &mut Frame, area: Rect) {
    let state = &open.workspace.state;
    let width = usize::from(area.width.saturating_sub(2));
    let lines: Vec<Line> = state
        .lab
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let local = state.local(&step.id);
            let current = state.current_step.as_deref() == Some(step.id.as_str());
            let (mark, style) = if local.is_some_and(|l| l.skipped) {
                ("-", theme::warning())
            } else if local.is_some_and(|l| l.passed) {
                ("✓", theme::done())
            } else if current {
                ("▸", theme::accent())
            } else {
                ("○", theme::dim())
            };
            let title = truncate(
                &format!("{} {}", i + 1, step.title),
                width.saturating_sub(2),
            );
            let title_style = if current {
                theme::selected()
            } else {
                theme::base()
            };
            Line::from(vec![
                Span::styled(format!("{mark} "), style),
                Span::styled(title, title_style),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(ui::block("Steps", false)), area);
}

fn render_instructions(open: &OpenLab, frame: &mut Frame, area: Rect) {
    let lab = &open.workspace.state.lab;
    let Some(step) = open.shown_step() else {
        return;
    };
    let block = ui::block(&step.title, true);
    let inner = block.inner(area);
    let text = step
        .instructions_text(lab)
        .unwrap_or("(the instructions are missing)");
    let lines = markdown::wrap(&markdown::parse(text), inner.width).lines;
    let max = (lines.len() as u16).saturating_sub(inner.height);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((open.scroll.min(max), 0)),
        area,
    );
}

/// `✓ id`, or `✗ id: message` with the author's message (or a script's `FAIL:` line).
fn condition_line(result: &ConditionResult) -> Line<'static> {
    match &result.outcome {
        Outcome::Passed => Line::from(vec![
            Span::styled("✓ ", theme::done()),
            Span::raw(result.id.clone()),
        ]),
        Outcome::Failed { message, .. } => Line::from(vec![
            Span::styled("✗ ", theme::error()),
            Span::raw(format!("{}: ", result.id)),
            Span::styled(message.clone(), theme::base()),
        ]),
        Outcome::Skipped { reason } => Line::from(vec![
            Span::styled("- ", theme::warning()),
            Span::styled(format!("{} (skipped: {reason})", result.id), theme::dim()),
        ]),
    }
}

/// The current step's conditions (✓/✗ with the messages) and the hints shown so far.
fn checks_panel(open: &OpenLab) -> (String, Vec<Line<'static>>) {
    let state = &open.workspace.state;
    let step: Option<&Step> = open.shown_step();
    let result = step.and_then(|s| open.results.get(&s.id));
    let mut lines = Vec::new();
    match (step, result) {
        (Some(_), Some(result)) => lines.extend(result.conditions.iter().map(condition_line)),
        (Some(step), None) => lines.extend(step.conditions.iter().map(|c| {
            Line::from(vec![
                Span::styled("· ", theme::dim()),
                Span::styled(c.id.clone(), theme::dim()),
            ])
        })),
        (None, _) => {}
    }
    if let Some(step) = step {
        let shown = state.local(&step.id).map_or(0, |l| l.hints_shown as usize);
        for (i, hint) in step.hints.iter().take(shown).enumerate() {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("Hint {} of {}: ", i + 1, step.hints.len()),
                    theme::warning(),
                ),
                Span::raw(hint.text.clone()),
            ]));
        }
    }
    if open.consent == Consent::Declined {
        lines.push(Line::styled(
            "The course's programs may not run here, so the conditions that need them are \
             skipped and their steps cannot pass here; reopen the lab to be asked again",
            theme::dim(),
        ));
    }
    if let Some(why) = &open.unreported {
        lines.push(Line::styled(
            format!("Not recorded on the server ({why}); the local result stands"),
            theme::dim(),
        ));
    }
    let title = match (&open.busy, result, &state.current_step) {
        (Some(job), _, _) => format!("Checks · {}", busy_label(job)),
        (None, _, None) => "Checks · every step passes: S submits".to_owned(),
        (None, Some(result), Some(_)) => {
            let passing = result.conditions.iter().filter(|c| c.passed()).count();
            format!("Checks · {passing} of {} pass", result.conditions.len())
        }
        (None, None, Some(_)) => "Checks · not run yet".to_owned(),
    };
    (title, lines)
}

/// The server's verdict per step, with the conditions it found failing.
fn verdict_panel(open: &OpenLab, verdict: &LabSubmission) -> (String, Vec<Line<'static>>) {
    let state = &open.workspace.state;
    let mut lines = Vec::new();
    for step in &verdict.steps {
        let title = state.step(&step.id).map_or("", |s| s.title.as_str());
        let (mark, style) = if step.skipped {
            ("-", theme::warning())
        } else if step.passed {
            ("✓", theme::done())
        } else {
            ("✗", theme::error())
        };
        let mut line = Line::from(vec![
            Span::styled(format!("{mark} "), style),
            Span::raw(title.to_owned()),
        ]);
        if !step.self_reported.is_empty() {
            line.spans.push(Span::styled(
                " (self-reported: some checks ran only on this computer)",
                theme::dim(),
            ));
        }
        lines.push(line);
        for failed in step.verified.iter().filter(|c| c.failed()) {
            let mut line = condition_line(failed);
            line.spans.insert(0, Span::raw("    "));
            lines.push(line);
        }
    }
    let title = if verdict.passed {
        format!("Submission {} · passed", verdict.session.submissions)
    } else {
        format!(
            "Submission {} · not passed yet",
            verdict.session.submissions
        )
    };
    (title, lines)
}

/// The status bar: what runs, or how the checks stand.
pub fn status(app: &App) -> Option<String> {
    let open = app.lab.as_ref()?.open.as_ref()?;
    if let Consent::Asking(_) = open.consent {
        return Some("y allows the course's programs, any other key declines".to_owned());
    }
    if let Some(job) = &open.busy {
        return Some(busy_label(job).to_owned());
    }
    Some("checks re-run on save".to_owned())
}
