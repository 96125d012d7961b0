//! Users, refresh tokens (rotation with reuse detection) and personal API tokens on
//! PostgreSQL, correct across replicas.

use std::collections::BTreeMap;

use cloudmaster_core::api::{ApiTokenInfo, Role, User};
use time::OffsetDateTime;
use uuid::Uuid;

use super::PgStore;
use crate::store::shared::{
    conflict_on_unique, decode_scopes, email_key, encode_scopes, micros, now, parse_role,
    parse_tier,
};
use crate::store::{
    ApiTokenOwner, NewApiToken, NewRefreshToken, NewUser, RefreshOutcome, SessionEnd, StoreError,
    StoreResult, UserCredentials,
};

/// `id, email, name, role, tier, created_at, password_hash, suspended`
type UserRow = (
    Uuid,
    String,
    String,
    String,
    String,
    OffsetDateTime,
    String,
    bool,
);

fn user_from_row(row: UserRow) -> StoreResult<UserCredentials> {
    let (id, email, name, role, tier, created_at, password_hash, suspended) = row;
    Ok(UserCredentials {
        user: User {
            id,
            email,
            name,
            role: parse_role(&role)?,
            tier: parse_tier(&tier)?,
            created_at,
        },
        password_hash,
        suspended,
    })
}

pub(super) async fn create_user(s: &PgStore, new: NewUser) -> StoreResult<User> {
    let user = User {
        id: Uuid::now_v7(),
        email: new.email,
        name: new.name,
        role: new.role,
        tier: new.tier,
        created_at: now(),
    };
    // The unique index on `email_lower` decides between concurrent registrations.
    sqlx::query(
        "INSERT INTO users (id, email, email_lower, name, password_hash, role, tier, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(user.id)
    .bind(&user.email)
    .bind(email_key(&user.email))
    .bind(&user.name)
    .bind(&new.password_hash)
    .bind(user.role.as_str())
    .bind(user.tier.as_str())
    .bind(user.created_at)
    .execute(&s.pool)
    .await
    .map_err(|e| conflict_on_unique(e, "an account with this email"))?;
    Ok(user)
}

pub(super) async fn user_by_email(
    s: &PgStore,
    email: &str,
) -> StoreResult<Option<UserCredentials>> {
    sqlx::query_as::<_, UserRow>(
        "SELECT id, email, name, role, tier, created_at, password_hash, suspended \
         FROM users WHERE email_lower = $1",
    )
    .bind(email_key(email))
    .fetch_optional(&s.pool)
    .await?
    .map(user_from_row)
    .transpose()
}

pub(super) async fn user_by_id(s: &PgStore, id: Uuid) -> StoreResult<Option<UserCredentials>> {
    sqlx::query_as::<_, UserRow>(
        "SELECT id, email, name, role, tier, created_at, password_hash, suspended \
         FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&s.pool)
    .await?
    .map(user_from_row)
    .transpose()
}

pub(super) async fn list_users(s: &PgStore) -> StoreResult<Vec<User>> {
    sqlx::query_as::<_, UserRow>(
        "SELECT id, email, name, role, tier, created_at, password_hash, suspended \
         FROM users ORDER BY created_at, id",
    )
    .fetch_all(&s.pool)
    .await?
    .into_iter()
    .map(|row| user_from_row(row).map(|c| c.user))
    .collect()
}

pub(super) async fn set_user_role(s: &PgStore, id: Uuid, role: Role) -> StoreResult<User> {
    sqlx::query_as::<_, UserRow>(
        "UPDATE users SET role = $2 WHERE id = $1 \
         RETURNING id, email, name, role, tier, created_at, password_hash, suspended",
    )
    .bind(id)
    .bind(role.as_str())
    .fetch_optional(&s.pool)
    .await?
    .map(|row| user_from_row(row).map(|c| c.user))
    .transpose()?
    .ok_or_else(|| StoreError::NotFound("user".into()))
}

pub(super) async fn insert_refresh_token(s: &PgStore, t: NewRefreshToken) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(t.id)
    .bind(t.family_id)
    .bind(t.user_id)
    .bind(&t.token_hash)
    .bind(now())
    .bind(micros(t.expires_at))
    .execute(&s.pool)
    .await
    .map_err(|e| conflict_on_unique(e, "refresh token"))?;
    Ok(())
}

pub(super) async fn use_refresh_token(
    s: &PgStore,
    token_hash: &[u8],
    now: OffsetDateTime,
) -> StoreResult<RefreshOutcome> {
    let now = micros(now);
    // Concurrent presentations queue on the row lock; each re-checks `used_at IS NULL` on the
    // row as the winner left it, so exactly one of them updates a row. A successor issued
    // into a family that was revoked meanwhile is born dead (the NOT EXISTS).
    let rotated: Option<(Uuid, Uuid)> = sqlx::query_as(
        "UPDATE refresh_tokens t SET used_at = $2 \
         WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.revoked_at IS NULL \
           AND t.expires_at > $2 \
           AND NOT EXISTS (SELECT 1 FROM refresh_tokens f \
                           WHERE f.family_id = t.family_id AND f.revoked_at IS NOT NULL) \
         RETURNING t.user_id, t.family_id",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&s.pool)
    .await?;
    if let Some((user_id, family_id)) = rotated {
        return Ok(RefreshOutcome::Rotated { user_id, family_id });
    }

    let found: Option<(Uuid, Uuid, bool, Option<String>)> = sqlx::query_as(
        "SELECT t.user_id, t.family_id, \
                t.used_at IS NOT NULL OR t.revoked_at IS NOT NULL OR EXISTS \
                  (SELECT 1 FROM refresh_tokens f \
                   WHERE f.family_id = t.family_id AND f.revoked_at IS NOT NULL), \
                (SELECT e.reason FROM ended_sessions e WHERE e.family_id = t.family_id) \
         FROM refresh_tokens t WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&s.pool)
    .await?;
    match found {
        None => Ok(RefreshOutcome::Unknown),
        Some((_, _, _, Some(reason))) if reason == SessionEnd::Logout.as_str() => {
            Ok(RefreshOutcome::LoggedOut)
        }
        Some((user_id, family_id, true, _)) => {
            // Revocation is idempotent, so concurrent reuses may all run it.
            let mut tx = s.pool.begin().await?;
            sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = $2 \
                 WHERE family_id = $1 AND revoked_at IS NULL",
            )
            .bind(family_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            end_session(&mut tx, family_id, user_id, SessionEnd::Reuse, now).await?;
            tx.commit().await?;
            Ok(RefreshOutcome::Reused { user_id, family_id })
        }
        Some((_, _, false, _)) => Ok(RefreshOutcome::Expired),
    }
}

pub(super) async fn revoke_refresh_family_of(
    s: &PgStore,
    token_hash: &[u8],
    now: OffsetDateTime,
) -> StoreResult<Option<Uuid>> {
    let now = micros(now);
    let mut tx = s.pool.begin().await?;
    let family: Option<(Uuid, Uuid)> =
        sqlx::query_as("SELECT family_id, user_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((family_id, user_id)) = family else {
        return Ok(None);
    };
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE family_id = $1",
    )
    .bind(family_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    end_session(&mut tx, family_id, user_id, SessionEnd::Logout, now).await?;
    tx.commit().await?;
    Ok(Some(family_id))
}

/// Records why a session ended; the first reason stays.
async fn end_session(
    tx: &mut sqlx::PgConnection,
    family_id: Uuid,
    user_id: Uuid,
    reason: SessionEnd,
    now: OffsetDateTime,
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

pub(super) async fn create_api_token(s: &PgStore, t: NewApiToken) -> StoreResult<ApiTokenInfo> {
    let created_at = now();
    let expires_at = t.expires_at.map(micros);
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
    .execute(&s.pool)
    .await
    .map_err(|e| conflict_on_unique(e, "api token"))?;
    Ok(ApiTokenInfo {
        id: t.id,
        name: t.name,
        scopes: decode_scopes(&scopes)?,
        prefix: t.prefix,
        created_at,
        expires_at,
        last_used_at: None,
    })
}

pub(super) async fn api_token_owner(
    s: &PgStore,
    token_hash: &[u8],
    now: OffsetDateTime,
) -> StoreResult<Option<ApiTokenOwner>> {
    type Row = (
        Uuid,
        String,
        Uuid,
        String,
        String,
        String,
        String,
        OffsetDateTime,
        bool,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT t.id, t.scopes, u.id, u.email, u.name, u.role, u.tier, u.created_at, \
                u.suspended \
         FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL \
           AND (t.expires_at IS NULL OR t.expires_at > $2)",
    )
    .bind(token_hash)
    .bind(micros(now))
    .fetch_optional(&s.pool)
    .await?;
    let Some((token_id, scopes, id, email, name, role, tier, created_at, suspended)) = row else {
        return Ok(None);
    };
    Ok(Some(ApiTokenOwner {
        token_id,
        scopes: decode_scopes(&scopes)?,
        user: User {
            id,
            email,
            name,
            role: parse_role(&role)?,
            tier: parse_tier(&tier)?,
            created_at,
        },
        suspended,
    }))
}

pub(super) async fn list_api_tokens(s: &PgStore, user_id: Uuid) -> StoreResult<Vec<ApiTokenInfo>> {
    type Row = (
        Uuid,
        String,
        String,
        String,
        OffsetDateTime,
        Option<OffsetDateTime>,
        Option<OffsetDateTime>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, scopes, prefix, created_at, expires_at, last_used_at \
         FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL \
         ORDER BY created_at, id",
    )
    .bind(user_id)
    .fetch_all(&s.pool)
    .await?;
    rows.into_iter()
        .map(
            |(id, name, scopes, prefix, created_at, expires_at, last_used_at)| {
                Ok(ApiTokenInfo {
                    id,
                    name,
                    scopes: decode_scopes(&scopes)?,
                    prefix,
                    created_at,
                    expires_at,
                    last_used_at,
                })
            },
        )
        .collect()
}

pub(super) async fn revoke_api_token(
    s: &PgStore,
    user_id: Uuid,
    token_id: Uuid,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) \
         WHERE id = $1 AND user_id = $2",
    )
    .bind(token_id)
    .bind(user_id)
    .bind(now())
    .execute(&s.pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn touch_api_tokens(
    s: &PgStore,
    uses: &[(Uuid, OffsetDateTime)],
) -> StoreResult<()> {
    // One row per token (the latest use), in id order.
    let mut latest: BTreeMap<Uuid, OffsetDateTime> = BTreeMap::new();
    for (id, at) in uses {
        let at = micros(*at);
        latest
            .entry(*id)
            .and_modify(|t| *t = (*t).max(at))
            .or_insert(at);
    }
    if latest.is_empty() {
        return Ok(());
    }
    let (ids, ats): (Vec<Uuid>, Vec<OffsetDateTime>) = latest.into_iter().unzip();
    // Replicas flush overlapping batches: lock the rows in id order first, so two batches
    // can never wait for each other in a cycle (deadlock).
    let mut tx = s.pool.begin().await?;
    sqlx::query("SELECT id FROM api_tokens WHERE id = ANY($1) ORDER BY id FOR UPDATE")
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE api_tokens t SET last_used_at = GREATEST(t.last_used_at, u.at) \
         FROM UNNEST($1::uuid[], $2::timestamptz[]) AS u(id, at) \
         WHERE t.id = u.id",
    )
    .bind(&ids)
    .bind(&ats)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
