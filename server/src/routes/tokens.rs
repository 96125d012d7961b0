//! Personal API tokens: create, list, revoke. Managed only from a login session, so a
//! leaked token cannot mint more tokens.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use cloudmaster_core::api::{ApiTokenInfo, CreateTokenRequest, CreatedToken, ErrorBody};
use time::Duration;
use uuid::Uuid;

use crate::auth::records::NewApiToken;
use crate::auth::{Auth, ScopeSet, tokens};
use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::state::AppState;

/// Longest allowed token lifetime, in days (ten years).
const MAX_DAYS: u32 = 3_650;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tokens", get(list).post(create))
        .route("/tokens/{id}", delete(revoke))
}

/// Create a token. The secret is in the response only; it cannot be shown again.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens",
    security(("bearer" = [])),
    request_body = CreateTokenRequest,
    responses(
        (status = 201, body = CreatedToken),
        (status = 403, description = "scope beyond the role, or not a session", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<CreateTokenRequest>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    auth.require_session()?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::Validation(
            "token name must be 1 to 100 characters".to_owned(),
        ));
    }
    if req.scopes.is_empty() {
        return Err(ApiError::Validation(
            "give the token at least one scope: learn, publish or admin".to_owned(),
        ));
    }
    let allowed = ScopeSet::for_role(auth.user.role);
    if let Some(scope) = req.scopes.iter().find(|s| !allowed.contains(**s)) {
        return Err(ApiError::Forbidden(format!(
            "a {} cannot grant the `{}` scope",
            auth.user.role.as_str(),
            scope.as_str()
        )));
    }
    let expires_at = match req.expires_in_days {
        Some(0) => {
            return Err(ApiError::Validation(
                "expires_in_days must be at least 1 (omit it for a token that never expires)"
                    .to_owned(),
            ));
        }
        Some(days) if days > MAX_DAYS => {
            return Err(ApiError::Validation(format!(
                "expires_in_days must be at most {MAX_DAYS}"
            )));
        }
        Some(days) => Some(state.now() + Duration::days(i64::from(days))),
        None => None,
    };
    let mut scopes = req.scopes.clone();
    scopes.sort();
    scopes.dedup();
    let secret = tokens::new_api_token();
    let info = state
        .store()
        .create_api_token(
            NewApiToken {
                id: Uuid::now_v7(),
                user_id: auth.user.id,
                name: name.to_owned(),
                scopes,
                prefix: secret.chars().take(tokens::PAT_SHOWN_CHARS).collect(),
                token_hash: tokens::hash_secret(&secret),
                expires_at,
            },
            state.now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: secret,
            info,
        }),
    ))
}

/// The caller's tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    security(("bearer" = [])),
    responses((status = 200, body = [ApiTokenInfo])))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<ApiTokenInfo>>, ApiError> {
    auth.require_session()?;
    Ok(Json(state.store().list_api_tokens(auth.user.id).await?))
}

/// Revoke one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "token id")),
    responses(
        (status = 204),
        (status = 400, description = "`id` is not a UUID", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    auth.require_session()?;
    if state
        .store()
        .revoke_api_token(auth.user.id, id, state.now())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("you have no API token {id}")))
    }
}
