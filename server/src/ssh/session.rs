//! One TUI session over an SSH channel, from the shell request to the goodbye.
//!
//! The TUI talks to this server over loopback HTTP, as the learner's own `cloudmaster tui`
//! would: it gets a login session of its own (revoked when the SSH session ends), so
//! authentication, the tier, rate limits and every rule of the API apply unchanged. What it
//! draws goes to the channel through a bounded queue: a client that stops reading its
//! screen fills the queue and is disconnected, instead of making the server buffer frames.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cloudmaster_core::Client;
use cloudmaster_core::api::User;
use cloudmaster_core::credentials::Credential;
use cloudmaster_tui::{ColorMode, RemoteTerminal};
use ratatui::crossterm::event::Event;
use ratatui::layout::Size;
use russh::ChannelId;
use russh::server::Handle;
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;
use uuid::Uuid;

use super::Shared;
use super::limits::SessionSlot;
use crate::auth::session as login;
use crate::state::AppState;

/// Frames that may wait for a slow client before it is disconnected.
const QUEUED_FRAMES: usize = 64;
/// How long the last frames may take to leave once the TUI has ended.
const DRAIN: Duration = Duration::from_secs(2);
/// How often a session reads its account, to end when it was suspended through another
/// replica (through this one it ends at once).
const RECHECK_SUSPENSION: Duration = Duration::from_secs(60);

/// Everything a session needs once its shell request is granted.
pub(super) struct Served {
    pub shared: Arc<Shared>,
    pub handle: Handle,
    pub channel: ChannelId,
    pub user: User,
    pub slot: SessionSlot,
    pub size: Size,
    pub colors: ColorMode,
    pub input: mpsc::Receiver<Event>,
    /// When the learner last pressed a key (or the session started).
    pub last_input: Arc<Mutex<Instant>>,
}

/// How the TUI ended.
enum Ending {
    /// The learner quit, or the connection went away (then nobody reads the goodbye).
    Quit,
    Failed(String),
    Idle,
    ServerStopping,
    /// The account was suspended meanwhile.
    Suspended,
}

/// Runs the session to its end and says goodbye; the login session is revoked and the
/// TUI's background work stopped, however it ended.
pub(super) async fn run(served: Served) {
    let Served {
        shared,
        handle,
        channel,
        user,
        slot,
        size,
        colors,
        input,
        last_input,
    } = served;
    let pair = match login::start(&shared.state, &user).await {
        Ok(pair) => pair,
        Err(err) => {
            tracing::error!(user = %user.id, error = %err, "cannot start a session for SSH");
            let message = "The server could not start your session; try again in a moment.";
            super::refuse(&handle, channel, message).await;
            return;
        }
    };
    let client = match Client::new(shared.api.clone(), Some(Credential::from_pair(&pair))) {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(error = %err, "cannot make the SSH session's API client");
            super::refuse(&handle, channel, "The server could not start your session.").await;
            return;
        }
    };
    tracing::info!(user = %user.id, "ssh session started");

    let (frames_tx, frames_rx) = mpsc::channel::<Vec<u8>>(QUEUED_FRAMES);
    let writer = tokio::spawn(forward_frames(handle.clone(), channel, frames_rx));
    let remote = RemoteTerminal {
        output: ChannelOutput {
            frames: frames_tx,
            pending: Vec::new(),
        },
        input,
        size,
    };
    let mut stopping = shared.stopping.clone();
    let suspensions = shared.state.suspensions();
    let ending = tokio::select! {
        result = cloudmaster_tui::serve(Arc::new(client.clone()), remote, colors) => match result {
            Ok(()) => Ending::Quit,
            Err(err) => Ending::Failed(format!("{err:#}")),
        },
        () = idle(&last_input, shared.idle_timeout) => Ending::Idle,
        () = suspended(&shared.state, user.id, suspensions) => Ending::Suspended,
        _ = stopping.wait_for(|stopping| *stopping) => Ending::ServerStopping,
    };
    // The TUI is dropped by now (and with it its background tasks); its login session goes
    // too, so the tokens it held are worth nothing.
    if let Some(refresh) = client
        .credential()
        .and_then(|c| c.refresh_token().map(str::to_owned))
        && let Err(err) = login::logout(&shared.state, &refresh).await
    {
        tracing::warn!(user = %user.id, error = %err, "could not end the SSH session's login");
    }
    let _ = tokio::time::timeout(DRAIN, writer).await;

    let (status, farewell) = match &ending {
        Ending::Quit => (
            0,
            format!("Goodbye, {}. Your progress is saved.", user.name),
        ),
        Ending::Failed(err) => {
            tracing::warn!(user = %user.id, error = %err, "ssh session failed");
            (
                1,
                "The session stopped on an error; connect again to continue.".to_owned(),
            )
        }
        Ending::Idle => (
            0,
            format!(
                "Closed after {} minutes without a key press. Your progress is saved; connect \
                 again to continue.",
                shared.idle_timeout.as_secs() / 60
            ),
        ),
        Ending::ServerStopping => (
            0,
            "The server is shutting down; connect again in a moment.".to_owned(),
        ),
        Ending::Suspended => (
            1,
            "Your account was suspended; ask the server's administrators.".to_owned(),
        ),
    };
    // A TUI stopped from outside left the alternate screen up: leave it, show the cursor.
    let restore = match ending {
        Ending::Quit => "",
        _ => "\x1b[?1049l\x1b[?25h",
    };
    let text = format!("{restore}{farewell}\r\n");
    let _ = handle.data(channel, text).await;
    let _ = handle.exit_status_request(channel, status).await;
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
    drop(slot);
    tracing::info!(user = %user.id, "ssh session ended");
}

/// Resolves once no key was pressed for `timeout`.
async fn idle(last_input: &Mutex<Instant>, timeout: Duration) {
    loop {
        let deadline = *last_input.lock().expect("lock") + timeout;
        if Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep_until(deadline).await;
    }
}

/// Resolves once `user`'s account is suspended: at once when that happens through this
/// replica, else when the account is next read, every [`RECHECK_SUSPENSION`].
async fn suspended(state: &AppState, user: Uuid, mut suspensions: broadcast::Receiver<Uuid>) {
    let mut recheck = tokio::time::interval(RECHECK_SUSPENSION);
    recheck.tick().await; // the first tick is now: the account was just read at login
    loop {
        let read = tokio::select! {
            announced = suspensions.recv() => match announced {
                Ok(id) if id == user => return,
                Ok(_) => continue,
                // Missed some: read the account instead.
                Err(broadcast::error::RecvError::Lagged(_)) => true,
                // The state is going away: the server stops, which ends the session anyway.
                Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
            },
            _ = recheck.tick() => true,
        };
        if read && is_suspended(state, user).await {
            return;
        }
    }
}

/// Whether the account is suspended (or gone); a failed read counts as not: the next
/// request of the session would fail on its own.
async fn is_suspended(state: &AppState, user: Uuid) -> bool {
    match state.store().user_by_id(user).await {
        Ok(Some(account)) => account.suspended,
        Ok(None) => true,
        Err(err) => {
            tracing::warn!(user = %user, error = %err, "cannot read an SSH session's account");
            false
        }
    }
}

/// Sends the frames to the client, in order, as fast as it takes them.
async fn forward_frames(handle: Handle, channel: ChannelId, mut frames: mpsc::Receiver<Vec<u8>>) {
    while let Some(frame) = frames.recv().await {
        if handle.data(channel, frame).await.is_err() {
            // The connection is gone; the TUI notices when its input ends.
            return;
        }
    }
}

/// What the TUI writes: collected, and handed to the channel's writer on each flush (once
/// per frame drawn).
struct ChannelOutput {
    frames: mpsc::Sender<Vec<u8>>,
    pending: Vec<u8>,
}

impl std::io::Write for ChannelOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let frame = std::mem::take(&mut self.pending);
        self.frames.try_send(frame).map_err(|err| match err {
            mpsc::error::TrySendError::Full(_) => std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                "the SSH client is not reading its screen",
            ),
            mpsc::error::TrySendError::Closed(_) => std::io::ErrorKind::BrokenPipe.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn idle_ends_only_after_the_timeout_without_a_key() {
        let timeout = Duration::from_secs(60);
        let last_input = Arc::new(Mutex::new(Instant::now()));
        let watching = Arc::clone(&last_input);
        let idle = tokio::spawn(async move { idle(&watching, timeout).await });
        tokio::time::sleep(Duration::from_secs(50)).await;
        // A key 50 s in: the session lives until 110 s.
        *last_input.lock().unwrap() = Instant::now();
        tokio::time::sleep(Duration::from_secs(55)).await;
        assert!(!idle.is_finished());
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(idle.is_finished());
    }
}
