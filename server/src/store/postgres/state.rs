//! State shared by every replica: secrets left by earlier versions and rate-limit counters.

use time::OffsetDateTime;

use super::PgStore;
use crate::store::StoreResult;
use crate::store::shared::micros;

pub(super) async fn secret(s: &PgStore, name: &str) -> StoreResult<Option<Vec<u8>>> {
    let row: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_optional(&s.pool)
            .await?;
    Ok(row.map(|(value,)| value))
}

pub(super) async fn delete_secret(s: &PgStore, name: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM server_secrets WHERE name = $1")
        .bind(name)
        .execute(&s.pool)
        .await?;
    Ok(done.rows_affected() > 0)
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
