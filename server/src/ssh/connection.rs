//! One SSH connection: who it is (public-key login against the keys learners linked), its
//! one session channel, and what its requests do. Only a terminal session is served: no
//! shell, no commands, no forwarding, no subsystems.
//!
//! An unknown key is declined so the client can offer its next one; a client that runs out
//! of keys is then let in through `keyboard-interactive` (no prompt) only to be told which
//! keys it offered and how to link one, after which the channel closes.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use cloudmaster_core::api::User;
use cloudmaster_tui::ColorMode;
use cloudmaster_tui::input::InputParser;
use ratatui::crossterm::event::Event;
use ratatui::layout::Size;
use russh::server::{Auth, Msg, PublicKeyOffer, Response, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, Pty};
use tokio::sync::mpsc;
use tokio::time::Instant;
use uuid::Uuid;

use super::session::{self, Served};
use super::{Shared, SshError, refuse};
use crate::store::LinkedSshKey;

/// Keys and resizes that may wait for a busy TUI before the connection waits too.
const INPUT_QUEUE: usize = 256;
/// The largest terminal served: a bigger one (say 65535 x 65535) would make every frame
/// buffer gigabytes.
const MAX_COLUMNS: u32 = 500;
const MAX_ROWS: u32 = 200;

pub(super) struct Connection {
    shared: Arc<Shared>,
    peer: Option<SocketAddr>,
    /// The account and key this connection signed in with.
    signed_in: Option<SignedIn>,
    /// The linked key last offered, so the signed login that follows the offer does not
    /// look it up again.
    offered: Option<LinkedSshKey>,
    /// Fingerprints of the keys offered that no account links, to tell the client.
    unknown_keys: Vec<String>,
    /// A linked key of a suspended account was offered: that is what the client is told.
    suspended: bool,
    /// The session channel (one per connection), once opened.
    channel: Option<ChannelState>,
    /// Set once logged in with a linked key: the login deadline no longer applies.
    logged_in: Arc<AtomicBool>,
}

struct SignedIn {
    user: User,
    key_id: Uuid,
}

struct ChannelState {
    id: ChannelId,
    term: Option<String>,
    colorterm: Option<String>,
    size: Size,
    parser: InputParser,
    /// The running TUI's keys and resizes; `None` until the shell request.
    input: Option<mpsc::Sender<Event>>,
    last_input: Arc<Mutex<Instant>>,
}

impl Connection {
    pub(super) fn new(
        shared: Arc<Shared>,
        peer: Option<SocketAddr>,
        logged_in: Arc<AtomicBool>,
    ) -> Self {
        Connection {
            shared,
            peer,
            signed_in: None,
            offered: None,
            unknown_keys: Vec::new(),
            suspended: false,
            channel: None,
            logged_in,
        }
    }

    fn channel_mut(&mut self, id: ChannelId) -> Option<&mut ChannelState> {
        self.channel.as_mut().filter(|c| c.id == id)
    }

    /// The linked key with this fingerprint, if any.
    async fn linked(&self, fingerprint: &str) -> Result<Option<LinkedSshKey>, SshError> {
        Ok(self
            .shared
            .state
            .store()
            .ssh_key_by_fingerprint(fingerprint)
            .await?)
    }

    /// What an unlinked client is told.
    fn unlinked_message(&self) -> String {
        if self.suspended {
            return "cloudmaster: the account this key is linked to is suspended; ask the \
                    server's administrators."
                .to_owned();
        }
        let offered = if self.unknown_keys.is_empty() {
            "Your client offered no key.".to_owned()
        } else {
            format!(
                "Your client offered {}, linked to no account.",
                self.unknown_keys.join(", ")
            )
        };
        format!(
            "cloudmaster: this server serves the cloudmaster TUI to linked keys only.\r\n\
             {offered}\r\n\r\n\
             Link your key on a machine where you are signed in (`cloudmaster login`):\r\n\r\n\
             \x20   cloudmaster keys add ~/.ssh/id_ed25519.pub\r\n\r\n\
             then connect again. (Make a key first with `ssh-keygen -t ed25519` if you have none.)"
        )
    }

    /// The shell request: starts the TUI, or says why not.
    async fn start(&mut self, id: ChannelId, session: &mut Session) -> Result<(), SshError> {
        let handle = session.handle();
        let Some(signed_in) = self.signed_in.as_ref() else {
            let message = self.unlinked_message();
            refuse(&handle, id, &message).await;
            return Ok(());
        };
        let (user, key_id) = (signed_in.user.clone(), signed_in.key_id);
        let (shared, peer) = (Arc::clone(&self.shared), self.peer);
        let Some(channel) = self.channel_mut(id) else {
            return Ok(());
        };
        if channel.input.is_some() {
            return Ok(());
        }
        let Some(term) = channel.term.clone() else {
            let message = "cloudmaster serves its terminal UI here, which needs a terminal: \
                           connect with `ssh -t`.";
            refuse(&handle, id, message).await;
            return Ok(());
        };
        let slot = match shared.limits.try_open(user.id, key_id) {
            Ok(slot) => slot,
            Err(reached) => {
                refuse(&handle, id, &super::limit_message(reached)).await;
                return Ok(());
            }
        };
        let colors = ColorMode::from_terminal(channel.colorterm.as_deref(), Some(&term));
        let (input_tx, input_rx) = mpsc::channel(INPUT_QUEUE);
        channel.input = Some(input_tx);
        *channel.last_input.lock().expect("lock") = Instant::now();
        tracing::info!(user = %user.id, key = %key_id, peer = ?peer, %term, %colors, "ssh tui starting");
        tokio::spawn(session::run(Served {
            shared,
            handle,
            channel: id,
            user,
            slot,
            size: channel.size,
            colors,
            input: input_rx,
            last_input: Arc::clone(&channel.last_input),
        }));
        Ok(())
    }

    /// Passes events to the running TUI. A TUI that is gone (it quit) drops them.
    async fn send(&mut self, id: ChannelId, events: Vec<Event>) {
        let Some(input) = self.channel_mut(id).and_then(|c| c.input.clone()) else {
            return;
        };
        for event in events {
            if input.send(event).await.is_err() {
                return;
            }
        }
    }
}

fn clamp_size(columns: u32, rows: u32) -> Size {
    // Both fit u16 once clamped.
    let clamp = |n: u32, max: u32| u16::try_from(n.clamp(1, max)).unwrap_or(1);
    Size::new(clamp(columns, MAX_COLUMNS), clamp(rows, MAX_ROWS))
}

impl russh::server::Handler for Connection {
    type Error = SshError;

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        let fingerprint = crate::ssh_keys::fingerprint(offer.public_key);
        if let Some(linked) = self.linked(&fingerprint).await? {
            self.offered = Some(linked);
            return Ok(Auth::Accept);
        }
        if !self.unknown_keys.contains(&fingerprint) && self.unknown_keys.len() < 8 {
            self.unknown_keys.push(fingerprint);
        }
        Ok(Auth::reject())
    }

    async fn auth_publickey(
        &mut self,
        _user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let fingerprint = crate::ssh_keys::fingerprint(key.public_key);
        let linked = match self.offered.take() {
            Some(offered) if offered.key.fingerprint == fingerprint => offered,
            // A client may sign without offering first.
            _ => match self.linked(&fingerprint).await? {
                Some(linked) => linked,
                None => return Ok(Auth::reject()),
            },
        };
        let state = &self.shared.state;
        let Some(account) = state.store().user_by_id(linked.user_id).await? else {
            return Ok(Auth::reject());
        };
        if account.suspended {
            tracing::info!(user = %account.user.id, "ssh login of a suspended account refused");
            self.suspended = true;
            return Ok(Auth::reject());
        }
        state
            .store()
            .touch_ssh_key(linked.key.id, state.now())
            .await?;
        self.signed_in = Some(SignedIn {
            user: account.user,
            key_id: linked.key.id,
        });
        self.logged_in.store(true, Ordering::Relaxed);
        Ok(Auth::Accept)
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        _user: &str,
        _submethods: &str,
        _response: Option<Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        // Only reached by a client none of whose keys is linked: it gets in to read how to
        // link one (see the module docs), and can do nothing else. It does not count as
        // logged in, so the login deadline still cuts a connection that lingers.
        Ok(Auth::Accept)
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.channel.is_some() {
            // One TUI per connection.
            drop(reply);
            return Ok(());
        }
        // Requests and data reach this handler; the channel object itself is not read, so
        // it is dropped rather than left to fill up.
        self.channel = Some(ChannelState {
            id: channel.id(),
            term: None,
            colorterm: None,
            size: Size::new(80, 24),
            parser: InputParser::new(),
            input: None,
            last_input: Arc::new(Mutex::new(Instant::now())),
        });
        reply.accept().await;
        Ok(())
    }

    async fn pty_request(
        &mut self,
        id: ChannelId,
        term: &str,
        columns: u32,
        rows: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        match self.channel_mut(id) {
            Some(channel) if channel.input.is_none() => {
                channel.term = Some(term.chars().take(64).collect());
                channel.size = clamp_size(columns, rows);
                session.channel_success(id)?;
            }
            _ => session.channel_failure(id)?,
        }
        Ok(())
    }

    async fn env_request(
        &mut self,
        id: ChannelId,
        name: &str,
        value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        // COLORTERM says whether the terminal shows 24-bit colour (when the client sends
        // it: OpenSSH's `SendEnv COLORTERM`); nothing else from the client's environment
        // matters here.
        match self.channel_mut(id) {
            Some(channel) if name == "COLORTERM" => {
                channel.colorterm = Some(value.chars().take(32).collect());
                session.channel_success(id)?;
            }
            _ => session.channel_failure(id)?,
        }
        Ok(())
    }

    async fn shell_request(
        &mut self,
        id: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.channel_mut(id).is_none() {
            session.channel_failure(id)?;
            return Ok(());
        }
        session.channel_success(id)?;
        self.start(id, session).await
    }

    async fn exec_request(
        &mut self,
        id: ChannelId,
        _command: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(id)?;
        let message = if self.signed_in.is_some() {
            "cloudmaster runs no commands over SSH: connect without one to open the TUI \
             (`ssh -t`), and use the `cloudmaster` command on your own machine."
                .to_owned()
        } else {
            self.unlinked_message()
        };
        refuse(&session.handle(), id, &message).await;
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        id: ChannelId,
        _name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(id)?;
        Ok(())
    }

    async fn data(
        &mut self,
        id: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(channel) = self.channel_mut(id) else {
            return Ok(());
        };
        if channel.input.is_none() {
            return Ok(());
        }
        *channel.last_input.lock().expect("lock") = Instant::now();
        let mut events = channel.parser.feed(data);
        // Keys arrive whole in one packet; what is left is a lone Escape (or a sequence cut
        // by the network, rare enough to read as keys).
        if channel.parser.has_pending() {
            events.extend(channel.parser.flush());
        }
        self.send(id, events).await;
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        id: ChannelId,
        columns: u32,
        rows: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let size = clamp_size(columns, rows);
        if let Some(channel) = self.channel_mut(id) {
            channel.size = size;
        }
        self.send(id, vec![Event::Resize(size.width, size.height)])
            .await;
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        id: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // No more keys: the TUI's input ends, and with it the TUI.
        if let Some(channel) = self.channel_mut(id) {
            channel.input = None;
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        id: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.channel.as_ref().is_some_and(|c| c.id == id) {
            self.channel = None;
        }
        Ok(())
    }
}
