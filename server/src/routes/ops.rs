//! Operations endpoints, outside the API gate (no auth, no rate limit): liveness,
//! readiness, the server's identity, Prometheus metrics and the OpenAPI document.

use std::sync::LazyLock;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cloudmaster_core::api::{ErrorBody, SERVER_IDENTITY_PATH, ServerIdentity};

use crate::error::{ApiError, error_chain};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(SERVER_IDENTITY_PATH, get(server_identity))
        .route("/metrics", get(metrics))
        .route("/api/v1/openapi.json", get(openapi))
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops",
    responses((status = 200, description = "ok", content_type = "text/plain", body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses(
        (status = 200, description = "ready", content_type = "text/plain", body = String),
        (status = 503, body = ErrorBody),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    match state.store().ping().await {
        Ok(()) => Ok("ready"),
        Err(err) => {
            tracing::warn!(error = %error_chain(&err), "readiness check failed");
            Err(ApiError::Unavailable(format!(
                "the {} database is not reachable",
                state.store().backend()
            )))
        }
    }
}

/// The server's identity: the same across restarts and ports (it lives in the database).
#[utoipa::path(get, path = "/.well-known/cloudmaster/server.json", tag = "ops",
    responses((status = 200, body = ServerIdentity), (status = 503, body = ErrorBody)))]
pub async fn server_identity(
    State(state): State<AppState>,
) -> Result<Json<ServerIdentity>, ApiError> {
    Ok(Json(ServerIdentity {
        server_id: state.server_id().await?,
    }))
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, content_type = "text/plain", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics().render(),
    )
        .into_response()
}

static OPENAPI_JSON: LazyLock<String> = LazyLock::new(|| {
    use utoipa::OpenApi as _;
    crate::openapi::ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|_| "{}".to_owned())
});

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "ops",
    responses((status = 200, content_type = "application/json", body = Object)))]
pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        OPENAPI_JSON.as_str(),
    )
        .into_response()
}
