//! The lesson reader: the lesson's Markdown rendered for the terminal, scrolled with the
//! vim keys. `d` records the lesson as completed; leaving the reader by any route saves the
//! reading position (the logical line at the top, so it survives a different terminal
//! size) as the lesson's progress `position`, and opening the lesson again restores it.
//! A lesson opened from a tutor's source opens at the cited section instead.

use cloudmaster_core::api::{Lesson, LessonStatus};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Paragraph};

use super::course;
use crate::action::{Cmd, Command, Request};
use crate::app::{App, Remote};
use crate::backend::BackendResult;
use crate::components::scrollbar;
use crate::markdown::{self, DocLine, LineKind, Wrapped};
use crate::theme;
use crate::ui;

/// Lines longer than this are hard to read; wide terminals get margins instead.
const MAX_TEXT_WIDTH: u16 = 100;

#[derive(Debug)]
pub struct LessonState {
    pub course: String,
    pub lesson: String,
    pub title: String,
    pub data: Remote<Lesson>,
    /// The rendered document, independent of width.
    pub doc: Vec<DocLine>,
    /// `doc` fitted to the reader's width.
    pub wrapped: Wrapped,
    /// The first row shown.
    pub scroll: usize,
    /// The logical line to show at the top once the lesson arrives.
    pub restore: Option<usize>,
    /// The heading to show at the top once the lesson arrives (a tutor's source), rather
    /// than `restore`.
    pub anchor: Option<String>,
    pub completed: bool,
    /// The position last sent to the server, to avoid saving an unchanged one.
    pub saved: Option<u32>,
}

impl LessonState {
    pub fn new(
        course: &str,
        lesson: &str,
        title: &str,
        position: Option<u32>,
        completed: bool,
    ) -> Self {
        Self {
            course: course.to_owned(),
            lesson: lesson.to_owned(),
            title: title.to_owned(),
            data: Remote::default(),
            doc: Vec::new(),
            wrapped: Wrapped::default(),
            scroll: 0,
            restore: position.map(|p| p as usize),
            anchor: None,
            completed,
            // The server has this one already; a lesson never started has none, so leaving
            // it records it as started.
            saved: position,
        }
    }

    /// The reading position: the logical line at the top of the reader.
    pub fn position(&self) -> u32 {
        let line = match (&self.data.data, self.restore) {
            (Some(_), _) => self.wrapped.logical_at(self.scroll),
            (None, restore) => restore.unwrap_or(0),
        };
        u32::try_from(line).unwrap_or(u32::MAX)
    }
}

/// The reader's title line, text and scrollbar inside the screen body.
pub fn areas(body: Rect) -> [Rect; 3] {
    let [title, content] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(body);
    let text_width = content.width.saturating_sub(3).min(MAX_TEXT_WIDTH);
    let [_, text, _, bar] = Layout::horizontal([
        Constraint::Length(1),
        Constraint::Length(text_width),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(content);
    [title, text, bar]
}

fn text_area(app: &App) -> Rect {
    areas(ui::body_area(app.width, app.height))[1]
}

/// Fits the lesson to the reader's current size, keeping the same line at the top.
pub fn relayout(app: &mut App) {
    let area = text_area(app);
    let Some(lesson) = app.lesson.as_mut() else {
        return;
    };
    if lesson.data.data.is_none() {
        return;
    }
    let top = lesson
        .restore
        .take()
        .unwrap_or_else(|| lesson.wrapped.logical_at(lesson.scroll));
    lesson.wrapped = markdown::wrap(&lesson.doc, area.width);
    lesson.scroll = lesson
        .wrapped
        .row_of(top)
        .min(max_scroll(lesson, area.height));
}

fn max_scroll(lesson: &LessonState, height: u16) -> usize {
    lesson
        .wrapped
        .lines
        .len()
        .saturating_sub(usize::from(height))
}

/// A lesson arrived (or failed to).
pub fn loaded(app: &mut App, result: BackendResult<Lesson>) {
    let Some(lesson) = app.lesson.as_mut() else {
        return;
    };
    if let Ok(data) = &result {
        lesson.title = data.title.clone();
        lesson.doc = markdown::parse(&document(data));
        if let Some(line) = lesson
            .anchor
            .take()
            .and_then(|h| heading_line(&lesson.doc, &h))
        {
            lesson.restore = Some(line);
        }
    }
    lesson.data.finish(result);
    relayout(app);
}

/// The logical line of the heading `heading` (its text as written).
fn heading_line(doc: &[DocLine], heading: &str) -> Option<usize> {
    doc.iter()
        .position(|l| l.kind == LineKind::Prose && l.text().trim() == heading.trim())
}

/// Scrolls the open lesson to `heading`; one still loading opens there.
pub fn show_heading(app: &mut App, heading: &str) {
    let height = text_area(app).height;
    let Some(lesson) = app.lesson.as_mut() else {
        return;
    };
    if lesson.data.data.is_none() {
        lesson.anchor = Some(heading.to_owned());
        return;
    }
    if let Some(line) = heading_line(&lesson.doc, heading) {
        lesson.scroll = lesson.wrapped.row_of(line).min(max_scroll(lesson, height));
    }
}

/// The lesson body with its video, transcript and resources appended.
fn document(lesson: &Lesson) -> String {
    let mut doc = lesson.body.clone();
    if let Some(video) = &lesson.video {
        doc.push_str(&format!("\n\n## Video\n\n<{video}>\n"));
    }
    if !lesson.resources.is_empty() {
        doc.push_str("\n\n## Resources\n\n");
        for resource in &lesson.resources {
            doc.push_str(&format!("- [{}](<{}>)\n", resource.title, resource.url));
        }
    }
    if let Some(transcript) = &lesson.transcript {
        doc.push_str(&format!("\n\n## Transcript\n\n{transcript}\n"));
    }
    doc
}

pub fn on_cmd(app: &mut App, cmd: Cmd) -> Option<Vec<Command>> {
    let height = text_area(app).height;
    let lesson = app.lesson.as_mut()?;
    let max = max_scroll(lesson, height);
    let page = usize::from(height.saturating_sub(2).max(1));
    let scroll = lesson.scroll;
    let to = match cmd {
        Cmd::Up => Some(scroll.saturating_sub(1)),
        Cmd::Down => Some(scroll + 1),
        Cmd::PageUp => Some(scroll.saturating_sub(page)),
        Cmd::PageDown => Some(scroll + page),
        Cmd::Top => Some(0),
        Cmd::Bottom => Some(max),
        _ => None,
    };
    if let Some(to) = to {
        lesson.scroll = to.min(max);
        return Some(Vec::new());
    }
    match cmd {
        Cmd::MarkDone => Some(mark_done(app)),
        Cmd::NextLesson => Some(step(app, 1, "This is the last lesson of the course")),
        Cmd::PrevLesson => Some(step(app, -1, "This is the first lesson of the course")),
        _ => None,
    }
}

fn mark_done(app: &mut App) -> Vec<Command> {
    let Some(lesson) = app.lesson.as_mut().filter(|l| l.data.data.is_some()) else {
        return Vec::new();
    };
    if lesson.completed {
        app.status = Some("This lesson is already done".to_owned());
        return Vec::new();
    }
    let position = lesson.position();
    lesson.saved = Some(position);
    let request = Request::Progress {
        course: lesson.course.clone(),
        lesson: lesson.lesson.clone(),
        status: LessonStatus::Completed,
        position: Some(position),
    };
    vec![app.fetch(request)]
}

fn step(app: &mut App, offset: isize, at_end: &str) -> Vec<Command> {
    let Some(lesson) = app.lesson.as_ref() else {
        return Vec::new();
    };
    let outline_loaded = app
        .course
        .as_ref()
        .is_some_and(|c| c.id == lesson.course && c.data.data.is_some());
    if !outline_loaded {
        app.status = Some("The course outline is still loading".to_owned());
        return Vec::new();
    }
    let current = lesson.lesson.clone();
    let commands = course::open_lesson_at(app, Some((&current, offset)));
    if commands.is_empty() {
        app.status = Some(at_end.to_owned());
    }
    commands
}

/// Saves the reading position as progress, unless it has not changed since last time.
pub fn save_position(app: &mut App) -> Vec<Command> {
    let Some(lesson) = app.lesson.as_mut().filter(|l| l.data.data.is_some()) else {
        return Vec::new();
    };
    let position = lesson.position();
    if lesson.saved == Some(position) {
        return Vec::new();
    }
    lesson.saved = Some(position);
    let status = if lesson.completed {
        LessonStatus::Completed
    } else {
        LessonStatus::Started
    };
    let request = Request::Progress {
        course: lesson.course.clone(),
        lesson: lesson.lesson.clone(),
        status,
        position: Some(position),
    };
    vec![app.fetch(request)]
}

/// The reading position for the status bar.
pub fn status(app: &App) -> Option<String> {
    let lesson = app.lesson.as_ref()?;
    lesson.data.data.as_ref()?;
    let total = lesson.wrapped.lines.len().max(1);
    let height = usize::from(text_area(app).height);
    let bottom = (lesson.scroll + height).min(total);
    Some(format!(
        "line {} of {} · {}%",
        lesson.scroll + 1,
        total,
        bottom * 100 / total
    ))
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let Some(lesson) = &app.lesson else {
        return;
    };
    let [title_area, text_area, bar_area] = areas(area);
    let course_title = app
        .course
        .as_ref()
        .filter(|c| c.id == lesson.course)
        .and_then(|c| c.title());
    let mut title = vec![Span::raw(" ")];
    if let Some(course_title) = course_title {
        title.push(Span::styled(format!("{course_title} › "), theme::dim()));
    }
    title.push(Span::styled(lesson.title.clone(), theme::title()));
    title.push(Span::raw(" "));
    let mut right = Vec::new();
    if let Some(data) = &lesson.data.data {
        right.push(Span::styled(
            format!(" {} min ", data.minutes),
            theme::dim(),
        ));
    }
    if lesson.completed {
        right.push(Span::styled("✓ done ", theme::done()));
    }
    ui::title_rule(frame, title_area, title, right);

    if lesson.data.data.is_none() {
        let block = Block::new();
        ui::placeholder(
            frame,
            text_area,
            block,
            lesson.data.loading,
            lesson.data.error.as_deref(),
        );
        return;
    }
    let height = usize::from(text_area.height);
    let end = (lesson.scroll + height).min(lesson.wrapped.lines.len());
    let visible = lesson.wrapped.lines[lesson.scroll.min(end)..end].to_vec();
    frame.render_widget(Paragraph::new(visible), text_area);

    scrollbar::render(
        frame,
        bar_area,
        lesson.wrapped.lines.len(),
        height,
        lesson.scroll,
    );
}
