//! [`StateStore`](crate::store::StateStore), shared by both backends.

use std::collections::HashMap;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{Backend, Db};
use crate::store::{RateCount, StateStore, StoreError, StoreResult, Timestamp};

/// Counters written by one statement of a flush: three parameters each, well under both
/// databases' limits on the parameters of a statement.
const COUNTERS_PER_STATEMENT: usize = 1_000;

#[async_trait]
impl StateStore for Backend {
    async fn secret(&self, name: &str) -> StoreResult<Option<Vec<u8>>> {
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT value FROM server_secrets WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.writer)
                .await?;
        Ok(row.map(|(value,)| value))
    }

    async fn delete_secret(&self, name: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM server_secrets WHERE name = $1")
            .bind(name)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn get_or_init_value(
        &self,
        name: &str,
        candidate: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<Vec<u8>> {
        // A replica racing us either inserts first (our insert does nothing) or second; the
        // select then sees the one winner.
        sqlx::query(
            "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .bind(Timestamp::new(now))
        .execute(&self.writer)
        .await?;
        self.secret(name)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("server value `{name}`")))
    }

    async fn add_rate_usages(&self, counts: &[RateCount]) -> StoreResult<Vec<i64>> {
        // One counter needs no transaction around its one statement (the admission path).
        if let [count] = counts {
            return Ok(vec![add_count(&self.writer, count).await?]);
        }
        // Key order, so that replicas flushing at once lock rows in the same order; a few
        // statements of many rows each, not a statement per counter (each statement is a
        // round trip to the connection, and the flush holds the writer meanwhile).
        let mut order: Vec<usize> = (0..counts.len()).collect();
        order.sort_by(|&a, &b| {
            (&counts[a].key, counts[a].window_start).cmp(&(&counts[b].key, counts[b].window_start))
        });
        let mut totals = vec![0; counts.len()];
        let mut tx = self.begin_write().await?;
        for chunk in order.chunks(COUNTERS_PER_STATEMENT) {
            let mut sql = String::from("INSERT INTO rate_usage (key, window_start, count) VALUES ");
            for n in 0..chunk.len() {
                if n > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("(${}, ${}, ${})", 3 * n + 1, 3 * n + 2, 3 * n + 3));
            }
            sql.push_str(
                " ON CONFLICT (key, window_start) \
                 DO UPDATE SET count = rate_usage.count + excluded.count \
                 RETURNING key, window_start, count",
            );
            let mut query = sqlx::query_as::<_, (String, Timestamp, i64)>(sqlx::AssertSqlSafe(sql));
            for &i in chunk {
                query = query
                    .bind(&counts[i].key)
                    .bind(Timestamp::new(counts[i].window_start))
                    .bind(counts[i].delta);
            }
            let stored: HashMap<(String, i128), i64> = query
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|(key, window, total)| ((key, micros(window.get())), total))
                .collect();
            for &i in chunk {
                let key = (counts[i].key.clone(), micros(counts[i].window_start));
                totals[i] = *stored.get(&key).ok_or_else(|| {
                    StoreError::Corrupt(format!("no count came back for `{}`", counts[i].key))
                })?;
            }
        }
        tx.commit().await?;
        Ok(totals)
    }

    async fn prune_rate_usage(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM rate_usage WHERE window_start < $1")
            .bind(Timestamp::new(before))
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}

async fn add_count<'c>(
    db: impl sqlx::Executor<'c, Database = Db>,
    c: &RateCount,
) -> StoreResult<i64> {
    let (total,) = sqlx::query_as(
        "INSERT INTO rate_usage (key, window_start, count) VALUES ($1, $2, $3) \
         ON CONFLICT (key, window_start) \
         DO UPDATE SET count = rate_usage.count + excluded.count RETURNING count",
    )
    .bind(&c.key)
    .bind(Timestamp::new(c.window_start))
    .bind(c.delta)
    .fetch_one(db)
    .await?;
    Ok(total)
}

/// A time to the microsecond, as both databases store it.
fn micros(t: OffsetDateTime) -> i128 {
    t.unix_timestamp_nanos() / 1_000
}
