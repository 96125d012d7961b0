//! State shared by every server on one database: signing secrets and rate-limit counters.

use time::OffsetDateTime;

use super::{SqliteStore, ts};
use crate::store::StoreResult;
use crate::store::shared::{micros, now};

pub(super) async fn get_or_init_secret(
    s: &SqliteStore,
    name: &str,
    candidate: &[u8],
) -> StoreResult<Vec<u8>> {
    // First writer wins; everyone then reads the winner's value. Both statements run on the
    // writer so the read sees the write even before a reader would.
    sqlx::query(
        "INSERT INTO server_secrets (name, value, created_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(candidate)
    .bind(ts(now()))
    .execute(&s.writer)
    .await?;
    let (value,): (Vec<u8>,) = sqlx::query_as("SELECT value FROM server_secrets WHERE name = ?1")
        .bind(name)
        .fetch_one(&s.writer)
        .await?;
    Ok(value)
}

pub(super) async fn add_rate_usage(
    s: &SqliteStore,
    key: &str,
    window_start: OffsetDateTime,
    delta: i64,
) -> StoreResult<i64> {
    let (count,): (i64,) = sqlx::query_as(
        "INSERT INTO rate_usage (key, window_start, count) VALUES (?1, ?2, ?3) \
         ON CONFLICT (key, window_start) DO UPDATE SET count = count + excluded.count \
         RETURNING count",
    )
    .bind(key)
    .bind(ts(micros(window_start)))
    .bind(delta)
    .fetch_one(&s.writer)
    .await?;
    Ok(count)
}

pub(super) async fn prune_rate_usage(s: &SqliteStore, before: OffsetDateTime) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM rate_usage WHERE window_start < ?1")
        .bind(ts(micros(before)))
        .execute(&s.writer)
        .await?;
    Ok(done.rows_affected())
}
