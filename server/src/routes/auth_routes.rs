//! Accounts and sessions: register, login, refresh, logout, and `me`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use cloudmaster_core::api::{
    ErrorBody, LoginRequest, RefreshRequest, RegisterRequest, Role, TokenPair, User, WhoAmI,
};

use crate::auth::{Auth, session};
use crate::error::ApiError;
use crate::extract::Json;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
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
    Json(req): Json<LoginRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    Ok(Json(
        session::login(&state, &req.email, req.password).await?,
    ))
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
