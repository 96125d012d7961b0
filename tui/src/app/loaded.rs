//! What happens when a background request finishes. Answers nobody waits for any more
//! (a search superseded by newer typing, an outline for a course since closed) are
//! dropped; failures become error popups (search failures stay in the results panel, and a
//! dashboard readiness that cannot be had shows as "—").

use cloudmaster_core::api::LessonStatus;

use super::nav::reload_course;
use super::{App, ScreenId};
use crate::action::{Command, Loaded};
use crate::screens::{dashboard, lab, lesson, quiz, review};

pub(super) fn on_loaded(app: &mut App, loaded: Loaded) -> Vec<Command> {
    let mut commands = Vec::new();
    match loaded {
        Loaded::WhoAmI(result) => match result {
            Ok(who) => app.user = Some(who.user.name),
            Err(err) => app.show_error("Not signed in", err.message),
        },
        Loaded::Dashboard(result) => {
            if let Err(err) = &result {
                app.show_error("Could not load your courses", err.message.clone());
            }
            commands = dashboard::loaded(app, result);
        }
        Loaded::Readiness { course, result } => dashboard::readiness_loaded(app, &course, result),
        Loaded::Catalog(result) => {
            if let Err(err) = &result {
                app.show_error("Could not load the catalog", err.message.clone());
            }
            let catalog = &mut app.catalog;
            catalog.courses.finish(result);
            if !catalog.showing_hits() {
                let len = catalog.courses.data.as_ref().map_or(0, Vec::len);
                catalog.selection.clamp(len);
            }
        }
        Loaded::Search { seq, result } => {
            let search = &mut app.catalog.search;
            if seq == search.seq {
                search.hits.finish(result);
                app.catalog.selection = Default::default();
            }
        }
        Loaded::Course { id, result } => {
            if let Err(err) = &result {
                app.show_error("Could not load the course", err.message.clone());
            }
            if let Some(course) = app.course.as_mut().filter(|c| c.id == id) {
                course.loaded(result);
            }
        }
        Loaded::Lesson {
            course,
            lesson: lesson_id,
            result,
        } => {
            if let Err(err) = &result {
                app.show_error("Could not open the lesson", err.message.clone());
            }
            let current = app
                .lesson
                .as_ref()
                .is_some_and(|l| l.course == course && l.lesson == lesson_id);
            if current {
                lesson::loaded(app, result);
            }
        }
        Loaded::Enrolled { course, result } => match result {
            Ok(enrollment) => {
                app.status = Some(format!("Enrolled in {}", enrollment.course_title));
                app.dashboard.stale = true;
                commands = reload_course(app, &course);
            }
            Err(err) => {
                app.status = None;
                app.show_error("Could not enroll", err.message);
            }
        },
        Loaded::Progress {
            course,
            lesson: lesson_id,
            result,
        } => match result {
            Ok(progress) => {
                app.dashboard.stale = true;
                if progress.status == LessonStatus::Completed {
                    let open = app
                        .lesson
                        .as_mut()
                        .filter(|l| l.course == course && l.lesson == lesson_id);
                    if let Some(open) = open.filter(|l| !l.completed) {
                        open.completed = true;
                        app.status = Some("Lesson done ✓ (n: next lesson)".to_owned());
                    }
                }
                // The outline's ticks and gauge come from the server's count.
                commands = reload_course(app, &course);
            }
            Err(err) => app.show_error("Your progress was not saved", err.message),
        },
        Loaded::AttemptStarted {
            course,
            assessment,
            result,
        } => commands = quiz::started(app, &course, &assessment, result),
        Loaded::Attempt { id, result } => commands = quiz::attempt_loaded(app, id, result),
        Loaded::AnswerSaved {
            attempt,
            question,
            response,
            result,
        } => commands = quiz::answer_saved(app, attempt, &question, &response, result),
        Loaded::Submitted { attempt, result } => {
            commands = quiz::submitted(app, attempt, result);
        }
        Loaded::LabStarted {
            course,
            lab: lab_id,
            result,
        } => commands = lab::started(app, &course, &lab_id, result),
        Loaded::Lab {
            session,
            job,
            result,
        } => commands = lab::done(app, session, &job, result),
        Loaded::LabResult {
            course,
            lab: lab_id,
            result,
        } => commands = lab::result_loaded(app, &course, &lab_id, result),
        Loaded::ServedLab {
            course,
            lab: lab_id,
            result,
        } => commands = lab::served_loaded(app, &course, &lab_id, result),
        Loaded::ReviewQueue { course, result } => {
            commands = review::queue_loaded(app, course.as_deref(), result);
        }
        Loaded::ReviewAnswered {
            course,
            question,
            result,
        } => commands = review::answered(app, &course, &question, result),
    }
    if app.dashboard.stale && app.screen == ScreenId::Dashboard {
        commands.extend(super::nav::enter(app, ScreenId::Dashboard));
    }
    commands
}
