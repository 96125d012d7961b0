//! The HTTP routes, one module per resource, each with its own `router()`; see
//! `docs/api.md` for the table. Everything under `/api/v1` passes the [`gate`], which
//! authenticates the request once and applies the caller's rate limit, except the routes
//! that work without an account, which pass the [`open_gate`] and their own tight limits.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use cloudmaster_core::api::{Role, Scope, Tier};

use crate::auth::{self, Auth};
use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::ratelimit::{AuthBucket, RateKey};
use crate::state::AppState;

pub mod account;
pub mod admin;
pub mod assessments;
pub mod auth_routes;
pub mod billing;
pub mod billing_admin;
pub mod certificates;
pub mod courses;
pub mod enrollment;
pub mod labs;
pub mod ops;
pub mod progress;
pub mod publishing;
pub mod review;
pub mod ssh_keys;
pub mod tokens;
pub mod tutor;

/// Every `/api/v1` route (without the prefix). The routes anyone may call without an
/// account (login, registration, refresh, logout, payment webhooks) pass the [`open_gate`], which never looks
/// at credentials; every other route passes the [`gate`].
pub fn api(state: &AppState) -> Router<AppState> {
    let open = auth_routes::open_router(state)
        .merge(billing::webhook_router())
        .route_layer(middleware::from_fn_with_state(state.clone(), open_gate));
    let gated = Router::new()
        .merge(auth_routes::router())
        .merge(tokens::router())
        .merge(ssh_keys::router())
        .merge(account::router())
        .merge(courses::router())
        .merge(enrollment::router())
        .merge(progress::router())
        .merge(publishing::router(state.config().max_publish_bytes))
        .merge(admin::router())
        .merge(assessments::router())
        .merge(review::router())
        .merge(certificates::router())
        .merge(labs::router())
        .merge(billing::router())
        .merge(billing_admin::router())
        .merge(tutor::router())
        .route_layer(middleware::from_fn_with_state(state.clone(), gate));
    open.merge(gated)
}

/// Authenticates the request (leaving an [`Auth`] in its extensions for the handler) and
/// counts it against the caller's rate limit: the user's tier, or the client address for
/// anonymous requests and failed authentications.
async fn gate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let now = state.now();
    let ip = client_ip(&state, &request);
    request.extensions_mut().insert(ClientIp(ip));
    let authenticated = auth::authenticate(&state, request.headers()).await;
    let (key, limit) = match &authenticated {
        Ok(Some(auth)) => (RateKey::User(auth.user.id), limit_for(&state, auth)),
        _ => (
            ip.map_or(RateKey::UnknownIp, RateKey::ip),
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

/// The gate of the routes that work without an account: every request counts against its
/// client address, whatever `Authorization` header it carries (a token must not buy a
/// blocked address more guesses).
async fn open_gate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let ip = client_ip(&state, &request);
    request.extensions_mut().insert(ClientIp(ip));
    let key = ip.map_or(RateKey::UnknownIp, RateKey::ip);
    let limit = state.config().rate_limit_anonymous;
    if let Err(limited) = state.limiter().check(key, limit, state.now()).await {
        return limited.into_response();
    }
    next.run(request).await
}

/// The tight per-address limit of one open route (see [`AuthBucket`]); a layer on that
/// route, inside the [`open_gate`].
pub(crate) async fn limit_open_route(
    State((state, bucket)): State<(AppState, AuthBucket)>,
    request: Request,
    next: Next,
) -> Response {
    let config = state.config();
    let limit = match bucket {
        AuthBucket::Login => config.rate_limit_login,
        AuthBucket::Register => config.rate_limit_register,
        AuthBucket::Refresh => config.rate_limit_refresh,
        AuthBucket::PasswordReset => config.rate_limit_password_reset,
    };
    let ip = request
        .extensions()
        .get::<ClientIp>()
        .and_then(|ClientIp(ip)| *ip);
    let key = ip.map_or(RateKey::UnknownIp, RateKey::ip);
    let limiter = state.auth_limiters().get(bucket);
    if let Err(limited) = limiter.check(key, limit, state.now()).await {
        return limited.into_response();
    }
    next.run(request).await
}

/// Refuses, before the body is read, a request whose credential lacks `scope`: a layer on
/// routers whose every route needs that scope (publishing, administration), so that no
/// one without it can make the server read and parse a large body.
pub(crate) async fn require_scope(
    State(scope): State<Scope>,
    request: Request,
    next: Next,
) -> Response {
    let Some(auth) = request.extensions().get::<Arc<Auth>>() else {
        return ApiError::Unauthenticated(
            "authentication required: send `Authorization: Bearer <token>` \
             (log in with `cloudmaster login`)"
                .to_owned(),
        )
        .into_response();
    };
    if let Err(err) = auth.require(scope) {
        return err.into_response();
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

/// The client's address: the TCP peer, or, from a trusted proxy, what `X-Forwarded-For`
/// says (see [`crate::client_ip`]).
fn client_ip(state: &AppState, request: &Request) -> Option<IpAddr> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    crate::client_ip::client_ip(&state.config().trust_forwarded_for, peer, request.headers())
}

/// Writes to the audit log that the caller (`auth`, from `ip`) did `action` to the account
/// `subject`, with `detail`.
pub(crate) async fn record_audit(
    state: &AppState,
    auth: &Auth,
    ip: Option<IpAddr>,
    action: &str,
    subject: uuid::Uuid,
    detail: serde_json::Value,
) -> Result<(), ApiError> {
    state
        .store()
        .append_audit(crate::auth::records::NewAuditEntry {
            at: state.now(),
            actor_id: Some(auth.user.id),
            action: action.to_owned(),
            subject_id: Some(subject),
            client_ip: ip.map(|ip| ip.to_string()),
            detail,
        })
        .await?;
    Ok(())
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
