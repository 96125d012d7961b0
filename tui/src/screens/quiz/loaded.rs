//! What the server answered about an attempt: started (or refused), an answer saved (or
//! refused), submitted and graded, or closed by the server because its time ran out. A
//! closed attempt is reported in the error popup with the server's message, and the result
//! it was graded with is fetched and shown.

use std::time::Duration;

use cloudmaster_core::api::{AttemptResult, AttemptView};
use cloudmaster_core::assess::Response;
use uuid::Uuid;

use super::{Phase, ResultView, Runner, keep_ticking, runner_mut};
use crate::action::{Command, Request};
use crate::app::{App, ScreenId, nav};
use crate::backend::BackendResult;
use crate::ui;

/// The error code of a save or submit after the attempt was closed (time up, submitted).
const ATTEMPT_CLOSED: &str = "attempt_closed";

/// The attempt arrived (or could not be started).
pub fn started(
    app: &mut App,
    course: &str,
    assessment: &str,
    result: BackendResult<Box<AttemptView>>,
) -> Vec<Command> {
    let waiting = app.quiz.as_ref().is_some_and(|q| {
        q.course == course && q.assessment == assessment && matches!(q.phase, Phase::Starting)
    });
    match result {
        Err(err) => {
            app.show_error("Could not start the attempt", err.message);
            if !waiting {
                return Vec::new();
            }
            app.quiz = None;
            nav::leave_unopened(app, ScreenId::Quiz)
        }
        Ok(_) if !waiting => Vec::new(),
        Ok(attempt) => {
            if let Some(result) = attempt.result.clone() {
                return finish(app, &attempt, result);
            }
            if !attempt.answers.is_empty() {
                app.status = Some(format!(
                    "Resuming your attempt: {} of {} answered",
                    attempt.answers.len(),
                    attempt.questions.len()
                ));
            }
            if let Some(quiz) = app.quiz.as_mut() {
                quiz.title = attempt.title.clone();
                quiz.phase = Phase::Answering(Box::new(Runner::new(*attempt)));
            }
            // The outline's attempt count changed.
            let mut commands = nav::reload_course(app, course);
            commands.extend(keep_ticking(app, Duration::ZERO));
            commands
        }
    }
}

/// The attempt was read again after the server closed it.
pub fn attempt_loaded(
    app: &mut App,
    id: Uuid,
    result: BackendResult<Box<AttemptView>>,
) -> Vec<Command> {
    let Some(runner) = runner_mut(app).filter(|r| r.attempt.id == id) else {
        return Vec::new();
    };
    match result {
        Ok(attempt) => match attempt.result.clone() {
            Some(graded) => finish(app, &attempt, graded),
            None => {
                runner.submitting = false;
                app.status = Some("The attempt is still open".to_owned());
                keep_ticking(app, Duration::ZERO)
            }
        },
        Err(err) => {
            runner.submitting = false;
            app.show_error("Could not load the result", err.message);
            Vec::new()
        }
    }
}

/// A save failed, or went through.
pub fn answer_saved(
    app: &mut App,
    attempt: Uuid,
    question: &str,
    response: &Response,
    result: BackendResult<()>,
) -> Vec<Command> {
    let Err(err) = result else {
        return Vec::new();
    };
    // Once the attempt is being closed, a save that lost the race says nothing new.
    let Some(runner) = runner_mut(app).filter(|r| r.attempt.id == attempt && !r.submitting) else {
        return Vec::new();
    };
    if err.code.as_deref() == Some(ATTEMPT_CLOSED) {
        return closed(app, attempt, err.message);
    }
    // Sent again on the next move.
    if runner.saved.get(question) == Some(response) {
        runner.saved.remove(question);
    }
    app.show_error("Your answer was not saved", err.message);
    Vec::new()
}

/// The graded result, or why there is none.
pub fn submitted(
    app: &mut App,
    attempt: Uuid,
    result: BackendResult<Box<AttemptResult>>,
) -> Vec<Command> {
    let Some(runner) = runner_mut(app).filter(|r| r.attempt.id == attempt) else {
        return Vec::new();
    };
    match result {
        Ok(graded) => {
            let view = runner.attempt.clone();
            finish(app, &view, *graded)
        }
        Err(err) if err.code.as_deref() == Some(ATTEMPT_CLOSED) => {
            closed(app, attempt, err.message)
        }
        Err(err) => {
            runner.submitting = false;
            app.show_error("Could not submit", err.message);
            Vec::new()
        }
    }
}

/// The server closed the attempt (its time ran out): say so with its message, and fetch
/// the result it was graded with.
fn closed(app: &mut App, attempt: Uuid, message: String) -> Vec<Command> {
    if let Some(runner) = runner_mut(app) {
        runner.submitting = true;
        runner.typing = false;
    }
    app.show_error("The attempt is closed", message);
    vec![app.fetch(Request::Attempt { id: attempt })]
}

fn finish(app: &mut App, attempt: &AttemptView, graded: AttemptResult) -> Vec<Command> {
    let body = ui::body_area(app.width, app.height);
    let Some(quiz) = app.quiz.as_mut() else {
        return Vec::new();
    };
    quiz.title = attempt.title.clone();
    quiz.phase = Phase::Finished(Box::new(ResultView::new(attempt, graded, body)));
    let course = quiz.course.clone();
    app.status = None;
    // Best score, readiness and due reviews changed.
    app.dashboard.stale = true;
    nav::reload_course(app, &course)
}
