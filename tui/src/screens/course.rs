//! The course outline: what the course is, whether you are enrolled (`e` enrolls) and how
//! far you are, then modules → lessons with ✓ for the completed ones, each module's quiz
//! and labs, and, for courses with an exam, the mock exam. Enter reads the selected lesson
//! (at the position saved last time), starts the selected quiz, or opens the selected lab.

use cloudmaster_core::api::{
    AssessmentInfo, AssessmentKind, LabSummary, LessonOutline, LessonProgress, LessonStatus,
    ModuleOutline, QuizOutline,
};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{ListItem, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::{lab, quiz};
use crate::action::{Cmd, Command, CourseData, Request};
use crate::app::{App, Remote, ScreenId, nav};
use crate::backend::BackendResult;
use crate::components::{gauge, list, list::Selection};
use crate::popups::confirm::{ConfirmAction, ConfirmPopup};
use crate::theme;
use crate::ui::{self, pad_between, truncate};

/// An item of the outline to select, by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Focus {
    Lesson(String),
    /// A quiz or the mock exam.
    Assessment(String),
    Lab(String),
}

/// A selectable row of the outline.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    Lesson(&'a LessonOutline),
    /// A module quiz, with the learner's standing once enrolled.
    Quiz(&'a QuizOutline, Option<&'a AssessmentInfo>),
    MockExam(&'a AssessmentInfo),
    /// A lab by id, with its title and the learner's standing once enrolled.
    Lab(&'a str, Option<&'a LabSummary>),
}

impl Entry<'_> {
    fn is(&self, focus: &Focus) -> bool {
        match (self, focus) {
            (Entry::Lesson(lesson), Focus::Lesson(id)) => &lesson.id == id,
            (Entry::Quiz(quiz, _), Focus::Assessment(id)) => &quiz.id == id,
            (Entry::MockExam(exam), Focus::Assessment(id)) => &exam.id == id,
            (Entry::Lab(lab, _), Focus::Lab(id)) => lab == id,
            _ => false,
        }
    }
}

/// A row of the outline as drawn: entries between module headers.
enum Row<'a> {
    Module(usize, &'a ModuleOutline),
    Entry(Entry<'a>),
    ExamHeader,
}

#[derive(Debug)]
pub struct CourseState {
    pub id: String,
    /// Where Esc goes back to.
    pub origin: ScreenId,
    pub data: Remote<CourseData>,
    /// Over the outline's entries (module headers are not selectable).
    pub selection: Selection,
    /// Select this entry once the outline arrives.
    pub pending_focus: Option<Focus>,
}

impl CourseState {
    pub fn new(id: &str, origin: ScreenId) -> Self {
        Self {
            id: id.to_owned(),
            origin,
            data: Remote::default(),
            selection: Selection::default(),
            pending_focus: None,
        }
    }

    fn rows(&self) -> Vec<Row<'_>> {
        let Some(data) = &self.data.data else {
            return Vec::new();
        };
        let info = |id: &str| data.assessments.iter().find(|a| a.id == id);
        let lab = |id: &str| data.labs.iter().find(|l| l.id == id);
        let mut rows = Vec::new();
        for (n, module) in data.detail.modules.iter().enumerate() {
            rows.push(Row::Module(n + 1, module));
            rows.extend(module.lessons.iter().map(|l| Row::Entry(Entry::Lesson(l))));
            if let Some(quiz) = &module.quiz {
                rows.push(Row::Entry(Entry::Quiz(quiz, info(&quiz.id))));
            }
            rows.extend(
                module
                    .labs
                    .iter()
                    .map(|id| Row::Entry(Entry::Lab(id, lab(id)))),
            );
        }
        let exams = data
            .assessments
            .iter()
            .filter(|a| a.kind == AssessmentKind::MockExam);
        for (i, exam) in exams.enumerate() {
            if i == 0 {
                rows.push(Row::ExamHeader);
            }
            rows.push(Row::Entry(Entry::MockExam(exam)));
        }
        rows
    }

    /// The selectable entries, in outline order.
    pub fn entries(&self) -> Vec<Entry<'_>> {
        self.rows()
            .into_iter()
            .filter_map(|row| match row {
                Row::Entry(entry) => Some(entry),
                _ => None,
            })
            .collect()
    }

    pub fn selected(&self) -> Option<Entry<'_>> {
        self.entries().get(self.selection.index).copied()
    }

    /// Every lesson in order.
    pub fn lessons(&self) -> Vec<&LessonOutline> {
        self.data.data.as_ref().map_or_else(Vec::new, |d| {
            d.detail.modules.iter().flat_map(|m| &m.lessons).collect()
        })
    }

    /// Selects `focus` now if the outline is here, or when it arrives.
    pub fn focus(&mut self, focus: Focus) {
        match self.entries().iter().position(|e| e.is(&focus)) {
            Some(index) => self.selection.index = index,
            None => self.pending_focus = Some(focus),
        }
    }

    /// Takes a freshly loaded outline.
    pub fn loaded(&mut self, result: BackendResult<Box<CourseData>>) {
        self.data.finish(result.map(|data| *data));
        if let Some(focus) = self.pending_focus.take() {
            self.focus(focus);
        }
        let len = self.entries().len();
        self.selection.clamp(len);
    }

    pub fn enrolled(&self) -> bool {
        self.data
            .data
            .as_ref()
            .is_some_and(|d| d.progress.is_some())
    }

    /// Whether `lesson` is in a module still locked for the learner: enrolled, with a lesson
    /// of an earlier module not completed (the server's rule; it answers `locked` then).
    pub fn lesson_locked(&self, lesson: &str) -> bool {
        let Some(data) = self.data.data.as_ref() else {
            return false;
        };
        let Some(progress) = data.progress.as_ref() else {
            return false;
        };
        let completed = |id: &str| {
            progress
                .lessons
                .iter()
                .any(|l| l.lesson_id == id && l.status == LessonStatus::Completed)
        };
        data.detail
            .modules
            .iter()
            .take_while(|m| !m.lessons.iter().any(|l| l.id == lesson))
            .any(|m| m.lessons.iter().any(|l| !completed(&l.id)))
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
    let len = course.entries().len();
    if course.selection.apply(cmd, len, page) {
        return Some(Vec::new());
    }
    match cmd {
        Cmd::Open => Some(open_selected(app)),
        Cmd::Review => {
            if !course.enrolled() {
                app.status = Some("Enroll in the course first (e) to review it".to_owned());
                return Some(Vec::new());
            }
            let id = Some(course.id.clone());
            Some(super::review::open(app, id, ScreenId::Course))
        }
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

fn open_selected(app: &mut App) -> Vec<Command> {
    let Some(course) = app.course.as_ref() else {
        return Vec::new();
    };
    let mut timed = None;
    let mut passed = false;
    let (lab_entry, (id, title)) = match course.selected() {
        None => return Vec::new(),
        Some(Entry::Lesson(_)) => return open_lesson_at(app, None),
        Some(Entry::Quiz(quiz, info)) => {
            timed = info.filter(|i| i.time_limit_minutes > 0 && i.open_attempt.is_none());
            (false, (quiz.id.clone(), quiz.title.clone()))
        }
        Some(Entry::MockExam(exam)) => {
            timed = Some(exam).filter(|i| i.time_limit_minutes > 0 && i.open_attempt.is_none());
            (false, (exam.id.clone(), exam.title.clone()))
        }
        Some(Entry::Lab(id, summary)) => {
            // A passed lab shows its result, unless a new session of it is open.
            passed = summary.is_some_and(|s| s.passed && s.active_session.is_none());
            let title = summary.map_or(id, |s| s.title.as_str());
            (true, (id.to_owned(), title.to_owned()))
        }
    };
    if !course.enrolled() {
        let what = if lab_entry {
            "do its labs"
        } else {
            "take its quizzes"
        };
        app.status = Some(format!("Enroll in the course first (e) to {what}"));
        return Vec::new();
    }
    let course_id = course.id.clone();
    if lab_entry {
        return lab::open(app, &course_id, &id, &title, passed);
    }
    // A timed attempt's clock starts with it: ask first, as `exam start` does.
    if let Some(info) = timed {
        app.confirm = Some(ConfirmPopup {
            title: format!("Start {title}?"),
            message: format!(
                "{} questions, time limit {} min, pass mark {}%. The clock starts now and \
                 keeps running if you leave; at the deadline the attempt is graded on the \
                 answers saved. Start?",
                info.questions, info.time_limit_minutes, info.pass_mark
            ),
            action: ConfirmAction::StartAttempt {
                course: course_id,
                assessment: id,
                title,
            },
        });
        return Vec::new();
    }
    quiz::start(app, &course_id, &id, &title)
}

/// Opens the selected lesson, or the one `offset` lessons away from `from` (for next and
/// previous in the reader). Returns nothing when there is no such lesson.
pub fn open_lesson_at(app: &mut App, from: Option<(&str, isize)>) -> Vec<Command> {
    let Some(course) = app.course.as_ref() else {
        return Vec::new();
    };
    let lessons = course.lessons();
    let lesson = match from {
        None => match course.selected() {
            Some(Entry::Lesson(lesson)) => Some(lesson),
            _ => None,
        },
        Some((current, offset)) => lessons
            .iter()
            .position(|l| l.id == current)
            .and_then(|i| i.checked_add_signed(offset))
            .and_then(|i| lessons.get(i).copied()),
    };
    let Some(lesson) = lesson else {
        return Vec::new();
    };
    let progress = course.lesson_progress(&lesson.id);
    let position = progress.and_then(|p| p.position);
    let completed = progress.is_some_and(|p| p.status == LessonStatus::Completed);
    let (course_id, lesson_id, title) =
        (course.id.clone(), lesson.id.clone(), lesson.title.clone());
    if let Some(course) = app.course.as_mut() {
        course.focus(Focus::Lesson(lesson_id.clone()));
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
    let head_lines = head_lines(data, usize::from(area.width.saturating_sub(2)));
    let head_height = u16::try_from(head_lines.len()).unwrap_or(4);
    let [head, outline] =
        Layout::vertical([Constraint::Length(head_height), Constraint::Min(0)]).areas(area);
    frame.render_widget(
        Paragraph::new(head_lines),
        head.inner(ratatui::layout::Margin::new(1, 0)),
    );

    let width = usize::from(outline.width.saturating_sub(3));
    let mut items = Vec::new();
    let mut selected_row = None;
    let mut entry_index = 0;
    for row in course.rows() {
        let line = match row {
            Row::Module(n, module) => Line::styled(
                truncate(&format!("{n} {}", module.title), width),
                theme::md::h2(),
            ),
            Row::ExamHeader => Line::styled(truncate("Exam practice", width), theme::md::h2()),
            Row::Entry(entry) => {
                let selected = entry_index == course.selection.index;
                if selected {
                    selected_row = Some(items.len());
                }
                entry_index += 1;
                entry_row(course, entry, width, selected)
            }
        };
        items.push(ListItem::new(line));
    }
    list::render(
        frame,
        outline,
        ui::block("Outline", true),
        items,
        selected_row,
    );
}

fn head_lines(data: &CourseData, width: usize) -> Vec<Line<'static>> {
    let summary = &data.detail.summary;
    let price = summary
        .price
        .as_ref()
        .map_or("free".to_owned(), ToString::to_string);
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
    let mut lines = vec![
        Line::styled(truncate(&summary.title, width), theme::title()),
        Line::styled(truncate(&meta, width), theme::dim()),
        Line::raw(truncate(&summary.summary, width)),
        enrolment,
    ];
    if let (Some(_), None) = (&summary.price, &data.progress) {
        // A paid course: paying happens in the terminal (a test card, or a checkout link and
        // its QR code), then `e` enrolls.
        lines.pop();
        lines.push(Line::from(vec![
            Span::styled("Not enrolled", theme::warning()),
            Span::raw(" — buy it: "),
            Span::styled(
                format!("cloudmaster billing checkout {}", summary.id),
                theme::key(),
            ),
        ]));
        lines.push(Line::from(vec![
            Span::raw("or go premium for every course: "),
            Span::styled("cloudmaster billing plans", theme::key()),
            Span::raw("; then "),
            Span::styled("e", theme::key()),
        ]));
    }
    lines
}

fn entry_row(
    course: &CourseState,
    entry: Entry<'_>,
    width: usize,
    selected: bool,
) -> Line<'static> {
    let (mark, title, right) = match entry {
        Entry::Lesson(lesson) => {
            let mark = match course.lesson_progress(&lesson.id).map(|p| p.status) {
                Some(LessonStatus::Completed) => ("✓", theme::done()),
                Some(LessonStatus::Started) => ("•", theme::warning()),
                None => ("○", theme::dim()),
            };
            let right = if course.lesson_locked(&lesson.id) {
                format!("locked · {} min", lesson.minutes)
            } else {
                format!("{} min", lesson.minutes)
            };
            (mark, lesson.title.clone(), right)
        }
        Entry::Quiz(quiz, info) => (
            assessment_mark(info),
            format!("Quiz · {}", quiz.title),
            standing(info, info.map_or(quiz.questions, |i| i.questions), None),
        ),
        Entry::Lab(id, summary) => {
            let mark = match summary {
                Some(lab) if lab.passed => ("✓", theme::done()),
                Some(lab) if lab.active_session.is_some() => ("•", theme::warning()),
                _ => ("○", theme::dim()),
            };
            let title = summary.map_or(id, |s| s.title.as_str());
            let right = summary.map_or_else(String::new, |s| {
                let size = format!("{} steps · {} min", s.steps, s.estimated_minutes);
                if s.locked {
                    format!("locked · {size}")
                } else {
                    size
                }
            });
            (mark, format!("Lab · {title}"), right)
        }
        Entry::MockExam(exam) => {
            let limit = (exam.time_limit_minutes > 0).then_some(exam.time_limit_minutes);
            (
                assessment_mark(Some(exam)),
                format!("Mock exam · {}", exam.title),
                standing(Some(exam), exam.questions, limit),
            )
        }
    };
    let title_style = if selected {
        theme::selected()
    } else {
        theme::base()
    };
    let title = truncate(&title, width.saturating_sub(right.width() + 6));
    pad_between(
        vec![
            Span::raw("  "),
            Span::styled(mark.0, mark.1),
            Span::raw(" "),
            Span::styled(title, title_style),
        ],
        vec![Span::styled(right, theme::dim())],
        width,
    )
}

/// ✓ passed, • attempted, ○ not yet.
fn assessment_mark(info: Option<&AssessmentInfo>) -> (&'static str, Style) {
    match info {
        Some(info) if info.passed => ("✓", theme::done()),
        Some(info) if info.attempts_used > 0 => ("•", theme::warning()),
        _ => ("○", theme::dim()),
    }
}

/// `best 83%` once attempted, else the size (and time limit) of the assessment, after
/// `locked` while its module is unfinished.
fn standing(info: Option<&AssessmentInfo>, questions: u32, minutes: Option<u32>) -> String {
    if let Some(best) = info.and_then(|i| i.best_score) {
        return format!("best {}", quiz::percent(best));
    }
    let size = match minutes {
        Some(minutes) => format!("{questions} questions · {minutes} min"),
        None => format!("{questions} questions"),
    };
    if info.is_some_and(|i| i.locked) {
        format!("locked · {size}")
    } else {
        size
    }
}
