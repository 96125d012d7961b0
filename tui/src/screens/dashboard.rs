//! The dashboard: one entry per enrolled course with its completion gauge, the lesson
//! "continue" resumes at (with the saved reading position), the review items due, and for
//! courses that prepare for an exam the readiness estimate: the chance to pass with its
//! band. Readiness is fetched per course in the background once the list has arrived. `v`
//! reviews the selected course's items due.

use std::collections::HashMap;

use cloudmaster_core::api::{CourseProgress, ReadinessReport};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{ListItem, Paragraph, Wrap};

use crate::action::{Cmd, Command, Request};
use crate::app::{App, Remote, ScreenId, nav};
use crate::backend::BackendResult;
use crate::components::{gauge, list, list::Selection};
use crate::screens::course::Focus;
use crate::theme;
use crate::ui::{self, pad_between, truncate};

/// Rows per course in the list.
const ITEM_HEIGHT: u16 = 5;

#[derive(Debug, Default)]
pub struct DashboardState {
    pub courses: Remote<Vec<CourseProgress>>,
    /// Per course id.
    pub readiness: HashMap<String, Remote<ReadinessReport>>,
    pub selection: Selection,
    /// Progress changed elsewhere (a lesson done, an enrollment, an attempt): reload when
    /// shown.
    pub stale: bool,
}

impl DashboardState {
    pub fn selected(&self) -> Option<&CourseProgress> {
        self.courses.data.as_ref()?.get(self.selection.index)
    }
}

/// The course list arrived: ask for each course's readiness (it changes with every graded
/// answer, so it is asked again whenever the list is).
pub fn loaded(app: &mut App, result: BackendResult<Vec<CourseProgress>>) -> Vec<Command> {
    let dashboard = &mut app.dashboard;
    dashboard.courses.finish(result);
    let ids: Vec<String> = dashboard
        .courses
        .data
        .iter()
        .flatten()
        .map(|c| c.course_id.clone())
        .collect();
    dashboard.selection.clamp(ids.len());
    dashboard.readiness.retain(|id, _| ids.contains(id));
    let mut commands = Vec::new();
    for course in ids {
        app.dashboard
            .readiness
            .entry(course.clone())
            .or_default()
            .start();
        commands.push(app.fetch(Request::Readiness { course }));
    }
    commands
}

/// A readiness estimate arrived. A failure is not worth a popup here: the dashboard shows
/// "—" for it, and `cloudmaster readiness` gives the details.
pub fn readiness_loaded(app: &mut App, course: &str, result: BackendResult<ReadinessReport>) {
    if let Some(entry) = app.dashboard.readiness.get_mut(course) {
        entry.finish(result);
    }
}

pub fn on_cmd(app: &mut App, cmd: Cmd) -> Option<Vec<Command>> {
    let len = app.dashboard.courses.data.as_ref().map_or(0, Vec::len);
    let page = app.list_page(ITEM_HEIGHT);
    if app.dashboard.selection.apply(cmd, len, page) {
        return Some(Vec::new());
    }
    let selected = app.dashboard.selected().cloned();
    match cmd {
        Cmd::Open => Some(match selected {
            Some(progress) => continue_course(app, &progress),
            None => nav::switch(app, ScreenId::Catalog),
        }),
        Cmd::Review => {
            let course = selected.map(|p| p.course_id);
            Some(crate::screens::review::open(
                app,
                course,
                ScreenId::Dashboard,
            ))
        }
        Cmd::Outline => Some(match selected {
            Some(progress) => {
                let focus = progress
                    .resume
                    .as_ref()
                    .map(|r| Focus::Lesson(r.lesson_id.clone()));
                nav::open_course(app, &progress.course_id, ScreenId::Dashboard, focus)
            }
            None => Vec::new(),
        }),
        _ => None,
    }
}

/// Opens the resume lesson at its saved position, with the outline loaded behind it so
/// Esc and next/previous work; a finished course opens its outline.
fn continue_course(app: &mut App, progress: &CourseProgress) -> Vec<Command> {
    let Some(resume) = &progress.resume else {
        return nav::open_course(app, &progress.course_id, ScreenId::Dashboard, None);
    };
    let focus = Some(Focus::Lesson(resume.lesson_id.clone()));
    let mut commands = nav::load_course(app, &progress.course_id, ScreenId::Dashboard, focus);
    commands.extend(nav::open_lesson(
        app,
        &progress.course_id,
        &resume.lesson_id,
        &resume.lesson_title,
        resume.position,
        false,
    ));
    commands
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let [greeting, body] =
        Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
    let hello = match &app.user {
        Some(name) => format!(" Welcome back, {name}."),
        None => " Welcome.".to_owned(),
    };
    frame.render_widget(
        Paragraph::new(Line::styled(hello, theme::title())),
        greeting,
    );

    let block = ui::block("Continue learning", true);
    let state = &app.dashboard.courses;
    let Some(courses) = &state.data else {
        ui::placeholder(frame, body, block, state.loading, state.error.as_deref());
        return;
    };
    if courses.is_empty() {
        let text = Text::from(vec![
            Line::raw(""),
            Line::raw("You are not enrolled in any course yet."),
            Line::raw(""),
            Line::from(vec![
                Span::raw("Press "),
                Span::styled("2", theme::key()),
                Span::raw(" (or "),
                Span::styled("Enter", theme::key()),
                Span::raw(") to browse the catalog, open a course and press "),
                Span::styled("e", theme::key()),
                Span::raw(" to enroll."),
            ]),
        ]);
        frame.render_widget(
            Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
            body,
        );
        return;
    }
    let width = usize::from(body.width.saturating_sub(3));
    let selected = app.dashboard.selection.index;
    let items = courses
        .iter()
        .enumerate()
        .map(|(i, course)| {
            let readiness = app.dashboard.readiness.get(&course.course_id);
            ListItem::new(item(course, readiness, width, i == selected))
        })
        .collect();
    list::render(frame, body, block, items, Some(selected));
}

fn item(
    course: &CourseProgress,
    readiness: Option<&Remote<ReadinessReport>>,
    width: usize,
    selected: bool,
) -> Text<'static> {
    let title_style = if selected {
        theme::selected()
    } else {
        theme::title()
    };
    let percent = format!("{:>3}%", course.percent);
    let title = truncate(
        &course.course_title,
        width.saturating_sub(percent.len() + 2),
    );
    let first = pad_between(
        vec![Span::styled(title, title_style)],
        vec![Span::styled(percent, theme::accent())],
        width,
    );
    let bar_width = width.saturating_sub(24).clamp(10, 40);
    let mut second = vec![Span::raw(" ")];
    second.extend(gauge::bar(course.percent, bar_width));
    second.push(Span::styled(
        format!(
            "  {} of {} lessons",
            course.completed_lessons, course.total_lessons
        ),
        theme::dim(),
    ));
    let third = match &course.resume {
        Some(resume) => Line::from(vec![
            Span::styled(" Next: ", theme::dim()),
            Span::raw(truncate(&resume.lesson_title, width.saturating_sub(7))),
        ]),
        None => Line::from(Span::styled(" ✓ Course complete", theme::done())),
    };
    let mut fourth = vec![Span::raw(" ")];
    fourth.extend(readiness_spans(readiness));
    fourth.push(Span::styled(
        if fourth.len() > 1 { " · " } else { "" },
        theme::dim(),
    ));
    fourth.push(match course.review_due {
        0 => Span::styled("no reviews due", theme::dim()),
        1 => Span::styled("1 review due", theme::warning()),
        n => Span::styled(format!("{n} reviews due"), theme::warning()),
    });
    let fourth = Line::from(ui::truncate_spans(fourth, width));
    Text::from(vec![
        first,
        Line::from(second),
        third,
        fourth,
        Line::raw(""),
    ])
}

/// "Readiness 72% to pass (58–84%)" with enough evidence, else why there is no number;
/// nothing for a course without an exam.
fn readiness_spans(readiness: Option<&Remote<ReadinessReport>>) -> Vec<Span<'static>> {
    let label = Span::styled("Readiness ", theme::dim());
    let report = readiness.and_then(|r| r.data.as_ref());
    let Some(report) = report else {
        return vec![label, Span::styled("—", theme::dim())];
    };
    let Some(r) = &report.readiness else {
        return Vec::new();
    };
    if !r.sufficient_evidence {
        return vec![
            label,
            Span::styled(
                format!(
                    "not enough answers yet ({} of {})",
                    r.answers, r.min_answers
                ),
                theme::dim(),
            ),
        ];
    }
    let percent = |p: f64| format!("{:.0}%", (p * 100.0).round());
    let style = if r.probability >= 0.5 {
        theme::done()
    } else {
        theme::warning()
    };
    vec![
        label,
        Span::styled(percent(r.probability), style.patch(theme::title())),
        Span::raw(" to pass "),
        Span::styled(
            format!("({}–{})", percent(r.low), percent(r.high)),
            theme::dim(),
        ),
    ]
}
