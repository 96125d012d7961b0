//! The event loop. It owns the terminal and the [`App`], and waits (`tokio::select!`) on
//! two things only: terminal events and the results of background tasks (timers, the lab
//! watch and the events of a tutor answer included). The terminal is the process's own
//! ([`run`]) or one at the other end of a connection ([`serve`]: an SSH channel's bytes,
//! and the keys and resizes its owner parsed from the channel).
//! Nothing ticks unless a timed attempt is on screen, whose countdown asks for one tick a
//! second: otherwise, with no input and no work in flight, the process sleeps, and the
//! screen is redrawn only after something changed.

use std::collections::VecDeque;
use std::io::{Write, stdout};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use cloudmaster_core::lab::consent::ConsentStore;
use futures_util::{Stream, StreamExt};
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::{Hide, Show};
use ratatui::crossterm::event::{Event, EventStream, KeyEventKind};
use ratatui::crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode,
};
use ratatui::crossterm::{execute, queue};
use ratatui::layout::{Rect, Size};
use ratatui::{Terminal, TerminalOptions, Viewport};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::action::Action;
use crate::app::{App, update};
use crate::backend::Backend;
use crate::tasks;
use crate::ui::render;

/// Results waiting to be applied; background tasks wait when it is full.
const CHANNEL_CAPACITY: usize = 64;
/// How long quitting waits for the last progress save.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Restores the terminal however the TUI ends. ratatui's panic hook covers panics; this
/// covers errors and normal exits. It ignores failures: a `Drop` must never panic.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = disable_raw_mode();
        let _ = execute!(stdout(), LeaveAlternateScreen, Show);
    }
}

/// Runs the TUI; lab workspaces go into `lab_dir`, consent to run a course's programs is
/// remembered in `lab_consent`.
pub(crate) async fn run(
    backend: Arc<dyn Backend>,
    lab_dir: PathBuf,
    lab_consent: Option<ConsentStore>,
) -> anyhow::Result<()> {
    // Created first so a half-done initialisation is undone too.
    let _guard = TerminalGuard;
    let mut terminal = ratatui::try_init().context("cannot start the terminal UI")?;
    // Terminals without an alternate screen (the Linux console) would keep what was printed
    // before; ratatui only draws the cells that change, so start from a known blank screen.
    // (Not `Terminal::clear`: it asks the terminal for the cursor position, and some never
    // answer.)
    ratatui::backend::Backend::clear(terminal.backend_mut())?;
    tracing::info!("tui started");
    let mut app = App::new();
    app.lab_dir = lab_dir;
    app.lab_consent = lab_consent;
    let size = terminal.size()?;
    let result = event_loop(&mut terminal, EventStream::new(), size, app, backend).await;
    tracing::info!(ok = result.is_ok(), "tui stopped");
    result
}

/// A terminal at the other end of a connection: the TUI's frames go to `output`, and
/// `input` brings the keys typed there and its new sizes (as crossterm events).
pub struct RemoteTerminal<W> {
    pub output: W,
    pub input: mpsc::Receiver<Event>,
    /// Columns and rows when the session starts.
    pub size: Size,
}

/// Runs the TUI for a remote terminal until the user quits or `input` closes (the
/// connection went away). Labs are shown, never set up or checked: this runs on the
/// server. The remote terminal is left as it was found (main screen, cursor shown) when
/// the TUI quits; a connection that is gone needs nothing.
pub(crate) async fn serve<W: Write>(
    backend: Arc<dyn Backend>,
    remote: RemoteTerminal<W>,
) -> anyhow::Result<()> {
    let RemoteTerminal {
        mut output,
        mut input,
        size,
    } = remote;
    queue!(output, EnterAlternateScreen, Hide, Clear(ClearType::All))?;
    output.flush()?;
    // A fixed viewport: the size comes from the connection (a window-change message), never
    // from the server process's own terminal.
    let viewport = Viewport::Fixed(Rect::new(0, 0, size.width, size.height));
    let mut terminal =
        Terminal::with_options(CrosstermBackend::new(output), TerminalOptions { viewport })?;
    let mut app = App::new();
    app.served = true;
    let events = futures_util::stream::poll_fn(move |cx| input.poll_recv(cx).map(|e| e.map(Ok)));
    let result = event_loop(&mut terminal, events, size, app, backend).await;
    let output = terminal.backend_mut();
    // Fails when the connection is gone, which needs no goodbye.
    let _ = execute!(output, LeaveAlternateScreen, Show);
    result
}

async fn event_loop<W: Write>(
    terminal: &mut Terminal<CrosstermBackend<W>>,
    mut events: impl Stream<Item = std::io::Result<Event>> + Unpin,
    size: Size,
    mut app: App,
    backend: Arc<dyn Backend>,
) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::channel::<Action>(CHANNEL_CAPACITY);
    let mut tasks = JoinSet::new();
    let mut ongoing = tasks::Ongoing::default();
    let mut queue = VecDeque::from([
        Action::Resize {
            width: size.width,
            height: size.height,
        },
        Action::Start,
    ]);

    loop {
        if !queue.is_empty() {
            while let Some(action) = queue.pop_front() {
                for command in update(&mut app, action) {
                    tasks::spawn(command, &backend, &tx, &mut tasks, &mut ongoing);
                }
            }
            if app.should_quit {
                break;
            }
            terminal.draw(|frame| render(&app, frame))?;
        }
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => {
                    if let Event::Resize(width, height) = event {
                        // What a fixed viewport needs (a remote terminal); the process's own
                        // would resize itself when drawn, and is none the worse for it.
                        terminal.resize(Rect::new(0, 0, width, height))?;
                    }
                    queue.extend(translate(event));
                }
                Some(Err(err)) => return Err(err).context("reading terminal input"),
                None => break,
            },
            Some(action) = rx.recv() => queue.push_back(action),
            Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                // A lab watch or a tutor answer stopped on purpose ends cancelled: no failure.
                if let Err(err) = joined
                    && !err.is_cancelled()
                {
                    tracing::error!(error = %err, "background task failed");
                }
            }
        }
    }

    // Let in-flight work (the reading position saved on quit) finish, briefly. Closing the
    // channel first means no task can block on a full one, and ends the timers (the clock
    // ticks, the search debounce) at once; the lab watch never finishes, and a tutor answer
    // is not worth waiting for (stopping it cancels it on the server), so both are stopped.
    ongoing.stop();
    rx.close();
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("gave up waiting for background requests at exit");
    }
    Ok(())
}

/// The action a terminal event stands for; `None` for events the TUI ignores (which then
/// cause no redraw).
fn translate(event: Event) -> Option<Action> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Action::Key(key)),
        Event::Resize(width, height) => Some(Action::Resize { width, height }),
        _ => None,
    }
}
