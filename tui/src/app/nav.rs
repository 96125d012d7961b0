//! Moving between screens, and what each move loads or saves. Leaving the lesson reader
//! (by any route, quitting included) saves the reading position as lesson progress;
//! leaving the quiz runner saves the answer of the question shown; leaving the lab runner
//! stops watching its workspace.

use super::{App, Remote, ScreenId};
use crate::action::{Command, Request};
use crate::screens::course::{CourseState, Focus};
use crate::screens::lesson::{self, LessonState};
use crate::screens::{lab, quiz, review};

/// What leaving the current screen saves.
fn leave(app: &mut App) -> Vec<Command> {
    match app.screen {
        ScreenId::Lesson => lesson::save_position(app),
        ScreenId::Quiz => quiz::leave(app),
        ScreenId::Lab => lab::leave(app),
        _ => Vec::new(),
    }
}

/// Shows `to`, saving what the screen left behind and loading what `to` lacks.
pub(crate) fn switch(app: &mut App, to: ScreenId) -> Vec<Command> {
    let mut commands = Vec::new();
    if app.screen != to {
        commands.extend(leave(app));
    }
    app.screen = to;
    commands.extend(enter(app, to));
    commands
}

/// Loads what a screen needs the first time it is shown (or again when it went stale).
pub(crate) fn enter(app: &mut App, screen: ScreenId) -> Vec<Command> {
    match screen {
        ScreenId::Dashboard => {
            let d = &mut app.dashboard;
            if !d.courses.loading && (d.stale || !d.courses.requested()) {
                d.stale = false;
                d.courses.start();
                return vec![app.fetch(Request::Dashboard)];
            }
        }
        ScreenId::Catalog => {
            if !app.catalog.courses.requested() {
                app.catalog.courses.start();
                return vec![app.fetch(Request::Catalog)];
            }
        }
        ScreenId::Quiz => return quiz::on_enter(app),
        ScreenId::Lab => return lab::on_enter(app),
        ScreenId::Review => return review::on_enter(app),
        ScreenId::Course | ScreenId::Lesson => {}
    }
    Vec::new()
}

pub(crate) fn go_to(app: &mut App, screen: ScreenId) -> Vec<Command> {
    if app.screen == screen {
        return Vec::new();
    }
    if !app.available(screen) {
        app.status = Some(match screen {
            ScreenId::Lesson => "No lesson open yet: pick one in a course outline".to_owned(),
            ScreenId::Quiz => "No quiz open yet: pick one in a course outline".to_owned(),
            ScreenId::Lab => "No lab open yet: pick one in a course outline".to_owned(),
            _ => "No course open yet: pick one in the catalog or on the dashboard".to_owned(),
        });
        return Vec::new();
    }
    switch(app, screen)
}

/// Leaves `screen` when what it was opening failed to load: back to the course outline
/// it was opened from, or to the dashboard. Nothing happens when another screen is shown.
pub(crate) fn leave_unopened(app: &mut App, screen: ScreenId) -> Vec<Command> {
    if app.screen != screen {
        return Vec::new();
    }
    let back = if app.course.is_some() {
        ScreenId::Course
    } else {
        ScreenId::Dashboard
    };
    switch(app, back)
}

/// Tab and Shift-Tab: the next available screen in `step`'s direction.
pub(crate) fn cycle(app: &mut App, step: isize) -> Vec<Command> {
    let all = ScreenId::ALL;
    let current = all.iter().position(|s| *s == app.screen).unwrap_or(0);
    let n = all.len() as isize;
    let next = (1..n)
        .map(|i| all[(current as isize + step * i).rem_euclid(n) as usize])
        .find(|s| app.available(*s));
    match next {
        Some(screen) => switch(app, screen),
        None => Vec::new(),
    }
}

/// Esc/Backspace: up one level.
pub(crate) fn back(app: &mut App) -> Vec<Command> {
    match app.screen {
        ScreenId::Dashboard => Vec::new(),
        ScreenId::Catalog => switch(app, ScreenId::Dashboard),
        ScreenId::Course => {
            let origin = app
                .course
                .as_ref()
                .map_or(ScreenId::Dashboard, |c| c.origin);
            switch(app, origin)
        }
        ScreenId::Lesson => {
            let Some(course_id) = app.lesson.as_ref().map(|l| l.course.clone()) else {
                return switch(app, ScreenId::Dashboard);
            };
            let lesson_id = app.lesson.as_ref().map(|l| Focus::Lesson(l.lesson.clone()));
            open_course(app, &course_id, ScreenId::Lesson, lesson_id)
        }
        ScreenId::Quiz => {
            let Some((course_id, assessment)) = app
                .quiz
                .as_ref()
                .map(|q| (q.course.clone(), q.assessment.clone()))
            else {
                return switch(app, ScreenId::Dashboard);
            };
            let focus = Some(Focus::Assessment(assessment));
            open_course(app, &course_id, ScreenId::Quiz, focus)
        }
        ScreenId::Lab => {
            let Some((course_id, lab_id)) =
                app.lab.as_ref().map(|l| (l.course.clone(), l.lab.clone()))
            else {
                return switch(app, ScreenId::Dashboard);
            };
            open_course(app, &course_id, ScreenId::Lab, Some(Focus::Lab(lab_id)))
        }
        ScreenId::Review => review::back(app),
    }
}

/// `r`: loads the current screen again.
pub(crate) fn refresh(app: &mut App) -> Vec<Command> {
    match app.screen {
        ScreenId::Dashboard => {
            app.dashboard.stale = true;
            enter(app, ScreenId::Dashboard)
        }
        ScreenId::Catalog => {
            app.catalog.courses.start();
            let mut commands = vec![app.fetch(Request::Catalog)];
            commands.extend(crate::screens::catalog::search_now(app));
            commands
        }
        ScreenId::Course => match app.course.as_mut() {
            Some(course) => {
                course.data.start();
                let id = course.id.clone();
                vec![app.fetch(Request::Course { id })]
            }
            None => Vec::new(),
        },
        ScreenId::Lesson => match app.lesson.as_mut() {
            Some(lesson) => {
                lesson.restore = Some(lesson.position() as usize);
                lesson.data.start();
                let request = Request::Lesson {
                    course: lesson.course.clone(),
                    lesson: lesson.lesson.clone(),
                };
                vec![app.fetch(request)]
            }
            None => Vec::new(),
        },
        // Not bound there: answers are saved as they are given.
        ScreenId::Quiz => Vec::new(),
        // The lab and review screens reload themselves (their `on_cmd`).
        ScreenId::Lab | ScreenId::Review => Vec::new(),
    }
}

/// Shows the outline of `id`, selecting `focus` when given. `origin` is where Esc returns
/// to; coming back from a lesson or a quiz keeps the outline's earlier origin.
pub(crate) fn open_course(
    app: &mut App,
    id: &str,
    origin: ScreenId,
    focus: Option<Focus>,
) -> Vec<Command> {
    let mut commands = load_course(app, id, origin, focus);
    commands.extend(switch(app, ScreenId::Course));
    commands
}

/// Loads the outline of `id` without showing it. An outline already open for the same
/// course keeps showing while it is refreshed (progress may have changed).
pub(crate) fn load_course(
    app: &mut App,
    id: &str,
    origin: ScreenId,
    focus: Option<Focus>,
) -> Vec<Command> {
    let inner = |screen| {
        matches!(
            screen,
            ScreenId::Lesson | ScreenId::Course | ScreenId::Quiz | ScreenId::Lab
        )
    };
    match app.course.as_mut() {
        Some(course) if course.id == id => {
            if !inner(origin) {
                course.origin = origin;
            }
            if let Some(focus) = focus {
                course.focus(focus);
            }
            course.data.start();
        }
        _ => {
            let origin = if inner(origin) {
                ScreenId::Dashboard
            } else {
                origin
            };
            let mut course = CourseState::new(id, origin);
            course.pending_focus = focus;
            course.data = Remote::loading();
            app.course = Some(course);
        }
    }
    vec![app.fetch(Request::Course { id: id.to_owned() })]
}

/// Opens a lesson in the reader, at `position` (a logical line) when given.
pub(crate) fn open_lesson(
    app: &mut App,
    course: &str,
    lesson_id: &str,
    title: &str,
    position: Option<u32>,
    completed: bool,
) -> Vec<Command> {
    let mut commands = leave(app);
    let mut state = LessonState::new(course, lesson_id, title, position, completed);
    state.data = Remote::loading();
    app.lesson = Some(state);
    commands.push(app.fetch(Request::Lesson {
        course: course.to_owned(),
        lesson: lesson_id.to_owned(),
    }));
    app.screen = ScreenId::Lesson;
    commands
}

pub(crate) fn quit(app: &mut App) -> Vec<Command> {
    let commands = leave(app);
    app.should_quit = true;
    commands
}

/// Fetches the open outline again if it is `course`'s (progress or attempts changed).
pub(crate) fn reload_course(app: &mut App, course: &str) -> Vec<Command> {
    match app.course.as_mut().filter(|c| c.id == course) {
        Some(state) => {
            state.data.start();
            vec![app.fetch(Request::Course {
                id: course.to_owned(),
            })]
        }
        None => Vec::new(),
    }
}
