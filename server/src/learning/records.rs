//! What the learning loop stores: assessment attempts (as drawn, answered and closed), the
//! evidence a graded answer gives about the learner, mastery and due review cards.
//!
//! The learning rules applied to stored state (BKT update, FSRS schedule) live here in
//! [`Evidence`], so both storage backends apply them identically.

use std::collections::BTreeMap;

use cloudmaster_core::api::{AssessmentKind, AttemptResult, AttemptStatus};
use cloudmaster_core::assess::{
    BktParams, Graded, Mastery, Rating, Response, ReviewCard, schedule,
};
use cloudmaster_core::course::Question;
use time::OffsetDateTime;
use uuid::Uuid;

/// A new attempt, as drawn by the API layer.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    pub id: Uuid,
    pub user_id: Uuid,
    pub course_id: String,
    /// The course version the questions come from; grading uses the same one.
    pub course_version: i64,
    pub kind: AssessmentKind,
    pub assessment_id: String,
    pub seed: u64,
    /// In the order shown.
    pub question_ids: Vec<String>,
    pub started_at: OffsetDateTime,
    /// `None` when untimed.
    pub deadline: Option<OffsetDateTime>,
}

/// An attempt as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub course_id: String,
    pub course_version: i64,
    pub kind: AssessmentKind,
    pub assessment_id: String,
    pub seed: u64,
    pub question_ids: Vec<String>,
    pub answers: BTreeMap<String, Response>,
    pub status: AttemptStatus,
    pub started_at: OffsetDateTime,
    pub deadline: Option<OffsetDateTime>,
    pub last_activity: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
    pub score_percent: Option<f64>,
    pub passed: Option<bool>,
    pub result: Option<AttemptResult>,
}

impl AttemptRecord {
    /// The record of an attempt just created from `new`.
    pub fn created(new: NewAttempt) -> AttemptRecord {
        AttemptRecord {
            id: new.id,
            user_id: new.user_id,
            course_id: new.course_id,
            course_version: new.course_version,
            kind: new.kind,
            assessment_id: new.assessment_id,
            seed: new.seed,
            question_ids: new.question_ids,
            answers: BTreeMap::new(),
            status: AttemptStatus::Open,
            started_at: new.started_at,
            deadline: new.deadline,
            last_activity: new.started_at,
            finished_at: None,
            score_percent: None,
            passed: None,
            result: None,
        }
    }
}

/// What [`crate::store::LearningStore::start_attempt`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum StartOutcome {
    Created(AttemptRecord),
    /// The learner already had an open attempt at this assessment: nothing was created.
    Resumed(AttemptRecord),
    /// `max_attempts` attempts exist already.
    Exhausted {
        used: u32,
    },
}

/// What [`crate::store::LearningStore::save_answer`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    Saved,
    /// The attempt is closed, or its deadline is before the cut-off.
    Closed,
    NotFound,
}

/// One graded answer as evidence about the learner: mastery is updated with `graded`, and
/// the question's review card is scheduled with `rating`.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub question: Question,
    pub graded: Graded,
    pub rating: Rating,
}

impl Evidence {
    /// Folds `evidence` into `mastery` (BKT with the default parameters); returns how many
    /// answers counted (malformed ones are no evidence).
    pub fn apply_all(evidence: &[Evidence], mastery: &mut Mastery) -> u32 {
        let params = BktParams::default();
        let mut counted = 0;
        for e in evidence {
            if e.graded.reason.is_none() {
                mastery.record(&params, &e.question, &e.graded);
                counted += 1;
            }
        }
        counted
    }

    /// The question's review card after this answer at `now`.
    pub fn next_card(&self, current: Option<&ReviewCard>, now: OffsetDateTime) -> ReviewCard {
        schedule(current, self.rating, now)
    }
}

/// How an open attempt is closed: written by
/// [`crate::store::LearningStore::close_attempt`] together with the evidence.
#[derive(Debug, Clone)]
pub struct AttemptClosing {
    /// `Submitted` or `Expired`.
    pub status: AttemptStatus,
    /// The final answers (replacing the saved ones).
    pub answers: BTreeMap<String, Response>,
    pub result: AttemptResult,
    pub finished_at: OffsetDateTime,
    /// One entry per answered question.
    pub evidence: Vec<Evidence>,
}

/// Turns the attempt, as read inside the closing transaction, into its closing, or `None` to
/// leave it open after all. Called only when the attempt is open.
pub type CloseAttemptFn<'a> = &'a (dyn Fn(&AttemptRecord) -> Option<AttemptClosing> + Send + Sync);

/// A review card due for review.
#[derive(Debug, Clone, PartialEq)]
pub struct DueCard {
    pub course_id: String,
    pub question_id: String,
    pub card: ReviewCard,
}

/// A learner's mastery in one course as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MasteryRecord {
    pub mastery: Mastery,
    /// Graded answers folded in so far.
    pub answers: u32,
}
