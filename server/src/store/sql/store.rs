//! The one `impl Store` of both backends: each operation delegates to the module of its
//! area (`accounts`, `catalog`, `progress`, ...), which the including backend provides,
//! shared from `store/sql/` or its own where the dialects differ.

use async_trait::async_trait;
use cloudmaster_core::api::{
    ApiTokenInfo, CourseDetail, CourseFilter, CourseProgress, CourseSummary, CourseVersion,
    Enrollment, Lesson, LessonProgress, LessonStatus, Role, SearchHit, User,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Backend, accounts, catalog, progress, search, state};
use crate::store::{
    ApiTokenOwner, CurrentVersion, Enrolled, NewApiToken, NewCourseVersion, NewRefreshToken,
    NewUser, RefreshOutcome, Store, StoreResult, UserCredentials,
};

#[async_trait]
impl Store for Backend {
    fn backend(&self) -> &'static str {
        Backend::NAME
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(self.reader()).await?;
        Ok(())
    }

    async fn create_user(&self, new: NewUser, now: OffsetDateTime) -> StoreResult<User> {
        accounts::create_user(self, new, now).await
    }
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserCredentials>> {
        accounts::user_by_email(self, email).await
    }
    async fn user_by_id(&self, id: Uuid) -> StoreResult<Option<UserCredentials>> {
        accounts::user_by_id(self, id).await
    }
    async fn list_users(&self) -> StoreResult<Vec<User>> {
        accounts::list_users(self).await
    }
    async fn set_user_role(&self, id: Uuid, role: Role) -> StoreResult<User> {
        accounts::set_user_role(self, id, role).await
    }

    async fn insert_refresh_token(
        &self,
        token: NewRefreshToken,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        accounts::insert_refresh_token(self, token, now).await
    }
    async fn use_refresh_token(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<RefreshOutcome> {
        accounts::use_refresh_token(self, token_hash, now).await
    }
    async fn revoke_refresh_family_of(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<Option<Uuid>> {
        accounts::revoke_refresh_family_of(self, token_hash, now).await
    }

    async fn create_api_token(
        &self,
        token: NewApiToken,
        now: OffsetDateTime,
    ) -> StoreResult<ApiTokenInfo> {
        accounts::create_api_token(self, token, now).await
    }
    async fn api_token_owner(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<Option<ApiTokenOwner>> {
        accounts::api_token_owner(self, token_hash, now).await
    }
    async fn list_api_tokens(&self, user_id: Uuid) -> StoreResult<Vec<ApiTokenInfo>> {
        accounts::list_api_tokens(self, user_id).await
    }
    async fn revoke_api_token(
        &self,
        user_id: Uuid,
        token_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        accounts::revoke_api_token(self, user_id, token_id, now).await
    }
    async fn touch_api_tokens(&self, uses: &[(Uuid, OffsetDateTime)]) -> StoreResult<()> {
        accounts::touch_api_tokens(self, uses).await
    }

    async fn secret(&self, name: &str) -> StoreResult<Option<Vec<u8>>> {
        state::secret(self, name).await
    }
    async fn delete_secret(&self, name: &str) -> StoreResult<bool> {
        state::delete_secret(self, name).await
    }
    async fn get_or_init_value(
        &self,
        name: &str,
        candidate: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<Vec<u8>> {
        state::get_or_init_value(self, name, candidate, now).await
    }
    async fn add_rate_usage(
        &self,
        key: &str,
        window_start: OffsetDateTime,
        delta: i64,
    ) -> StoreResult<i64> {
        state::add_rate_usage(self, key, window_start, delta).await
    }
    async fn prune_rate_usage(&self, before: OffsetDateTime) -> StoreResult<u64> {
        state::prune_rate_usage(self, before).await
    }

    async fn current_version(&self, course_id: &str) -> StoreResult<Option<CurrentVersion>> {
        catalog::current_version(self, course_id).await
    }
    async fn owned_courses(&self, user_id: Uuid) -> StoreResult<Vec<String>> {
        catalog::owned_courses(self, user_id).await
    }
    async fn publish_version(
        &self,
        new: NewCourseVersion,
        expected_current: Option<i64>,
        now: OffsetDateTime,
    ) -> StoreResult<i64> {
        catalog::publish_version(self, new, expected_current, now).await
    }
    async fn course_versions(&self, course_id: &str) -> StoreResult<Vec<CourseVersion>> {
        catalog::course_versions(self, course_id).await
    }
    async fn version_bundle(
        &self,
        course_id: &str,
        version: i64,
    ) -> StoreResult<Option<serde_json::Value>> {
        catalog::version_bundle(self, course_id, version).await
    }
    async fn list_courses(&self, filter: &CourseFilter) -> StoreResult<Vec<CourseSummary>> {
        catalog::list_courses(self, filter).await
    }
    async fn course_detail(&self, course_id: &str) -> StoreResult<Option<CourseDetail>> {
        catalog::course_detail(self, course_id).await
    }
    async fn search(&self, query: &str, limit: u32) -> StoreResult<Vec<SearchHit>> {
        search::search(self, query, limit).await
    }
    async fn lesson(&self, course_id: &str, lesson_id: &str) -> StoreResult<Option<Lesson>> {
        catalog::lesson(self, course_id, lesson_id).await
    }

    async fn enroll(
        &self,
        user_id: Uuid,
        course_id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Enrolled> {
        progress::enroll(self, user_id, course_id, now).await
    }
    async fn unenroll(&self, user_id: Uuid, course_id: &str) -> StoreResult<bool> {
        progress::unenroll(self, user_id, course_id).await
    }
    async fn enrollments(&self, user_id: Uuid) -> StoreResult<Vec<Enrollment>> {
        progress::enrollments(self, user_id).await
    }
    async fn is_enrolled(&self, user_id: Uuid, course_id: &str) -> StoreResult<bool> {
        progress::is_enrolled(self, user_id, course_id).await
    }
    async fn completed_courses(&self, user_id: Uuid) -> StoreResult<Vec<String>> {
        progress::completed_courses(self, user_id).await
    }
    async fn record_lesson_progress(
        &self,
        user_id: Uuid,
        course_id: &str,
        lesson_id: &str,
        status: LessonStatus,
        position: Option<u32>,
        now: OffsetDateTime,
    ) -> StoreResult<LessonProgress> {
        progress::record_lesson_progress(self, user_id, course_id, lesson_id, status, position, now)
            .await
    }
    async fn course_progress(
        &self,
        user_id: Uuid,
        course_id: &str,
    ) -> StoreResult<Option<CourseProgress>> {
        progress::course_progress(self, user_id, course_id).await
    }
    async fn all_progress(&self, user_id: Uuid) -> StoreResult<Vec<CourseProgress>> {
        progress::all_progress(self, user_id).await
    }
}
