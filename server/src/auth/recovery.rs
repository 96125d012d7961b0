//! Resetting a forgotten password with a single-use code: mailed to the account's address
//! when someone asks (`POST /auth/password-reset`), or made by an administrator to hand
//! over where the server sends no mail. Redeeming a code sets the new password and ends
//! every login session of the account, so whoever knew the old password is signed out.
//!
//! A request answers the same whether or not the email has an account (202), so it cannot
//! be used to find out who has one. Each account gets at most [`CODES_PER_HOUR`] codes and
//! each client address the `--rate-limit-password-reset` requests an hour, so no one can
//! flood a mailbox. Only a code's SHA-256 is stored, and the outbox forgets the mail's body
//! once sent.

use std::net::IpAddr;

use cloudmaster_core::api::{PasswordResetIssued, User};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::records::{NewAuditEntry, NewPasswordReset, ResetQuota, SessionEnd};
use super::{backoff, password, tokens};
use crate::error::ApiError;
use crate::mail::NewMail;
use crate::state::AppState;

/// Prefix of every reset code, so it is recognisable (and findable by secret scanners).
pub const CODE_PREFIX: &str = "cm_reset_";
/// How long a code works.
pub const CODE_LIFETIME: Duration = Duration::minutes(30);
/// Codes one account may be mailed per hour.
pub const CODES_PER_HOUR: u32 = 3;

const SUBJECT: &str = "Reset your cloudmaster password";

/// Mails a reset code to the account with `email`, if there is one and it is not suspended.
/// Answers alike for every email; refuses only when the server sends no mail.
pub async fn request(state: &AppState, email: &str, ip: Option<IpAddr>) -> Result<(), ApiError> {
    if !state.mailer().sends() {
        return Err(ApiError::Unavailable(
            "this server sends no mail, so it cannot mail a reset code; ask an administrator \
             for one (cloudmaster admin users reset-password EMAIL)"
                .to_owned(),
        ));
    }
    let store = state.store();
    let Some(account) = store.user_by_email(email.trim()).await? else {
        tracing::info!("password reset asked for an email with no account");
        return Ok(());
    };
    if account.suspended {
        tracing::info!(user_id = %account.user.id, "password reset asked for a suspended account");
        return Ok(());
    }
    let now = state.now();
    let code = new_code();
    let reset = new_reset(account.user.id, &code, now);
    let body = reset_mail(&account.user, &code, reset.expires_at);
    let mail = NewMail::new(&account.user.email, SUBJECT, body, now);
    let quota = ResetQuota {
        max: CODES_PER_HOUR,
        since: now - Duration::hours(1),
    };
    let made = store
        .create_password_reset(reset, Some(mail), Some(quota))
        .await?;
    if !made {
        tracing::warn!(user_id = %account.user.id, "password reset quota reached; no mail sent");
        return Ok(());
    }
    audit(state, "auth.password_reset_requested", account.user.id, ip).await?;
    crate::mail::send_soon(state);
    Ok(())
}

/// Makes a code for `user` that an administrator hands over; nothing is mailed (the route
/// writes the audit entry).
pub async fn issue(state: &AppState, user: &User) -> Result<PasswordResetIssued, ApiError> {
    let code = new_code();
    let reset = new_reset(user.id, &code, state.now());
    let expires_at = reset.expires_at;
    state
        .store()
        .create_password_reset(reset, None, None)
        .await?;
    Ok(PasswordResetIssued {
        user_id: user.id,
        email: user.email.clone(),
        code,
        expires_at,
    })
}

/// Sets a new password with a code. The code is checked in the same transaction that sets
/// the password, so of two redemptions at once only one succeeds.
pub async fn redeem(
    state: &AppState,
    code: &str,
    new_password: String,
    ip: Option<IpAddr>,
) -> Result<(), ApiError> {
    password::check_policy(&new_password)?;
    let code = code.trim();
    if !code.starts_with(CODE_PREFIX) {
        return Err(ApiError::BadRequest(format!(
            "a reset code starts with `{CODE_PREFIX}`; copy it whole from the mail"
        )));
    }
    let password_hash = state.hasher().hash(new_password).await?;
    let store = state.store();
    let now = state.now();
    let Some(redeemed) = store
        .redeem_password_reset(&tokens::hash_secret(code), &password_hash, now)
        .await?
    else {
        return Err(ApiError::BadRequest(
            "this reset code is unknown, used or expired; ask for a new one with \
             `cloudmaster password forgot`"
                .to_owned(),
        ));
    };
    for family in &redeemed.sessions_ended {
        state
            .auth_cache()
            .put_session(*family, Some(SessionEnd::PasswordReset));
    }
    store
        .clear_login_failures(&backoff::account_subject(redeemed.user_id))
        .await?;
    audit(state, "auth.password_reset", redeemed.user_id, ip).await?;
    if let Some(account) = store.user_by_id(redeemed.user_id).await? {
        notify_password_changed(state, &account.user, "reset").await?;
    }
    tracing::info!(
        user_id = %redeemed.user_id,
        sessions_ended = redeemed.sessions_ended.len(),
        "password reset"
    );
    Ok(())
}

/// Tells the account's owner by mail (when the server sends mail) that its password was
/// `changed` or `reset`, so a change they did not make does not go unnoticed.
pub async fn notify_password_changed(
    state: &AppState,
    user: &User,
    how: &str,
) -> Result<(), ApiError> {
    if !state.mailer().sends() {
        return Ok(());
    }
    let now = state.now();
    let at = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let body = format!(
        "Hello {name},\n\n\
         the password of the cloudmaster account {email} was {how} at {at}.\n\n\
         If it was you, there is nothing to do. If it was not, reset it now with\n\n    \
         cloudmaster password forgot {email}\n\n\
         and tell an administrator.\n",
        name = user.name,
        email = user.email,
    );
    let subject = format!("Your cloudmaster password was {how}");
    let mail = NewMail::new(&user.email, &subject, body, now);
    state.store().queue_mail(mail).await?;
    crate::mail::send_soon(state);
    Ok(())
}

fn new_code() -> String {
    format!("{CODE_PREFIX}{}", tokens::random_secret())
}

fn new_reset(user_id: Uuid, code: &str, now: OffsetDateTime) -> NewPasswordReset {
    NewPasswordReset {
        user_id,
        code_hash: tokens::hash_secret(code),
        created_at: now,
        expires_at: now + CODE_LIFETIME,
    }
}

fn reset_mail(user: &User, code: &str, expires_at: OffsetDateTime) -> String {
    let until = expires_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    format!(
        "Hello {name},\n\n\
         someone asked to reset the password of the cloudmaster account {email}.\n\
         If it was you, run\n\n    cloudmaster password reset\n\n\
         and give it this code when it asks (the code works once, until {until}):\n\n    \
         {code}\n\n\
         Resetting the password signs the account out everywhere.\n\
         If it was not you, ignore this mail: the password stays as it is.\n",
        name = user.name,
        email = user.email,
    )
}

/// An audit entry of an action taken without signing in.
async fn audit(
    state: &AppState,
    action: &str,
    subject: Uuid,
    ip: Option<IpAddr>,
) -> Result<(), ApiError> {
    state
        .store()
        .append_audit(NewAuditEntry {
            at: state.now(),
            actor_id: None,
            action: action.to_owned(),
            subject_id: Some(subject),
            client_ip: ip.map(|ip| ip.to_string()),
            detail: serde_json::json!({}),
        })
        .await?;
    Ok(())
}
