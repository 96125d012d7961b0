//! [`PasswordResetStore`](crate::store::PasswordResetStore), shared by both backends.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Backend;
use super::accounts::end_session;
use super::mail::insert_mail;
use crate::auth::records::{NewPasswordReset, PasswordResetRedeemed, ResetQuota, SessionEnd};
use crate::mail::NewMail;
use crate::store::{PasswordResetStore, StoreError, StoreResult, Timestamp};

#[async_trait]
impl PasswordResetStore for Backend {
    async fn create_password_reset(
        &self,
        reset: NewPasswordReset,
        mail: Option<NewMail>,
        quota: Option<ResetQuota>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        // Requests for one account take turns on its row, so two at once cannot both pass
        // the quota below.
        let user: Option<(Uuid,)> =
            sqlx::query_as(concat!("SELECT id FROM users WHERE id = $1", for_update!()))
                .bind(reset.user_id)
                .fetch_optional(&mut *tx)
                .await?;
        if user.is_none() {
            return Err(StoreError::NotFound(format!("user {}", reset.user_id)));
        }
        if let Some(quota) = quota {
            let (made,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM password_resets WHERE user_id = $1 AND created_at >= $2",
            )
            .bind(reset.user_id)
            .bind(Timestamp::new(quota.since))
            .fetch_one(&mut *tx)
            .await?;
            if made >= i64::from(quota.max) {
                return Ok(false);
            }
        }
        sqlx::query(
            "INSERT INTO password_resets (code_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&reset.code_hash)
        .bind(reset.user_id)
        .bind(Timestamp::new(reset.created_at))
        .bind(Timestamp::new(reset.expires_at))
        .execute(&mut *tx)
        .await?;
        if let Some(mail) = &mail {
            insert_mail(&mut tx, mail).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn redeem_password_reset(
        &self,
        code_hash: &[u8],
        password_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<PasswordResetRedeemed>> {
        let now = Timestamp::new(now);
        let mut tx = self.begin_write().await?;
        // A conditional update: of two redemptions of one code at once, one finds it unused.
        let redeemed: Option<(Uuid,)> = sqlx::query_as(
            "UPDATE password_resets SET used_at = $2 \
             WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 \
             RETURNING user_id",
        )
        .bind(code_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((user_id,)) = redeemed else {
            return Ok(None);
        };
        sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user_id)
            .bind(password_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // A live session is a family with a refresh token not yet used, revoked or expired.
        let live: Vec<(Uuid,)> = sqlx::query_as(
            "SELECT DISTINCT family_id FROM refresh_tokens \
             WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut sessions_ended = Vec::with_capacity(live.len());
        for (family_id,) in live {
            end_session(&mut tx, family_id, user_id, SessionEnd::PasswordReset, now).await?;
            sessions_ended.push(family_id);
        }
        tx.commit().await?;
        sessions_ended.sort();
        Ok(Some(PasswordResetRedeemed {
            user_id,
            sessions_ended,
        }))
    }

    async fn prune_password_resets(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM password_resets WHERE expires_at < $1")
            .bind(Timestamp::new(before))
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}
