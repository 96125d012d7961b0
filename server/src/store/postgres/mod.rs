//! The scale-out backend: [`Store`](crate::store::Store) on PostgreSQL, shared by several
//! server replicas.
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

sql_backend! {
    store: PgStore,
    database: sqlx::Postgres,
    name: "postgres",
    // Row locks (`for_update`) inside the transaction serialize replicas where a statement
    // alone does not.
    begin_write: "BEGIN",
    for_update: " FOR UPDATE",
    bytewise: " COLLATE \"C\"",
    json_elements: "jsonb_array_elements",
}

mod search;
use search::search_hits;

/// [`Store`](crate::store::Store) on PostgreSQL. Cheap to clone (pool handles).
#[derive(Debug, Clone)]
pub struct PgStore {
    /// The one pool, for reads...
    reader: PgPool,
    /// ...and for writes, which PostgreSQL runs side by side.
    writer: PgPool,
}

impl PgStore {
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
        Ok(Self {
            reader: pool.clone(),
            writer: pool,
        })
    }
}

/// Commits a progress write on its own: PostgreSQL runs concurrent writers in parallel.
async fn write_progress(
    s: &PgStore,
    write: sql::progress::ProgressWrite,
) -> StoreResult<sql::progress::StoredRow> {
    Ok(sql::progress::upsert_progress(&s.writer, &write).await?)
}

/// Serialises starts of one thing by one user across replicas (the `key` of
/// `shared::start_key`), so concurrent starts find each other's: a transaction-scoped
/// advisory lock on the key (a hash collision only serialises two unrelated starts).
async fn lock_start(tx: &mut sqlx::PgConnection, key: &str) -> StoreResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(key)
        .execute(tx)
        .await?;
    Ok(())
}
