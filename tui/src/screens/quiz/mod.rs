//! The quiz and mock exam runner. `Enter` on a quiz in the course outline starts an attempt
//! (or resumes the open one) and shows one question at a time (`question.rs`): choices are
//! picked with j/k and Space, typed answers go into an answer box, ordering items move with
//! J/K. Like the command line's runner, each answer is saved on the server as the learner
//! moves on (and when leaving the screen or quitting), so nothing is lost; `s` submits,
//! asking first when questions are unanswered. A timed attempt shows a countdown from its
//! deadline, redrawn by a one-second tick only while it is on screen, and submits what was
//! answered when the time is up. After submission the graded result is shown (`result.rs`); what the server answers is
//! handled in `loaded.rs`.

use std::time::Duration;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use time::OffsetDateTime;

use crate::action::{Cmd, Command, Request, TICK};
use crate::app::{App, ScreenId, nav};
use crate::keymap::Context;
use crate::popups::confirm::{ConfirmAction, ConfirmPopup};
use crate::ui;

pub(crate) mod draft;
mod loaded;
pub(crate) mod question;
mod result;
mod runner;

pub use cloudmaster_core::display::percent;
pub use loaded::{answer_saved, attempt_loaded, started, submitted};
pub use result::ResultView;
use runner::Commit;
pub use runner::Runner;

#[derive(Debug)]
pub struct QuizState {
    pub course: String,
    pub assessment: String,
    /// The outline's title until the attempt arrives.
    pub title: String,
    pub phase: Phase,
}

#[derive(Debug)]
pub enum Phase {
    /// Waiting for the server to start (or resume) the attempt.
    Starting,
    Answering(Box<Runner>),
    Finished(Box<ResultView>),
}

impl QuizState {
    pub fn runner(&self) -> Option<&Runner> {
        match &self.phase {
            Phase::Answering(runner) => Some(runner),
            _ => None,
        }
    }

    fn runner_mut(&mut self) -> Option<&mut Runner> {
        match &mut self.phase {
            Phase::Answering(runner) => Some(runner),
            _ => None,
        }
    }
}

fn runner_mut(app: &mut App) -> Option<&mut Runner> {
    app.quiz.as_mut()?.runner_mut()
}

/// Where keys go on the quiz screen.
pub fn context(app: &App) -> Context {
    match app.quiz.as_ref().map(|q| &q.phase) {
        Some(Phase::Finished(_)) => Context::QuizResult,
        Some(Phase::Answering(runner)) if runner.typing && !runner.submitting => {
            Context::AnswerInput
        }
        _ => Context::Screen(ScreenId::Quiz),
    }
}

/// Starts an attempt at `assessment` of `course` and shows it; an attempt at it already
/// being answered is shown again instead.
pub fn start(app: &mut App, course: &str, assessment: &str, title: &str) -> Vec<Command> {
    let answering = app.quiz.as_ref().is_some_and(|q| {
        q.course == course && q.assessment == assessment && !matches!(q.phase, Phase::Finished(_))
    });
    if answering {
        return nav::switch(app, ScreenId::Quiz);
    }
    app.quiz = Some(QuizState {
        course: course.to_owned(),
        assessment: assessment.to_owned(),
        title: title.to_owned(),
        phase: Phase::Starting,
    });
    let mut commands = vec![app.fetch(Request::StartAttempt {
        course: course.to_owned(),
        assessment: assessment.to_owned(),
    })];
    commands.extend(nav::switch(app, ScreenId::Quiz));
    commands
}

/// The screen is shown: read the clock at once for a timed attempt.
pub fn on_enter(app: &mut App) -> Vec<Command> {
    keep_ticking(app, Duration::ZERO)
}

/// The screen is left (or the app quits): save the answer of the question shown.
pub fn leave(app: &mut App) -> Vec<Command> {
    let Some(runner) = runner_mut(app).filter(|r| !r.submitting) else {
        return Vec::new();
    };
    let commit = runner.commit();
    after_commit(app, commit).unwrap_or_default()
}

pub fn on_cmd(app: &mut App, cmd: Cmd) -> Option<Vec<Command>> {
    let body = ui::body_area(app.width, app.height);
    match &mut app.quiz.as_mut()?.phase {
        Phase::Starting => None,
        Phase::Finished(view) => view.on_cmd(cmd, body).then(Vec::new),
        Phase::Answering(runner) if runner.submitting => match cmd {
            Cmd::Up | Cmd::Down | Cmd::Choose | Cmd::NextQuestion | Cmd::PrevQuestion => {
                app.status = Some("Submitting…".to_owned());
                Some(Vec::new())
            }
            _ => None,
        },
        Phase::Answering(runner) => {
            match cmd {
                Cmd::Up => runner.move_cursor(-1),
                Cmd::Down => runner.move_cursor(1),
                Cmd::Choose if draft::is_typed(runner.question()) => runner.typing = true,
                Cmd::Choose => runner.choose(),
                Cmd::MoveItemDown | Cmd::MoveItemUp => {
                    if !runner.move_item(cmd == Cmd::MoveItemDown) {
                        app.status = Some(match runner.draft() {
                            draft::Draft::Order { .. } => "It cannot move further".to_owned(),
                            _ => "J and K reorder the items of an ordering question".to_owned(),
                        });
                    }
                }
                Cmd::Back if runner.typing => runner.typing = false,
                Cmd::DeleteChar => {
                    edit_text(runner, |text| {
                        text.pop();
                    });
                }
                Cmd::ClearInput => edit_text(runner, String::clear),
                Cmd::NextQuestion => return Some(step(app, 1)),
                Cmd::PrevQuestion => return Some(step(app, -1)),
                Cmd::Submit => return Some(ask_to_submit(app)),
                _ => return None,
            }
            Some(Vec::new())
        }
    }
}

fn edit_text(runner: &mut Runner, edit: impl FnOnce(&mut String)) {
    let current = runner.current;
    if let Some(text) = runner.drafts[current].text_mut() {
        edit(text);
    }
}

/// A key the answer box's key map does not bind: printable characters are typed.
pub fn type_key(app: &mut App, key: &KeyEvent) -> Vec<Command> {
    if let (KeyCode::Char(c), Some(runner)) = (key.code, runner_mut(app))
        && !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        edit_text(runner, |text| text.push(c));
    }
    Vec::new()
}

/// Turns a settled answer into a save; `None` (after saying why) when the learner must stay
/// on the question.
fn after_commit(app: &mut App, commit: Result<Commit, String>) -> Option<Vec<Command>> {
    let attempt = app.quiz.as_ref()?.runner()?.attempt.id;
    match commit {
        Ok(Commit::Unchanged) => Some(Vec::new()),
        Ok(Commit::Save(question, response)) => Some(vec![app.fetch(Request::SaveAnswer {
            attempt,
            question,
            response,
        })]),
        Ok(Commit::Restored) => {
            app.status =
                Some("A saved answer cannot be taken back: your earlier answer stays".to_owned());
            Some(Vec::new())
        }
        Err(problem) => {
            app.status = Some(problem);
            None
        }
    }
}

/// n/p: saves the answer and shows the question `offset` away.
fn step(app: &mut App, offset: isize) -> Vec<Command> {
    let Some(runner) = runner_mut(app) else {
        return Vec::new();
    };
    let target = runner
        .current
        .checked_add_signed(offset)
        .filter(|t| *t < runner.question_count());
    let commit = runner.commit();
    let Some(commands) = after_commit(app, commit) else {
        return Vec::new();
    };
    let Some(runner) = runner_mut(app) else {
        return commands;
    };
    match target {
        Some(target) => runner.go(target),
        None => {
            runner.typing = false;
            if app.status.is_none() {
                app.status = Some(if offset > 0 {
                    "That was the last question: s submits".to_owned()
                } else {
                    "This is the first question".to_owned()
                });
            }
        }
    }
    commands
}

/// `s`: submits, after asking when questions are unanswered.
fn ask_to_submit(app: &mut App) -> Vec<Command> {
    let Some(runner) = runner_mut(app) else {
        return Vec::new();
    };
    // The answer shown goes with the submit itself rather than as a separate save that
    // could arrive after the attempt is closed.
    if let Err(problem) = runner.commit() {
        app.status = Some(problem);
        return Vec::new();
    }
    runner.typing = false;
    let unanswered = runner.unanswered();
    if unanswered == 0 {
        return submit(app);
    }
    let total = runner.question_count();
    let questions = if unanswered == 1 {
        "1 question is".to_owned()
    } else {
        format!("{unanswered} of {total} questions are")
    };
    app.confirm = Some(ConfirmPopup {
        title: "Submit the attempt?".to_owned(),
        message: format!("{questions} not answered; unanswered questions score 0. Submit anyway?"),
        action: ConfirmAction::SubmitAttempt,
    });
    Vec::new()
}

/// Submits every answer given and waits for the result.
pub fn submit(app: &mut App) -> Vec<Command> {
    let Some(runner) = runner_mut(app).filter(|r| !r.submitting) else {
        return Vec::new();
    };
    runner.submitting = true;
    runner.typing = false;
    let request = Request::SubmitAttempt {
        attempt: runner.attempt.id,
        answers: runner.answers(),
    };
    app.status = Some("Submitting…".to_owned());
    vec![app.fetch(request)]
}

/// Asks for the next tick after `delay` if a timed attempt is being answered on screen and
/// no tick is on its way.
fn keep_ticking(app: &mut App, delay: Duration) -> Vec<Command> {
    let timed = app
        .quiz
        .as_ref()
        .and_then(QuizState::runner)
        .is_some_and(|r| r.attempt.deadline.is_some() && !r.submitting);
    if !timed || app.screen != ScreenId::Quiz {
        return Vec::new();
    }
    app.schedule_tick(delay)
}

/// The clock moved on: redraw the countdown, and submit when the time is up.
pub fn tick(app: &mut App, now: OffsetDateTime) -> Vec<Command> {
    app.ticked(now);
    let time_up = app
        .quiz
        .as_ref()
        .and_then(QuizState::runner)
        .filter(|r| !r.submitting)
        .and_then(|r| r.seconds_left(Some(now)))
        .is_some_and(|left| left <= 0);
    if time_up {
        if let Some(runner) = runner_mut(app) {
            // A typed answer that does not parse cannot go; everything else does.
            let _ = runner.commit();
        }
        let commands = submit(app);
        app.status = Some("Time is up: your answers are submitted".to_owned());
        return commands;
    }
    keep_ticking(app, TICK)
}

/// The terminal was resized: re-wrap the result.
pub fn relayout(app: &mut App) {
    let body = ui::body_area(app.width, app.height);
    if let Some(Phase::Finished(view)) = app.quiz.as_mut().map(|q| &mut q.phase) {
        view.relayout(body);
    }
}

/// The status bar: answers given, or the position in the result.
pub fn status(app: &App) -> Option<String> {
    match &app.quiz.as_ref()?.phase {
        Phase::Starting => None,
        Phase::Answering(runner) => Some(format!(
            "{} of {} answered",
            runner.question_count() - runner.unanswered(),
            runner.question_count()
        )),
        Phase::Finished(view) => Some(view.status(ui::body_area(app.width, app.height))),
    }
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let Some(quiz) = &app.quiz else {
        return;
    };
    match &quiz.phase {
        Phase::Starting => {
            let block = ui::block(&quiz.title, true);
            ui::placeholder(frame, area, block, true, None);
        }
        Phase::Answering(runner) => question::render(runner, app.now, frame, area),
        Phase::Finished(view) => result::render(view, frame, area),
    }
}

#[cfg(test)]
mod tests;
