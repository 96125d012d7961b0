//! Drawing the review: a title rule with the course and how many items are due, a strip
//! with one mark per item of the batch (● right, ● wrong in red, - skipped, ○ to come), then
//! the item being answered (the quiz's question view) or the graded item: right or wrong,
//! the answer given and the right one, the explanation and when the item comes back. Before
//! and after a batch: loading, or what was done and what is left.

use cloudmaster_core::assess::Response;
use cloudmaster_core::display::date;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use time::OffsetDateTime;

use super::{Card, Mark, ReviewState};
use crate::action::Cmd;
use crate::app::App;
use crate::components::scrollbar;
use crate::markdown::{self, DocLine, LineKind};
use crate::screens::lesson;
use crate::screens::quiz::question::{self, Answering};
use crate::theme;
use crate::ui;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let Some(review) = &app.review else {
        return;
    };
    let [title_area, text_area, bar_area] = lesson::areas(area);
    let course = review
        .card
        .as_ref()
        .map(|c| c.item.course_id.as_str())
        .or(review.course.as_deref());
    let about = course.map_or_else(|| "every course".to_owned(), |c| course_title(app, c));
    let mut right = vec![Span::raw(" ")];
    if review.card.is_some() {
        right.push(Span::styled(
            format!("{} of {} ", review.position() + 1, review.marks.len()),
            theme::base(),
        ));
        right.push(Span::styled("· ", theme::dim()));
    }
    if !review.loading {
        right.push(Span::styled(
            format!("{} due ", review.due_left()),
            theme::warning(),
        ));
    }
    ui::title_rule(
        frame,
        title_area,
        vec![
            Span::raw(" "),
            Span::styled("Review", theme::title()),
            Span::styled(format!(" · {about} "), theme::dim()),
        ],
        right,
    );

    let Some(card) = &review.card else {
        let [_, below] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        render_between(review, frame, below);
        return;
    };
    let rows = |area: Rect| {
        Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas::<3>(area)
    };
    let [strip, _, body] = rows(text_area);
    let [_, _, bar] = rows(bar_area);
    frame.render_widget(Paragraph::new(progress_strip(review)), strip);
    if card.answered.is_some() {
        render_graded(card, review.waiting.is_empty(), frame, body, bar);
        return;
    }
    let answering = Answering {
        question: &card.item.question,
        draft: &card.draft,
        cursor: card.cursor,
        typing: card.typing && !card.sending,
    };
    let hint = if card.sending {
        "Checking your answer…".to_owned()
    } else {
        how_to_answer(card)
    };
    question::render_answering(&answering, hint, frame, body, bar);
}

/// The course's title where the TUI knows it (the dashboard, an open outline), else its id.
pub fn course_title(app: &App, course: &str) -> String {
    let from_dashboard = app
        .dashboard
        .courses
        .data
        .iter()
        .flatten()
        .find(|c| c.course_id == course)
        .map(|c| c.course_title.clone());
    let from_outline = || {
        app.course
            .as_ref()
            .filter(|c| c.id == course)
            .and_then(|c| c.title())
            .map(str::to_owned)
    };
    from_dashboard
        .or_else(from_outline)
        .unwrap_or_else(|| course.to_owned())
}

/// One mark per item of the batch, the current one highlighted, and the tally.
fn progress_strip(review: &ReviewState) -> Line<'static> {
    let current = review.card.as_ref().map(|_| review.position());
    let mut spans: Vec<Span> = review
        .marks
        .iter()
        .enumerate()
        .map(|(i, mark)| {
            let (text, style) = match mark {
                Mark::Right => ("●", theme::done()),
                Mark::Wrong => ("●", theme::error()),
                Mark::Skipped => ("-", theme::dim()),
                Mark::Pending => ("○", theme::dim()),
            };
            let style = if Some(i) == current {
                theme::selected()
            } else {
                style
            };
            Span::styled(text, style)
        })
        .collect();
    spans.push(Span::styled(
        format!("  {} answered, {} right", review.answered, review.right),
        theme::dim(),
    ));
    Line::from(spans)
}

/// How to answer the item shown, with the keys.
fn how_to_answer(card: &Card) -> String {
    use cloudmaster_core::assess::QuestionType;
    let question = &card.item.question;
    match (question.question_type, card.typing) {
        (QuestionType::SingleChoice | QuestionType::TrueFalse, _) => {
            "j/k move · Enter answers with the highlighted one · n skips".to_owned()
        }
        (QuestionType::MultipleResponse, _) => {
            "Space ticks and unticks · Enter answers · n skips".to_owned()
        }
        (QuestionType::Ordering, _) => {
            "First at the top: J/K move the highlighted item · Enter answers · n skips".to_owned()
        }
        (kind, true) => format!(
            "Type {} · Enter answers · Esc leaves the box",
            question::typed_kind(kind)
        ),
        (kind, false) => format!(
            "Press Enter to type {} · n skips",
            question::typed_kind(kind)
        ),
    }
}

/// Loading, or what the visit did and what is left.
fn render_between(review: &ReviewState, frame: &mut Frame, area: Rect) {
    let block = ui::block("Review", true);
    if review.loading || review.error.is_some() {
        ui::placeholder(frame, area, block, review.loading, review.error.as_deref());
        return;
    }
    let mut lines = vec![Line::raw("")];
    if review.answered > 0 {
        lines.push(Line::from(vec![
            Span::styled("✓ Done: ", theme::done().patch(theme::title())),
            Span::raw(format!(
                "you reviewed {}, {} right.",
                items(review.answered),
                review.right
            )),
        ]));
    }
    let left = review.due_left();
    if left == 0 {
        lines.push(Line::raw("Nothing is due for review now."));
    } else {
        lines.push(Line::from(vec![
            Span::raw(format!("{} still due: you skipped ", items(left))),
            Span::raw(if left == 1 { "it; " } else { "them; " }),
            Span::styled("r", theme::key()),
            Span::raw(" shows the items due again."),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Questions you answer in quizzes and exams come back here, spaced by how well you \
         knew them; one you miss comes back after 10 minutes.",
        theme::dim(),
    ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn items(n: u32) -> String {
    match n {
        1 => "1 item".to_owned(),
        n => format!("{n} items"),
    }
}

fn prose(spans: Vec<Span<'static>>, indent: usize) -> DocLine {
    DocLine {
        prefix: Vec::new(),
        cont_prefix: vec![Span::raw(" ".repeat(indent))],
        spans,
        kind: LineKind::Prose,
    }
}

/// `label` before `value`, which wraps aligned after it.
fn labelled(label: &'static str, value: String) -> DocLine {
    DocLine {
        prefix: vec![Span::styled(label, theme::dim())],
        cont_prefix: vec![Span::raw(" ".repeat(label.chars().count()))],
        spans: vec![Span::raw(value)],
        kind: LineKind::Prose,
    }
}

/// The graded item as a document: verdict, prompt, the answer given and the right one, the
/// explanation, and when it comes back.
fn graded_doc(card: &Card) -> Vec<DocLine> {
    let Some(answered) = &card.answered else {
        return Vec::new();
    };
    let outcome = &answered.outcome;
    let question = &card.item.question;
    let verdict = if outcome.correct {
        Span::styled("✓ Right", theme::done().patch(theme::title()))
    } else if outcome.score > 0.0 {
        Span::styled("✗ Partly right", theme::warning().patch(theme::title()))
    } else {
        Span::styled("✗ Not right", theme::error().patch(theme::title()))
    };
    let mut doc = vec![prose(vec![verdict], 0), prose(Vec::new(), 0)];
    doc.extend(markdown::parse(&question.prompt));
    doc.push(prose(Vec::new(), 0));
    let given = match card.draft.response(question) {
        // As the choices were shown (and the server writes the right answer).
        Ok(Some(Response::TrueFalse { value: true })) => "True".to_owned(),
        Ok(Some(Response::TrueFalse { value: false })) => "False".to_owned(),
        Ok(Some(response)) => response.describe(&question.options),
        _ => "(none)".to_owned(),
    };
    doc.push(labelled("Your answer:  ", given));
    if !outcome.correct {
        doc.push(labelled("Right answer: ", outcome.correct_answer.clone()));
    }
    if !outcome.explanation.trim().is_empty() {
        doc.push(prose(Vec::new(), 0));
        doc.extend(markdown::parse(&outcome.explanation));
    }
    doc.push(prose(Vec::new(), 0));
    doc.push(prose(
        vec![Span::styled(
            format!(
                "Comes back {} UTC ({}; rated {})",
                date(&outcome.next_due),
                from(outcome.next_due, answered.at),
                outcome.rating
            ),
            theme::dim(),
        )],
        0,
    ));
    doc
}

/// `in 10 minutes`, `in 3 days`: how far `at` is from `now`, to the nearest unit.
fn from(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let seconds = (at - now).whole_seconds();
    let round = |unit: i64| (seconds + unit / 2) / unit;
    let (n, unit) = match seconds {
        s if s < 30 => return "now".to_owned(),
        s if s < 3570 => (round(60), "minute"),
        s if s < 84_600 => (round(3600), "hour"),
        _ => (round(86_400), "day"),
    };
    if n == 1 {
        format!("in 1 {unit}")
    } else {
        format!("in {n} {unit}s")
    }
}

/// The graded item's rows at `width` columns.
fn graded_lines(card: &Card, width: u16) -> Vec<Line<'static>> {
    markdown::wrap(&graded_doc(card), width).lines
}

/// The rows of the body the graded item scrolls in.
fn graded_height(body: Rect) -> u16 {
    let text = lesson::areas(body)[1];
    // The strip, the blank row under it, and the hint row.
    text.height.saturating_sub(3)
}

/// Scrolls the graded item for the scroll commands (and keeps it in range for any other).
pub(super) fn scroll(card: &mut Card, cmd: Cmd, body: Rect) {
    let width = lesson::areas(body)[1].width;
    let height = usize::from(graded_height(body));
    let total = graded_lines(card, width).len();
    let max = total.saturating_sub(height);
    let page = height.saturating_sub(2).max(1);
    let to = match cmd {
        Cmd::Up => card.scroll.saturating_sub(1),
        Cmd::Down => card.scroll + 1,
        Cmd::PageUp => card.scroll.saturating_sub(page),
        Cmd::PageDown => card.scroll + page,
        Cmd::Top => 0,
        Cmd::Bottom => max,
        _ => card.scroll,
    };
    card.scroll = to.min(max);
}

fn render_graded(card: &Card, last: bool, frame: &mut Frame, area: Rect, bar: Rect) {
    let [content, hint] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
    let lines = graded_lines(card, content.width);
    let height = usize::from(content.height);
    let scroll = card.scroll.min(lines.len().saturating_sub(height));
    let end = (scroll + height).min(lines.len());
    frame.render_widget(Paragraph::new(lines[scroll..end].to_vec()), content);
    let [content_bar, _] =
        Layout::vertical([Constraint::Length(content.height), Constraint::Min(0)]).areas(bar);
    scrollbar::render(frame, content_bar, lines.len(), height, scroll);
    let next = if last {
        "Enter finishes the batch"
    } else {
        "Enter goes on to the next item"
    };
    frame.render_widget(Paragraph::new(Line::styled(next, theme::dim())), hint);
}

/// The status bar: while an answer is being checked, that (the strip has the tally).
pub fn status(app: &App) -> Option<String> {
    let card = app.review.as_ref()?.card.as_ref()?;
    card.sending.then(|| "checking your answer…".to_owned())
}
