//! Publishing (immutable course versions and the catalog projection of the current one),
//! catalog reads and full-text search.

use async_trait::async_trait;
use cloudmaster_core::api::{
    CourseDetail, CourseFilter, CourseSummary, CourseVersion, Lesson, SearchHit,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreResult;
use crate::publish::{CurrentVersion, NewCourseVersion};

#[async_trait]
pub trait CatalogStore: Send + Sync {
    async fn current_version(&self, course_id: &str) -> StoreResult<Option<CurrentVersion>>;
    /// Ids of the courses `user_id` owns (published first by them), sorted.
    async fn owned_courses(&self, user_id: Uuid) -> StoreResult<Vec<String>>;
    /// Stores a new immutable version and makes it current, all in one transaction.
    /// `expected_current` is the version the caller planned against (None: a new course);
    /// if another publish got there first this fails with `Conflict` (`NotFound` when it
    /// names a version of a course that does not exist). Returns the new number, published
    /// at `now`.
    async fn publish_version(
        &self,
        new: NewCourseVersion,
        expected_current: Option<i64>,
        now: OffsetDateTime,
    ) -> StoreResult<i64>;
    /// Every version, oldest first; empty for an unknown course.
    async fn course_versions(&self, course_id: &str) -> StoreResult<Vec<CourseVersion>>;
    /// The stored bundle of one version (for rollback).
    async fn version_bundle(
        &self,
        course_id: &str,
        version: i64,
    ) -> StoreResult<Option<serde_json::Value>>;
    /// Courses matching every set filter (provider, level and tag compare
    /// case-insensitively; an empty string is no filter), by title case-insensitively.
    async fn list_courses(&self, filter: &CourseFilter) -> StoreResult<Vec<CourseSummary>>;
    async fn course_detail(&self, course_id: &str) -> StoreResult<Option<CourseDetail>>;
    /// Full-text search over course titles, summaries and lesson text of current versions,
    /// best first, at most `limit` (capped at 200) hits. The query has web-search syntax on
    /// both backends (words ANDed, `"phrase"`, `or`, `-word`) and never fails to parse.
    async fn search(&self, query: &str, limit: u32) -> StoreResult<Vec<SearchHit>>;
    async fn lesson(&self, course_id: &str, lesson_id: &str) -> StoreResult<Option<Lesson>>;
}
