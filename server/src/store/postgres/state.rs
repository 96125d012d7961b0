//! State shared by every replica: signing secrets and rate-limit counters.

use time::OffsetDateTime;

use super::PgStore;
use crate::store::StoreResult;
use crate::store::shared::{micros, now};

pub(super) async fn get_or_init_secret(
    s: &PgStore,
    name: &str,
    candidate: &[u8],
) -> StoreResult<Vec<u8>> {
    // A replica racing us either inserts first (our insert waits for its commit, then does
    // nothing) or second; either way the select, in a fresh snapshot, sees the one winner.
    sqlx::query(
        "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(candidate)
    .bind(now())
    .execute(&s.pool)
    .await?;
    let (value,): (Vec<u8>,) = sqlx::query_as("SELECT value FROM server_secrets WHERE name = $1")
        .bind(name)
        .fetch_one(&s.pool)
        .await?;
    Ok(value)
}

pub(super) async fn add_rate_usage(
    s: &PgStore,
    key: &str,
    window_start: OffsetDateTime,
    delta: i64,
) -> StoreResult<i64> {
    let (count,): (i64,) = sqlx::query_as(
        "INSERT INTO rate_usage (key, window_start, count) VALUES ($1, $2, $3) \
         ON CONFLICT (key, window_start) DO UPDATE SET count = rate_usage.count + EXCLUDED.count \
         RETURNING count",
    )
    .bind(key)
    .bind(micros(window_start))
    .bind(delta)
    .fetch_one(&s.pool)
    .await?;
    Ok(count)
}

pub(super) async fn prune_rate_usage(s: &PgStore, before: OffsetDateTime) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM rate_usage WHERE window_start < $1")
        .bind(micros(before))
        .execute(&s.pool)
        .await?;
    Ok(done.rows_affected())
}
