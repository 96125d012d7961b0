//! The spaced review, as `cloudmaster review` runs it: the items due now, one at a time.
//! `v` on the dashboard or a course outline reviews that course's items; `7` (or Tab) every
//! course's. An item is a question of a course, drawn like a quiz question (the quiz's
//! `render_answering`) with its options lettered as the server shows them this time.
//! `Enter` answers (with the highlighted option, for a single choice), `n` skips the item
//! (it stays due). The server grades the answer and schedules the item again (FSRS); the
//! screen shows right or wrong, the right answer, the explanation and when the item comes
//! back, and `Enter` goes on. When the batch is done the queue is asked again, until
//! nothing is due. How long an answer took is measured from the item appearing (a clock
//! read asked for then, [`Command::ReadClock`]): a fast right answer is rated Easy, as on
//! the command line. Drawing is in `render.rs`.

use std::collections::{HashSet, VecDeque};

use cloudmaster_core::api::{ReviewItem, ReviewQueue};
use cloudmaster_core::assess::QuestionType;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use time::OffsetDateTime;

use crate::action::{Cmd, Command, Request, ReviewAnswered};
use crate::app::{App, ScreenId, nav};
use crate::backend::BackendResult;
use crate::keymap::Context;
use crate::screens::quiz::draft::{self, Draft};

mod render;

pub use render::{course_title, render, status};

/// How an item of the batch went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Pending,
    Right,
    Wrong,
    Skipped,
}

/// The item on screen: being answered, sent, or answered.
#[derive(Debug)]
pub struct Card {
    pub item: ReviewItem,
    pub draft: Draft,
    /// The highlighted choice (or ordering item).
    pub cursor: usize,
    /// Keys go to the answer box of a typed question.
    pub typing: bool,
    /// When the item appeared, once the clock was read.
    pub shown_at: Option<OffsetDateTime>,
    /// The clock read asked for when it appeared.
    pub clock: u64,
    /// The answer is on its way to the server.
    pub sending: bool,
    /// The server's grading, once in.
    pub answered: Option<ReviewAnswered>,
    /// The first row of the graded item shown.
    pub scroll: usize,
}

#[derive(Debug)]
pub struct ReviewState {
    /// Only this course's items; `None`: every course's.
    pub course: Option<String>,
    /// Where Esc goes back to.
    pub origin: ScreenId,
    pub loading: bool,
    /// Why the queue could not be loaded.
    pub error: Option<String>,
    /// Items due as the server counted them at the last load.
    pub due: u32,
    /// This batch's marks, one per item, in order.
    pub marks: Vec<Mark>,
    /// The items of the batch not shown yet.
    pub waiting: VecDeque<ReviewItem>,
    pub card: Option<Box<Card>>,
    /// Answered (and right) since the screen opened.
    pub answered: u32,
    pub right: u32,
    /// Items skipped since the screen opened: they stay due, but are not shown again until
    /// the queue is reloaded with `r`.
    pub skipped: HashSet<(String, String)>,
    /// The last clock read asked for.
    clock_seq: u64,
}

impl ReviewState {
    fn new(course: Option<String>, origin: ScreenId) -> Self {
        Self {
            course,
            origin,
            loading: false,
            error: None,
            due: 0,
            marks: Vec::new(),
            waiting: VecDeque::new(),
            card: None,
            answered: 0,
            right: 0,
            skipped: HashSet::new(),
            clock_seq: 0,
        }
    }

    /// The place of the card in the batch (0-based).
    pub fn position(&self) -> usize {
        self.marks.len() - self.waiting.len() - usize::from(self.card.is_some())
    }

    /// Items due that this visit has not answered yet.
    pub fn due_left(&self) -> u32 {
        let answered_here = self
            .marks
            .iter()
            .filter(|m| matches!(m, Mark::Right | Mark::Wrong))
            .count() as u32;
        self.due.saturating_sub(answered_here)
    }
}

fn card_mut(app: &mut App) -> Option<&mut Card> {
    app.review.as_mut()?.card.as_deref_mut()
}

/// Where keys go on the review screen.
pub fn context(app: &App) -> Context {
    match app.review.as_ref().and_then(|r| r.card.as_ref()) {
        Some(card) if card.answered.is_some() => Context::ReviewOutcome,
        Some(card) if card.typing && !card.sending => Context::ReviewInput,
        _ => Context::Screen(ScreenId::Review),
    }
}

/// `v`: reviews `course`'s items (every course's with `None`), coming from `origin`. A
/// review of the same course under way is shown again as it was.
pub fn open(app: &mut App, course: Option<String>, origin: ScreenId) -> Vec<Command> {
    let same = app
        .review
        .as_ref()
        .is_some_and(|r| r.course == course && (r.card.is_some() || r.loading));
    if !same {
        app.review = Some(ReviewState::new(course, origin));
    } else if let Some(review) = app.review.as_mut() {
        review.origin = origin;
    }
    nav::switch(app, ScreenId::Review)
}

/// The screen is shown: load the items due, unless an item is on screen (or they are on
/// their way). Coming back after a batch is done asks again: missed items come back
/// minutes later.
pub fn on_enter(app: &mut App) -> Vec<Command> {
    let review = app
        .review
        .get_or_insert_with(|| ReviewState::new(None, ScreenId::Dashboard));
    if review.loading || review.card.is_some() {
        return Vec::new();
    }
    load(app)
}

/// Asks for the items due.
fn load(app: &mut App) -> Vec<Command> {
    let Some(review) = app.review.as_mut() else {
        return Vec::new();
    };
    review.loading = true;
    let course = review.course.clone();
    vec![app.fetch(Request::ReviewQueue { course })]
}

/// The queue arrived: a new batch of the items not skipped here.
pub fn queue_loaded(
    app: &mut App,
    course: Option<&str>,
    result: BackendResult<ReviewQueue>,
) -> Vec<Command> {
    let Some(review) = app
        .review
        .as_mut()
        .filter(|r| r.course.as_deref() == course && r.loading)
    else {
        return Vec::new();
    };
    review.loading = false;
    let queue = match result {
        Ok(queue) => queue,
        Err(err) => {
            review.error = Some(err.message.clone());
            app.show_error("Could not load the review items", err.message);
            return Vec::new();
        }
    };
    review.error = None;
    review.due = queue.due;
    let items: VecDeque<ReviewItem> = queue
        .items
        .into_iter()
        .filter(|i| {
            !review
                .skipped
                .contains(&(i.course_id.clone(), i.question.id.clone()))
        })
        .collect();
    review.marks = vec![Mark::Pending; items.len()];
    review.waiting = items;
    review.card = None;
    next(app)
}

/// Shows the next item of the batch; after the last, asks for more if some were answered
/// (more may be due than a batch holds).
fn next(app: &mut App) -> Vec<Command> {
    let Some(review) = app.review.as_mut() else {
        return Vec::new();
    };
    let Some(item) = review.waiting.pop_front() else {
        review.card = None;
        let answered = review
            .marks
            .iter()
            .any(|m| matches!(m, Mark::Right | Mark::Wrong));
        // More may be due than a batch holds: ask again once answers moved these on.
        if answered && review.due_left() > 0 {
            return load(app);
        }
        return Vec::new();
    };
    review.clock_seq += 1;
    let clock = review.clock_seq;
    let draft = Draft::new(&item.question, None);
    let typing = draft::is_typed(&item.question);
    review.card = Some(Box::new(Card {
        item,
        draft,
        cursor: 0,
        typing,
        shown_at: None,
        clock,
        sending: false,
        answered: None,
        scroll: 0,
    }));
    vec![Command::ReadClock { seq: clock }]
}

/// The clock read for the item that appeared with `seq`.
pub fn clock(app: &mut App, seq: u64, now: OffsetDateTime) -> Vec<Command> {
    if let Some(card) = card_mut(app).filter(|c| c.clock == seq && c.shown_at.is_none()) {
        card.shown_at = Some(now);
    }
    Vec::new()
}

pub fn on_cmd(app: &mut App, cmd: Cmd) -> Option<Vec<Command>> {
    let review = app.review.as_mut()?;
    let sending = review.card.as_ref().is_some_and(|c| c.sending);
    if cmd == Cmd::Refresh && !sending {
        review.skipped.clear();
        review.card = None;
        review.waiting.clear();
        review.marks.clear();
        return Some(load(app));
    }
    let card = review.card.as_deref_mut()?;
    if card.answered.is_some() {
        return match cmd {
            Cmd::NextItem => Some(next(app)),
            Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => {
                let body = crate::ui::body_area(app.width, app.height);
                render::scroll(card, cmd, body);
                Some(Vec::new())
            }
            _ => None,
        };
    }
    if card.sending {
        return match cmd {
            Cmd::Up | Cmd::Down | Cmd::Choose | Cmd::Submit | Cmd::NextItem | Cmd::Refresh => {
                app.status = Some("Checking your answer…".to_owned());
                Some(Vec::new())
            }
            _ => None,
        };
    }
    let choices = draft::choices(&card.item.question).len();
    match cmd {
        Cmd::Up => card.cursor = card.cursor.saturating_sub(1),
        Cmd::Down => card.cursor = (card.cursor + 1).min(choices.saturating_sub(1)),
        Cmd::Choose if card.typing || draft::is_typed(&card.item.question) => card.typing = true,
        Cmd::Choose => card.draft.choose(card.cursor),
        Cmd::MoveItemDown | Cmd::MoveItemUp => {
            match card.draft.move_item(card.cursor, cmd == Cmd::MoveItemDown) {
                Some(to) => card.cursor = to,
                None => app.status = Some("It cannot move further".to_owned()),
            }
        }
        Cmd::Back if card.typing => card.typing = false,
        Cmd::DeleteChar => {
            if let Some(text) = card.draft.text_mut() {
                text.pop();
            }
        }
        Cmd::ClearInput => {
            if let Some(text) = card.draft.text_mut() {
                text.clear();
            }
        }
        Cmd::Submit => return Some(submit(app)),
        Cmd::NextItem => return Some(skip(app)),
        _ => return None,
    }
    Some(Vec::new())
}

/// A key the answer box's key map does not bind: printable characters are typed.
pub fn type_key(app: &mut App, key: &KeyEvent) -> Vec<Command> {
    if let (KeyCode::Char(c), Some(card)) = (key.code, card_mut(app))
        && !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        && let Some(text) = card.draft.text_mut()
    {
        text.push(c);
    }
    Vec::new()
}

/// `Enter`: sends the answer. A single choice (or true/false) not chosen yet is answered
/// with the highlighted option, and an ordering not moved with the order shown, so one key
/// answers; an empty answer box or no option ticked says what is missing.
fn submit(app: &mut App) -> Vec<Command> {
    let Some(card) = card_mut(app) else {
        return Vec::new();
    };
    let question = &card.item.question;
    let response = match card.draft.response(question) {
        Ok(Some(response)) => response,
        Ok(None) => {
            match question.question_type {
                QuestionType::SingleChoice | QuestionType::TrueFalse | QuestionType::Ordering => {
                    card.draft.choose(card.cursor);
                }
                QuestionType::MultipleResponse => {
                    app.status = Some("Tick at least one option (Space), then Enter".to_owned());
                    return Vec::new();
                }
                QuestionType::Numeric | QuestionType::ShortText => {
                    card.typing = true;
                    app.status = Some("Type your answer, then Enter (n skips)".to_owned());
                    return Vec::new();
                }
            }
            match card.draft.response(question) {
                Ok(Some(response)) => response,
                _ => return Vec::new(),
            }
        }
        Err(problem) => {
            app.status = Some(problem);
            return Vec::new();
        }
    };
    card.sending = true;
    card.typing = false;
    let request = Request::AnswerReview {
        course: card.item.course_id.clone(),
        question: question.id.clone(),
        response,
        shown_at: card.shown_at,
    };
    vec![app.fetch(request)]
}

/// `n` before answering: the item stays due; on to the next.
fn skip(app: &mut App) -> Vec<Command> {
    let Some(review) = app.review.as_mut() else {
        return Vec::new();
    };
    let position = review.position();
    let Some(card) = review.card.take() else {
        return Vec::new();
    };
    review
        .skipped
        .insert((card.item.course_id, card.item.question.id));
    if let Some(mark) = review.marks.get_mut(position) {
        *mark = Mark::Skipped;
    }
    app.status = Some("Skipped: it stays due".to_owned());
    next(app)
}

/// The server graded an answer (or refused it).
pub fn answered(
    app: &mut App,
    course: &str,
    question: &str,
    result: BackendResult<ReviewAnswered>,
) -> Vec<Command> {
    let Some(review) = app.review.as_mut() else {
        return Vec::new();
    };
    let position = review.position();
    let Some(card) = review
        .card
        .as_deref_mut()
        .filter(|c| c.item.course_id == course && c.item.question.id == question && c.sending)
    else {
        return Vec::new();
    };
    card.sending = false;
    match result {
        Ok(answered) => {
            let right = answered.outcome.correct;
            card.answered = Some(answered);
            review.answered += 1;
            review.right += u32::from(right);
            if let Some(mark) = review.marks.get_mut(position) {
                *mark = if right { Mark::Right } else { Mark::Wrong };
            }
            // The dashboard's "reviews due" changed.
            app.dashboard.stale = true;
            app.status = None;
        }
        Err(err) => app.show_error("Your answer was not recorded", err.message),
    }
    Vec::new()
}

/// Esc: back where the review was opened from.
pub fn back(app: &mut App) -> Vec<Command> {
    let origin = app
        .review
        .as_ref()
        .map_or(ScreenId::Dashboard, |r| r.origin);
    let origin = if app.available(origin) && origin != ScreenId::Review {
        origin
    } else {
        ScreenId::Dashboard
    };
    nav::switch(app, origin)
}

/// The terminal was resized: keep the graded item's scroll in range.
pub fn relayout(app: &mut App) {
    let body = crate::ui::body_area(app.width, app.height);
    if let Some(card) = card_mut(app) {
        render::scroll(card, Cmd::Refresh, body);
    }
}

#[cfg(test)]
mod tests;
