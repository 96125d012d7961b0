//! cloudmaster's server: accounts, catalog, enrollment, progress and publishing over HTTP,
//! on SQLite (embedded default) or PostgreSQL (several stateless replicas).
//!
//! How the pieces fit:
//! - [`ServerConfig`] (flags and `CLOUDMASTER_*` variables) → [`AppState::open`] opens the
//!   [`store`] and the signing keys ([`keys`]) → [`router`] builds the axum app →
//!   [`serve`] runs it on a listener until a shutdown future resolves; [`run`] does all of
//!   that for the binaries, with SIGINT/SIGTERM handling.
//! - [`routes`] has one module per resource; handlers return `Result<_, ApiError>` and use
//!   `?` ([`error`]). [`auth`] authenticates (JWT sessions, refresh-token rotation with reuse
//!   detection, personal API tokens) and [`ratelimit`] enforces per-tier limits shared
//!   across replicas through the database. [`publish`] turns course bundles into versions.
//!   [`billing`] sells courses and premium plans through a payment provider (the built-in
//!   sandbox or Stripe), with a ledger that only verified webhook events settle.
//!   [`ssh_keys`] decides which SSH public keys learners may link to their accounts.
//! - [`telemetry`] and [`metrics`]: request ids in every log line, Prometheus metrics,
//!   panics as JSON 500s. [`cache`] keeps the catalog's JSON in memory with bounded staleness.
//!
//! Tests (and the CLI's `quickstart`) start the server on a port-0 listener with [`serve`];
//! a `cloudmaster-server` process started on port 0 says which port it got through
//! `--url-file` ([`url_file`]).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Response;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::server_error::Context as _;

pub mod account_data;
pub mod auth;
pub mod billing;
pub mod bundles;
pub mod cache;
pub mod certificates;
pub mod client_ip;
pub mod config;
pub mod error;
pub mod extract;
pub mod jobs;
pub mod keys;
pub mod labs;
pub mod learning;
pub mod mail;
pub mod metrics;
pub mod openapi;
pub mod owner_only;
pub mod publish;
pub mod ratelimit;
pub mod routes;
pub mod server_error;
pub mod ssh;
pub mod ssh_keys;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod tutor;
pub mod url_file;

pub use cloudmaster_core::api::PublishOutcome;
pub use config::{LogFormat, ServerConfig};
pub use error::ApiError;
pub use server_error::ServerError;
pub use state::{AppState, Clock, SystemClock};
pub use telemetry::init_tracing;

/// The whole HTTP application: `/api/v1/...` plus the operations endpoints, with request
/// ids, tracing, metrics, panic handling and body limits.
pub fn router(state: AppState) -> Router {
    let max_body = state.config().max_body_bytes;
    Router::new()
        .nest("/api/v1", routes::api(&state))
        .merge(routes::ops::router())
        .merge(routes::certificates::well_known_router())
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        // Listed innermost first: each `layer` wraps everything above it.
        .layer(DefaultBodyLimit::max(max_body))
        .layer(CatchPanicLayer::custom(telemetry::panic_response))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            telemetry::record_metrics,
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(telemetry::make_span)
                .on_request(())
                .on_response(
                    |response: &Response<_>, latency: Duration, _: &tracing::Span| {
                        telemetry::on_response(response.status(), latency);
                    },
                )
                .on_failure(()),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Serves `state` on `listener` until `shutdown` resolves, then stops accepting, lets
/// in-flight requests finish, and writes buffered counters.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state.clone());
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    state.flush().await;
    Ok(())
}

/// Opens the database, binds `config.listen` and serves until SIGINT or SIGTERM; then
/// drains in-flight requests for up to `shutdown_grace_secs`. With `url_file` set, the
/// bound address is written there once the listener accepts connections.
pub async fn run(config: ServerConfig) -> Result<(), ServerError> {
    let state = AppState::open(&config).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener
        .local_addr()
        .context("cannot read the address the server listens on")?;
    // Connections made from here on wait in the listener's backlog until `serve` accepts
    // them, so the file may appear before serving starts.
    let _url_file = config
        .url_file
        .as_deref()
        .map(|path| url_file::UrlFile::write(path, addr))
        .transpose()?;
    tracing::info!(
        %addr,
        backend = state.store().backend(),
        "cloudmaster server listening"
    );
    let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
    let ssh = match config.ssh.ssh_listen {
        Some(ssh_addr) => {
            let listener = TcpListener::bind(ssh_addr)
                .await
                .with_context(|| format!("cannot listen for SSH on {ssh_addr}"))?;
            tracing::info!(addr = %ssh_addr, "serving the TUI over SSH");
            let mut stopping = stopping_rx.clone();
            let stopped = async move {
                let _ = stopping.wait_for(|stopping| *stopping).await;
            };
            let serving = ssh::serve(listener, state.clone(), ssh::api_url(addr), stopped);
            Some(tokio::spawn(serving))
        }
        None => None,
    };
    let signal = async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stopping_tx.send(true);
    };
    let grace = Duration::from_secs(config.shutdown_grace_secs);
    let deadline = async move {
        let _ = stopping_rx.wait_for(|stopping| *stopping).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        served = serve(listener, state.clone(), signal) => served.context("server failed")?,
        () = deadline => {
            tracing::warn!("grace period over; exiting with requests still in flight");
            state.flush().await;
        }
    }
    if let Some(ssh) = ssh {
        // Sessions have had the signal too; they say goodbye within seconds.
        match ssh.await {
            Ok(result) => result?,
            Err(err) => tracing::error!(error = %err, "the SSH server stopped abnormally"),
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
