//! [`Backend`]: everything the TUI asks of the server, as one small trait.
//!
//! The TUI never talks HTTP itself. It calls these methods from background tasks (see
//! `crate::runtime`) and gets [`BackendError`]s with a message fit to show in a popup.
//! `client.rs` implements the trait for `cloudmaster_core::client::Client`; the tests use an
//! in-memory fake, so every screen can be exercised without a server. A local-files
//! implementation (for `cloudmaster course preview`) can slot in the same way.

use std::fmt;

use async_trait::async_trait;
use cloudmaster_core::api::{
    AssessmentInfo, AttemptResult, AttemptView, CourseDetail, CourseFilter, CourseProgress,
    CourseSummary, Enrollment, Lesson, LessonProgress, LessonProgressUpdate, ReadinessReport,
    SearchHit, SubmitAttempt, WhoAmI,
};
use cloudmaster_core::assess::Response;
use uuid::Uuid;

mod client;
#[cfg(test)]
pub(crate) mod fake;

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
}
