//! The fake's spaced review: three questions of the AWS course's bank (single choice, true
//! or false, short text) are due from the start, which is the dashboard's "3 reviews due".
//! As on the server, an item shows its options shuffled by a seed that changes with each
//! review and lettered in the order shown, an answer names them by those letters, it is
//! graded by `cloudmaster_core::assess::grade` and rescheduled by FSRS (`schedule`): a
//! wrong answer comes back in 10 minutes, a right one days later, a fast right one later
//! still.

use cloudmaster_core::api::{ReviewAnswer, ReviewItem, ReviewOutcome, ReviewQueue};
use cloudmaster_core::assess::review::is_fast;
use cloudmaster_core::assess::{Rating, ReviewCard, Shown, grade, schedule};
use cloudmaster_core::course::Question;
use time::{Duration, OffsetDateTime};

use super::quiz::{COURSE, question};
use crate::backend::{BackendError, BackendResult};

/// The questions due before any review, most overdue first.
pub const SEEDED: [&str; 3] = ["service-models", "az-isolation", "pricing-model"];

/// One review card of the learner.
struct Card {
    question: Question,
    due: OffsetDateTime,
    /// FSRS's memory state once reviewed here.
    card: Option<ReviewCard>,
    reps: u32,
}

impl Card {
    /// The question as this review shows it.
    fn shown(&self) -> Shown<'_> {
        Shown::new(&self.question, 7 + u64::from(self.reps))
    }
}

pub struct Reviews {
    cards: Vec<Card>,
    /// Every answer given, in order.
    pub answers: Vec<(String, ReviewAnswer)>,
}

impl Default for Reviews {
    fn default() -> Self {
        let overdue = OffsetDateTime::UNIX_EPOCH;
        Self {
            cards: SEEDED
                .iter()
                .enumerate()
                .map(|(i, q)| Card {
                    question: question(q),
                    due: overdue + Duration::days(i as i64),
                    card: None,
                    reps: 0,
                })
                .collect(),
            answers: Vec::new(),
        }
    }
}

impl Reviews {
    /// How many items are due at `now`.
    pub fn due(&self, now: OffsetDateTime) -> u32 {
        self.cards.iter().filter(|c| c.due <= now).count() as u32
    }

    /// The items due at `now` (all of the AWS course), at most `limit`.
    pub fn queue(&self, limit: Option<u32>, now: OffsetDateTime) -> ReviewQueue {
        let mut due: Vec<&Card> = self.cards.iter().filter(|c| c.due <= now).collect();
        due.sort_by_key(|c| c.due);
        let items = due
            .iter()
            .take(limit.unwrap_or(20) as usize)
            .map(|c| ReviewItem {
                course_id: COURSE.to_owned(),
                question: c.shown().public(),
                due_at: c.due,
            })
            .collect();
        ReviewQueue {
            due: due.len() as u32,
            items,
        }
    }

    /// Grades `answer` to `question` and reschedules its card.
    pub fn answer(
        &mut self,
        question_id: &str,
        answer: &ReviewAnswer,
        now: OffsetDateTime,
    ) -> BackendResult<ReviewOutcome> {
        let Some(card) = self.cards.iter_mut().find(|c| c.question.id == question_id) else {
            return Err(BackendError::with_code(
                "not_found",
                format!("no review card for question `{question_id}`"),
            ));
        };
        let shown = card.shown();
        let authored = shown
            .to_authored(&answer.response)
            .map_err(|e| BackendError::with_code("validation_failed", e.to_string()))?;
        let question = &card.question;
        let graded = grade(question, &authored);
        let fast = answer
            .elapsed_ms
            .is_some_and(|ms| is_fast(question, std::time::Duration::from_millis(ms)));
        let rating = Rating::from_graded(&graded, fast);
        let next = schedule(card.card.as_ref(), rating, now);
        let outcome = ReviewOutcome {
            question_id: question_id.to_owned(),
            score: graded.score,
            correct: graded.correct,
            correct_answer: shown.correct_answer(),
            explanation: question.explanation.clone(),
            rating: match rating {
                Rating::Again => "again",
                Rating::Hard => "hard",
                Rating::Good => "good",
                Rating::Easy => "easy",
            }
            .to_owned(),
            next_due: next.due,
        };
        card.due = next.due;
        card.card = Some(next);
        card.reps += 1;
        self.answers.push((question_id.to_owned(), answer.clone()));
        Ok(outcome)
    }
}
