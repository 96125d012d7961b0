//! The embedded backend: [`Store`] on one SQLite file in WAL mode.
//!
//! SQLite allows one writer at a time. Instead of letting connections race for the write lock
//! (and fail with `SQLITE_BUSY` under load), every write goes through a pool of exactly one
//! connection, so writes queue in the pool, in process, and never contend. Reads use a
//! separate pool of `pool_size` connections that WAL lets run alongside the writer, each
//! seeing the last committed state. Read-modify-write operations run on the writer in a
//! `BEGIN IMMEDIATE` transaction, which takes the write lock up front so that another
//! process (for example `cloudmaster-server create-user` next to a running server) can only
//! make it wait (`busy_timeout`), never fail half-way.
//!
//! Durability: `synchronous=FULL` in WAL mode fsyncs the WAL at every commit before it is
//! acknowledged, so an acknowledged write survives a process crash (kill -9) and a power
//! cut. The fsync is paid per commit, not per write: progress writes are committed in
//! groups (`progress_batch`), so one fsync covers every write waiting at that moment.
//!
//! Encodings: UUIDs are 16-byte BLOBs, timestamps INTEGER unix microseconds (UTC), JSON TEXT.

use std::os::unix::fs::OpenOptionsExt as _;
use std::str::FromStr;

use sqlx::Connection;
use std::time::Duration;

use async_trait::async_trait;
use cloudmaster_core::api::{
    ApiTokenInfo, CourseDetail, CourseFilter, CourseProgress, CourseSummary, CourseVersion,
    Enrollment, Lesson, LessonProgress, LessonStatus, Role, SearchHit, User,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    ApiTokenOwner, CurrentVersion, NewApiToken, NewCourseVersion, NewRefreshToken, NewUser,
    RefreshOutcome, Store, StoreError, StoreResult, UserCredentials,
};

mod accounts;
mod catalog;
mod certificates;
mod labs;
mod learning;
mod progress;
mod progress_batch;
mod search;
mod security;
mod state;

/// How long a statement waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// [`Store`] on SQLite. Cheap to clone (pool and queue handles).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Exactly one connection: the only one that writes.
    writer: SqlitePool,
    /// Read-only (`query_only`) connections.
    reader: SqlitePool,
    /// Lesson-progress writes, committed in groups on `writer`.
    progress: progress_batch::ProgressBatcher,
}

impl SqliteStore {
    /// Opens (creating it and its directory if missing) the database at `url`
    /// (`sqlite://path/to/file.db`, `sqlite:file.db` or `sqlite::memory:`) with up to
    /// `pool_size` reader connections, and runs the migrations.
    pub async fn connect(url: &str, pool_size: u32) -> StoreResult<Self> {
        let base = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Full)
            .statement_cache_capacity(256);

        if is_in_memory(url) {
            // Each connection to `:memory:` would be its own database: use one connection
            // for everything and keep it open for the life of the store.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(base)
                .await?;
            migrate(&pool).await?;
            return Ok(Self {
                progress: progress_batch::ProgressBatcher::start(pool.clone()),
                writer: pool.clone(),
                reader: pool,
            });
        }

        if let Some(parent) = base.get_filename().parent()
            && !parent.as_os_str().is_empty()
        {
            tokio::fs::create_dir_all(parent).await.map_err(|e| {
                sqlx::Error::Configuration(
                    format!("cannot create the directory {}: {e}", parent.display()).into(),
                )
            })?;
        }

        restrict_to_owner(base.get_filename())?;

        // The writer switches the file to WAL (a persistent setting) and migrates before any
        // reader opens, while holding the open lock (see `OpenLock`).
        let open_lock = OpenLock::acquire(base.get_filename()).await?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(base.clone().journal_mode(SqliteJournalMode::Wal))
            .await?;
        migrate(&writer).await?;
        drop(open_lock);

        let reader = SqlitePoolOptions::new()
            .max_connections(pool_size.max(1))
            .min_connections(1)
            .connect_with(base.pragma("query_only", "ON"))
            .await?;
        Ok(Self {
            progress: progress_batch::ProgressBatcher::start(writer.clone()),
            writer,
            reader,
        })
    }

    /// Closes both pools, waiting for connections in use.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// An advisory lock on `<database>.lock`, held while a store switches the file to WAL and
/// migrates it. Switching the journal mode needs the file to itself, and SQLite answers
/// `SQLITE_BUSY` at once instead of waiting (`busy_timeout` does not apply), so stores and
/// processes opening a new database at the same moment would otherwise fail at random.
/// The lock is the operating system's (`flock`): a crashed holder releases it.
struct OpenLock {
    /// Closing the file releases the lock.
    _held: std::fs::File,
}

impl OpenLock {
    async fn acquire(database: &std::path::Path) -> StoreResult<OpenLock> {
        let mut path = database.as_os_str().to_owned();
        path.push(".lock");
        let path = std::path::PathBuf::from(path);
        let locked = tokio::task::spawn_blocking(move || {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .mode(0o600)
                .open(&path)?;
            file.lock()?;
            Ok::<_, std::io::Error>(file)
        })
        .await
        .map_err(|e| sqlx::Error::Configuration(format!("opening the database: {e}").into()))?;
        let file = locked.map_err(|e| {
            sqlx::Error::Configuration(
                format!("cannot lock {}.lock: {e}", database.display()).into(),
            )
        })?;
        Ok(OpenLock { _held: file })
    }
}

/// Makes the database file (created here when missing) and its companions owner-only
/// (0600) before SQLite opens it: it holds password hashes and sessions. SQLite creates the
/// `-wal` and `-shm` files with the database file's mode; existing ones are tightened too.
fn restrict_to_owner(database: &std::path::Path) -> StoreResult<()> {
    let unsafe_mode = |e: anyhow::Error| sqlx::Error::Configuration(format!("{e:#}").into());
    crate::owner_only::ensure_file(database, "database file").map_err(unsafe_mode)?;
    for suffix in ["-wal", "-shm", ".lock"] {
        let mut companion = database.as_os_str().to_owned();
        companion.push(suffix);
        crate::owner_only::tighten_file(std::path::Path::new(&companion), "database file")
            .map_err(unsafe_mode)?;
    }
    Ok(())
}

/// Runs the migrations under the database's write lock. sqlx takes no lock on SQLite, so two
/// processes starting at once (a server and `create-user`, say) could both try to create
/// the tables; inside `BEGIN IMMEDIATE` the second waits (`busy_timeout`) and then finds
/// nothing left to do. sqlx nests each migration's own transaction as a savepoint.
async fn migrate(writer: &SqlitePool) -> StoreResult<()> {
    let mut conn = writer.acquire().await?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::migrate!("./migrations/sqlite").run(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// Unix microseconds, the stored form of a timestamp.
fn ts(t: OffsetDateTime) -> i64 {
    // i64 microseconds cover ±292,000 years; the cast cannot truncate for real dates.
    (t.unix_timestamp_nanos() / 1_000) as i64
}

fn from_ts(micros: i64) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {micros}: {e}")))
}

fn from_ts_opt(micros: Option<i64>) -> StoreResult<Option<OffsetDateTime>> {
    micros.map(from_ts).transpose()
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn create_user(&self, new: NewUser) -> StoreResult<User> {
        accounts::create_user(self, new).await
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

    async fn insert_refresh_token(&self, token: NewRefreshToken) -> StoreResult<()> {
        accounts::insert_refresh_token(self, token).await
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

    async fn create_api_token(&self, token: NewApiToken) -> StoreResult<ApiTokenInfo> {
        accounts::create_api_token(self, token).await
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
    async fn revoke_api_token(&self, user_id: Uuid, token_id: Uuid) -> StoreResult<bool> {
        accounts::revoke_api_token(self, user_id, token_id).await
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
    async fn publish_version(
        &self,
        new: NewCourseVersion,
        expected_current: Option<i64>,
    ) -> StoreResult<i64> {
        catalog::publish_version(self, new, expected_current).await
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

    async fn enroll(&self, user_id: Uuid, course_id: &str) -> StoreResult<super::Enrolled> {
        progress::enroll(self, user_id, course_id).await
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
