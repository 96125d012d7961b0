//! The TUI served over SSH (`--ssh-listen`), for learners on small machines such as a
//! Raspberry Pi: `ssh -p PORT HOST` opens the same TUI as `cloudmaster tui`, running here.
//!
//! - [`host_key`]: the server's key, made once in the data directory.
//! - `connection`: one connection's login (public keys learners linked with `cloudmaster
//!   keys add`; an unknown key is told what to run, never given a shell) and requests.
//! - `session`: one TUI session, talking to this server's HTTP API with a login session
//!   of its own, so the tier and rate limits apply as over HTTP; idle timeout; goodbye.
//! - [`limits`]: sessions per account and per key.
//!
//! Served sessions run no lab checks here: a lab's checks run its author's programs, which
//! belong on the learner's machine (see `cloudmaster_tui::serve`).
//!
//! Bounds on what a connection can make the server spend: at most `--ssh-max-connections`
//! connections at once (more are closed on accept), a handshake must finish within
//! [`HANDSHAKE_TIMEOUT`] and a login within [`LOGIN_TIMEOUT`], russh's rejection delay
//! slows key guessing, a terminal is at most 500x200 cells, and the queues between the
//! connection and the TUI are bounded both ways.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use russh::ChannelId;
use russh::MethodKind;
use russh::server::Handle;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use url::Url;

use crate::error::ApiError;
use crate::server_error::ServerError;
use crate::state::AppState;
use crate::store::StoreError;

pub mod config;
mod connection;
pub mod host_key;
pub mod limits;
mod session;

use limits::{LimitReached, SessionLimits};

/// From the TCP connection to the end of the key exchange.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);
/// From the TCP connection to a successful login.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a connection's handler stopped.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error(transparent)]
    Ssh(#[from] russh::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// What every connection shares.
pub(crate) struct Shared {
    state: AppState,
    /// This server's API, which served TUIs call over loopback.
    api: Url,
    limits: Arc<SessionLimits>,
    idle_timeout: Duration,
    /// Turns true when the server stops: sessions say goodbye.
    stopping: watch::Receiver<bool>,
}

/// The URL served TUIs reach this server's API at: its HTTP listener, through loopback
/// when it listens on every address.
pub fn api_url(http: SocketAddr) -> Url {
    let host = match http.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_owned(),
        ip if ip.is_unspecified() => "[::1]".to_owned(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    Url::parse(&format!("http://{host}:{}/", http.port())).expect("a valid URL")
}

/// Serves the TUI over SSH on `listener` until `shutdown` resolves; then every session
/// says goodbye and closes. `api` is this server's HTTP API (see [`api_url`]).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    api: Url,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServerError> {
    let settings = state.config().ssh.clone();
    let host_key = host_key::load_or_create(&state.config().data_dir)?;
    // What learners' clients show the first time they connect, to compare against.
    tracing::info!(
        host_key = %crate::ssh_keys::fingerprint(host_key.public_key()),
        "ssh host key"
    );
    let mut methods = russh::MethodSet::empty();
    methods.push(MethodKind::PublicKey);
    methods.push(MethodKind::KeyboardInteractive);
    let config = Arc::new(russh::server::Config {
        methods,
        keys: vec![host_key],
        // Answers to wrong keys take this long, which slows guessing.
        auth_rejection_time: Duration::from_millis(300),
        // A client's first, method-probing "none" request is answered at once.
        auth_rejection_time_initial: Some(Duration::ZERO),
        max_auth_attempts: 10,
        // The idle timeout of sessions is the TUI's (key presses); this one collects
        // connections that send nothing at all, not even keepalives.
        inactivity_timeout: Some(settings.idle_timeout() + Duration::from_secs(60)),
        keepalive_interval: Some(Duration::from_secs(60)),
        nodelay: true,
        ..Default::default()
    });
    let (stopping_tx, stopping) = watch::channel(false);
    let shared = Arc::new(Shared {
        state,
        api,
        limits: SessionLimits::new(
            settings.ssh_sessions_per_account,
            settings.ssh_sessions_per_key,
        ),
        idle_timeout: settings.idle_timeout(),
        stopping,
    });
    let connections = Arc::new(Semaphore::new(settings.ssh_max_connections as usize));
    let mut running = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        // Out of file descriptors and the like: wait, do not spin.
                        tracing::warn!(error = %err, "ssh accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
                    tracing::warn!(%peer, "ssh connection refused: too many open");
                    continue;
                };
                let (config, shared) = (Arc::clone(&config), Arc::clone(&shared));
                running.spawn(async move {
                    let _permit = permit;
                    run_connection(config, stream, shared, peer).await;
                });
            }
            Some(_) = running.join_next(), if !running.is_empty() => {}
            () = &mut shutdown => break,
        }
    }
    let _ = stopping_tx.send(true);
    // Sessions say goodbye and close; connections still logging in are dropped.
    let drained = tokio::time::timeout(Duration::from_secs(5), async {
        while running.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        running.abort_all();
    }
    Ok(())
}

/// Runs one connection to its end, cutting it if it has not logged in with a linked key
/// within [`LOGIN_TIMEOUT`] (a client let in to read how to link a key has read it by then).
async fn run_connection(
    config: Arc<russh::server::Config>,
    stream: tokio::net::TcpStream,
    shared: Arc<Shared>,
    peer: SocketAddr,
) {
    let signed_in = Arc::new(AtomicBool::new(false));
    let handler = connection::Connection::new(shared, Some(peer), Arc::clone(&signed_in));
    let started = tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        russh::server::run_stream(config, stream, handler),
    )
    .await;
    let session = match started {
        Ok(Ok(session)) => session,
        Ok(Err(err)) => {
            tracing::debug!(%peer, error = %err, "ssh handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "ssh handshake timed out");
            return;
        }
    };
    let handle = session.handle();
    tokio::pin!(session);
    tokio::select! {
        ended = &mut session => {
            if let Err(err) = ended {
                tracing::debug!(%peer, error = %err, "ssh connection ended on an error");
            }
            return;
        }
        () = tokio::time::sleep(LOGIN_TIMEOUT) => {}
    }
    if !signed_in.load(Ordering::Relaxed) {
        tracing::debug!(%peer, "ssh login timed out");
        let _ = handle
            .disconnect(
                russh::Disconnect::ByApplication,
                "no login in time".to_owned(),
                String::new(),
            )
            .await;
    }
    if let Err(err) = session.await {
        tracing::debug!(%peer, error = %err, "ssh connection ended on an error");
    }
}

/// Tells the client why it gets no TUI, then closes the channel with exit status 1.
pub(crate) async fn refuse(handle: &Handle, channel: ChannelId, message: &str) {
    let text = format!("{message}\r\n");
    let _ = handle.data(channel, text).await;
    let _ = handle.exit_status_request(channel, 1).await;
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
}

/// What a session over a limit is told.
pub(crate) fn limit_message(reached: LimitReached) -> String {
    match reached {
        LimitReached::Account(n) => format!(
            "Your account already has {n} cloudmaster session(s) open over SSH, the most it \
             may have. Close one, then connect again."
        ),
        LimitReached::Key(n) => format!(
            "This key already has {n} cloudmaster session(s) open over SSH, the most one key \
             may have. Close one, or connect with another key linked to your account."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn served_tuis_reach_the_api_over_loopback_when_it_listens_everywhere() {
        let url = |addr: &str| api_url(addr.parse().unwrap()).to_string();
        assert_eq!(url("0.0.0.0:8080"), "http://127.0.0.1:8080/");
        assert_eq!(url("[::]:8080"), "http://[::1]:8080/");
        assert_eq!(url("10.1.2.3:9000"), "http://10.1.2.3:9000/");
        assert_eq!(url("[fd00::1]:8080"), "http://[fd00::1]:8080/");
    }
}
