//! The question view of an open attempt: the title with the question number and the time
//! left, a strip with one dot per question (filled when answered), the scenario and prompt
//! (Markdown), then the choices or the answer box, and a line saying how to answer. When a
//! question is taller than the screen it scrolls to keep the highlighted choice in view.
//! The spaced review draws its items with the same [`render_answering`].

use cloudmaster_core::assess::{PublicQuestion, QuestionType};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use time::OffsetDateTime;

use super::draft::{self, Draft};
use cloudmaster_core::display::countdown;

use super::runner::Runner;
use crate::components::scrollbar;
use crate::markdown::{self, DocLine, LineKind};
use crate::screens::lesson;
use crate::theme;
use crate::ui;

/// Time left below which the countdown turns yellow, then red.
const HURRY_SECONDS: i64 = 5 * 60;
const LAST_MINUTE: i64 = 60;

pub fn render(runner: &Runner, now: Option<OffsetDateTime>, frame: &mut Frame, area: Rect) {
    let [title_area, text_area, bar_area] = lesson::areas(area);
    let title = vec![
        Span::raw(" "),
        Span::styled(runner.attempt.title.clone(), theme::title()),
        Span::raw(" "),
    ];
    let mut right = vec![Span::styled(
        format!(
            " Question {} of {} ",
            runner.current + 1,
            runner.question_count()
        ),
        theme::base(),
    )];
    if let Some(seconds) = runner.seconds_left(now) {
        let style = match seconds {
            s if s <= LAST_MINUTE => theme::error(),
            s if s <= HURRY_SECONDS => theme::warning(),
            _ => theme::accent(),
        };
        right.push(Span::styled("· ", theme::dim()));
        right.push(Span::styled(
            format!("{} ", countdown(seconds)),
            style.patch(theme::title()),
        ));
    }
    ui::title_rule(frame, title_area, title, right);

    let [strip, _, body] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(text_area);
    frame.render_widget(Paragraph::new(progress_strip(runner)), strip);
    let [_, _, bar] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(bar_area);
    let answering = Answering {
        question: runner.question(),
        draft: runner.draft(),
        cursor: runner.cursor(),
        typing: runner.typing,
    };
    render_answering(&answering, how_to_answer(runner), frame, body, bar);
}

/// A question being answered, as [`render_answering`] draws it: the quiz runner's current
/// question, or a spaced-review item.
pub struct Answering<'a> {
    pub question: &'a PublicQuestion,
    pub draft: &'a Draft,
    /// The highlighted choice (or ordering item).
    pub cursor: usize,
    /// Keys go to the answer box.
    pub typing: bool,
}

/// Draws `answering` in `area`: the scenario and prompt, the choices or the answer box
/// (scrolled to keep the highlighted choice in view, the cursor in the box while typing),
/// and `hint` (how to answer) on the last row; its scrollbar goes in `bar`, a column as tall
/// as `area`.
pub fn render_answering(
    answering: &Answering<'_>,
    hint: String,
    frame: &mut Frame,
    area: Rect,
    bar: Rect,
) {
    let [content, hint_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
    let (doc, focus) = document(answering);
    let wrapped = markdown::wrap(&doc, content.width);
    let height = usize::from(content.height);
    // Keep the highlighted choice (or the answer box) in view, the prompt above it if it fits.
    let focus_end = if focus + 1 < doc.len() {
        wrapped.row_of(focus + 1)
    } else {
        wrapped.lines.len()
    };
    let scroll = focus_end.saturating_sub(height);
    let end = (scroll + height).min(wrapped.lines.len());
    frame.render_widget(
        Paragraph::new(wrapped.lines[scroll.min(end)..end].to_vec()),
        content,
    );
    let [content_bar, _] =
        Layout::vertical([Constraint::Length(content.height), Constraint::Min(0)]).areas(bar);
    scrollbar::render(frame, content_bar, wrapped.lines.len(), height, scroll);

    if answering.typing {
        // The end of what was typed: the last row of the answer line.
        let row = focus_end.saturating_sub(1);
        if row >= scroll && row < end {
            let typed = wrapped.lines[row].width() as u16;
            let y = content.y + (row - scroll) as u16;
            let x = (content.x + typed).min(content.right().saturating_sub(1));
            frame.set_cursor_position(Position::new(x, y));
        }
    }
    frame.render_widget(Paragraph::new(Line::styled(hint, theme::dim())), hint_area);
}

/// One dot per question (filled when answered), the current one highlighted.
fn progress_strip(runner: &Runner) -> Line<'static> {
    let mut spans: Vec<Span> = (0..runner.question_count())
        .map(|i| {
            let (dot, style) = if runner.answered(i) {
                ("●", theme::done())
            } else {
                ("○", theme::dim())
            };
            let style = if i == runner.current {
                theme::selected()
            } else {
                style
            };
            Span::styled(dot, style)
        })
        .collect();
    let answered = runner.question_count() - runner.unanswered();
    spans.push(Span::styled(
        format!("  {answered} of {} answered", runner.question_count()),
        theme::dim(),
    ));
    Line::from(spans)
}

fn prose(prefix: Vec<Span<'static>>, spans: Vec<Span<'static>>) -> DocLine {
    let indent = prefix.iter().map(Span::width).sum();
    DocLine {
        prefix,
        cont_prefix: vec![Span::raw(" ".repeat(indent))],
        spans,
        kind: LineKind::Prose,
    }
}

/// The question as logical lines, and the index of the line to keep in view.
fn document(answering: &Answering<'_>) -> (Vec<DocLine>, usize) {
    let question = answering.question;
    let mut doc = Vec::new();
    if let Some(scenario) = &question.scenario {
        doc.extend(markdown::parse(scenario));
        doc.push(prose(Vec::new(), Vec::new()));
    }
    doc.extend(markdown::parse(&question.prompt));
    doc.push(prose(Vec::new(), Vec::new()));
    let first_choice = doc.len();
    let draft = answering.draft;
    if let Draft::Text(text) = draft {
        let mut spans = vec![Span::raw(text.clone())];
        if text.is_empty() && !answering.typing {
            spans = vec![Span::styled("(not answered: Enter to type)", theme::dim())];
        }
        doc.push(prose(
            vec![Span::styled("  Your answer: ", theme::key())],
            spans,
        ));
        return (doc, first_choice);
    }
    let choices = draft::choices(question);
    let order: Vec<usize> = match draft {
        Draft::Order { order, .. } => order.clone(),
        _ => (0..choices.len()).collect(),
    };
    for (row, &index) in order.iter().enumerate() {
        let Some(choice) = choices.get(index) else {
            continue;
        };
        let at_cursor = row == answering.cursor;
        let mut prefix = vec![
            if at_cursor {
                Span::styled("▌", theme::accent())
            } else {
                Span::raw(" ")
            },
            Span::raw(" "),
        ];
        prefix.push(marker(draft, row, index));
        prefix.push(Span::raw(" "));
        if let Some(id) = choice.id {
            prefix.push(Span::styled(format!("{id}) "), theme::title()));
        }
        let style = if at_cursor {
            theme::selected()
        } else {
            theme::base()
        };
        doc.push(prose(
            prefix,
            vec![Span::styled(choice.text.to_owned(), style)],
        ));
    }
    (doc, first_choice + answering.cursor)
}

/// `(•)` chosen, `[x]` ticked, `2.` place in an order.
fn marker(draft: &Draft, row: usize, index: usize) -> Span<'static> {
    let on = |text: &'static str, style: Style| Span::styled(text, style);
    match draft {
        Draft::Choice(chosen) if *chosen == Some(index) => on("(•)", theme::done()),
        Draft::Choice(_) => on("( )", theme::dim()),
        Draft::Ticks(ticks) if ticks.get(index) == Some(&true) => on("[x]", theme::done()),
        Draft::Ticks(_) => on("[ ]", theme::dim()),
        Draft::Order { given, .. } => {
            let style = if *given { theme::done() } else { theme::dim() };
            Span::styled(format!("{:>2}.", row + 1), style)
        }
        Draft::Text(_) => Span::raw(""),
    }
}

/// How to answer the question shown, with the keys.
fn how_to_answer(runner: &Runner) -> String {
    let question = runner.question();
    match (question.question_type, runner.typing) {
        (QuestionType::SingleChoice, _) => "Choose one: j/k move, Space chooses".to_owned(),
        (QuestionType::TrueFalse, _) => "True or false: j/k move, Space chooses".to_owned(),
        (QuestionType::MultipleResponse, _) => {
            "Choose every one that applies: Space ticks and unticks".to_owned()
        }
        (QuestionType::Ordering, _) => match runner.draft() {
            Draft::Order { given: false, .. } => {
                "First at the top: J/K move the highlighted item · Enter keeps this order"
                    .to_owned()
            }
            _ => "First at the top: J/K move the highlighted item up or down".to_owned(),
        },
        (kind, true) => format!(
            "Type {} · Enter saves it and goes on · Esc leaves the box",
            typed_kind(kind)
        ),
        (kind, false) => format!("Press Enter to type {}", typed_kind(kind)),
    }
}

/// What a typed question wants: `a number`, `a short answer`.
pub fn typed_kind(kind: QuestionType) -> &'static str {
    if kind == QuestionType::Numeric {
        "a number"
    } else {
        "a short answer"
    }
}
