//! Administration: list users, change a user's role, suspend an account or lift its
//! suspension, make a password reset code for an account, export and erase an account's
//! data, read the audit log. Every route needs the `admin` scope, checked before a
//! body is read; every change is in the audit log.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use cloudmaster_core::api::{
    AccountErased, AccountExport, AuditEntry, ErrorBody, PasswordResetIssued, Scope,
    SetRoleRequest, SetSuspendedRequest, User, UserAccount,
};
use uuid::Uuid;

use crate::auth::Auth;
use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users))
        .route("/admin/users/{user}/role", put(set_role))
        .route("/admin/users/{user}/suspended", put(set_suspended))
        .route(
            "/admin/users/{user}/password-reset",
            post(issue_password_reset),
        )
        .route("/admin/users/{user}/export", get(export_user))
        .route("/admin/users/{user}", delete(erase_user))
        .route("/admin/audit", get(audit))
        .route_layer(axum::middleware::from_fn_with_state(
            Scope::Admin,
            super::require_scope,
        ))
}

/// Query of the audit log.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// How many entries, newest first (1 to 500, default 100).
    #[param(minimum = 1, maximum = 500)]
    #[serde(default = "default_audit_limit")]
    pub limit: u32,
    /// Only entries older than this id (the last id of the previous page).
    #[param(minimum = 1)]
    pub before: Option<i64>,
}

fn default_audit_limit() -> u32 {
    100
}

/// The audit log of security-relevant and privileged actions, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, body = [AuditEntry]),
        (status = 400, description = "bad query: limit out of 1..=500, before not positive", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn audit(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    auth.require(Scope::Admin)?;
    crate::extract::query_in_range("limit", Some(query.limit), 1, 500)?;
    if query.before.is_some_and(|b| b < 1) {
        return Err(ApiError::BadRequest(
            "query parameter `before` must be a positive id".to_owned(),
        ));
    }
    let entries = state.store().audit_log(query.limit, query.before).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AuditEntry {
                id: e.id,
                at: e.entry.at,
                actor_id: e.entry.actor_id,
                action: e.entry.action,
                subject_id: e.entry.subject_id,
                client_ip: e.entry.client_ip,
                detail: e.entry.detail,
            })
            .collect(),
    ))
}

/// Every account, oldest first, with whether it is suspended.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, body = [UserAccount]), (status = 403, body = ErrorBody)))]
pub async fn users(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<UserAccount>>, ApiError> {
    auth.require(Scope::Admin)?;
    Ok(Json(state.store().list_users().await?))
}

/// Change a user's role. Takes effect on the user's next request.
#[utoipa::path(put, path = "/api/v1/admin/users/{user}/role", tag = "admin",
    security(("bearer" = [])),
    params(("user" = Uuid, Path)),
    request_body = SetRoleRequest,
    responses(
        (status = 200, body = User),
        (status = 400, description = "`user` is not a UUID, or the body is malformed", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn set_role(
    State(state): State<AppState>,
    auth: Auth,
    ClientIp(ip): ClientIp,
    Path(user): Path<Uuid>,
    Json(req): Json<SetRoleRequest>,
) -> Result<Json<User>, ApiError> {
    auth.require(Scope::Admin)?;
    let updated = state
        .store()
        .set_user_role(user, req.role)
        .await
        .map_err(|e| no_such_user(e, user))?;
    state.auth_cache().forget_user(user);
    tracing::info!(admin = %auth.user.id, user = %user, role = req.role.as_str(), "role changed");
    let detail = serde_json::json!({ "role": req.role.as_str() });
    super::record_audit(&state, &auth, ip, "admin.role_changed", user, detail).await?;
    Ok(Json(updated))
}

/// Suspend an account, or lift its suspension. A suspended account cannot log in, its
/// sessions, API tokens and SSH keys are refused from its next request on, and its open
/// SSH sessions end; lifting the suspension lets them in again. An administrator cannot
/// suspend their own account.
#[utoipa::path(put, path = "/api/v1/admin/users/{user}/suspended", tag = "admin",
    security(("bearer" = [])),
    params(("user" = Uuid, Path)),
    request_body = SetSuspendedRequest,
    responses(
        (status = 200, body = UserAccount),
        (status = 400, description = "`user` is not a UUID, or the body is malformed", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the account is the administrator's own", body = ErrorBody),
    ))]
pub async fn set_suspended(
    State(state): State<AppState>,
    auth: Auth,
    ClientIp(ip): ClientIp,
    Path(user): Path<Uuid>,
    Json(req): Json<SetSuspendedRequest>,
) -> Result<Json<UserAccount>, ApiError> {
    auth.require(Scope::Admin)?;
    if user == auth.user.id && req.suspended {
        return Err(ApiError::Conflict(
            "you cannot suspend your own account; ask another administrator".to_owned(),
        ));
    }
    let updated = state
        .store()
        .set_user_suspended(user, req.suspended)
        .await
        .map_err(|e| no_such_user(e, user))?;
    state.auth_cache().forget_user(user);
    if req.suspended {
        state.announce_suspension(user);
    }
    tracing::info!(admin = %auth.user.id, user = %user, suspended = req.suspended, "suspension changed");
    let action = if req.suspended {
        "admin.user_suspended"
    } else {
        "admin.user_unsuspended"
    };
    super::record_audit(&state, &auth, ip, action, user, serde_json::json!({})).await?;
    Ok(Json(updated))
}

/// Make a single-use code that resets the account's password, valid for 30 minutes, to
/// hand to its owner (who runs `cloudmaster password reset`): the way back in where the
/// server sends no mail. Nothing is mailed; the code is shown only in this answer.
#[utoipa::path(post, path = "/api/v1/admin/users/{user}/password-reset", tag = "admin",
    security(("bearer" = [])),
    params(("user" = Uuid, Path)),
    responses(
        (status = 201, body = PasswordResetIssued),
        (status = 400, description = "`user` is not a UUID", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn issue_password_reset(
    State(state): State<AppState>,
    auth: Auth,
    ClientIp(ip): ClientIp,
    Path(user): Path<Uuid>,
) -> Result<(StatusCode, Json<PasswordResetIssued>), ApiError> {
    auth.require(Scope::Admin)?;
    let account = state
        .store()
        .user_by_id(user)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user {user}")))?;
    let issued = crate::auth::recovery::issue(&state, &account.user).await?;
    tracing::info!(admin = %auth.user.id, user = %user, "password reset code made");
    let action = "admin.password_reset_issued";
    super::record_audit(&state, &auth, ip, action, user, serde_json::json!({})).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Everything the server keeps about an account, to hand to its owner: the account, its API
/// tokens and SSH keys (never their secrets), enrollments, progress and attempts (also in
/// courses it left), certificates, payments and tutor conversations.
#[utoipa::path(get, path = "/api/v1/admin/users/{user}/export", tag = "admin",
    security(("bearer" = [])),
    params(("user" = Uuid, Path)),
    responses(
        (status = 200, body = AccountExport),
        (status = 400, description = "`user` is not a UUID", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn export_user(
    State(state): State<AppState>,
    auth: Auth,
    ClientIp(ip): ClientIp,
    Path(user): Path<Uuid>,
) -> Result<Json<AccountExport>, ApiError> {
    auth.require(Scope::Admin)?;
    let export = crate::account_data::export(&state, user).await?;
    super::record_audit(
        &state,
        &auth,
        ip,
        "admin.user_exported",
        user,
        serde_json::json!({}),
    )
    .await?;
    Ok(Json(export))
}

/// Erase an account: its sessions, tokens, keys, learning records, certificates, lab
/// sessions and tutor conversations are deleted, its subscription ends with the period paid
/// for, and the account row stays anonymous (and suspended) so that its payments and the
/// audit log keep their references. Its email may register again. Not one's own account.
#[utoipa::path(delete, path = "/api/v1/admin/users/{user}", tag = "admin",
    security(("bearer" = [])),
    params(("user" = Uuid, Path)),
    responses(
        (status = 200, body = AccountErased),
        (status = 400, description = "`user` is not a UUID", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the account is the administrator's own", body = ErrorBody),
    ))]
pub async fn erase_user(
    State(state): State<AppState>,
    auth: Auth,
    ClientIp(ip): ClientIp,
    Path(user): Path<Uuid>,
) -> Result<Json<AccountErased>, ApiError> {
    auth.require(Scope::Admin)?;
    if user == auth.user.id {
        return Err(ApiError::Conflict(
            "you cannot delete your own account; ask another administrator".to_owned(),
        ));
    }
    let erased = crate::account_data::erase(&state, user).await?;
    tracing::info!(admin = %auth.user.id, user = %user, "account erased");
    let detail = serde_json::json!({ "payments_kept": erased.payments_kept });
    super::record_audit(&state, &auth, ip, "admin.user_erased", user, detail).await?;
    Ok(Json(erased))
}

/// A store error about `user`, with `NotFound` saying which account is missing.
pub(crate) fn no_such_user(err: crate::store::StoreError, user: Uuid) -> ApiError {
    match err {
        crate::store::StoreError::NotFound(_) => ApiError::NotFound(format!("no user {user}")),
        other => other.into(),
    }
}
