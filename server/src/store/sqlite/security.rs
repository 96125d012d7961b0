//! Ended sessions, login back-off, known devices and the audit log on SQLite.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{SqliteStore, from_ts, ts};
use crate::store::{
    AuditEntry, LoginFailures, NewAuditEntry, SecurityStore, SessionEnd, StoreError, StoreResult,
};

#[async_trait]
impl SecurityStore for SqliteStore {
    async fn session_end(&self, family_id: Uuid) -> StoreResult<Option<SessionEnd>> {
        let reason: Option<(String,)> =
            sqlx::query_as("SELECT reason FROM ended_sessions WHERE family_id = ?1")
                .bind(family_id)
                .fetch_optional(&self.reader)
                .await?;
        reason.map(|(r,)| SessionEnd::parse(&r)).transpose()
    }

    async fn login_failures(&self, subject: &str) -> StoreResult<Option<LoginFailures>> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT failures, last_failure_at FROM login_failures WHERE subject = ?1",
        )
        .bind(subject)
        .fetch_optional(&self.reader)
        .await?;
        row.map(failures_from_row).transpose()
    }

    async fn record_login_failure(
        &self,
        subject: &str,
        now: OffsetDateTime,
        forget_before: OffsetDateTime,
    ) -> StoreResult<LoginFailures> {
        let row: (i64, i64) = sqlx::query_as(
            "INSERT INTO login_failures (subject, failures, last_failure_at) VALUES (?1, 1, ?2) \
             ON CONFLICT (subject) DO UPDATE SET \
               failures = CASE WHEN login_failures.last_failure_at < ?3 THEN 1 \
                               ELSE login_failures.failures + 1 END, \
               last_failure_at = MAX(login_failures.last_failure_at, excluded.last_failure_at) \
             RETURNING failures, last_failure_at",
        )
        .bind(subject)
        .bind(ts(now))
        .bind(ts(forget_before))
        .fetch_one(&self.writer)
        .await?;
        failures_from_row(row)
    }

    async fn clear_login_failures(&self, subject: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE subject = ?1")
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
        let mut tx = self.writer.begin().await?;
        let failures = sqlx::query("DELETE FROM login_failures WHERE last_failure_at < ?1")
            .bind(ts(failures_before))
            .execute(&mut *tx)
            .await?;
        let sessions = sqlx::query("DELETE FROM ended_sessions WHERE ended_at < ?1")
            .bind(ts(sessions_before))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(failures.rows_affected() + sessions.rows_affected())
    }

    async fn is_known_device(&self, user_id: Uuid, token_hash: &[u8]) -> StoreResult<bool> {
        let found: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM known_devices WHERE token_hash = ?1 AND user_id = ?2")
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
             VALUES (?1, ?2, ?3, ?3) \
             ON CONFLICT (token_hash) DO UPDATE SET last_login_at = excluded.last_login_at \
             WHERE known_devices.user_id = excluded.user_id",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(ts(now))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn set_password_hash(&self, user_id: Uuid, password_hash: &str) -> StoreResult<()> {
        let done = sqlx::query("UPDATE users SET password_hash = ?2 WHERE id = ?1")
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
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(ts(entry.at))
        .bind(entry.actor_id)
        .bind(&entry.action)
        .bind(entry.subject_id)
        .bind(&entry.client_ip)
        .bind(entry.detail.to_string())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn audit_log(&self, limit: u32, before: Option<i64>) -> StoreResult<Vec<AuditEntry>> {
        type Row = (
            i64,
            i64,
            Option<Uuid>,
            String,
            Option<Uuid>,
            Option<String>,
            String,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, at, actor_id, action, subject_id, client_ip, detail FROM audit_log \
             WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(
                |(id, at, actor_id, action, subject_id, client_ip, detail)| {
                    let detail = serde_json::from_str(&detail)
                        .map_err(|e| StoreError::Corrupt(format!("audit entry {id}: {e}")))?;
                    Ok(AuditEntry {
                        id,
                        entry: NewAuditEntry {
                            at: from_ts(at)?,
                            actor_id,
                            action,
                            subject_id,
                            client_ip,
                            detail,
                        },
                    })
                },
            )
            .collect()
    }
}

fn failures_from_row((failures, at): (i64, i64)) -> StoreResult<LoginFailures> {
    Ok(LoginFailures {
        failures: u32::try_from(failures).unwrap_or(u32::MAX),
        last_failure_at: from_ts(at)?,
    })
}
