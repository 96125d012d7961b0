//! The caller's own account as a whole: a copy of everything kept about it, and deleting it.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use cloudmaster_core::api::{
    AccountErased, AccountExport, DeleteAccountRequest, ErrorBody, Role, Scope,
};

use crate::auth::Auth;
use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::extract::Json;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/export", get(export))
        .route("/account", axum::routing::delete(delete_account))
}

/// Everything the server keeps about the caller's account (the same copy an administrator
/// can make): the account, API tokens and SSH keys (never their secrets), enrollments,
/// progress, attempts, certificates, payments and tutor conversations.
#[utoipa::path(get, path = "/api/v1/account/export", tag = "account",
    security(("bearer" = [])),
    responses((status = 200, body = AccountExport), (status = 401, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<AccountExport>, ApiError> {
    auth.require(Scope::Learn)?;
    Ok(Json(
        crate::account_data::export(&state, auth.user.id).await?,
    ))
}

/// Delete the caller's account, after the password is given again (a wrong one counts as a
/// failed login). What goes and what stays is as when an administrator erases it; the
/// account's sessions end. Needs a login session, not an API token; an administrator's
/// account is erased by another administrator.
#[utoipa::path(delete, path = "/api/v1/account", tag = "account",
    security(("bearer" = [])),
    request_body = DeleteAccountRequest,
    responses(
        (status = 200, body = AccountErased),
        (status = 403, description = "an API token, or the password is wrong", body = ErrorBody),
        (status = 409, description = "the account is an administrator's", body = ErrorBody),
        (status = 429, description = "too many wrong passwords", body = ErrorBody),
        (status = 503, description = "password hashing saturated; see Retry-After", body = ErrorBody),
    ))]
pub async fn delete_account(
    State(state): State<AppState>,
    auth: Auth,
    ClientIp(ip): ClientIp,
    Json(req): Json<DeleteAccountRequest>,
) -> Result<Json<AccountErased>, ApiError> {
    auth.require_session()?;
    if auth.user.role == Role::Admin {
        return Err(ApiError::Conflict(
            "an administrator's account is deleted by another administrator \
             (cloudmaster admin users delete)"
                .to_owned(),
        ));
    }
    crate::auth::session::verify_current_password(&state, &auth.user, req.password, ip).await?;
    let erased = crate::account_data::erase(&state, auth.user.id).await?;
    tracing::info!(user = %auth.user.id, "account deleted by its owner");
    let detail = serde_json::json!({ "payments_kept": erased.payments_kept });
    super::record_audit(
        &state,
        &auth,
        ip,
        "auth.account_deleted",
        auth.user.id,
        detail,
    )
    .await?;
    Ok(Json(erased))
}
