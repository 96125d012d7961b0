//! The embedded backend: [`Store`](crate::store::Store) on one SQLite file in WAL mode.
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
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::Connection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{StoreError, StoreResult};

sql_backend! {
    store: SqliteStore,
    database: sqlx::Sqlite,
    name: "sqlite",
    // `IMMEDIATE` takes the write lock up front, so another process can only make a write
    // wait, never fail half-way.
    begin_write: "BEGIN IMMEDIATE",
    // Nothing to lock: `BEGIN IMMEDIATE` already holds the only write lock.
    for_update: "",
    // SQLite's default collation (`BINARY`) is byte order.
    bytewise: "",
    json_elements: "json_each",
}

mod progress_batch;
mod search;
use search::search_hits;

/// How long a statement waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// [`Store`](crate::store::Store) on SQLite. Cheap to clone (pool and queue handles).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Read-only (`query_only`) connections: they see the last committed state.
    reader: SqlitePool,
    /// Exactly one connection: the only one that writes.
    writer: SqlitePool,
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

        let database = base.get_filename().to_owned();
        if let Some(parent) = database.parent()
            && !parent.as_os_str().is_empty()
        {
            tokio::fs::create_dir_all(parent).await.map_err(|e| {
                StoreError::file(
                    format!("cannot create the directory {}", parent.display()),
                    e,
                )
            })?;
        }

        restrict_to_owner(&database)?;

        // The writer switches the file to WAL (a persistent setting) and migrates before any
        // reader opens, while holding the open lock (see `OpenLock`).
        let open_lock = OpenLock::acquire(&database).await?;
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
    async fn acquire(database: &Path) -> StoreResult<OpenLock> {
        let path = companion(database, ".lock");
        let what = format!("cannot lock {}", path.display());
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
        .map_err(|e| StoreError::file(what.clone(), e))?;
        let file = locked.map_err(|e| StoreError::file(what, e))?;
        Ok(OpenLock { _held: file })
    }
}

/// Makes the database file (created here when missing) and its companions owner-only
/// (0600) before SQLite opens it: it holds password hashes and sessions. SQLite creates the
/// `-wal` and `-shm` files with the database file's mode; existing ones are tightened too.
fn restrict_to_owner(database: &Path) -> StoreResult<()> {
    let unsafe_file = |e: crate::ServerError| {
        StoreError::file("cannot make the database files owner-only".into(), e)
    };
    crate::owner_only::ensure_file(database, "database file").map_err(unsafe_file)?;
    for suffix in ["-wal", "-shm", ".lock"] {
        crate::owner_only::tighten_file(&companion(database, suffix), "database file")
            .map_err(unsafe_file)?;
    }
    Ok(())
}

/// The file next to `database` whose name ends in `suffix` (`-wal`, `.lock`, ...).
fn companion(database: &Path, suffix: &str) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Runs the migrations under the database's write lock. sqlx takes no lock on SQLite, so two
/// processes starting at once (a server and `create-user`, say) could both try to create
/// the tables; inside `BEGIN IMMEDIATE` the second waits (`busy_timeout`) and then finds
/// nothing left to do. sqlx nests each migration's own transaction as a savepoint.
async fn migrate(writer: &SqlitePool) -> StoreResult<()> {
    let mut conn = writer.acquire().await?;
    let mut tx = conn.begin_with(BEGIN_WRITE).await?;
    sqlx::migrate!("./migrations/sqlite").run(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Commits a progress write together with the others waiting at that moment.
async fn write_progress(
    s: &SqliteStore,
    write: sql::progress::ProgressWrite,
) -> StoreResult<sql::progress::StoredRow> {
    s.progress.write(write).await
}

/// Serialises starts of one thing by one user: nothing to do on SQLite, where the write
/// transaction already holds the only write lock.
async fn lock_start(_tx: &mut sqlx::SqliteConnection, _key: &str) -> StoreResult<()> {
    Ok(())
}

fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}
