//! Logs, request ids, metrics recording and panic handling: the middleware every request
//! passes through, outermost first:
//!
//! 1. `SetRequestId`: keeps the client's `x-request-id` or makes a UUID;
//! 2. `TraceLayer`: one span per request carrying that id, so every log line written while
//!    serving the request names it (the access line itself is at `debug`);
//! 3. `PropagateRequestId`: echoes the id in the response;
//! 4. metrics: counts and times the request by matched route;
//! 5. `CatchPanic`: a panicking handler becomes a 500 in the JSON error shape.

use std::any::Any;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderName;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::request_id::RequestId;
use tracing::Level;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;
use crate::error::ApiError;
use crate::state::AppState;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber: `RUST_LOG`, else `CLOUDMASTER_LOG`, else `info`.
/// Does nothing if a subscriber is already installed (tests, or the CLI set one up).
pub fn init_tracing(format: LogFormat) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .or_else(|| std::env::var("CLOUDMASTER_LOG").ok())
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    // Colours only on a terminal, and never with NO_COLOR set.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

/// The span of one request.
pub fn make_span(request: &Request) -> tracing::Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    )
}

/// Logs the outcome of one request at `debug` (errors log themselves at `error`).
pub fn on_response(status: axum::http::StatusCode, latency: std::time::Duration) {
    tracing::event!(
        Level::DEBUG,
        status = status.as_u16(),
        latency_us = latency.as_micros() as u64,
        "finished"
    );
}

/// Counts and times every request under its matched route.
pub async fn record_metrics(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let route = route.as_ref().map_or("unmatched", |r| r.as_str());
    state
        .metrics()
        .record(route, &method, response.status(), start.elapsed());
    response
}

/// Turns a handler panic into a logged 500 with the usual JSON body.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    ApiError::internal("handler panicked", message.to_owned()).into_response()
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt as _;
    use tower_http::catch_panic::CatchPanicLayer;

    #[tokio::test]
    async fn panics_become_json_500s() {
        async fn boom() -> &'static str {
            panic!("secret detail")
        }
        let app = Router::new()
            .route("/boom", get(boom))
            .layer(CatchPanicLayer::custom(super::panic_response));
        let response = app
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.contains("\"code\":\"internal\""), "{text}");
        assert!(!text.contains("secret detail"), "{text}");
    }
}
