//! The course outline: what the course is, whether you are enrolled (`e` enrolls) and how
//! far you are, then modules → lessons with ✓ for the completed ones. Enter reads the
//! selected lesson, at the position saved last time.

use cloudmaster_core::api::{LessonOutline, LessonProgress, LessonStatus};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{ListItem, Paragraph};

use super::catalog::format_price;
use crate::action::{Cmd, Command, CourseData, Request};
use crate::app::{App, Remote, ScreenId, nav};
use crate::backend::BackendResult;
use crate::components::{gauge, list, list::Selection};
use crate::theme;
use crate::ui::{self, pad_between, truncate};

#[derive(Debug)]
pub struct CourseState {
    pub id: String,
    /// Where Esc goes back to.
    pub origin: ScreenId,
    pub data: Remote<CourseData>,
    /// Over the course's lessons, in order (module headers are not selectable).
    pub selection: Selection,
    /// Select this lesson once the outline arrives.
    pub focus_lesson: Option<String>,
}

impl CourseState {
    pub fn new(id: &str, origin: ScreenId) -> Self {
        Self {
            id: id.to_owned(),
            origin,
            data: Remote::default(),
            selection: Selection::default(),
            focus_lesson: None,
        }
    }

    /// Every lesson in order.
    pub fn lessons(&self) -> Vec<&LessonOutline> {
        self.data.data.as_ref().map_or_else(Vec::new, |d| {
            d.detail.modules.iter().flat_map(|m| &m.lessons).collect()
        })
    }

    /// Selects `lesson` now if the outline is here, or when it arrives.
    pub fn focus(&mut self, lesson: &str) {
        match self.lessons().iter().position(|l| l.id == lesson) {
            Some(index) => self.selection.index = index,
            None => self.focus_lesson = Some(lesson.to_owned()),
        }
    }

    /// Takes a freshly loaded outline.
    pub fn loaded(&mut self, result: BackendResult<Box<CourseData>>) {
        self.data.finish(result.map(|data| *data));
        if let Some(focus) = self.focus_lesson.take() {
            self.focus(&focus);
        }
        let len = self.lessons().len();
        self.selection.clamp(len);
    }

    pub fn enrolled(&self) -> bool {
        self.data
            .data
            .as_ref()
            .is_some_and(|d| d.progress.is_some())
    }

    pub fn lesson_progress(&self, lesson: &str) -> Option<&LessonProgress> {
        let progress = self.data.data.as_ref()?.progress.as_ref()?;
        progress.lessons.iter().find(|l| l.lesson_id == lesson)
    }

    pub fn title(&self) -> Option<&str> {
        Some(self.data.data.as_ref()?.detail.summary.title.as_str())
    }
}

pub fn on_cmd(app: &mut App, cmd: Cmd) -> Option<Vec<Command>> {
    let page = app.list_page(1);
    let course = app.course.as_mut()?;
    let len = course.lessons().len();
    if course.selection.apply(cmd, len, page) {
        return Some(Vec::new());
    }
    match cmd {
        Cmd::Open => Some(open_lesson_at(app, None)),
        Cmd::Enroll => {
            let (enrolled, course) = (course.enrolled(), course.id.clone());
            if enrolled {
                app.status = Some("You are already enrolled in this course".to_owned());
                return Some(Vec::new());
            }
            app.status = Some("Enrolling…".to_owned());
            Some(vec![app.fetch(Request::Enroll { course })])
        }
        _ => None,
    }
}

/// Opens the selected lesson, or the one `offset` lessons away from `from` (for next and
/// previous in the reader). Returns nothing when there is no such lesson.
pub fn open_lesson_at(app: &mut App, from: Option<(&str, isize)>) -> Vec<Command> {
    let Some(course) = app.course.as_ref() else {
        return Vec::new();
    };
    let lessons = course.lessons();
    let index = match from {
        None => Some(course.selection.index),
        Some((lesson, offset)) => lessons
            .iter()
            .position(|l| l.id == lesson)
            .and_then(|i| i.checked_add_signed(offset)),
    };
    let Some(lesson) = index.and_then(|i| lessons.get(i)) else {
        return Vec::new();
    };
    let progress = course.lesson_progress(&lesson.id);
    let position = progress.and_then(|p| p.position);
    let completed = progress.is_some_and(|p| p.status == LessonStatus::Completed);
    let (course_id, lesson_id, title) =
        (course.id.clone(), lesson.id.clone(), lesson.title.clone());
    if let Some(course) = app.course.as_mut() {
        course.focus(&lesson_id);
    }
    nav::open_lesson(app, &course_id, &lesson_id, &title, position, completed)
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let Some(course) = &app.course else {
        return;
    };
    let Some(data) = &course.data.data else {
        let block = ui::block("Course", true);
        ui::placeholder(
            frame,
            area,
            block,
            course.data.loading,
            course.data.error.as_deref(),
        );
        return;
    };
    let [head, outline] = Layout::vertical([Constraint::Length(4), Constraint::Min(0)]).areas(area);
    let width = usize::from(area.width.saturating_sub(2));
    let summary = &data.detail.summary;
    let price = summary
        .price
        .as_ref()
        .map_or("free".to_owned(), format_price);
    let meta = format!(
        "{} · {} · {} h · {} lessons · {}",
        summary.provider, summary.level, summary.estimated_hours, summary.lesson_count, price
    );
    let enrolment = match &data.progress {
        Some(p) => {
            let mut spans = vec![Span::styled("Enrolled ", theme::done())];
            spans.extend(gauge::bar(p.percent, 20));
            spans.push(Span::raw(format!(
                " {}% · {} of {} lessons done",
                p.percent, p.completed_lessons, p.total_lessons
            )));
            Line::from(spans)
        }
        None => Line::from(vec![
            Span::styled("Not enrolled", theme::warning()),
            Span::raw(" — press "),
            Span::styled("e", theme::key()),
            Span::raw(" to enroll"),
        ]),
    };
    let head_lines = vec![
        Line::styled(truncate(&summary.title, width), theme::title()),
        Line::styled(truncate(&meta, width), theme::dim()),
        Line::raw(truncate(&summary.summary, width)),
        enrolment,
    ];
    frame.render_widget(
        Paragraph::new(head_lines),
        head.inner(ratatui::layout::Margin::new(1, 0)),
    );

    let inner_width = usize::from(outline.width.saturating_sub(3));
    let selected = course.selection.index;
    let mut items = Vec::new();
    let mut selected_row = None;
    let mut lesson_index = 0;
    for (m, module) in data.detail.modules.iter().enumerate() {
        let header = format!("{} {}", m + 1, module.title);
        items.push(ListItem::new(Line::styled(
            truncate(&header, inner_width),
            theme::md::h2(),
        )));
        for lesson in &module.lessons {
            if lesson_index == selected {
                selected_row = Some(items.len());
            }
            let is_selected = lesson_index == selected;
            items.push(ListItem::new(lesson_row(
                course,
                lesson,
                inner_width,
                is_selected,
            )));
            lesson_index += 1;
        }
        if let Some(quiz) = &module.quiz {
            let text = format!("  Quiz · {} · {} questions", quiz.title, quiz.questions);
            items.push(ListItem::new(Line::styled(
                truncate(&text, inner_width),
                theme::dim(),
            )));
        }
        for lab in &module.labs {
            let text = format!("  Lab · {lab}");
            items.push(ListItem::new(Line::styled(
                truncate(&text, inner_width),
                theme::dim(),
            )));
        }
    }
    list::render(
        frame,
        outline,
        ui::block("Outline", true),
        items,
        selected_row,
    );
}

fn lesson_row(
    course: &CourseState,
    lesson: &LessonOutline,
    width: usize,
    selected: bool,
) -> Line<'static> {
    let (mark, mark_style) = match course.lesson_progress(&lesson.id).map(|p| p.status) {
        Some(LessonStatus::Completed) => ("✓", theme::done()),
        Some(LessonStatus::Started) => ("•", theme::warning()),
        None => ("○", theme::dim()),
    };
    let minutes = format!("{} min", lesson.minutes);
    let title_style = if selected {
        theme::selected()
    } else {
        theme::base()
    };
    let title = truncate(&lesson.title, width.saturating_sub(minutes.len() + 6));
    pad_between(
        vec![
            Span::raw("  "),
            Span::styled(mark, mark_style),
            Span::raw(" "),
            Span::styled(title, title_style),
        ],
        vec![Span::styled(minutes, theme::dim())],
        width,
    )
}
