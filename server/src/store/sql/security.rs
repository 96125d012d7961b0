//! Ended sessions, login back-off, known devices and the audit log, shared by both backends.

use async_trait::async_trait;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Backend;
use crate::auth::records::{AuditEntry, LoginFailures, NewAuditEntry, SessionEnd};
use crate::store::{SecurityStore, StoreError, StoreResult, Timestamp};

#[async_trait]
impl SecurityStore for Backend {
    async fn session_end(&self, family_id: Uuid) -> StoreResult<Option<SessionEnd>> {
        let reason: Option<(String,)> =
            sqlx::query_as("SELECT reason FROM ended_sessions WHERE family_id = $1")
                .bind(family_id)
                .fetch_optional(&self.reader)
                .await?;
        reason
            .map(|(r,)| {
                SessionEnd::parse(&r)
                    .ok_or_else(|| StoreError::Corrupt(format!("session end reason `{r}`")))
            })
            .transpose()
    }

    async fn login_failures(&self, subject: &str) -> StoreResult<Option<LoginFailures>> {
        let row: Option<(i32, Timestamp)> = sqlx::query_as(
            "SELECT failures, last_failure_at FROM login_failures WHERE subject = $1",
        )
        .bind(subject)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(failures_from_row))
    }

    async fn record_login_failure(
        &self,
        subject: &str,
        now: OffsetDateTime,
        forget_before: OffsetDateTime,
    ) -> StoreResult<LoginFailures> {
        let row: (i32, Timestamp) = sqlx::query_as(
            "INSERT INTO login_failures (subject, failures, last_failure_at) VALUES ($1, 1, $2) \
             ON CONFLICT (subject) DO UPDATE SET \
               failures = CASE WHEN login_failures.last_failure_at < $3 THEN 1 \
                               ELSE login_failures.failures + 1 END, \
               last_failure_at = CASE WHEN excluded.last_failure_at > login_failures.last_failure_at \
                                      THEN excluded.last_failure_at \
                                      ELSE login_failures.last_failure_at END \
             RETURNING failures, last_failure_at",
        )
        .bind(subject)
        .bind(Timestamp::new(now))
        .bind(Timestamp::new(forget_before))
        .fetch_one(&self.writer)
        .await?;
        Ok(failures_from_row(row))
    }

    async fn clear_login_failures(&self, subject: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE subject = $1")
            .bind(subject)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn prune_login_state(
        &self,
        failures_before: OffsetDateTime,
        sessions_before: OffsetDateTime,
    ) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let failures = sqlx::query("DELETE FROM login_failures WHERE last_failure_at < $1")
            .bind(Timestamp::new(failures_before))
            .execute(&mut *tx)
            .await?;
        let sessions = sqlx::query("DELETE FROM ended_sessions WHERE ended_at < $1")
            .bind(Timestamp::new(sessions_before))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(failures.rows_affected() + sessions.rows_affected())
    }

    async fn is_known_device(&self, user_id: Uuid, token_hash: &[u8]) -> StoreResult<bool> {
        let found: Option<(i32,)> =
            sqlx::query_as("SELECT 1 FROM known_devices WHERE token_hash = $1 AND user_id = $2")
                .bind(token_hash)
                .bind(user_id)
                .fetch_optional(&self.reader)
                .await?;
        Ok(found.is_some())
    }

    async fn remember_device(
        &self,
        user_id: Uuid,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        // A token hash belongs to the account that first used it; another account
        // presenting it does not take it over.
        sqlx::query(
            "INSERT INTO known_devices (token_hash, user_id, created_at, last_login_at) \
             VALUES ($1, $2, $3, $3) \
             ON CONFLICT (token_hash) DO UPDATE SET last_login_at = excluded.last_login_at \
             WHERE known_devices.user_id = excluded.user_id",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(Timestamp::new(now))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn set_password_hash(&self, user_id: Uuid, password_hash: &str) -> StoreResult<()> {
        let done = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user_id)
            .bind(password_hash)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("user".into()));
        }
        Ok(())
    }

    async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, action, subject_id, client_ip, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Timestamp::new(entry.at))
        .bind(entry.actor_id)
        .bind(&entry.action)
        .bind(entry.subject_id)
        .bind(&entry.client_ip)
        .bind(Json(&entry.detail))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn audit_log(&self, limit: u32, before: Option<i64>) -> StoreResult<Vec<AuditEntry>> {
        type Row = (
            i64,
            Timestamp,
            Option<Uuid>,
            String,
            Option<Uuid>,
            Option<String>,
            Json<serde_json::Value>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, at, actor_id, action, subject_id, client_ip, detail FROM audit_log \
             WHERE id < $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, at, actor_id, action, subject_id, client_ip, Json(detail))| AuditEntry {
                    id,
                    entry: NewAuditEntry {
                        at: at.get(),
                        actor_id,
                        action,
                        subject_id,
                        client_ip,
                        detail,
                    },
                },
            )
            .collect())
    }
}

fn failures_from_row((failures, at): (i32, Timestamp)) -> LoginFailures {
    LoginFailures {
        failures: u32::try_from(failures).unwrap_or(0),
        last_failure_at: at.get(),
    }
}
