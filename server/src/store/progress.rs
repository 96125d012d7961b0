//! Enrollment and lesson progress.

use async_trait::async_trait;
use cloudmaster_core::api::{CourseProgress, Enrollment, LessonProgress, LessonStatus};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreResult;
use crate::learning::progress::Enrolled;

#[async_trait]
pub trait ProgressStore: Send + Sync {
    /// Idempotent: enrolling twice returns the first enrollment. Exactly one of any number
    /// of concurrent calls for the same user and course reports `created` (the insert decides,
    /// atomically). `NotFound` when the course does not exist.
    async fn enroll(
        &self,
        user_id: Uuid,
        course_id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Enrolled>;
    /// False when the user was not enrolled. Progress is kept (re-enrolling restores it).
    async fn unenroll(&self, user_id: Uuid, course_id: &str) -> StoreResult<bool>;
    async fn enrollments(&self, user_id: Uuid) -> StoreResult<Vec<Enrollment>>;
    async fn is_enrolled(&self, user_id: Uuid, course_id: &str) -> StoreResult<bool>;
    /// Ids of courses whose every lesson of the current version the user completed (a course
    /// without lessons never counts), sorted.
    async fn completed_courses(&self, user_id: Uuid) -> StoreResult<Vec<String>>;
    /// Upserts progress for a lesson; `completed` is sticky and keeps its first timestamp,
    /// a `None` position keeps the stored one, and `updated_at` never moves backwards (so
    /// replaying an offline queue changes nothing). `NotFound` when the lesson is not in the
    /// course's current version. Does not check enrollment.
    async fn record_lesson_progress(
        &self,
        user_id: Uuid,
        course_id: &str,
        lesson_id: &str,
        status: LessonStatus,
        position: Option<u32>,
        now: OffsetDateTime,
    ) -> StoreResult<LessonProgress>;
    /// Progress in one course (`None` when the course does not exist). Only lessons of the
    /// current version count. Resume point: the started lesson touched most recently (at its
    /// position), else the first lesson in course order not completed, else none.
    async fn course_progress(
        &self,
        user_id: Uuid,
        course_id: &str,
    ) -> StoreResult<Option<CourseProgress>>;
    /// Progress in every enrolled course, in enrollment order (one query).
    async fn all_progress(&self, user_id: Uuid) -> StoreResult<Vec<CourseProgress>>;
    /// The courses the user has any record in (an enrollment, lesson progress or an
    /// attempt, also after leaving the course), sorted.
    async fn courses_with_records(&self, user_id: Uuid) -> StoreResult<Vec<String>>;
}
