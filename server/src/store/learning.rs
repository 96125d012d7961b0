//! Assessment attempts, mastery and spaced-review cards (the records are
//! [`crate::learning::records`]).
//!
//! An attempt is stored as its seed and drawn question ids (what the learner saw is rebuilt
//! from those and the pinned course version), the answers saved so far and, once closed,
//! the graded result. Closing an attempt is one transaction that also folds every graded
//! answer into the learner's mastery and schedules a review card per answered question;
//! the grading itself is done by the caller ([`CloseAttemptFn`]) on the row as read inside
//! that transaction, so a concurrent submit, expiry job or answer save cannot interleave.

use std::collections::HashMap;

use async_trait::async_trait;
use cloudmaster_core::api::{AssessmentKind, AttemptStatus};
use cloudmaster_core::assess::{Response, ReviewCard};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{StoreError, StoreResult};
use crate::learning::records::{
    AttemptClosing, AttemptRecord, CloseAttemptFn, DueCard, Evidence, MasteryRecord, NewAttempt,
    SaveOutcome, StartOutcome,
};

#[async_trait]
pub trait LearningStore: Send + Sync {
    /// Ids of the assessments (quizzes and mock exams) of `course_id` that `user_id` has at
    /// least one passed attempt of, sorted.
    async fn passed_assessments(&self, user_id: Uuid, course_id: &str) -> StoreResult<Vec<String>>;

    /// Ids of the lessons of `course_id` the user completed (any version), sorted.
    async fn completed_lessons(&self, user_id: Uuid, course_id: &str) -> StoreResult<Vec<String>>;

    /// Starts an attempt unless the user has an open one at the same assessment (returned
    /// instead) or `max_attempts` (> 0) attempts at it exist. Atomic: concurrent starts
    /// create at most one open attempt and never exceed the limit.
    async fn start_attempt(&self, new: NewAttempt, max_attempts: u32) -> StoreResult<StartOutcome>;

    async fn attempt(&self, attempt_id: Uuid) -> StoreResult<Option<AttemptRecord>>;

    /// The user's attempts in a course, newest first.
    async fn attempts(&self, user_id: Uuid, course_id: &str) -> StoreResult<Vec<AttemptRecord>>;

    /// Saves (replaces) the response to one question of an open attempt whose deadline, if
    /// any, is not before `deadline_cutoff`, and sets its last activity to `now`.
    async fn save_answer(
        &self,
        attempt_id: Uuid,
        question_id: &str,
        response: &Response,
        now: OffsetDateTime,
        deadline_cutoff: OffsetDateTime,
    ) -> StoreResult<SaveOutcome>;

    /// Closes the attempt if it is open, in one transaction: reads it (locked), calls
    /// `close` on it, writes the closing (status open → closed as a conditional update),
    /// folds the evidence into the learner's mastery and schedules one review card per
    /// evidence at `closing.finished_at`. Returns `None`, writing nothing, when the attempt
    /// is unknown, no longer open (someone else closed it: exactly one closer wins) or
    /// `close` declined.
    async fn close_attempt(
        &self,
        attempt_id: Uuid,
        close: CloseAttemptFn<'_>,
    ) -> StoreResult<Option<AttemptClosing>>;

    /// Open attempts whose deadline is before `deadline_before`, or untimed ones whose last
    /// activity is before `inactive_before`, oldest first.
    async fn overdue_attempts(
        &self,
        deadline_before: OffsetDateTime,
        inactive_before: OffsetDateTime,
    ) -> StoreResult<Vec<Uuid>>;

    /// The learner's mastery in a course (`None` before the first graded answer).
    async fn mastery(&self, user_id: Uuid, course_id: &str) -> StoreResult<Option<MasteryRecord>>;

    /// Every review card of the learner in a course, by question id.
    async fn review_cards(
        &self,
        user_id: Uuid,
        course_id: &str,
    ) -> StoreResult<HashMap<String, ReviewCard>>;

    /// Cards due at `now` (in one course, or all), most overdue first, at most `limit`,
    /// with the number of all due cards.
    async fn due_cards(
        &self,
        user_id: Uuid,
        course_id: Option<&str>,
        now: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<(u32, Vec<DueCard>)>;

    /// Course id → number of cards due at `now`, for courses with any (one query).
    async fn review_due_counts(
        &self,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<HashMap<String, u32>>;

    /// Records a review answer in one transaction: reschedules the question's card at `now`
    /// and folds the evidence into mastery. `None` (and nothing written) when the learner
    /// has no card for the question.
    async fn record_review(
        &self,
        user_id: Uuid,
        course_id: &str,
        evidence: &Evidence,
        now: OffsetDateTime,
    ) -> StoreResult<Option<ReviewCard>>;
}

// --- encodings shared by the two backends --------------------------------------------------

/// Seeds are `u64`; both databases store a signed 64-bit integer with the same bits.
pub(crate) fn seed_to_db(seed: u64) -> i64 {
    i64::from_ne_bytes(seed.to_ne_bytes())
}

pub(crate) fn seed_from_db(stored: i64) -> u64 {
    u64::from_ne_bytes(stored.to_ne_bytes())
}

pub(crate) fn parse_kind(s: &str) -> StoreResult<AssessmentKind> {
    AssessmentKind::parse(s)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown assessment kind `{s}`")))
}

pub(crate) fn parse_attempt_status(s: &str) -> StoreResult<AttemptStatus> {
    AttemptStatus::parse(s)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown attempt status `{s}`")))
}

/// Evidence in the order its cards are locked and written: by question id, so two
/// transactions touching the same cards take their locks in the same order.
pub(crate) fn in_card_order(evidence: &[Evidence]) -> Vec<&Evidence> {
    let mut ordered: Vec<&Evidence> = evidence.iter().collect();
    ordered.sort_by(|a, b| a.question.id.cmp(&b.question.id));
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_keep_every_bit() {
        for seed in [0, 1, u64::MAX, 1 << 63, 0x0123_4567_89ab_cdef] {
            assert_eq!(seed_from_db(seed_to_db(seed)), seed);
        }
        assert_eq!(seed_to_db(u64::MAX), -1);
    }
}
