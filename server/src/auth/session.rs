//! Login sessions: a short-lived access token plus a single-use refresh token.
//!
//! Every login starts a *family* of refresh tokens. Refreshing consumes the presented token
//! (atomically, in the database, so replicas agree) and issues its successor in the same
//! family. Presenting a consumed token again means it was copied: the store revokes the
//! whole family and the caller gets 401, so both the thief and the victim must log in again.
//! Logout revokes the family.

use cloudmaster_core::api::{TokenPair, User};
use time::Duration;
use uuid::Uuid;

use super::{jwt, password, tokens};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{NewRefreshToken, RefreshOutcome};

/// Lifetime of a refresh token.
pub const REFRESH_TOKEN_DAYS: i64 = 30;

/// Checks email and password and starts a new session family.
pub async fn login(state: &AppState, email: &str, password: String) -> Result<TokenPair, ApiError> {
    let account = state.store().user_by_email(email.trim()).await?;
    let hash = account.as_ref().map(|a| a.password_hash.clone());
    // Verify even when the email is unknown, so timing does not reveal which emails exist.
    let ok = password::verify(password, hash).await?;
    let account = match account {
        Some(account) if ok => account,
        _ => {
            return Err(ApiError::Unauthenticated(
                "wrong email or password".to_owned(),
            ));
        }
    };
    if account.suspended {
        return Err(super::suspended());
    }
    issue(state, &account.user, Uuid::new_v4()).await
}

/// Rotates a refresh token; see the module docs for reuse detection.
pub async fn refresh(state: &AppState, refresh_token: &str) -> Result<TokenPair, ApiError> {
    let hash = tokens::hash_secret(refresh_token);
    match state.store().use_refresh_token(&hash, state.now()).await? {
        RefreshOutcome::Rotated { user_id, family_id } => {
            let account =
                state.store().user_by_id(user_id).await?.ok_or_else(|| {
                    ApiError::Unauthenticated("this account no longer exists".into())
                })?;
            if account.suspended {
                return Err(super::suspended());
            }
            issue(state, &account.user, family_id).await
        }
        RefreshOutcome::Reused { user_id, family_id } => {
            tracing::warn!(%user_id, %family_id, "refresh token reused; session family revoked");
            Err(ApiError::Unauthenticated(
                "this refresh token was already used, so every session of this login has \
                 been revoked as a precaution; log in again"
                    .to_owned(),
            ))
        }
        RefreshOutcome::Expired => Err(ApiError::Unauthenticated(
            "refresh token expired; log in again".to_owned(),
        )),
        RefreshOutcome::Unknown => Err(ApiError::Unauthenticated(
            "unknown or revoked refresh token; log in again".to_owned(),
        )),
    }
}

/// Revokes the family of `refresh_token`. Idempotent: an unknown token is not an error.
pub async fn logout(state: &AppState, refresh_token: &str) -> Result<(), ApiError> {
    let hash = tokens::hash_secret(refresh_token);
    state.store().revoke_refresh_family_of(&hash).await?;
    Ok(())
}

/// Issues an access token and a new refresh token in `family_id`.
async fn issue(state: &AppState, user: &User, family_id: Uuid) -> Result<TokenPair, ApiError> {
    let now = state.now();
    let (access_token, expires_in) = state.jwt().issue(user, now)?;
    let refresh_token = tokens::random_secret();
    state
        .store()
        .insert_refresh_token(NewRefreshToken {
            id: Uuid::now_v7(),
            family_id,
            user_id: user.id,
            token_hash: tokens::hash_secret(&refresh_token),
            expires_at: now + Duration::days(REFRESH_TOKEN_DAYS),
        })
        .await?;
    debug_assert_eq!(expires_in, jwt::ACCESS_TOKEN_SECS as u64);
    Ok(TokenPair {
        access_token,
        expires_in,
        refresh_token,
        user: user.clone(),
    })
}
