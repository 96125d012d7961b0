//! [`SshKeyStore`](crate::store::SshKeyStore), shared by both backends.

use async_trait::async_trait;
use cloudmaster_core::api::SshKey;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Backend;
use crate::store::shared::conflict_on_unique;
use crate::store::{
    LinkedSshKey, NewSshKey, SshKeyAdded, SshKeyStore, StoreError, StoreResult, Timestamp,
};

/// What the store calls a key in `Conflict` and `NotFound`.
const WHAT: &str = "SSH key";

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: Uuid,
    name: String,
    fingerprint: String,
    algorithm: String,
    created_at: Timestamp,
    last_used_at: Option<Timestamp>,
}

impl From<KeyRow> for SshKey {
    fn from(row: KeyRow) -> Self {
        SshKey {
            id: row.id,
            name: row.name,
            fingerprint: row.fingerprint,
            algorithm: row.algorithm,
            created_at: row.created_at.get(),
            last_used_at: row.last_used_at.map(Timestamp::get),
        }
    }
}

#[async_trait]
impl SshKeyStore for Backend {
    async fn add_ssh_key(
        &self,
        new: NewSshKey,
        limit: u32,
        now: OffsetDateTime,
    ) -> StoreResult<SshKeyAdded> {
        let created_at = Timestamp::new(now);
        let mut tx = self.begin_write().await?;
        // Adds to one account take turns on its row, so two at once cannot both pass the
        // count below and leave it over the limit.
        let user: Option<(Uuid,)> =
            sqlx::query_as(concat!("SELECT id FROM users WHERE id = $1", for_update!()))
                .bind(new.user_id)
                .fetch_optional(&mut *tx)
                .await?;
        if user.is_none() {
            return Err(StoreError::NotFound(format!("user {}", new.user_id)));
        }
        // A key already linked is refused before the limit is looked at: adding it again
        // would not help whatever the count.
        let taken: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM ssh_keys WHERE fingerprint = $1")
            .bind(&new.fingerprint)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(WHAT.to_owned()));
        }
        let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM ssh_keys WHERE user_id = $1")
            .bind(new.user_id)
            .fetch_one(&mut *tx)
            .await?;
        if count >= i64::from(limit) {
            return Ok(SshKeyAdded::LimitReached);
        }
        // Another account linking the same key at the same moment is not serialised by the
        // lock above; the unique fingerprint refuses the second.
        sqlx::query(
            "INSERT INTO ssh_keys \
                 (id, user_id, fingerprint, algorithm, public_key, name, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new.id)
        .bind(new.user_id)
        .bind(&new.fingerprint)
        .bind(&new.algorithm)
        .bind(&new.public_key)
        .bind(&new.name)
        .bind(created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, WHAT))?;
        tx.commit().await.map_err(|e| conflict_on_unique(e, WHAT))?;
        Ok(SshKeyAdded::Added(SshKey {
            id: new.id,
            name: new.name,
            fingerprint: new.fingerprint,
            algorithm: new.algorithm,
            created_at: created_at.get(),
            last_used_at: None,
        }))
    }

    async fn ssh_keys(&self, user_id: Uuid) -> StoreResult<Vec<SshKey>> {
        let rows: Vec<KeyRow> = sqlx::query_as(
            "SELECT id, name, fingerprint, algorithm, created_at, last_used_at \
             FROM ssh_keys WHERE user_id = $1 ORDER BY created_at, id",
        )
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn remove_ssh_key(&self, user_id: Uuid, id: Uuid) -> StoreResult<SshKey> {
        let row: Option<KeyRow> = sqlx::query_as(
            "DELETE FROM ssh_keys WHERE id = $1 AND user_id = $2 \
             RETURNING id, name, fingerprint, algorithm, created_at, last_used_at",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(&self.writer)
        .await?;
        row.map(Into::into)
            .ok_or_else(|| StoreError::NotFound(format!("{WHAT} {id}")))
    }

    async fn ssh_key_by_fingerprint(&self, fingerprint: &str) -> StoreResult<Option<LinkedSshKey>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            user_id: Uuid,
            public_key: String,
            #[sqlx(flatten)]
            key: KeyRow,
        }
        let row: Option<Row> = sqlx::query_as(
            "SELECT user_id, public_key, id, name, fingerprint, algorithm, created_at, \
                 last_used_at \
             FROM ssh_keys WHERE fingerprint = $1",
        )
        .bind(fingerprint)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|row| LinkedSshKey {
            user_id: row.user_id,
            public_key: row.public_key,
            key: row.key.into(),
        }))
    }

    async fn touch_ssh_key(&self, id: Uuid, now: OffsetDateTime) -> StoreResult<()> {
        sqlx::query(
            "UPDATE ssh_keys SET last_used_at = $2 \
             WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
        )
        .bind(id)
        .bind(Timestamp::new(now))
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}
