//! The scale-out backend: [`Store`] on PostgreSQL, shared by several server replicas.
//!
//! Every operation is correct when replicas run it at the same moment, without in-process
//! locks: single conditional statements where one suffices (`UPDATE ... WHERE used_at IS
//! NULL RETURNING`, `INSERT ... ON CONFLICT`), and otherwise a transaction that locks the
//! row it depends on (`SELECT ... FOR UPDATE`) with a unique constraint as the backstop.
//! Migrations are safe to start from two replicas at once: sqlx holds an advisory lock
//! while it migrates.
//!
//! Encodings: native UUID, TIMESTAMPTZ (microseconds), JSONB; search uses a generated
//! `tsvector` column with a GIN index.

use std::str::FromStr;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::StoreResult;

/// Appended to a `SELECT` that a write transaction reads before it writes: locks the rows
/// read, so replicas editing the same rows take turns.
macro_rules! for_update {
    () => {
        " FOR UPDATE"
    };
}

/// Appended to an `ORDER BY` text column to order by bytes, whatever the database's
/// collation (the order SQLite uses, so both backends list alike).
macro_rules! bytewise {
    () => {
        " COLLATE \"C\""
    };
}

shared_sql_modules!();
mod attempts;
mod publish;
mod search;
use attempts::{lock_attempt_start, save_answer};
use publish::insert_course_rows;

/// The backend the shared modules in `store/sql/` are compiled for here.
type Backend = PgStore;
/// Its database, for the shared modules' row and transaction types.
type Db = sqlx::Postgres;

/// [`Store`] on PostgreSQL. Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// The name `/readyz` and the logs give this backend.
    const NAME: &'static str = "postgres";

    /// The pool for reads; on PostgreSQL the one pool.
    fn reader(&self) -> &PgPool {
        &self.pool
    }

    /// The pool for writes; on PostgreSQL the one pool.
    fn writer(&self) -> &PgPool {
        &self.pool
    }

    /// A transaction that will write. Row locks (`FOR UPDATE`) inside it serialize
    /// replicas where a statement alone does not.
    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, Db>> {
        Ok(self.pool.begin().await?)
    }

    /// Connects to `url` (`postgres://user@host:port/db`) with up to `pool_size` connections
    /// and runs the migrations.
    pub async fn connect(url: &str, pool_size: u32) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?
            .application_name("cloudmaster-server")
            .statement_cache_capacity(256);
        let pool = PgPoolOptions::new()
            .max_connections(pool_size.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Commits a progress write on its own: PostgreSQL runs concurrent writers in parallel.
async fn write_progress(
    s: &PgStore,
    write: progress::ProgressWrite,
) -> StoreResult<progress::StoredRow> {
    Ok(progress::upsert_progress(&s.pool, &write).await?)
}

/// First key of the advisory locks taken by [`lock_lab_start`] (ASCII `labs`), so they
/// cannot collide with other users of the two-key advisory lock space.
const LAB_START_LOCK_CLASS: i32 = 0x6c61_6273;

/// Serialises starts of one lab by one user across replicas: a transaction-scoped advisory
/// lock on (user, course, lab), so concurrent starts find each other's session.
async fn lock_lab_start(
    tx: &mut sqlx::PgConnection,
    user_id: uuid::Uuid,
    course_id: &str,
    lab_id: &str,
) -> StoreResult<()> {
    use sha2::{Digest as _, Sha256};
    let mut hash = Sha256::new();
    hash.update(user_id.as_bytes());
    hash.update(course_id.as_bytes());
    hash.update([0]);
    hash.update(lab_id.as_bytes());
    let digest = hash.finalize();
    let key = i32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
        .bind(LAB_START_LOCK_CLASS)
        .bind(key)
        .execute(tx)
        .await?;
    Ok(())
}
