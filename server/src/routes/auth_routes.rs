//! Accounts and sessions: register, login, refresh, logout, password change and reset, and
//! `me`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use cloudmaster_core::api::{
    ChangePasswordRequest, ErrorBody, LoginRequest, PasswordResetConfirm, PasswordResetRequest,
    RefreshRequest, RegisterRequest, Role, TokenPair, User, WhoAmI,
};

use axum::middleware;

use crate::auth::Auth;
use crate::auth::session::{self, LoginOrigin};
use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::extract::Json;
use crate::ratelimit::AuthBucket;
use crate::state::AppState;

/// The routes that work without an account, each with its tight per-address limit.
pub fn open_router(state: &AppState) -> Router<AppState> {
    let limit = |bucket: AuthBucket| {
        middleware::from_fn_with_state((state.clone(), bucket), super::limit_open_route)
    };
    Router::new()
        .route(
            "/auth/register",
            post(register).layer(limit(AuthBucket::Register)),
        )
        .route("/auth/login", post(login).layer(limit(AuthBucket::Login)))
        .route(
            "/auth/refresh",
            post(refresh).layer(limit(AuthBucket::Refresh)),
        )
        .route(
            "/auth/logout",
            post(logout).layer(limit(AuthBucket::Refresh)),
        )
        .route(
            "/auth/password-reset",
            post(request_password_reset).layer(limit(AuthBucket::PasswordReset)),
        )
        .route(
            "/auth/password-reset/confirm",
            post(confirm_password_reset).layer(limit(AuthBucket::PasswordReset)),
        )
}

/// The routes of a signed-in caller.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/password", post(change_password))
        .route("/me", get(me))
}

/// Create a learner account.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = User),
        (status = 409, description = "email taken", body = ErrorBody),
        (status = 422, description = "weak password or bad email", body = ErrorBody),
    ))]
pub async fn register(
    State(state): State<AppState>,
    Json(req): Json<RegisterRequest>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let user = state
        .create_user(&req.email, &req.name, &req.password, Role::Learner)
        .await?;
    tracing::info!(user_id = %user.id, "account registered");
    Ok((StatusCode::CREATED, Json(user)))
}

/// Log in: an access token and a refresh token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(req): Json<LoginRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    let origin = LoginOrigin {
        ip,
        device_token: req.device_token,
    };
    Ok(Json(
        session::login(&state, &req.email, req.password, &origin).await?,
    ))
}

/// Change the caller's password: the current one is checked (wrong guesses back off like
/// failed logins), the new one must pass the policy.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "changed"),
        (status = 401, description = "not signed in, or the current password is wrong", body = ErrorBody),
        (status = 403, description = "an API token cannot change the password", body = ErrorBody),
        (status = 422, description = "the new password breaks the policy", body = ErrorBody),
        (status = 429, description = "too many wrong current passwords", body = ErrorBody),
        (status = 503, description = "password hashing saturated; see Retry-After", body = ErrorBody),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    auth: Auth,
    ClientIp(ip): ClientIp,
    Json(req): Json<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    auth.require_session()?;
    session::change_password(&state, &auth.user, req, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ask for a password reset code by mail. The answer is the same whether or not the email
/// has an account; an account gets at most 3 codes an hour, each working once for 30 minutes.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "if the email has an account, a code is on its way"),
        (status = 429, description = "too many requests from this address", body = ErrorBody),
        (status = 503, description = "the server sends no mail; an administrator makes codes", body = ErrorBody),
    ))]
pub async fn request_password_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(req): Json<PasswordResetRequest>,
) -> Result<StatusCode, ApiError> {
    crate::auth::recovery::request(&state, &req.email, ip).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with a reset code. Every login session of the account ends.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth",
    request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "the password is set; log in with it"),
        (status = 400, description = "the code is malformed, unknown, used or expired", body = ErrorBody),
        (status = 422, description = "the new password breaks the policy", body = ErrorBody),
        (status = 429, description = "too many attempts from this address", body = ErrorBody),
        (status = 503, description = "password hashing saturated; see Retry-After", body = ErrorBody),
    ))]
pub async fn confirm_password_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(req): Json<PasswordResetConfirm>,
) -> Result<StatusCode, ApiError> {
    crate::auth::recovery::redeem(&state, &req.code, req.new_password, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Trade a refresh token for a new pair. Each refresh token works once; presenting a used
/// one revokes its whole login.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    Ok(Json(session::refresh(&state, &req.refresh_token).await?))
}

/// Log out: revoke the refresh tokens of this login.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    session::logout(&state, &req.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the caller is, and with which credential and scopes.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, body = WhoAmI), (status = 401, body = ErrorBody)))]
pub async fn me(auth: Auth) -> Result<Json<WhoAmI>, ApiError> {
    Ok(Json(WhoAmI {
        credential: auth.credential.as_str().to_owned(),
        scopes: auth.scopes.to_vec(),
        user: auth.user,
    }))
}
