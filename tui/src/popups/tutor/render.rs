//! Drawing the tutor panel: over the whole screen body, or docked on the right half of a
//! wide terminal so the lesson stays in sight. The conversation (each question, the answer
//! as Markdown with a cursor while it streams, how it ended, the numbered sources under
//! it) scrolls above a rule and the question box.

use cloudmaster_core::api::{FinishReason, SourceKind, TutorMode};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::{Focus, Turn, TurnStatus, TutorContext, TutorPanel};
use crate::app::App;
use crate::components::scrollbar;
use crate::keymap::Context;
use crate::markdown::{self, DocLine, LineKind, Wrapped};
use crate::theme;
use crate::ui;

/// From this width the panel takes the right half of the body, not all of it.
const DOCK_FROM: u16 = 120;
/// What the question box shows before the question.
const PROMPT: &str = "› ";

/// The panel in a terminal of `width` x `height`.
fn panel_area(width: u16, height: u16) -> Rect {
    let body = ui::body_area(width, height);
    if body.width < DOCK_FROM {
        return body;
    }
    let docked = body.width / 2;
    Rect {
        x: body.right() - docked,
        width: docked,
        ..body
    }
}

/// The conversation, its scrollbar, the rule and the question box inside the panel.
fn parts(panel: Rect) -> [Rect; 4] {
    let inner = panel.inner(Margin::new(1, 1));
    let [conversation, rule, input] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let columns = |row| {
        Layout::horizontal([
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .areas::<3>(row)
    };
    let [_, text, bar] = columns(conversation);
    let [_, input, _] = columns(input);
    [text, bar, rule, input]
}

/// Rows of the conversation and rows shown at once, for scrolling.
pub(super) fn transcript_size(panel: &TutorPanel, width: u16, height: u16) -> (usize, usize) {
    let [text, ..] = parts(panel_area(width, height));
    let rows = markdown::wrap(&document(panel), text.width).lines.len();
    (rows, usize::from(text.height))
}

pub fn render(app: &App, frame: &mut Frame) {
    let panel = &app.tutor;
    let area = panel_area(frame.area().width, frame.area().height);
    let [text_area, bar_area, rule_area, input_area] = parts(area);
    let about = panel.context.as_ref().map_or("", |c| c.about.as_str());
    let mut block = ui::block(&format!("Tutor · {about}"), true);
    if panel.answering.is_some() {
        block = block.title_bottom(
            Line::from(vec![
                Span::styled(" ⋯ answering · ", theme::accent()),
                Span::styled("Esc", theme::key()),
                Span::raw(" stops "),
            ])
            .right_aligned(),
        );
    }
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);

    let wrapped: Wrapped = markdown::wrap(&document(panel), text_area.width);
    let height = usize::from(text_area.height);
    let max = wrapped.lines.len().saturating_sub(height);
    let scroll = panel.scroll.unwrap_or(max).min(max);
    let end = (scroll + height).min(wrapped.lines.len());
    frame.render_widget(
        Paragraph::new(wrapped.lines[scroll.min(end)..end].to_vec()),
        text_area,
    );
    scrollbar::render(frame, bar_area, wrapped.lines.len(), height, scroll);

    frame.render_widget(
        Paragraph::new(Line::styled(
            "─".repeat(usize::from(rule_area.width)),
            theme::border(),
        )),
        rule_area,
    );
    render_input(app, frame, input_area);
}

fn render_input(app: &App, frame: &mut Frame, area: Rect) {
    let panel = &app.tutor;
    let room = usize::from(area.width).saturating_sub(PROMPT.width() + 1);
    let mut spans = vec![Span::styled(PROMPT, theme::accent())];
    if panel.input.is_empty() {
        let hint = match (panel.focus, panel.answering) {
            (Focus::Sources, _) => "Enter opens the source · type to ask",
            (Focus::Question, Some(_)) => "Esc stops the answer",
            (Focus::Question, None) if panel.turns.is_empty() => "Type a question, Enter asks",
            (Focus::Question, None) => "Ask a follow-up question, Esc closes",
        };
        spans.push(Span::styled(hint, theme::dim()));
    } else {
        spans.push(Span::raw(tail(&panel.input, room)));
    }
    let typed = spans[1..].iter().map(Span::width).sum::<usize>();
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    // The terminal's cursor at the end of the question, unless a popup has the keys.
    let typing = matches!(app.key_context(), Context::Tutor | Context::TutorAnswering);
    if typing {
        let typed = if panel.input.is_empty() { 0 } else { typed };
        let x = area.x + (PROMPT.width() + typed) as u16;
        frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
    }
}

/// The end of `text` that fits `max` columns (the question box shows what is being typed).
fn tail(text: &str, max: usize) -> String {
    if text.width() <= max {
        return text.to_owned();
    }
    let mut kept = Vec::new();
    let mut used = 1;
    for c in text.chars().rev() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > max {
            break;
        }
        used += w;
        kept.push(c);
    }
    std::iter::once('…').chain(kept.into_iter().rev()).collect()
}

/// The conversation as a document, wrapped to the panel's width when drawn.
fn document(panel: &TutorPanel) -> Vec<DocLine> {
    let mut doc = Vec::new();
    if panel.turns.is_empty() {
        intro(panel.context.as_ref(), &mut doc);
    }
    let last = panel.turns.len().saturating_sub(1);
    for (i, turn) in panel.turns.iter().enumerate() {
        if i > 0 {
            doc.push(blank());
        }
        let selected = (i == last && panel.focus == Focus::Sources).then_some(panel.selected);
        render_turn(turn, selected, &mut doc);
    }
    doc
}

/// What the panel says before the first question.
fn intro(context: Option<&TutorContext>, doc: &mut Vec<DocLine>) {
    let sees = match context {
        Some(c) if c.lab_session.is_some() && c.check_output.is_some() => {
            "It sees this lab's current step and the checks failing now."
        }
        Some(c) if c.lab_session.is_some() => "It sees this lab's current step.",
        Some(c) if c.lesson.is_some() => "It sees the lesson you are reading.",
        _ => "It searches the whole course.",
    };
    doc.push(prose(vec![Span::styled(
        format!(
            "Ask the AI tutor about your course. {sees} Its answers come from the course's \
             material and cite it as [1], [2]… listed under the answer: Tab moves to them, \
             Enter opens one."
        ),
        theme::dim(),
    )]));
}

fn render_turn(turn: &Turn, selected: Option<usize>, doc: &mut Vec<DocLine>) {
    doc.push(prose(vec![Span::styled("You", you_style())]));
    doc.push(prose(vec![Span::raw(turn.question.clone())]));
    doc.push(blank());

    let mut header = vec![Span::styled("Tutor", tutor_style())];
    match &turn.mode {
        Some(TutorMode::Model { model, .. }) => {
            header.push(Span::styled(format!(" · {model}"), theme::dim()));
        }
        Some(TutorMode::Retrieval) => header.push(Span::styled(
            " · retrieval only (no AI model on this server)",
            theme::warning(),
        )),
        Some(TutorMode::Declined) => {
            header.push(Span::styled(" · off during a timed exam", theme::dim()));
        }
        None => {}
    }
    doc.push(prose(header));

    let answering = turn.status == TurnStatus::Answering;
    if turn.answer.is_empty() && answering {
        let waiting = if turn.mode.is_none() {
            "⋯ reading your course material"
        } else {
            "⋯"
        };
        doc.push(prose(vec![Span::styled(waiting, theme::dim())]));
    } else {
        let start = doc.len();
        match turn.mode {
            Some(TutorMode::Model { .. }) => doc.extend(markdown::parse(&turn.answer)),
            // The server's own text: lines as it wrote them, not Markdown.
            _ => doc.extend(
                turn.answer
                    .trim_end()
                    .lines()
                    .map(|l| prose(vec![Span::raw(l.to_owned())])),
            ),
        }
        if answering {
            // The cursor where the next piece lands.
            let cursor = Span::styled("▌", theme::accent());
            let added = doc.len() > start;
            match doc.last_mut() {
                Some(line) if added && line.kind == LineKind::Prose => line.spans.push(cursor),
                _ => doc.push(prose(vec![cursor])),
            }
        }
    }

    match &turn.status {
        TurnStatus::Answering | TurnStatus::Done(FinishReason::Stop) => {}
        TurnStatus::Done(FinishReason::Length) => doc.push(prose(vec![Span::styled(
            "(cut here: the answer reached the tutor's length limit)",
            theme::dim(),
        )])),
        TurnStatus::Done(FinishReason::Cancelled) | TurnStatus::Stopped => {
            doc.push(prose(vec![Span::styled(
                "(stopped: the rest of the answer was cancelled)",
                theme::dim(),
            )]));
        }
        TurnStatus::Failed(message) => doc.push(DocLine {
            prefix: vec![Span::styled("✗ ", theme::error())],
            cont_prefix: vec![Span::raw("  ")],
            spans: vec![Span::styled(message.clone(), theme::error())],
            kind: LineKind::Prose,
        }),
    }

    if !turn.citations.is_empty() {
        doc.push(blank());
        doc.push(prose(vec![Span::styled("Sources", theme::title())]));
    }
    for (i, citation) in turn.citations.iter().enumerate() {
        let is_selected = selected == Some(i);
        let number = format!("[{}] ", citation.number);
        let indent = " ".repeat(number.width());
        let mut text = citation.title.clone();
        if let Some(heading) = &citation.heading {
            text.push_str(&format!(" › {heading}"));
        }
        let (number_style, text_style) = if is_selected {
            (theme::selected(), theme::selected())
        } else {
            (theme::accent(), theme::base())
        };
        let mut spans = vec![Span::styled(text, text_style)];
        match citation.kind {
            SourceKind::Lesson => {}
            SourceKind::Lab => spans.push(Span::styled(" (lab step)", theme::dim())),
            SourceKind::Explanation => spans.push(Span::styled(" (explanation)", theme::dim())),
        }
        doc.push(DocLine {
            prefix: vec![Span::styled(number, number_style)],
            cont_prefix: vec![Span::raw(indent.clone())],
            spans,
            kind: LineKind::Prose,
        });
        if is_selected {
            doc.push(DocLine {
                prefix: vec![Span::raw(indent.clone())],
                cont_prefix: vec![Span::raw(indent)],
                spans: vec![Span::styled(citation.excerpt.clone(), theme::dim())],
                kind: LineKind::Prose,
            });
        }
    }
}

fn you_style() -> Style {
    theme::accent().add_modifier(Modifier::BOLD)
}

fn tutor_style() -> Style {
    theme::done().add_modifier(Modifier::BOLD)
}

fn prose(spans: Vec<Span<'static>>) -> DocLine {
    DocLine {
        prefix: Vec::new(),
        cont_prefix: Vec::new(),
        spans,
        kind: LineKind::Prose,
    }
}

fn blank() -> DocLine {
    prose(Vec::new())
}
