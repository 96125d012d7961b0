//! The HTTP routes, one module per resource, each with its own `router()`; see
//! `docs/api.md` for the table. Everything under `/api/v1` passes the [`gate`], which
//! authenticates the request once and applies the caller's rate limit.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use cloudmaster_core::api::{Role, Tier};

use crate::auth::{self, Auth};
use crate::error::ApiError;
use crate::ratelimit::RateKey;
use crate::state::AppState;

pub mod admin;
pub mod assessments;
pub mod auth_routes;
pub mod certificates;
pub mod courses;
pub mod enrollment;
pub mod labs;
pub mod ops;
pub mod progress;
pub mod publishing;
pub mod review;
pub mod tokens;

/// Every `/api/v1` route (without the prefix), behind the gate.
pub fn api(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(auth_routes::router())
        .merge(tokens::router())
        .merge(courses::router())
        .merge(enrollment::router())
        .merge(progress::router())
        .merge(publishing::router(state.config().max_publish_bytes))
        .merge(admin::router())
        .merge(assessments::router())
        .merge(review::router())
        .merge(certificates::router())
        .merge(labs::router())
        .route_layer(middleware::from_fn_with_state(state.clone(), gate))
}

/// Authenticates the request (leaving an [`Auth`] in its extensions for the handler) and
/// counts it against the caller's rate limit: the user's tier, or the client address for
/// anonymous requests and failed authentications.
async fn gate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let now = state.now();
    let authenticated = auth::authenticate(&state, request.headers()).await;
    let (key, limit) = match &authenticated {
        Ok(Some(auth)) => (RateKey::User(auth.user.id), limit_for(&state, auth)),
        _ => (
            client_ip(&state, &request).map_or(RateKey::UnknownIp, RateKey::Ip),
            state.config().rate_limit_anonymous,
        ),
    };
    if let Err(limited) = state.limiter().check(key, limit, now).await {
        return limited.into_response();
    }
    match authenticated {
        Ok(Some(auth)) => {
            request.extensions_mut().insert(Arc::new(auth));
        }
        Ok(None) => {}
        Err(err) => return err.into_response(),
    }
    next.run(request).await
}

fn limit_for(state: &AppState, auth: &Auth) -> u64 {
    let config = state.config();
    match (auth.user.role, auth.user.tier) {
        (Role::Admin | Role::Instructor, _) => config.rate_limit_staff,
        (Role::Learner, Tier::Premium) => config.rate_limit_premium,
        (Role::Learner, Tier::Free) => config.rate_limit_free,
    }
}

/// The client's address: the TCP peer, or the first `X-Forwarded-For` entry when the
/// operator said a trusted proxy sets it.
fn client_ip(state: &AppState, request: &Request) -> Option<IpAddr> {
    if state.config().trust_forwarded_for
        && let Some(ip) = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return Some(ip);
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// JSON 404 for paths no route matches.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint; see /api/v1/openapi.json".to_owned())
}

/// JSON 405 for a known path with the wrong method.
pub async fn method_not_allowed() -> Response {
    let mut response =
        ApiError::BadRequest("method not allowed on this path".to_owned()).into_response();
    *response.status_mut() = axum::http::StatusCode::METHOD_NOT_ALLOWED;
    response
}

/// Query of the publish and rollback endpoints.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DryRun {
    /// Plan only; store nothing.
    #[serde(default)]
    pub dry_run: bool,
}
