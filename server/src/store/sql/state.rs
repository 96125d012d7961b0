//! [`StateStore`](crate::store::StateStore), shared by both backends.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{Backend, Db};
use crate::store::{RateCount, StateStore, StoreError, StoreResult, Timestamp};

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
        let mut order: Vec<usize> = (0..counts.len()).collect();
        order.sort_by(|&a, &b| {
            (&counts[a].key, counts[a].window_start).cmp(&(&counts[b].key, counts[b].window_start))
        });
        let mut totals = vec![0; counts.len()];
        let mut tx = self.begin_write().await?;
        for i in order {
            totals[i] = add_count(&mut *tx, &counts[i]).await?;
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

async fn add_count<'c>(db: impl sqlx::Executor<'c, Database = Db>, c: &RateCount) -> StoreResult<i64> {
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
