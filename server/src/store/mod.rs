//! Storage: one [`Store`] trait of domain operations, with a SQLite and a PostgreSQL
//! implementation chosen once at start-up from the database URL.
//!
//! Handlers never see SQL. Every method is one logical operation and, where it writes more
//! than one row, one transaction. Both backends pass the same conformance suite
//! (`server/tests/store_conformance.rs`).
//!
//! # One implementation, two dialects
//!
//! The queries are written once, in `store/sql/`, and compiled once per backend: each backend
//! module (`sqlite/`, `postgres/`) declares `type Backend` (its store) and `type Db` (its
//! sqlx database) and includes the shared files with [`shared_sql_modules!`], so one text of
//! SQL and one Rust function serve both. Time is bound and read as [`Timestamp`] (INTEGER
//! microseconds on SQLite, TIMESTAMPTZ on PostgreSQL), JSON as `sqlx::types::Json` (TEXT or
//! JSONB), and parameters are numbered (`$1`), which both accept. The one `impl Store` is
//! `sql/store.rs`.
//!
//! Where a new query goes: in the shared file of its area under `store/sql/`, written in the
//! SQL both dialects agree on (`CAST($1 AS TEXT)` rather than `$1::text`, `CASE` rather than
//! `max`/`GREATEST`, sorting of text in Rust or with `bytewise!()`). It may differ per backend
//! only where the dialects truly do; then the shared code calls a function or macro of the
//! same name that each backend defines in its own folder: row locks (`for_update!()`, empty
//! on SQLite where `BEGIN IMMEDIATE` holds the write lock) and advisory locks
//! (`lock_lab_start`, `lock_attempt_start`), the transaction that writes (`begin_write`),
//! array inserts (`insert_course_rows`), JSON merge (`save_answer`), the progress commit
//! (`write_progress`: SQLite commits in groups), full-text search (FTS5 against tsvector),
//! pool setup and migrations.
//!
//! Every timestamp a method writes comes from its caller (a `now` argument or a field the
//! caller set), never from the system clock, so the server's injected clock reaches them all.

use async_trait::async_trait;
use cloudmaster_core::api::{
    ApiTokenInfo, CourseDetail, CourseFilter, CourseProgress, CourseSummary, CourseVersion,
    Enrollment, Lesson, LessonProgress, LessonStatus, Role, Scope, SearchHit, Tier, User,
};
use time::OffsetDateTime;
use uuid::Uuid;

mod certificates;
mod labs;
mod learning;

/// Declares, inside a backend module, the modules written once in `store/sql/`. Each is
/// compiled once per backend against that backend's `Backend` and `Db` (see the module docs).
macro_rules! shared_sql_modules {
    () => {
        #[path = "../sql/accounts.rs"]
        #[allow(clippy::duplicate_mod)] // compiled once per backend, by design
        mod accounts;
        #[path = "../sql/catalog.rs"]
        #[allow(clippy::duplicate_mod)]
        mod catalog;
        #[path = "../sql/certificates.rs"]
        #[allow(clippy::duplicate_mod)]
        mod certificates;
        #[path = "../sql/labs.rs"]
        #[allow(clippy::duplicate_mod)]
        mod labs;
        #[path = "../sql/learning.rs"]
        #[allow(clippy::duplicate_mod)]
        mod learning;
        #[path = "../sql/progress.rs"]
        #[allow(clippy::duplicate_mod)]
        mod progress;
        #[path = "../sql/security.rs"]
        #[allow(clippy::duplicate_mod)]
        mod security;
        #[path = "../sql/state.rs"]
        #[allow(clippy::duplicate_mod)]
        mod state;
        #[path = "../sql/store.rs"]
        #[allow(clippy::duplicate_mod)]
        mod store;
    };
}

pub mod postgres;
mod security;
mod shared;
pub mod sqlite;
mod timestamp;

pub use certificates::*;
pub use labs::*;
pub use learning::*;
pub use security::*;
pub use timestamp::Timestamp;

/// Errors from storage. Constraint violations the API turns into 409/422 have their own
/// variants so handlers never inspect database error codes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Conflict(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The group of writes this one was committed with failed as a whole (SQLite's group
    /// commit of lesson progress): the group's database error, shared by each of its writes.
    #[error("a group of writes failed to commit")]
    Batch(#[source] std::sync::Arc<sqlx::Error>),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A user row with its password hash; never serialized to clients, and `Debug` shows
/// `***` for the hash.
#[derive(Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
    pub suspended: bool,
}

/// `Debug` shows `***` for the password hash.
#[derive(Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    pub tier: Tier,
}

/// The result of [`Store::enroll`].
#[derive(Debug, Clone, PartialEq)]
pub struct Enrolled {
    /// The enrollment as stored: the first one when the user was already enrolled.
    pub enrollment: Enrollment,
    /// Whether this call made it.
    pub created: bool,
}

/// A refresh token as stored: only its SHA-256 hash is kept (`Debug` shows `***`).
#[derive(Clone)]
pub struct NewRefreshToken {
    pub id: Uuid,
    /// All tokens descending from one login share a family; reuse revokes the family.
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub token_hash: Vec<u8>,
    pub expires_at: OffsetDateTime,
}

/// What happened when a refresh token was presented.
#[derive(Debug, Clone, PartialEq)]
pub enum RefreshOutcome {
    /// The token was live; it is now marked used. The caller issues its successor in the
    /// same family.
    Rotated {
        user_id: Uuid,
        family_id: Uuid,
    },
    /// The token had already been used or its family revoked: the family is now revoked.
    Reused {
        user_id: Uuid,
        family_id: Uuid,
    },
    /// The token's login was ended by logging out.
    LoggedOut,
    Expired,
    Unknown,
}

/// `Debug` shows `***` for the token hash.
#[derive(Clone)]
pub struct NewApiToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub prefix: String,
    pub token_hash: Vec<u8>,
    pub expires_at: Option<OffsetDateTime>,
}

/// What `Debug` shows instead of a password hash or token hash.
const HIDDEN: &str = "***";

impl std::fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCredentials")
            .field("user", &self.user)
            .field("password_hash", &HIDDEN)
            .field("suspended", &self.suspended)
            .finish()
    }
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field("name", &self.name)
            .field("password_hash", &HIDDEN)
            .field("role", &self.role)
            .field("tier", &self.tier)
            .finish()
    }
}

impl std::fmt::Debug for NewRefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewRefreshToken")
            .field("id", &self.id)
            .field("family_id", &self.family_id)
            .field("user_id", &self.user_id)
            .field("token_hash", &HIDDEN)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl std::fmt::Debug for NewApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiToken")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .field("prefix", &self.prefix)
            .field("token_hash", &HIDDEN)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A live API token and its owner, as found by the hash of the presented secret.
#[derive(Debug, Clone)]
pub struct ApiTokenOwner {
    pub token_id: Uuid,
    pub scopes: Vec<Scope>,
    pub user: User,
    pub suspended: bool,
}

/// Everything a publish writes: the immutable version and the catalog projection of it.
/// Built by the API layer from a validated course; the store only persists it.
#[derive(Debug, Clone)]
pub struct NewCourseVersion {
    pub course_id: String,
    pub published_by: Uuid,
    /// The full course bundle (JSON of `cloudmaster_core::course::Course`), kept per version.
    pub bundle: serde_json::Value,
    /// The publish manifest (item hashes) of this version, JSON.
    pub manifest: serde_json::Value,
    /// Catalog projection of this version. `summary.id`, `summary.version`,
    /// `summary.lesson_count` and `published_at` are ignored: the store sets them (course id,
    /// next version number, `lessons.len()`, the caller's `now`).
    pub detail: CourseDetail,
    /// Lessons in course order, for lesson reads and full-text search.
    pub lessons: Vec<Lesson>,
    /// Set by a rollback: the version whose content this one restores.
    pub restored_from: Option<i64>,
}

/// The current version of a course, as publishing needs it.
#[derive(Debug, Clone)]
pub struct CurrentVersion {
    pub version: i64,
    pub owner_id: Uuid,
    pub manifest: serde_json::Value,
}

/// Every storage operation. The learning loop, certificates and labs have their own traits
/// (in `learning.rs`, `certificates.rs` and `labs.rs`), each implemented by both backends in
/// files of the same name.
#[async_trait]
pub trait Store:
    LearningStore + CertificateStore + LabStore + SecurityStore + Send + Sync + 'static
{
    /// Which backend this is, for logs and `/readyz`: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Cheap round trip to the database, for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;

    // --- accounts -------------------------------------------------------------------
    /// Fails with `Conflict` when the email (case-insensitive) is taken. `now` is the
    /// account's `created_at`.
    async fn create_user(&self, new: NewUser, now: OffsetDateTime) -> StoreResult<User>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserCredentials>>;
    async fn user_by_id(&self, id: Uuid) -> StoreResult<Option<UserCredentials>>;
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    async fn set_user_role(&self, id: Uuid, role: Role) -> StoreResult<User>;

    // --- sessions (refresh tokens) --------------------------------------------------
    async fn insert_refresh_token(
        &self,
        token: NewRefreshToken,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Atomically consumes a refresh token (by hash). Exactly one of any number of
    /// concurrent presentations of the same token can get `Rotated`.
    async fn use_refresh_token(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<RefreshOutcome>;
    /// Logs out: revokes every token of the family that holds this token hash and records
    /// the session as ended by logout at `now`. Returns the family, None when the token
    /// is unknown.
    async fn revoke_refresh_family_of(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<Option<Uuid>>;

    // --- personal API tokens --------------------------------------------------------
    async fn create_api_token(
        &self,
        token: NewApiToken,
        now: OffsetDateTime,
    ) -> StoreResult<ApiTokenInfo>;
    /// Finds a live (not revoked, not expired at `now`) token by hash.
    async fn api_token_owner(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<Option<ApiTokenOwner>>;
    /// The user's unrevoked tokens (expired ones included), oldest first.
    async fn list_api_tokens(&self, user_id: Uuid) -> StoreResult<Vec<ApiTokenInfo>>;
    /// Revokes the user's own token; false when it does not exist or is not theirs.
    /// Revoking an already revoked token of one's own is true (idempotent).
    async fn revoke_api_token(
        &self,
        user_id: Uuid,
        token_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Records use of tokens, batched by the caller (token id, last use).
    async fn touch_api_tokens(&self, uses: &[(Uuid, OffsetDateTime)]) -> StoreResult<()>;

    // --- shared server state --------------------------------------------------------
    /// The secret stored under `name` by servers that kept their signing keys in the
    /// database (now moved to the key directory at start-up, see `crate::keys`).
    async fn secret(&self, name: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Deletes the secret `name`; false when there was none.
    async fn delete_secret(&self, name: &str) -> StoreResult<bool>;
    /// The non-secret server value `name` (the server's identity), storing `candidate`
    /// at `now` first if there is none, so that every replica agrees on one.
    async fn get_or_init_value(
        &self,
        name: &str,
        candidate: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<Vec<u8>>;
    /// Adds `delta` requests to the counter `key` for the window starting at
    /// `window_start` and returns the window's new total across all replicas.
    async fn add_rate_usage(
        &self,
        key: &str,
        window_start: OffsetDateTime,
        delta: i64,
    ) -> StoreResult<i64>;
    /// Deletes rate-limit windows that started before `before`.
    async fn prune_rate_usage(&self, before: OffsetDateTime) -> StoreResult<u64>;

    // --- catalog and publishing -----------------------------------------------------
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

    // --- enrollment and progress ----------------------------------------------------
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
}

/// Opens the store named by `database_url` (`sqlite://...` or `postgres://...`) and runs
/// its migrations.
pub async fn open(database_url: &str, pool_size: u32) -> StoreResult<std::sync::Arc<dyn Store>> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(
            postgres::PgStore::connect(database_url, pool_size).await?,
        ))
    } else {
        Ok(std::sync::Arc::new(
            sqlite::SqliteStore::connect(database_url, pool_size).await?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_password_or_token_hashes() {
        let user = User {
            id: Uuid::nil(),
            email: "ada@example.com".into(),
            name: "Ada".into(),
            role: Role::Learner,
            tier: Tier::Free,
            created_at: OffsetDateTime::UNIX_EPOCH,
        };
        let shown = [
            format!(
                "{:?}",
                UserCredentials {
                    user,
                    password_hash: "$argon2id$secret-hash".into(),
                    suspended: false,
                }
            ),
            format!(
                "{:?}",
                NewUser {
                    email: "ada@example.com".into(),
                    name: "Ada".into(),
                    password_hash: "$argon2id$secret-hash".into(),
                    role: Role::Learner,
                    tier: Tier::Free,
                }
            ),
            format!(
                "{:?}",
                NewRefreshToken {
                    id: Uuid::nil(),
                    family_id: Uuid::nil(),
                    user_id: Uuid::nil(),
                    token_hash: vec![0xab; 32],
                    expires_at: OffsetDateTime::UNIX_EPOCH,
                }
            ),
            format!(
                "{:?}",
                NewApiToken {
                    id: Uuid::nil(),
                    user_id: Uuid::nil(),
                    name: "ci".into(),
                    scopes: vec![],
                    prefix: "cm_pat_ab".into(),
                    token_hash: vec![0xab; 32],
                    expires_at: None,
                }
            ),
        ];
        for text in &shown {
            assert!(
                !text.contains("secret-hash") && !text.contains("171"),
                "{text}"
            );
            assert!(text.contains("***"), "{text}");
        }
    }
}
