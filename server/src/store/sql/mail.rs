//! [`MailStore`](crate::store::MailStore), shared by both backends.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Backend, Db};
use crate::mail::{NewMail, QueuedMail};
use crate::store::{MailStore, StoreResult, Timestamp};

/// Queues `mail` inside the caller's transaction.
pub(super) async fn insert_mail(
    conn: &mut <Db as sqlx::Database>::Connection,
    mail: &NewMail,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO mail_outbox (id, recipient, subject, body, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(mail.id)
    .bind(&mail.recipient)
    .bind(&mail.subject)
    .bind(&mail.body)
    .bind(Timestamp::new(mail.created_at))
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl MailStore for Backend {
    async fn queue_mail(&self, mail: NewMail) -> StoreResult<()> {
        let mut conn = self.writer.acquire().await?;
        insert_mail(&mut conn, &mail).await
    }

    async fn claim_due_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<QueuedMail>> {
        // The outer condition repeats the inner one: on PostgreSQL a claimer that waited for
        // another's row lock checks it again against the row as the other left it, and so
        // skips a message just claimed.
        let rows: Vec<(Uuid, String, String, String, i32, Timestamp)> = sqlx::query_as(
            "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $2 \
             WHERE id IN (SELECT id FROM mail_outbox \
                          WHERE sent_at IS NULL AND gave_up_at IS NULL \
                            AND next_attempt_at <= $1 \
                          ORDER BY next_attempt_at LIMIT $3) \
               AND sent_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= $1 \
             RETURNING id, recipient, subject, body, attempts, created_at",
        )
        .bind(Timestamp::new(now))
        .bind(Timestamp::new(lease_until))
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
        .await?;
        let mut claimed: Vec<QueuedMail> = rows
            .into_iter()
            .map(|(id, recipient, subject, body, attempts, created_at)| QueuedMail {
                id,
                recipient,
                subject,
                body,
                attempts: u32::try_from(attempts).unwrap_or(0),
                created_at: created_at.get(),
            })
            .collect();
        claimed.sort_by_key(|mail| mail.created_at);
        Ok(claimed)
    }

    async fn mail_sent(&self, id: Uuid, now: OffsetDateTime) -> StoreResult<()> {
        sqlx::query("UPDATE mail_outbox SET sent_at = $2, body = '' WHERE id = $1")
            .bind(id)
            .bind(Timestamp::new(now))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn mail_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let query = match retry_at {
            Some(retry_at) => sqlx::query(
                "UPDATE mail_outbox SET last_error = $2, next_attempt_at = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(error)
            .bind(Timestamp::new(retry_at)),
            None => sqlx::query(
                "UPDATE mail_outbox SET last_error = $2, gave_up_at = $3, body = '' WHERE id = $1",
            )
            .bind(id)
            .bind(error)
            .bind(Timestamp::new(now)),
        };
        query.execute(&self.writer).await?;
        Ok(())
    }

    async fn prune_mail(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM mail_outbox \
             WHERE created_at < $1 AND (sent_at IS NOT NULL OR gave_up_at IS NOT NULL)",
        )
        .bind(Timestamp::new(before))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }
}
