//! An open attempt being answered: which question is shown, the draft answer and option
//! cursor of every question, and what the server has saved. Pure state; the quiz screen
//! turns what it returns into server calls.

use std::collections::BTreeMap;

use cloudmaster_core::api::AttemptView;
use cloudmaster_core::assess::{PublicQuestion, Response};
use time::OffsetDateTime;

use super::draft::{self, Draft};

#[derive(Debug)]
pub struct Runner {
    pub attempt: AttemptView,
    /// The question shown.
    pub current: usize,
    /// One per question, in the attempt's order.
    pub drafts: Vec<Draft>,
    /// The highlighted choice (or ordering item) of each question.
    pub cursors: Vec<usize>,
    /// The answers the server has: the attempt's own plus every save sent since (a save
    /// that fails is taken out again, so the next move sends it again).
    pub saved: BTreeMap<String, Response>,
    /// Keys go to the answer box of a typed question.
    pub typing: bool,
    /// Submitted (or closed by the server), waiting for the result.
    pub submitting: bool,
}

/// What leaving the current question means for the server.
#[derive(Debug, Clone, PartialEq)]
pub enum Commit {
    /// Nothing new to save.
    Unchanged,
    /// Save this answer to this question.
    Save(String, Response),
    /// The answer was cleared, but a saved answer cannot be taken back: the draft shows the
    /// saved one again.
    Restored,
}

impl Runner {
    /// Opens `attempt` at its first unanswered question.
    pub fn new(attempt: AttemptView) -> Runner {
        let drafts: Vec<Draft> = attempt
            .questions
            .iter()
            .map(|q| Draft::new(q, attempt.answers.get(&q.id)))
            .collect();
        let current = attempt
            .questions
            .iter()
            .position(|q| !attempt.answers.contains_key(&q.id))
            .unwrap_or(0);
        let mut runner = Runner {
            cursors: vec![0; drafts.len()],
            drafts,
            saved: attempt.answers.clone(),
            attempt,
            current: 0,
            typing: false,
            submitting: false,
        };
        runner.go(current);
        runner
    }

    pub fn question(&self) -> &PublicQuestion {
        &self.attempt.questions[self.current]
    }

    pub fn draft(&self) -> &Draft {
        &self.drafts[self.current]
    }

    pub fn cursor(&self) -> usize {
        self.cursors[self.current]
    }

    pub fn question_count(&self) -> usize {
        self.attempt.questions.len()
    }

    /// Shows question `index`; the answer box of a typed question takes the keys at once.
    pub fn go(&mut self, index: usize) {
        self.current = index.min(self.question_count().saturating_sub(1));
        self.typing = self
            .attempt
            .questions
            .get(self.current)
            .is_some_and(draft::is_typed);
    }

    /// Whether question `index` has an answer (a typed one that does not parse has none).
    pub fn answered(&self, index: usize) -> bool {
        let question = &self.attempt.questions[index];
        matches!(self.drafts[index].response(question), Ok(Some(_)))
    }

    pub fn unanswered(&self) -> usize {
        (0..self.question_count())
            .filter(|i| !self.answered(*i))
            .count()
    }

    /// Every answer given, for the submit.
    pub fn answers(&self) -> BTreeMap<String, Response> {
        self.attempt
            .questions
            .iter()
            .zip(&self.drafts)
            .filter_map(|(q, d)| Some((q.id.clone(), d.response(q).ok()??)))
            .collect()
    }

    /// Moves the option cursor by `step`, within the question's choices.
    pub fn move_cursor(&mut self, step: isize) {
        let count = draft::choices(self.question()).len();
        let cursor = &mut self.cursors[self.current];
        *cursor = cursor
            .saturating_add_signed(step)
            .min(count.saturating_sub(1));
    }

    pub fn choose(&mut self) {
        let cursor = self.cursor();
        self.drafts[self.current].choose(cursor);
    }

    /// Moves the ordering item under the cursor; the cursor follows it.
    pub fn move_item(&mut self, down: bool) -> bool {
        let cursor = self.cursor();
        match self.drafts[self.current].move_item(cursor, down) {
            Some(to) => {
                self.cursors[self.current] = to;
                true
            }
            None => false,
        }
    }

    /// Settles the current question's answer before leaving it. An answer that is not one
    /// (a number that does not parse) is an error: the learner stays to fix it.
    pub fn commit(&mut self) -> Result<Commit, String> {
        let question = &self.attempt.questions[self.current];
        let response = self.drafts[self.current].response(question)?;
        let saved = self.saved.get(&question.id);
        Ok(match (response, saved) {
            (Some(response), Some(saved)) if response == *saved => Commit::Unchanged,
            (Some(response), _) => {
                self.saved.insert(question.id.clone(), response.clone());
                Commit::Save(question.id.clone(), response)
            }
            (None, None) => Commit::Unchanged,
            (None, Some(saved)) => {
                self.drafts[self.current] = Draft::new(question, Some(saved));
                Commit::Restored
            }
        })
    }

    /// Whole seconds until the deadline at `now`; `None` for an untimed attempt or before
    /// the clock is known.
    pub fn seconds_left(&self, now: Option<OffsetDateTime>) -> Option<i64> {
        Some((self.attempt.deadline? - now?).whole_seconds())
    }
}
