//! [`AccountStore`](crate::store::AccountStore): users, refresh tokens (rotation with reuse
//! detection) and personal API tokens, shared by both backends.
//!
//! A conditional `UPDATE ... RETURNING` decides races on its own: on SQLite every write runs
//! on the one writer connection; on PostgreSQL concurrent updates of a row queue on its row
//! lock and each re-checks the condition on the row as the winner left it.

use std::collections::BTreeMap;

use async_trait::async_trait;
use cloudmaster_core::api::{AccountErased, ApiTokenInfo, Role, User, UserAccount};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Backend, Db};
use crate::auth::records::{
    ApiTokenOwner, NewApiToken, NewRefreshToken, NewUser, RefreshOutcome, SessionEnd,
    UserCredentials,
};
use crate::store::shared::{
    conflict_on_unique, decode_scopes, email_key, encode_scopes, parse_role, parse_tier,
};
use crate::store::{AccountStore, StoreError, StoreResult, Timestamp};

/// The columns of a [`UserRow`], for a `SELECT` from `users`.
macro_rules! user_columns {
    () => {
        "id, email, name, role, tier, created_at"
    };
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    role: String,
    tier: String,
    created_at: Timestamp,
}

impl UserRow {
    fn into_user(self) -> StoreResult<User> {
        Ok(User {
            id: self.id,
            email: self.email,
            name: self.name,
            role: parse_role(&self.role)?,
            tier: parse_tier(&self.tier)?,
            created_at: self.created_at.get(),
        })
    }
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    #[sqlx(flatten)]
    user: UserRow,
    suspended: bool,
}

impl AccountRow {
    fn into_account(self) -> StoreResult<UserAccount> {
        Ok(UserAccount {
            user: self.user.into_user()?,
            suspended: self.suspended,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CredentialsRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
    suspended: bool,
}

impl CredentialsRow {
    fn into_credentials(self) -> StoreResult<UserCredentials> {
        Ok(UserCredentials {
            user: self.user.into_user()?,
            password_hash: self.password_hash,
            suspended: self.suspended,
        })
    }
}

#[derive(sqlx::FromRow)]
struct OwnerRow {
    token_id: Uuid,
    scopes: String,
    #[sqlx(flatten)]
    user: UserRow,
    suspended: bool,
}

/// `id, name, scopes, prefix, created_at, expires_at, last_used_at`
type TokenRow = (
    Uuid,
    String,
    String,
    String,
    Timestamp,
    Option<Timestamp>,
    Option<Timestamp>,
);

#[async_trait]
impl AccountStore for Backend {
    async fn create_user(&self, new: NewUser, now: OffsetDateTime) -> StoreResult<User> {
        let user = User {
            id: Uuid::now_v7(),
            email: new.email,
            name: new.name,
            role: new.role,
            tier: new.tier,
            created_at: Timestamp::new(now).get(),
        };
        sqlx::query(
            "INSERT INTO users (id, email, email_lower, name, password_hash, role, tier, \
                                created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(user.id)
        .bind(&user.email)
        .bind(email_key(&user.email))
        .bind(&user.name)
        .bind(&new.password_hash)
        .bind(user.role.as_str())
        .bind(user.tier.as_str())
        .bind(Timestamp::new(user.created_at))
        .execute(&self.writer)
        .await
        .map_err(|e| conflict_on_unique(e, "an account with this email"))?;
        Ok(user)
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserCredentials>> {
        sqlx::query_as::<_, CredentialsRow>(concat!(
            "SELECT ",
            user_columns!(),
            ", password_hash, suspended FROM users WHERE email_lower = $1"
        ))
        .bind(email_key(email))
        .fetch_optional(&self.reader)
        .await?
        .map(CredentialsRow::into_credentials)
        .transpose()
    }

    async fn user_by_id(&self, id: Uuid) -> StoreResult<Option<UserCredentials>> {
        sqlx::query_as::<_, CredentialsRow>(concat!(
            "SELECT ",
            user_columns!(),
            ", password_hash, suspended FROM users WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?
        .map(CredentialsRow::into_credentials)
        .transpose()
    }

    async fn list_users(&self) -> StoreResult<Vec<UserAccount>> {
        sqlx::query_as::<_, AccountRow>(concat!(
            "SELECT ",
            user_columns!(),
            ", suspended FROM users ORDER BY created_at, id"
        ))
        .fetch_all(&self.reader)
        .await?
        .into_iter()
        .map(AccountRow::into_account)
        .collect()
    }

    async fn set_user_role(&self, id: Uuid, role: Role) -> StoreResult<User> {
        sqlx::query_as::<_, UserRow>(concat!(
            "UPDATE users SET role = $2 WHERE id = $1 RETURNING ",
            user_columns!()
        ))
        .bind(id)
        .bind(role.as_str())
        .fetch_optional(&self.writer)
        .await?
        .ok_or_else(|| StoreError::NotFound("user".into()))?
        .into_user()
    }

    async fn set_user_suspended(&self, id: Uuid, suspended: bool) -> StoreResult<UserAccount> {
        sqlx::query_as::<_, AccountRow>(concat!(
            "UPDATE users SET suspended = $2 WHERE id = $1 RETURNING ",
            user_columns!(),
            ", suspended"
        ))
        .bind(id)
        .bind(suspended)
        .fetch_optional(&self.writer)
        .await?
        .ok_or_else(|| StoreError::NotFound("user".into()))?
        .into_account()
    }

    async fn erase_user(&self, id: Uuid, placeholder_email: &str) -> StoreResult<AccountErased> {
        let mut tx = self.begin_write().await?;
        let email: Option<(String,)> = sqlx::query_as(concat!(
            "SELECT email FROM users WHERE id = $1",
            for_update!()
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((email,)) = email else {
            return Err(StoreError::NotFound(format!("user {id}")));
        };
        for statement in ERASE_PERSONAL_DATA.iter().chain([&CANCEL_ERASED_SUBSCRIPTION]) {
            sqlx::query(*statement).bind(id).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM mail_outbox WHERE recipient = $1")
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE users SET email = $2, email_lower = $3, name = 'Deleted account', \
                              password_hash = '!', role = 'learner', tier = 'free', \
                              suspended = TRUE \
             WHERE id = $1",
        )
        .bind(id)
        .bind(placeholder_email)
        .bind(email_key(placeholder_email))
        .execute(&mut *tx)
        .await?;
        let (payments_kept,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM payments WHERE user_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        let courses: Vec<(String,)> =
            sqlx::query_as("SELECT id FROM courses WHERE owner_id = $1")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;
        let mut courses_kept: Vec<String> = courses.into_iter().map(|(c,)| c).collect();
        courses_kept.sort();
        Ok(AccountErased {
            user_id: id,
            payments_kept: u64::try_from(payments_kept).unwrap_or(0),
            courses_kept,
        })
    }

    async fn insert_refresh_token(
        &self,
        t: NewRefreshToken,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, created_at, \
                                         expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(t.id)
        .bind(t.family_id)
        .bind(t.user_id)
        .bind(&t.token_hash)
        .bind(Timestamp::new(now))
        .bind(Timestamp::new(t.expires_at))
        .execute(&self.writer)
        .await
        .map_err(|e| conflict_on_unique(e, "refresh token"))?;
        Ok(())
    }

    async fn use_refresh_token(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<RefreshOutcome> {
        let now = Timestamp::new(now);
        // The hot path: one conditional update. A token is live when it is unused, unrevoked,
        // unexpired and no token of its family was revoked (a successor issued after a reuse
        // was detected is born dead).
        let rotated: Option<(Uuid, Uuid)> = sqlx::query_as(
            "UPDATE refresh_tokens SET used_at = $2 \
             WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL \
               AND expires_at > $2 \
               AND NOT EXISTS (SELECT 1 FROM refresh_tokens f \
                               WHERE f.family_id = refresh_tokens.family_id \
                                 AND f.revoked_at IS NOT NULL) \
             RETURNING user_id, family_id",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.writer)
        .await?;
        if let Some((user_id, family_id)) = rotated {
            return Ok(RefreshOutcome::Rotated { user_id, family_id });
        }

        // Why not? Classify on the writer, in one transaction with the revocation.
        let mut tx = self.begin_write().await?;
        let found: Option<(Uuid, Uuid, bool, Option<String>)> = sqlx::query_as(
            "SELECT t.user_id, t.family_id, \
                    t.used_at IS NOT NULL OR t.revoked_at IS NOT NULL OR EXISTS \
                      (SELECT 1 FROM refresh_tokens f \
                       WHERE f.family_id = t.family_id AND f.revoked_at IS NOT NULL), \
                    (SELECT e.reason FROM ended_sessions e WHERE e.family_id = t.family_id) \
             FROM refresh_tokens t WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let outcome = match found {
            None => RefreshOutcome::Unknown,
            Some((_, _, _, Some(reason))) if reason == SessionEnd::Logout.as_str() => {
                RefreshOutcome::LoggedOut
            }
            Some((user_id, family_id, true, _)) => {
                sqlx::query(
                    "UPDATE refresh_tokens SET revoked_at = $2 \
                     WHERE family_id = $1 AND revoked_at IS NULL",
                )
                .bind(family_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                end_session(&mut tx, family_id, user_id, SessionEnd::Reuse, now).await?;
                RefreshOutcome::Reused { user_id, family_id }
            }
            Some((_, _, false, _)) => RefreshOutcome::Expired,
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn revoke_refresh_family_of(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<Option<Uuid>> {
        let now = Timestamp::new(now);
        let mut tx = self.begin_write().await?;
        let family: Option<(Uuid, Uuid)> =
            sqlx::query_as("SELECT family_id, user_id FROM refresh_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((family_id, user_id)) = family else {
            return Ok(None);
        };
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = COALESCE(revoked_at, $2) \
             WHERE family_id = $1",
        )
        .bind(family_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        end_session(&mut tx, family_id, user_id, SessionEnd::Logout, now).await?;
        tx.commit().await?;
        Ok(Some(family_id))
    }

    async fn create_api_token(
        &self,
        t: NewApiToken,
        now: OffsetDateTime,
    ) -> StoreResult<ApiTokenInfo> {
        let created_at = Timestamp::new(now);
        let expires_at = t.expires_at.map(Timestamp::new);
        let scopes = encode_scopes(&t.scopes);
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, scopes, prefix, token_hash, created_at, \
                                     expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(t.id)
        .bind(t.user_id)
        .bind(&t.name)
        .bind(&scopes)
        .bind(&t.prefix)
        .bind(&t.token_hash)
        .bind(created_at)
        .bind(expires_at)
        .execute(&self.writer)
        .await
        .map_err(|e| conflict_on_unique(e, "api token"))?;
        token_info((t.id, t.name, scopes, t.prefix, created_at, expires_at, None))
    }

    async fn api_token_owner(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<Option<ApiTokenOwner>> {
        let row: Option<OwnerRow> = sqlx::query_as(
            "SELECT t.id AS token_id, t.scopes, u.id, u.email, u.name, u.role, u.tier, \
                    u.created_at, u.suspended \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL \
               AND (t.expires_at IS NULL OR t.expires_at > $2)",
        )
        .bind(token_hash)
        .bind(Timestamp::new(now))
        .fetch_optional(&self.reader)
        .await?;
        row.map(|row| {
            Ok(ApiTokenOwner {
                token_id: row.token_id,
                scopes: decode_scopes(&row.scopes)?,
                user: row.user.into_user()?,
                suspended: row.suspended,
            })
        })
        .transpose()
    }

    async fn list_api_tokens(&self, user_id: Uuid) -> StoreResult<Vec<ApiTokenInfo>> {
        let rows: Vec<TokenRow> = sqlx::query_as(
            "SELECT id, name, scopes, prefix, created_at, expires_at, last_used_at \
             FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL \
             ORDER BY created_at, id",
        )
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(token_info).collect()
    }

    async fn revoke_api_token(
        &self,
        user_id: Uuid,
        token_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        // Revoking twice is not an error (the first revocation time is kept).
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) \
             WHERE id = $1 AND user_id = $2",
        )
        .bind(token_id)
        .bind(user_id)
        .bind(Timestamp::new(now))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn touch_api_tokens(&self, uses: &[(Uuid, OffsetDateTime)]) -> StoreResult<()> {
        // One update per token (its latest use), in id order: replicas flush overlapping
        // batches, and taking row locks in one order means two batches never wait for each
        // other in a cycle.
        let mut latest: BTreeMap<Uuid, Timestamp> = BTreeMap::new();
        for (id, at) in uses {
            let at = Timestamp::new(*at);
            latest
                .entry(*id)
                .and_modify(|t| *t = (*t).max(at))
                .or_insert(at);
        }
        if latest.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for (id, at) in latest {
            // Never move `last_used_at` backwards (batches may arrive out of order).
            sqlx::query(
                "UPDATE api_tokens SET last_used_at = $2 \
                 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
            )
            .bind(id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

fn token_info(row: TokenRow) -> StoreResult<ApiTokenInfo> {
    let (id, name, scopes, prefix, created_at, expires_at, last_used_at) = row;
    Ok(ApiTokenInfo {
        id,
        name,
        scopes: decode_scopes(&scopes)?,
        prefix,
        created_at: created_at.get(),
        expires_at: expires_at.map(Timestamp::get),
        last_used_at: last_used_at.map(Timestamp::get),
    })
}

/// What erasing an account deletes or clears, each bound to the account's id. Tables whose
/// rows belong to these (tutor messages, lab passes' sessions) go with them by cascade.
const ERASE_PERSONAL_DATA: [&str; 17] = [
    "DELETE FROM refresh_tokens WHERE user_id = $1",
    "DELETE FROM ended_sessions WHERE user_id = $1",
    "DELETE FROM api_tokens WHERE user_id = $1",
    "DELETE FROM known_devices WHERE user_id = $1",
    "DELETE FROM ssh_keys WHERE user_id = $1",
    "DELETE FROM password_resets WHERE user_id = $1",
    "DELETE FROM idempotency_keys WHERE user_id = $1",
    "DELETE FROM enrollments WHERE user_id = $1",
    "DELETE FROM lesson_progress WHERE user_id = $1",
    "DELETE FROM attempts WHERE user_id = $1",
    "DELETE FROM learner_mastery WHERE user_id = $1",
    "DELETE FROM review_cards WHERE user_id = $1",
    "DELETE FROM certificates WHERE user_id = $1",
    "DELETE FROM lab_passes WHERE user_id = $1",
    "DELETE FROM lab_sessions WHERE user_id = $1",
    "DELETE FROM tutor_conversations WHERE user_id = $1",
    "DELETE FROM tutor_usage WHERE user_id = $1",
];

/// Ends an erased account's subscription at the end of the period paid for, without its card.
const CANCEL_ERASED_SUBSCRIPTION: &str = "UPDATE subscriptions \
     SET cancel_at = COALESCE(cancel_at, current_period_end), payment_method = NULL \
     WHERE user_id = $1 AND status <> 'expired'";

/// Records why a session ended; the first reason stays.
pub(super) async fn end_session(
    tx: &mut <Db as sqlx::Database>::Connection,
    family_id: Uuid,
    user_id: Uuid,
    reason: SessionEnd,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO ended_sessions (family_id, user_id, reason, ended_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (family_id) DO NOTHING",
    )
    .bind(family_id)
    .bind(user_id)
    .bind(reason.as_str())
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}
