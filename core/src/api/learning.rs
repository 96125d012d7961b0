//! Assessments (module quizzes and mock exams), mastery, spaced review and readiness.
//!
//! An attempt shows [`PublicQuestion`]s only: nothing a client receives before it submits
//! says which answer is right. The result, after submission or expiry, carries the correct
//! answers and explanations.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::assess::{PublicOption, PublicQuestion, Readiness, Response};

/// Whether an assessment is a module quiz or the course's mock exam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentKind {
    Quiz,
    MockExam,
}

impl AssessmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AssessmentKind::Quiz => "quiz",
            AssessmentKind::MockExam => "mock_exam",
        }
    }

    pub fn parse(s: &str) -> Option<AssessmentKind> {
        match s {
            "quiz" => Some(AssessmentKind::Quiz),
            "mock_exam" => Some(AssessmentKind::MockExam),
            _ => None,
        }
    }
}

/// `GET /courses/{course}/assessments`: one quiz or mock exam with the caller's standing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AssessmentInfo {
    pub id: String,
    pub kind: AssessmentKind,
    pub title: String,
    /// The module of a quiz; `None` for the mock exam.
    pub module_id: Option<String>,
    /// How many questions an attempt draws.
    pub questions: u32,
    /// 0 = untimed.
    pub time_limit_minutes: u32,
    /// Percent.
    pub pass_mark: u32,
    /// 0 = unlimited.
    pub max_attempts: u32,
    /// Attempts the caller has started (open ones included).
    pub attempts_used: u32,
    /// Best score (percent) of the caller's closed attempts.
    pub best_score: Option<f64>,
    pub passed: bool,
    /// The caller's attempt still open, if any (starting again resumes it).
    pub open_attempt: Option<Uuid>,
    /// A module quiz whose module's lessons the caller has not all completed yet: starting
    /// it answers 403 `locked`.
    #[serde(default)]
    pub locked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    /// Answers may be saved and the attempt submitted.
    Open,
    /// Submitted by the learner and graded.
    Submitted,
    /// Closed by the server (time limit reached or abandoned) and graded on the answers
    /// saved before that.
    Expired,
}

impl AttemptStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptStatus::Open => "open",
            AttemptStatus::Submitted => "submitted",
            AttemptStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<AttemptStatus> {
        match s {
            "open" => Some(AttemptStatus::Open),
            "submitted" => Some(AttemptStatus::Submitted),
            "expired" => Some(AttemptStatus::Expired),
            _ => None,
        }
    }
}

/// `POST /courses/{course}/assessments/{assessment}/attempts` (201, or 200 resuming the
/// open attempt) and `GET /attempts/{attempt}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AttemptView {
    pub id: Uuid,
    pub course_id: String,
    pub assessment_id: String,
    pub kind: AssessmentKind,
    pub title: String,
    pub status: AttemptStatus,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub started_at: OffsetDateTime,
    /// When the time limit ends; `None` when untimed. Answers after it are rejected.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deadline: Option<OffsetDateTime>,
    pub pass_mark: u32,
    /// In the order to show them, options shuffled for this attempt and lettered in the
    /// order shown (the same on every read of the attempt).
    pub questions: Vec<PublicQuestion>,
    /// Responses saved so far, by question id, options named by their shown letters.
    pub answers: BTreeMap<String, Response>,
    /// Set once the attempt is closed.
    pub result: Option<AttemptResult>,
}

/// `PUT /attempts/{attempt}/answers/{question}` → 204. 409 `attempt_closed` once the attempt
/// is submitted or past its deadline. Options are named by the letters the attempt shows
/// them under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SaveAnswer {
    pub response: Response,
}

/// `POST /attempts/{attempt}/submit` → `AttemptResult`. The answers given here are saved
/// first (replacing saved ones for the same questions), then the attempt is graded. After the
/// deadline the request is refused with 409 `attempt_closed` and the attempt is closed and
/// graded on what was saved in time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SubmitAttempt {
    #[serde(default)]
    pub answers: BTreeMap<String, Response>,
}

/// The graded outcome of a closed attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AttemptResult {
    /// 0..=100.
    pub score_percent: f64,
    /// Sum of per-question credit (partial credit counts).
    pub points: f64,
    pub max_points: u32,
    pub passed: bool,
    pub pass_mark: u32,
    pub closed_by: AttemptStatus,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub finished_at: OffsetDateTime,
    /// Per exam domain (questions without a domain are grouped under `general`).
    pub domains: Vec<DomainScore>,
    pub questions: Vec<QuestionResult>,
    /// When the first of the review cards scheduled for this attempt's answered questions
    /// comes due (`GET /review`), in the answer to a submit; `None` elsewhere, or when
    /// nothing was answered.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_review_due: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DomainScore {
    pub domain: String,
    pub title: String,
    pub points: f64,
    pub questions: u32,
    /// 0..=100.
    pub percent: f64,
}

/// One question of a closed attempt, with the answer key. Options are named by the letters
/// the attempt showed them under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QuestionResult {
    pub question_id: String,
    pub prompt: String,
    pub domain: Option<String>,
    /// `None` when the question was left unanswered.
    pub response: Option<Response>,
    /// Credit in `[0, 1]`.
    pub score: f64,
    pub correct: bool,
    /// The right answer, for people (`b) Use an IAM role`, `262.8 ± 0.5`,
    /// `c) Detect → a) Fail over → b) Restore`).
    pub correct_answer: String,
    pub explanation: String,
    /// The options in the order the attempt showed them, lettered as shown; empty for
    /// questions without options.
    #[serde(default)]
    pub options: Vec<PublicOption>,
    /// The letters of the right options: the answer of a single choice, every right option
    /// of a multiple response, the right order (first to last) of an ordering; empty for
    /// questions without options.
    #[serde(default)]
    pub correct_options: Vec<String>,
}

/// `GET /courses/{course}/attempts`: the caller's attempts, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AttemptSummary {
    pub id: Uuid,
    pub assessment_id: String,
    pub kind: AssessmentKind,
    pub title: String,
    pub status: AttemptStatus,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<OffsetDateTime>,
    pub score_percent: Option<f64>,
    pub passed: Option<bool>,
}

/// `GET /courses/{course}/mastery`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MasteryReport {
    pub course_id: String,
    /// Graded answers the estimates rest on.
    pub answers: u32,
    /// Every exam domain of the blueprint, in blueprint order (estimates at the prior when
    /// there is no evidence yet).
    pub domains: Vec<MasteryEntry>,
    /// Every skill the course's questions name, by id.
    pub skills: Vec<MasteryEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MasteryEntry {
    pub id: String,
    /// The domain title; the skill id for skills.
    pub title: String,
    /// BKT probability that the learner knows it, 0..=1.
    pub p_known: f64,
    pub answers: u32,
    pub mastered: bool,
}

/// `GET /courses/{course}/readiness`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReadinessReport {
    pub course_id: String,
    /// The certification exam; `None` when the course prepares for none (then `readiness`
    /// is `None` too).
    pub exam_name: Option<String>,
    pub readiness: Option<Readiness>,
    /// What to study next: lessons of the weakest domains not yet completed first.
    pub study_lessons: Vec<StudyLesson>,
    /// Questions of the weakest domains the learner got wrong or never answered.
    pub study_questions: Vec<StudyQuestion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StudyLesson {
    pub lesson_id: String,
    pub title: String,
    /// The weak domain it helps with.
    pub domain: String,
    pub completed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StudyQuestion {
    pub question_id: String,
    pub prompt: String,
    pub domain: String,
}

/// `GET /review?course=&limit=`: review items due now, most overdue first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReviewQueue {
    /// Every item due now (may exceed `items.len()`).
    pub due: u32,
    pub items: Vec<ReviewItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReviewItem {
    pub course_id: String,
    pub question: PublicQuestion,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub due_at: OffsetDateTime,
}

/// `POST /review/{course}/{question}`: the answer to one review item, options named by the
/// letters the item shows them under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReviewAnswer {
    pub response: Response,
    /// How long the learner took; a fast correct answer is rated Easy.
    #[serde(default, deserialize_with = "super::whole::optional")]
    #[schema(maximum = 9_007_199_254_740_991_i64)]
    pub elapsed_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReviewOutcome {
    pub question_id: String,
    pub score: f64,
    pub correct: bool,
    /// The right answer, for people, options named by the letters the item showed them
    /// under (`b) Use an IAM role`).
    pub correct_answer: String,
    pub explanation: String,
    /// FSRS rating given: `again`, `hard`, `good` or `easy`.
    pub rating: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub next_due: OffsetDateTime,
}
