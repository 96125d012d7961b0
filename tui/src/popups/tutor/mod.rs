//! The tutor panel: `t` on a lesson, a quiz result, a lab or a graded review item opens it
//! over the screen with
//! what the tutor should know (the course, and the lesson read or the lab session with its
//! failing checks). The learner types a question; the answer streams in as the server sends
//! it, with the sources it cites listed under it. Follow-up questions continue the server's
//! conversation (its id comes with the first answer's `start`); the panel keeps the
//! conversation while it is closed, and starts a new one for another course or on `Ctrl-n`.
//!
//! Streaming: asking returns [`Command::AskTutor`]; the runtime reads the answer's stream in
//! a task (`crate::tasks::tutor`) that sends each event back as
//! [`Action::Tutor`](crate::action::Action::Tutor), applied by [`on_update`] (each one
//! redraws). Every question gets a new `seq`, and only events of the answer awaited are
//! applied. Esc stops an answer in flight: [`Command::CancelTutor`] aborts the task, which
//! drops the stream and so closes the connection, and the server cancels the answer at the
//! model provider; events of it still on their way are ignored. Esc when nothing is coming
//! closes the panel.
//!
//! Errors (an `error` event, a refused question such as a spent daily budget, a lost
//! connection) are shown in the conversation, never in a popup. Tab moves to the sources of
//! the last answer; Enter on one opens the cited lesson at its section. Drawing is in
//! `render.rs`.

use cloudmaster_core::api::{
    Citation, FinishReason, LessonStatus, MAX_QUESTION_BYTES, SourceKind, TutorEvent, TutorMode,
    TutorQuestion,
};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use uuid::Uuid;

use crate::action::{Cmd, Command, TutorUpdate};
use crate::app::{App, ScreenId, nav};
use crate::keymap::Context;
use crate::screens::lesson;

mod context;
mod render;

pub use context::TutorContext;
use context::context_of;
pub use render::render;

/// The panel and its conversation; closed, it keeps the conversation for the next `t`.
#[derive(Debug, Default)]
pub struct TutorPanel {
    pub open: bool,
    /// What the questions are about; refreshed with each question (a lab's checks change).
    pub context: Option<TutorContext>,
    /// The server's conversation, once an answer started one: follow-ups continue it.
    pub conversation: Option<Uuid>,
    pub turns: Vec<Turn>,
    /// The question being typed.
    pub input: String,
    /// The `seq` of the answer coming in, if one is.
    pub answering: Option<u64>,
    /// The last `seq` given to a question; never reused, so a stopped answer's late events
    /// can never pass for a newer one's.
    seq: u64,
    /// The first row of the conversation shown; `None` follows its end, as answers stream.
    pub scroll: Option<usize>,
    pub focus: Focus,
    /// The source selected among the last answer's citations.
    pub selected: usize,
}

/// Where the panel's keys go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Question,
    Sources,
}

/// A question and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub question: String,
    /// How the answer is made; `None` until its `start`.
    pub mode: Option<TutorMode>,
    pub citations: Vec<Citation>,
    /// The answer's text so far.
    pub answer: String,
    pub status: TurnStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnStatus {
    /// Asked; the answer is coming (or has not started yet).
    Answering,
    Done(FinishReason),
    /// The learner stopped it.
    Stopped,
    /// What went wrong, for the learner.
    Failed(String),
}

impl TutorPanel {
    /// Where keys go while the panel is open.
    pub fn key_context(&self) -> Context {
        match (self.focus, self.answering) {
            (Focus::Sources, _) => Context::TutorSources,
            (Focus::Question, Some(_)) => Context::TutorAnswering,
            (Focus::Question, None) => Context::Tutor,
        }
    }

    /// The sources of the last answer: the ones Tab and Enter reach.
    pub fn sources(&self) -> &[Citation] {
        self.turns.last().map_or(&[], |t| &t.citations)
    }

    /// Stops the answer in flight, if any.
    fn stop(&mut self) -> Vec<Command> {
        if self.answering.take().is_none() {
            return Vec::new();
        }
        if let Some(turn) = self.turns.last_mut() {
            turn.status = TurnStatus::Stopped;
        }
        vec![Command::CancelTutor]
    }

    /// Forgets the conversation (stopping its answer).
    fn new_conversation(&mut self) -> Vec<Command> {
        let commands = self.stop();
        self.conversation = None;
        self.turns.clear();
        self.scroll = None;
        self.focus = Focus::Question;
        self.selected = 0;
        commands
    }
}

/// `t`: opens the panel about what is on screen. Another course than the conversation's
/// starts a new conversation.
pub fn open(app: &mut App) -> Vec<Command> {
    let Some(context) = context_of(app) else {
        app.status = Some(
            "The tutor opens on a lesson, a quiz result, a lab or a graded review item".to_owned(),
        );
        return Vec::new();
    };
    let panel = &mut app.tutor;
    let other_course = panel
        .context
        .as_ref()
        .is_some_and(|c| c.course != context.course);
    let commands = if other_course {
        panel.new_conversation()
    } else {
        Vec::new()
    };
    panel.context = Some(context);
    panel.open = true;
    panel.focus = Focus::Question;
    commands
}

/// A command while the panel is open (it takes every key but the popups').
pub fn on_cmd(app: &mut App, cmd: Cmd) -> Vec<Command> {
    match cmd {
        Cmd::Quit => nav::quit(app),
        Cmd::Help => {
            app.help = Some(0);
            Vec::new()
        }
        _ if app.tutor.focus == Focus::Sources => on_sources_cmd(app, cmd),
        _ => on_question_cmd(app, cmd),
    }
}

fn on_question_cmd(app: &mut App, cmd: Cmd) -> Vec<Command> {
    let panel = &mut app.tutor;
    match cmd {
        Cmd::Ask => return ask(app),
        Cmd::StopAnswer => {
            let commands = panel.stop();
            if !commands.is_empty() {
                app.status = Some("Stopped: the rest of the answer is cancelled".to_owned());
            }
            return commands;
        }
        // Esc is bound to stop while an answer comes in; closing stops one anyway, so
        // nothing streams into a panel nobody sees.
        Cmd::Back => {
            panel.open = false;
            return panel.stop();
        }
        Cmd::FocusSources => {
            if panel.sources().is_empty() {
                app.status = Some("The last answer cites no sources".to_owned());
            } else {
                panel.focus = Focus::Sources;
                panel.selected = panel.selected.min(panel.sources().len() - 1);
                // The sources are under the last answer: show them.
                panel.scroll = None;
            }
        }
        Cmd::DeleteChar => {
            panel.input.pop();
        }
        Cmd::ClearInput => panel.input.clear(),
        Cmd::NewConversation => {
            let commands = panel.new_conversation();
            app.status = Some("A new conversation: the tutor forgets the earlier one".to_owned());
            return commands;
        }
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => {
            scroll(app, cmd);
        }
        _ => {}
    }
    Vec::new()
}

fn on_sources_cmd(app: &mut App, cmd: Cmd) -> Vec<Command> {
    let panel = &mut app.tutor;
    let last = panel.sources().len().saturating_sub(1);
    match cmd {
        Cmd::Back => panel.focus = Focus::Question,
        Cmd::Down => panel.selected = (panel.selected + 1).min(last),
        Cmd::Up => panel.selected = panel.selected.saturating_sub(1),
        Cmd::Open => return open_source(app),
        _ => {}
    }
    Vec::new()
}

/// Scrolls the conversation; reaching the end follows it again.
fn scroll(app: &mut App, cmd: Cmd) {
    let (total, height) = render::transcript_size(&app.tutor, app.width, app.height);
    let max = total.saturating_sub(height);
    let panel = &mut app.tutor;
    let current = panel.scroll.unwrap_or(max).min(max);
    let page = height.saturating_sub(2).max(1);
    let to = match cmd {
        Cmd::Up => current.saturating_sub(1),
        Cmd::Down => current + 1,
        Cmd::PageUp => current.saturating_sub(page),
        Cmd::PageDown => current + page,
        Cmd::Top => 0,
        _ => max,
    };
    panel.scroll = (to < max).then_some(to);
}

/// A key the panel's key map does not bind: printable characters go into the question
/// (from the sources too, which gives the question box the keys back).
pub fn type_key(app: &mut App, key: &KeyEvent) -> Vec<Command> {
    let KeyCode::Char(c) = key.code else {
        return Vec::new();
    };
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return Vec::new();
    }
    let panel = &mut app.tutor;
    panel.focus = Focus::Question;
    if panel.input.len() + c.len_utf8() > MAX_QUESTION_BYTES {
        app.status = Some(format!(
            "A question takes at most {MAX_QUESTION_BYTES} bytes"
        ));
    } else {
        panel.input.push(c);
    }
    Vec::new()
}

/// Enter: sends the question typed, in the current context and conversation.
fn ask(app: &mut App) -> Vec<Command> {
    if app.tutor.answering.is_some() {
        app.status = Some("The tutor is still answering: Esc stops it".to_owned());
        return Vec::new();
    }
    let question = app.tutor.input.trim().to_owned();
    if question.is_empty() {
        app.status = Some("Type a question first".to_owned());
        return Vec::new();
    }
    // The screen under the panel may have moved on (a lab's checks ran again).
    if let Some(context) = context_of(app) {
        app.tutor.context = Some(context);
    }
    let panel = &mut app.tutor;
    let Some(context) = panel.context.clone() else {
        return Vec::new();
    };
    panel.seq += 1;
    panel.answering = Some(panel.seq);
    panel.input.clear();
    panel.scroll = None;
    panel.focus = Focus::Question;
    panel.selected = 0;
    panel.turns.push(Turn {
        question: question.clone(),
        mode: None,
        citations: Vec::new(),
        answer: String::new(),
        status: TurnStatus::Answering,
    });
    vec![Command::AskTutor {
        seq: panel.seq,
        question: TutorQuestion {
            question,
            course: Some(context.course),
            lesson: context.lesson,
            lab_session: context.lab_session,
            check_output: context.check_output,
            conversation: panel.conversation,
        },
    }]
}

/// An event of answer `seq` arrived (or its stream ended or failed).
pub fn on_update(app: &mut App, seq: u64, update: TutorUpdate) -> Vec<Command> {
    let panel = &mut app.tutor;
    // A stopped or replaced answer's events may still be on their way: not ours any more.
    if panel.answering != Some(seq) {
        return Vec::new();
    }
    let Some(turn) = panel.turns.last_mut() else {
        return Vec::new();
    };
    let ended = match update {
        TutorUpdate::Event(TutorEvent::Start {
            conversation,
            mode,
            citations,
        }) => {
            panel.conversation = Some(conversation);
            turn.mode = Some(mode);
            turn.citations = citations;
            None
        }
        TutorUpdate::Event(TutorEvent::Delta { text }) => {
            turn.answer.push_str(&text);
            None
        }
        TutorUpdate::Event(TutorEvent::Done { finish, .. }) => Some(TurnStatus::Done(finish)),
        TutorUpdate::Event(TutorEvent::Error { message, .. }) => Some(TurnStatus::Failed(message)),
        TutorUpdate::Failed(err) => Some(TurnStatus::Failed(err.message)),
        TutorUpdate::Ended => Some(TurnStatus::Failed(
            "the answer stopped arriving before it was complete; ask again".to_owned(),
        )),
    };
    if let Some(status) = ended {
        turn.status = status;
        panel.answering = None;
    }
    Vec::new()
}

/// Enter on a source: a lesson opens at the cited section (the panel closes, the
/// conversation kept); the lab open on screen is shown; other sources say where they are.
fn open_source(app: &mut App) -> Vec<Command> {
    let Some(citation) = app.tutor.sources().get(app.tutor.selected).cloned() else {
        return Vec::new();
    };
    match citation.kind {
        SourceKind::Lesson => {
            close(app);
            open_lesson(app, &citation)
        }
        SourceKind::Lab => {
            let on_screen = app
                .lab
                .as_ref()
                .is_some_and(|l| l.course == citation.course && l.lab == citation.item);
            if on_screen {
                close(app);
                return nav::switch(app, ScreenId::Lab);
            }
            app.status = Some(format!(
                "[{}] is a step of the lab `{}`: open the lab from its course outline",
                citation.number, citation.item
            ));
            Vec::new()
        }
        SourceKind::Explanation => {
            app.status = Some(format!(
                "[{}] is the explanation of a question you answered: see that quiz's result",
                citation.number
            ));
            Vec::new()
        }
    }
}

fn close(app: &mut App) {
    app.tutor.open = false;
    app.tutor.focus = Focus::Question;
}

/// Shows the cited lesson in the reader at the cited section.
fn open_lesson(app: &mut App, citation: &Citation) -> Vec<Command> {
    let heading = citation.heading.as_deref();
    let open_already = app
        .lesson
        .as_ref()
        .is_some_and(|l| l.course == citation.course && l.lesson == citation.item);
    if open_already {
        if let Some(heading) = heading {
            lesson::show_heading(app, heading);
        }
        return nav::switch(app, ScreenId::Lesson);
    }
    let progress = app
        .course
        .as_ref()
        .filter(|c| c.id == citation.course)
        .and_then(|c| c.lesson_progress(&citation.item));
    let position = progress.and_then(|p| p.position);
    let completed = progress.is_some_and(|p| p.status == LessonStatus::Completed);
    let commands = nav::open_lesson(
        app,
        &citation.course,
        &citation.item,
        &citation.title,
        position,
        completed,
    );
    if let (Some(lesson), Some(heading)) = (app.lesson.as_mut(), heading) {
        lesson.anchor = Some(heading.to_owned());
    }
    commands
}

#[cfg(test)]
mod tests;
