//! [`Backend`]: everything the TUI asks of the server, as one small trait.
//!
//! The TUI never talks HTTP itself. It calls these methods from background tasks (see
//! `crate::runtime`) and gets [`BackendError`]s with a message fit to show in a popup.
//! `client.rs` implements the trait for `cloudmaster_core::client::Client`; the tests use an
//! in-memory fake, so every screen can be exercised without a server. `preview/` implements
//! it on local course files, for `cloudmaster course preview`.
//!
//! Every call answers once, except [`Backend::ask_tutor`]: its answer is a stream of
//! [`TutorEvent`]s ([`TutorEvents`]), read as they arrive. Dropping the stream is how an
//! answer is stopped.

use std::fmt;

use async_trait::async_trait;
use cloudmaster_core::api::{
    AssessmentInfo, AttemptResult, AttemptView, CheckReport, CourseDetail, CourseFilter,
    CourseProgress, CourseSummary, Enrollment, HintView, LabSession, LabSessionStart,
    LabSubmission, LabSummary, Lesson, LessonProgress, LessonProgressUpdate, ReadinessReport,
    ReviewAnswer, ReviewOutcome, ReviewQueue, SearchHit, SelfReported, StepSolution, SubmitAttempt,
    TutorEvent, TutorQuestion, WhoAmI,
};
use cloudmaster_core::assess::Response;
use futures_util::stream::BoxStream;
use uuid::Uuid;

mod client;
#[cfg(test)]
pub(crate) mod fake;
pub mod preview;

/// A failed call, reduced to what the TUI shows and acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendError {
    /// The stable API error code (`not_found`, `payment_required`, ...) when there is one.
    pub code: Option<String>,
    /// A user-facing explanation.
    pub message: String,
}

impl BackendError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            code: None,
            message: message.into(),
        }
    }

    pub fn with_code(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: Some(code.into()),
            message: message.into(),
        }
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BackendError {}

pub type BackendResult<T> = Result<T, BackendError>;

/// A tutor answer arriving: its events in order, ending after `done` or `error` (or early,
/// with an error item, when the connection fails). Dropping it stops the answer: the real
/// backend closes the connection, and the server cancels the answer at the model provider.
pub type TutorEvents = BoxStream<'static, BackendResult<TutorEvent>>;

/// The server calls the TUI makes. Every method is independent and safe to run
/// concurrently; implementations are shared between tasks behind an `Arc`.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    async fn whoami(&self) -> BackendResult<WhoAmI>;
    async fn list_courses(&self, filter: &CourseFilter) -> BackendResult<Vec<CourseSummary>>;
    async fn search(&self, query: &str, limit: u32) -> BackendResult<Vec<SearchHit>>;
    async fn course(&self, course: &str) -> BackendResult<CourseDetail>;
    async fn lesson(&self, course: &str, lesson: &str) -> BackendResult<Lesson>;
    async fn enroll(&self, course: &str) -> BackendResult<Enrollment>;
    async fn enrollments(&self) -> BackendResult<Vec<Enrollment>>;
    async fn record_lesson_progress(
        &self,
        course: &str,
        lesson: &str,
        update: &LessonProgressUpdate,
    ) -> BackendResult<LessonProgress>;
    async fn progress(&self) -> BackendResult<Vec<CourseProgress>>;
    async fn course_progress(&self, course: &str) -> BackendResult<CourseProgress>;
    /// The module quizzes and the mock exam of `course`, with the learner's standing.
    async fn assessments(&self, course: &str) -> BackendResult<Vec<AssessmentInfo>>;
    /// Starts an attempt, or resumes the learner's open one at the same assessment.
    async fn start_attempt(&self, course: &str, assessment: &str) -> BackendResult<AttemptView>;
    async fn attempt(&self, attempt: Uuid) -> BackendResult<AttemptView>;
    async fn save_answer(
        &self,
        attempt: Uuid,
        question: &str,
        response: &Response,
    ) -> BackendResult<()>;
    /// Saves `answers` and grades the attempt.
    async fn submit_attempt(
        &self,
        attempt: Uuid,
        answers: &SubmitAttempt,
    ) -> BackendResult<AttemptResult>;
    async fn readiness(&self, course: &str) -> BackendResult<ReadinessReport>;
    /// The spaced-review items due now (of `course`, or of every course), most overdue
    /// first, at most `limit` (the server's default without one).
    async fn review_queue(
        &self,
        course: Option<&str>,
        limit: Option<u32>,
    ) -> BackendResult<ReviewQueue>;
    /// Answers one review item (options named by the letters it showed them under) and
    /// reschedules it.
    async fn answer_review(
        &self,
        course: &str,
        question: &str,
        answer: &ReviewAnswer,
    ) -> BackendResult<ReviewOutcome>;
    /// The server's address, recorded in lab workspaces so the command line continues a lab
    /// started here on the same server.
    fn server_url(&self) -> String;
    /// The server's identity, the same at any URL (`None` when it does not say): a lab
    /// workspace keeps it, to follow its session to the server's new address.
    async fn server_id(&self) -> Option<String> {
        None
    }
    /// The labs of `course` with the learner's standing.
    async fn labs(&self, course: &str) -> BackendResult<Vec<LabSummary>>;
    /// Starts a lab session, or resumes the learner's active one of the same lab.
    async fn start_lab(&self, course: &str, lab: &str) -> BackendResult<LabSessionStart>;
    async fn lab_session(&self, session: Uuid) -> BackendResult<LabSession>;
    /// The learner's lab sessions (only the active ones with `active_only`).
    async fn lab_sessions(&self, active_only: bool) -> BackendResult<Vec<LabSession>>;
    /// Records a local check run (it counts failures for hints and keeps the session alive).
    async fn report_check(&self, session: Uuid, report: &CheckReport) -> BackendResult<LabSession>;
    /// Reveals the next hint of `step` (`not_found` when every hint is shown).
    async fn next_hint(&self, session: Uuid, step: &str) -> BackendResult<HintView>;
    /// The solution files of a step that passed (paths relative to the workspace): a
    /// reset starts a step from the solutions of the steps before it.
    async fn step_solution(&self, session: Uuid, step: &str) -> BackendResult<StepSolution>;
    /// Ends the session without credit (`session_closed` when it passed or ran out of
    /// time; abandoning it again is fine).
    async fn abandon_lab(&self, session: Uuid) -> BackendResult<()>;
    /// Uploads the packed workspace (a gzip tar) for the server's verdict.
    async fn submit_lab(
        &self,
        session: Uuid,
        archive: Vec<u8>,
        self_reported: &[SelfReported],
    ) -> BackendResult<LabSubmission>;
    /// Asks the tutor; the answer streams (see [`TutorEvents`]). A refusal before the
    /// answer starts (a spent daily budget, a course the learner is not enrolled in) is the
    /// `Err`.
    async fn ask_tutor(&self, question: &TutorQuestion) -> BackendResult<TutorEvents>;
}
