//! The graded result of an attempt, as a scrollable document: the verdict and score, when
//! the answered questions first come back for review, the score per exam domain, then every
//! question with its options lettered as the attempt showed them, the learner's answer, the
//! right one and the explanation (an ordering as two numbered lists, the learner's order
//! and the right one). It reads like the command line's report; prompts and explanations go
//! through the Markdown renderer of the lesson reader.

use std::borrow::Cow;

use cloudmaster_core::api::{AttemptResult, AttemptStatus, AttemptView, QuestionResult};
use cloudmaster_core::assess::{PublicQuestion, QuestionType, Response, option_label};
use cloudmaster_core::display::{date, percent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use crate::action::Cmd;
use crate::components::scrollbar;
use crate::markdown::{self, DocLine, LineKind, Wrapped};
use crate::screens::lesson;
use crate::theme;
use crate::ui;

#[derive(Debug)]
pub struct ResultView {
    pub title: String,
    pub result: AttemptResult,
    doc: Vec<DocLine>,
    /// `doc` fitted to the view's width.
    pub wrapped: Wrapped,
    /// The first row shown.
    pub scroll: usize,
}

impl ResultView {
    /// The result of `attempt`, laid out for a body area of `body`.
    pub fn new(attempt: &AttemptView, result: AttemptResult, body: Rect) -> ResultView {
        let doc = document(&result, &attempt.questions);
        let mut view = ResultView {
            title: attempt.title.clone(),
            result,
            doc,
            wrapped: Wrapped::default(),
            scroll: 0,
        };
        view.relayout(body);
        view
    }

    /// Fits the document to a body area of `body`, keeping the same line at the top.
    pub fn relayout(&mut self, body: Rect) {
        let text = lesson::areas(body)[1];
        let top = self.wrapped.logical_at(self.scroll);
        self.wrapped = markdown::wrap(&self.doc, text.width);
        self.scroll = self.wrapped.row_of(top).min(self.max_scroll(body));
    }

    fn max_scroll(&self, body: Rect) -> usize {
        let height = lesson::areas(body)[1].height;
        self.wrapped.lines.len().saturating_sub(usize::from(height))
    }

    /// Scrolls for the scroll commands; false for any other command.
    pub fn on_cmd(&mut self, cmd: Cmd, body: Rect) -> bool {
        let max = self.max_scroll(body);
        let page = usize::from(lesson::areas(body)[1].height.saturating_sub(2).max(1));
        let to = match cmd {
            Cmd::Up => self.scroll.saturating_sub(1),
            Cmd::Down => self.scroll + 1,
            Cmd::PageUp => self.scroll.saturating_sub(page),
            Cmd::PageDown => self.scroll + page,
            Cmd::Top => 0,
            Cmd::Bottom => max,
            _ => return false,
        };
        self.scroll = to.min(max);
        true
    }

    /// `line 3 of 40 · 20%`, for the status bar.
    pub fn status(&self, body: Rect) -> String {
        let total = self.wrapped.lines.len().max(1);
        let height = usize::from(lesson::areas(body)[1].height);
        let bottom = (self.scroll + height).min(total);
        format!(
            "line {} of {} · {}%",
            self.scroll + 1,
            total,
            bottom * 100 / total
        )
    }
}

pub fn render(view: &ResultView, frame: &mut Frame, area: Rect) {
    let [title_area, text_area, bar_area] = lesson::areas(area);
    let title = vec![
        Span::raw(" "),
        Span::styled(view.title.clone(), theme::title()),
        Span::styled(" › result ", theme::dim()),
    ];
    let (verdict, style) = verdict(&view.result);
    let right = vec![Span::styled(format!(" {verdict} "), style)];
    ui::title_rule(frame, title_area, title, right);

    let height = usize::from(text_area.height);
    let end = (view.scroll + height).min(view.wrapped.lines.len());
    let visible = view.wrapped.lines[view.scroll.min(end)..end].to_vec();
    frame.render_widget(Paragraph::new(visible), text_area);
    scrollbar::render(
        frame,
        bar_area,
        view.wrapped.lines.len(),
        height,
        view.scroll,
    );
}

fn verdict(result: &AttemptResult) -> (&'static str, Style) {
    if result.passed {
        ("✓ passed", theme::done())
    } else {
        ("✗ not passed", theme::error())
    }
}

/// `4`, `2.5`.
fn points(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        rounded.to_string()
    }
}

/// A line of styled text, wrapped as prose; `indent` is kept on the rows it wraps onto.
fn text(spans: Vec<Span<'static>>, indent: usize) -> DocLine {
    DocLine {
        prefix: Vec::new(),
        cont_prefix: vec![Span::raw(" ".repeat(indent))],
        spans,
        kind: LineKind::Prose,
    }
}

/// `label` (kept as written: wrapping would collapse its spaces) before `value`, which
/// wraps aligned after it.
fn labelled(label: impl Into<Cow<'static, str>>, value: Span<'static>) -> DocLine {
    let label = label.into();
    let width = label.chars().count();
    DocLine {
        prefix: vec![Span::styled(label, theme::dim())],
        cont_prefix: vec![Span::raw(" ".repeat(width))],
        spans: vec![value],
        kind: LineKind::Prose,
    }
}

/// `lines` under `label`: the first beside it, the others aligned below it.
fn labelled_list(label: &'static str, lines: Vec<String>) -> Vec<DocLine> {
    let pad = " ".repeat(label.chars().count());
    lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let label: Cow<'static, str> = if i == 0 {
                label.into()
            } else {
                pad.clone().into()
            };
            labelled(label, Span::raw(line))
        })
        .collect()
}

/// `1. c) Restore`, `2. a) Detect`, …: `letters` in order, each with its text.
fn numbered(q: &QuestionResult, letters: &[String]) -> Vec<String> {
    letters
        .iter()
        .enumerate()
        .map(|(i, l)| format!("{}. {}", i + 1, option_label(&q.options, l)))
        .collect()
}

/// A graded question's options as shown, the learner's answer and the right one; an
/// ordering as the learner's order and the right one, one item a line.
fn answers(q: &QuestionResult, ordering: bool) -> Vec<DocLine> {
    let not_answered = || Span::styled("(not answered)", theme::dim());
    let mut doc = Vec::new();
    if ordering {
        match &q.response {
            Some(Response::Ordering { order }) => {
                doc.extend(labelled_list("   Your order:  ", numbered(q, order)));
            }
            Some(other) => doc.push(labelled(
                "   Your order:  ",
                Span::raw(other.describe(&q.options)),
            )),
            None => doc.push(labelled("   Your order:  ", not_answered())),
        }
        doc.extend(labelled_list(
            "   Correct:     ",
            numbered(q, &q.correct_options),
        ));
        return doc;
    }
    for option in &q.options {
        let letter = format!("     {}) ", option.id);
        let width = letter.chars().count();
        doc.push(DocLine {
            prefix: vec![Span::styled(letter, theme::title())],
            cont_prefix: vec![Span::raw(" ".repeat(width))],
            spans: vec![Span::raw(option.text.clone())],
            kind: LineKind::Prose,
        });
    }
    let yours = match &q.response {
        Some(response) => Span::raw(response.describe(&q.options)),
        None => not_answered(),
    };
    doc.push(labelled("   Your answer: ", yours));
    doc.push(labelled(
        "   Correct:     ",
        Span::raw(q.correct_answer.clone()),
    ));
    doc
}

fn blank() -> DocLine {
    text(Vec::new(), 0)
}

/// Markdown from the course (prompts, explanations), indented under a question's header.
fn indented_markdown(source: &str, indent: usize) -> Vec<DocLine> {
    let pad = Span::raw(" ".repeat(indent));
    markdown::parse(source)
        .into_iter()
        .map(|mut line| {
            line.prefix.insert(0, pad.clone());
            line.cont_prefix.insert(0, pad.clone());
            line
        })
        .collect()
}

fn document(result: &AttemptResult, questions: &[PublicQuestion]) -> Vec<DocLine> {
    let (verdict, style) = verdict(result);
    let how = match result.closed_by {
        AttemptStatus::Expired => "closed when the time ran out",
        _ => "submitted",
    };
    let mut doc = vec![
        text(
            vec![
                Span::styled(verdict.to_owned(), style.patch(theme::title())),
                Span::raw(" with "),
                Span::styled(percent(result.score_percent), theme::title()),
                Span::raw(format!(" (pass mark {}%)", result.pass_mark)),
            ],
            0,
        ),
        text(
            vec![Span::styled(
                format!(
                    "{} of {} points · {how}",
                    points(result.points),
                    result.max_points
                ),
                theme::dim(),
            )],
            0,
        ),
    ];
    if let Some(due) = result.first_review_due {
        doc.push(text(
            vec![Span::styled(
                format!(
                    "The questions you answered come back for review (spaced by how well you \
                     knew them): the first on {} UTC.",
                    date(&due)
                ),
                theme::dim(),
            )],
            0,
        ));
    }
    doc.push(blank());
    if !result.domains.is_empty() {
        let mut table = String::from(
            "## By domain\n\n| Domain | Questions | Points | Score |\n|---|--:|--:|--:|\n",
        );
        for d in &result.domains {
            table.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                d.title.replace('|', "\\|"),
                d.questions,
                points(d.points),
                percent(d.percent)
            ));
        }
        doc.extend(markdown::parse(&table));
        doc.push(blank());
    }
    doc.extend(markdown::parse("## Questions"));
    for (n, q) in result.questions.iter().enumerate() {
        let ordering = questions
            .iter()
            .any(|s| s.id == q.question_id && s.question_type == QuestionType::Ordering);
        let (mark, mark_style) = if q.correct {
            ("✓", theme::done())
        } else {
            ("✗", theme::error())
        };
        let mut header = vec![
            Span::styled(mark, mark_style),
            Span::styled(format!(" {}. ", n + 1), theme::title()),
            Span::styled(q.question_id.clone(), theme::dim()),
        ];
        if q.score > 0.0 && q.score < 1.0 {
            header.push(Span::styled(
                format!(" (partial credit {:.0}%)", q.score * 100.0),
                theme::warning(),
            ));
        }
        doc.push(blank());
        doc.push(text(header, 3));
        doc.extend(indented_markdown(&q.prompt, 3));
        doc.extend(answers(q, ordering));
        doc.extend(indented_markdown(&q.explanation, 3));
    }
    doc
}
