//! Login sessions: a short-lived access token plus a single-use refresh token.
//!
//! Every login starts a *family* of refresh tokens. Refreshing consumes the presented token
//! (atomically, in the database, so replicas agree) and issues its successor in the same
//! family. Presenting a consumed token again means it was copied: the store revokes the
//! whole family and the caller gets 401, so both the thief and the victim must log in again.
//! Logout revokes the family. Access tokens name their family (`sid`), and a request with
//! the access token of an ended family is refused (see [`super::authenticate`]).

use std::net::IpAddr;

use cloudmaster_core::api::{ChangePasswordRequest, TokenPair, User};
use time::Duration;
use uuid::Uuid;

use super::password::{self, Lane, Verified};
use super::records::{NewAuditEntry, NewRefreshToken, RefreshOutcome, SessionEnd};
use super::{backoff, jwt, tokens};
use crate::error::ApiError;
use crate::state::AppState;

/// Lifetime of a refresh token.
pub const REFRESH_TOKEN_DAYS: i64 = 30;

/// Where a login attempt comes from.
#[derive(Debug, Clone, Default)]
pub struct LoginOrigin {
    /// The client address (None in in-process tests).
    pub ip: Option<IpAddr>,
    /// The device token the client keeps for this server, if it sent one.
    pub device_token: Option<String>,
}

/// Checks email and password and starts a new session family. Failed attempts back off
/// per account and per address (see [`backoff`]); a device the account logged in from
/// before is not slowed.
pub async fn login(
    state: &AppState,
    email: &str,
    password: String,
    origin: &LoginOrigin,
) -> Result<TokenPair, ApiError> {
    let store = state.store();
    let now = state.now();
    let account = store.user_by_email(email.trim()).await?;
    let device_hash = origin.device_token.as_deref().map(tokens::hash_secret);
    let known_device = match (&account, &device_hash) {
        (Some(account), Some(hash)) => store.is_known_device(account.user.id, hash).await?,
        _ => false,
    };
    let address = origin.ip.map(backoff::address_subject);
    let subject = account
        .as_ref()
        .map(|a| backoff::account_subject(a.user.id));
    if !known_device {
        if let Some(address) = &address
            && let Some(state) = store.login_failures(address).await?
            && let Some(retry_after) = backoff::ADDRESS.retry_after(&state, now)
        {
            return Err(ApiError::Throttled {
                message: format!(
                    "too many failed logins from your address; retry in {retry_after} s"
                ),
                retry_after,
            });
        }
        if let Some(subject) = &subject
            && let Some(state) = store.login_failures(subject).await?
            && let Some(retry_after) = backoff::ACCOUNT.retry_after(&state, now)
        {
            return Err(ApiError::Throttled {
                message: format!(
                    "too many failed logins for this account; retry in {retry_after} s, or \
                     log in from a device you have used before"
                ),
                retry_after,
            });
        }
    }
    let hash = account.as_ref().map(|a| a.password_hash.clone());
    // Verify even when the email is unknown, so timing does not reveal which emails exist.
    let lane = if known_device {
        Lane::Priority
    } else {
        Lane::Normal
    };
    let verified = state.hasher().verify(password, hash, lane).await?;
    let (account, rehash) = match (account, verified) {
        (Some(account), Verified::Match { rehash }) => (account, rehash),
        (account, _) => {
            let user = account.map(|a| a.user.id);
            record_failure(state, user, origin.ip, now).await?;
            return Err(ApiError::Unauthenticated(
                "wrong email or password".to_owned(),
            ));
        }
    };
    if account.suspended {
        return Err(super::suspended());
    }
    let user_id = account.user.id;
    if let Some(rehash) = rehash {
        store.set_password_hash(user_id, &rehash).await?;
        tracing::info!(%user_id, "password re-hashed with the configured Argon2 parameters");
    }
    if let Some(subject) = &subject {
        store.clear_login_failures(subject).await?;
    }
    if let Some(hash) = &device_hash {
        store.remember_device(user_id, hash, now).await?;
    }
    issue(state, &account.user, Uuid::new_v4()).await
}

/// Starts a session family for `user`, who proved who they are some other way: a TUI served
/// over SSH, after a login with a key the account linked. End it with [`logout`].
pub async fn start(state: &AppState, user: &User) -> Result<TokenPair, ApiError> {
    issue(state, user, Uuid::new_v4()).await
}

/// Changes `user`'s password after checking the current one. Wrong current passwords
/// count as failed logins (a stolen access token must not become a password oracle).
pub async fn change_password(
    state: &AppState,
    user: &User,
    request: ChangePasswordRequest,
    ip: Option<IpAddr>,
) -> Result<(), ApiError> {
    password::check_policy(&request.new_password)?;
    verify_current_password(state, user, request.current_password, ip).await?;
    let store = state.store();
    let new_hash = state.hasher().hash(request.new_password).await?;
    store.set_password_hash(user.id, &new_hash).await?;
    store
        .append_audit(NewAuditEntry {
            at: state.now(),
            actor_id: Some(user.id),
            action: "auth.password_changed".to_owned(),
            subject_id: Some(user.id),
            client_ip: ip.map(|ip| ip.to_string()),
            detail: serde_json::json!({}),
        })
        .await?;
    tracing::info!(user_id = %user.id, "password changed");
    super::recovery::notify_password_changed(state, user, "changed").await?;
    Ok(())
}

/// Checks the signed-in `user`'s password again before something that needs it (a password
/// change, deleting the account). A wrong one counts as a failed login, backing off like
/// them; a right one clears the account's failures.
pub async fn verify_current_password(
    state: &AppState,
    user: &User,
    password: String,
    ip: Option<IpAddr>,
) -> Result<(), ApiError> {
    let store = state.store();
    let now = state.now();
    let subject = backoff::account_subject(user.id);
    if let Some(failures) = store.login_failures(&subject).await?
        && let Some(retry_after) = backoff::ACCOUNT.retry_after(&failures, now)
    {
        return Err(ApiError::Throttled {
            message: format!("too many wrong passwords for this account; retry in {retry_after} s"),
            retry_after,
        });
    }
    let account = store
        .user_by_id(user.id)
        .await?
        .ok_or_else(|| ApiError::Unauthenticated("this account no longer exists".into()))?;
    let verified = state
        .hasher()
        .verify(password, Some(account.password_hash), Lane::Normal)
        .await?;
    if verified == Verified::Mismatch {
        record_failure(state, Some(user.id), ip, now).await?;
        return Err(ApiError::Forbidden(
            "the current password is wrong".to_owned(),
        ));
    }
    store.clear_login_failures(&subject).await?;
    Ok(())
}

/// Counts a failed login against the account (when the email is known) and the address,
/// and writes an audit entry when either starts backing off.
async fn record_failure(
    state: &AppState,
    user: Option<Uuid>,
    ip: Option<IpAddr>,
    now: time::OffsetDateTime,
) -> Result<(), ApiError> {
    let store = state.store();
    let forget_before = now - backoff::FORGET_AFTER;
    let mut started = Vec::new();
    if let Some(user) = user {
        let state = store
            .record_login_failure(&backoff::account_subject(user), now, forget_before)
            .await?;
        if backoff::ACCOUNT.starts_backoff(state.failures) {
            started.push(("auth.account_backoff", Some(user), state.failures));
        }
    }
    if let Some(ip) = ip {
        let state = store
            .record_login_failure(&backoff::address_subject(ip), now, forget_before)
            .await?;
        if backoff::ADDRESS.starts_backoff(state.failures) {
            started.push(("auth.address_backoff", user, state.failures));
        }
    }
    for (action, subject_id, failures) in started {
        tracing::warn!(
            action,
            ?subject_id,
            ?ip,
            failures,
            "failed logins: backing off"
        );
        store
            .append_audit(NewAuditEntry {
                at: now,
                actor_id: None,
                action: action.to_owned(),
                subject_id,
                client_ip: ip.map(|ip| ip.to_string()),
                detail: serde_json::json!({ "failures": failures }),
            })
            .await?;
    }
    Ok(())
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
            state
                .auth_cache()
                .put_session(family_id, Some(SessionEnd::Reuse));
            Err(ApiError::Unauthenticated(
                "this refresh token was already used, so every session of this login has \
                 been revoked as a precaution; log in again"
                    .to_owned(),
            ))
        }
        RefreshOutcome::LoggedOut => Err(ApiError::Unauthenticated(
            "this session was logged out, so its refresh token no longer works; log in again"
                .to_owned(),
        )),
        RefreshOutcome::Expired => Err(ApiError::Unauthenticated(
            "refresh token expired; log in again".to_owned(),
        )),
        RefreshOutcome::Unknown => Err(ApiError::Unauthenticated(
            "unknown or revoked refresh token; log in again".to_owned(),
        )),
    }
}

/// Revokes the family of `refresh_token` and ends its access tokens (at once on this
/// replica, within the auth cache window on the others). Idempotent: an unknown token is
/// not an error.
pub async fn logout(state: &AppState, refresh_token: &str) -> Result<(), ApiError> {
    let hash = tokens::hash_secret(refresh_token);
    let now = state.now();
    if let Some(family) = state.store().revoke_refresh_family_of(&hash, now).await? {
        state
            .auth_cache()
            .put_session(family, Some(SessionEnd::Logout));
    }
    Ok(())
}

/// Issues an access token and a new refresh token in `family_id`.
async fn issue(state: &AppState, user: &User, family_id: Uuid) -> Result<TokenPair, ApiError> {
    let now = state.now();
    let (access_token, expires_in) = state.jwt().issue(user, family_id, now)?;
    let refresh_token = tokens::random_secret();
    state
        .store()
        .insert_refresh_token(
            NewRefreshToken {
                id: Uuid::now_v7(),
                family_id,
                user_id: user.id,
                token_hash: tokens::hash_secret(&refresh_token),
                expires_at: now + Duration::days(REFRESH_TOKEN_DAYS),
            },
            now,
        )
        .await?;
    debug_assert_eq!(expires_in, jwt::ACCESS_TOKEN_SECS as u64);
    Ok(TokenPair {
        access_token,
        expires_in,
        refresh_token,
        user: user.clone(),
    })
}
