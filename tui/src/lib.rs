//! cloudmaster's terminal user interface (ratatui).
//!
//! `cloudmaster tui` and `cloudmaster quickstart` call [`run`]; `cloudmaster course preview`
//! calls [`preview`]; the server's SSH sessions call [`serve`] with a [`RemoteTerminal`].
//! How the pieces fit:
//!
//! - [`app`]: the state ([`app::App`]) and [`app::update`], the only place it changes.
//!   `update` takes an [`action::Action`] (a key, a resize, a finished request, a clock
//!   tick) and returns [`action::Command`]s (server calls, timers) instead of doing I/O.
//! - [`ui::render`] draws a frame from `&App`; pure, so screens are snapshot-tested.
//! - [`keymap`]: one table of keys per context; it dispatches keys and generates the help
//!   popup and the status-bar hints.
//! - [`screens`] (dashboard, catalog, course outline, lesson reader, quiz and exam runner,
//!   lab runner with its reset, abandon and result, spaced review),
//!   [`components`] (lists, tabs, status bar, gauges, scrollbars, snippets) and [`popups`]
//!   (help, errors, confirmations, and the AI tutor's panel, whose answers stream in).
//! - [`markdown`]: lesson Markdown → styled, wrapped terminal lines.
//! - [`theme`]: every style, in a 16-colour, a 256-colour and a truecolor palette; [`run`]
//!   picks the one the terminal supports ([`ColorMode::detect`]), [`run_with`] takes the
//!   caller's choice (`cloudmaster tui --colors 16|256|truecolor`).
//! - [`backend`]: the server calls as a trait, implemented for the HTTP client, for local
//!   course files ([`PreviewBackend`], `cloudmaster course preview`) and by a fake in the
//!   tests; `runtime` runs the event loop and the background tasks (a tutor answer is one
//!   that reports each event of its stream as an action, until it ends or is stopped).

use std::sync::Arc;

use anyhow::Context as _;

pub mod action;
pub mod app;
pub mod backend;
pub mod components;
pub mod input;
pub mod keymap;
mod logging;
pub mod markdown;
pub mod popups;
mod runtime;
pub mod screens;
mod tasks;
pub mod theme;
pub mod ui;

#[cfg(test)]
mod snapshot_tests;
#[cfg(test)]
mod test_support;

pub use backend::preview::PreviewBackend;
pub use backend::{Backend, BackendError};
pub use runtime::RemoteTerminal;
pub use theme::{ColorMode, ParseColorModeError};

/// Runs the TUI against a cloudmaster server until the user quits, in the colours the
/// terminal supports ([`ColorMode::detect`]). The terminal is restored however it ends
/// (error or panic included).
pub async fn run(client: cloudmaster_core::Client) -> anyhow::Result<()> {
    run_with(client, ColorMode::detect()).await
}

/// [`run`] in the palette of `colors`, whatever the terminal says it supports.
pub async fn run_with(client: cloudmaster_core::Client, colors: ColorMode) -> anyhow::Result<()> {
    run_backend_with(Arc::new(client), colors).await
}

/// Runs the TUI against any [`Backend`] (a server, local course files, a fake), in the
/// colours the terminal supports. Lab workspaces go into the current folder, as with
/// `cloudmaster lab start`.
pub async fn run_with_backend(backend: Arc<dyn Backend>) -> anyhow::Result<()> {
    run_backend_with(backend, ColorMode::detect()).await
}

/// [`run_with_backend`] in the palette of `colors`.
pub async fn run_backend_with(backend: Arc<dyn Backend>, colors: ColorMode) -> anyhow::Result<()> {
    let lab_dir = std::env::current_dir()
        .and_then(std::path::absolute)
        .context("cannot read the current folder")?;
    run_in(backend, lab_dir, true, colors).await
}

/// Runs the TUI on local courses (`cloudmaster course preview`): no server, lab workspaces
/// in `lab_dir`, and consent to run a course's programs asked each time, never remembered
/// (a course being written changes its programs often).
pub async fn preview(
    courses: Vec<cloudmaster_core::course::Course>,
    lab_dir: std::path::PathBuf,
) -> anyhow::Result<()> {
    preview_with(courses, lab_dir, ColorMode::detect()).await
}

/// [`preview`] in the palette of `colors`.
pub async fn preview_with(
    courses: Vec<cloudmaster_core::course::Course>,
    lab_dir: std::path::PathBuf,
    colors: ColorMode,
) -> anyhow::Result<()> {
    let backend = Arc::new(PreviewBackend::new(courses));
    run_in(backend, lab_dir, false, colors).await
}

/// Runs the TUI for a terminal at the other end of a connection (an SSH session), in the
/// palette of `colors` (the remote terminal's, from its `TERM`), until the user quits or the
/// connection's input ends. It runs where the server is, so labs are shown but never set
/// up or checked (the learner runs `cloudmaster lab check` where the files are), and
/// nothing is logged to or read from this machine's user folders.
pub async fn serve(
    backend: Arc<dyn Backend>,
    terminal: RemoteTerminal<impl std::io::Write + Send>,
    colors: ColorMode,
) -> anyhow::Result<()> {
    theme::scope(colors, runtime::serve(backend, terminal)).await
}

async fn run_in(
    backend: Arc<dyn Backend>,
    lab_dir: std::path::PathBuf,
    remember_consent: bool,
    colors: ColorMode,
) -> anyhow::Result<()> {
    let paths = cloudmaster_core::config::Paths::from_env().ok();
    if let Some(paths) = &paths {
        logging::init(&paths.state_dir);
    }
    let consent = paths
        .filter(|_| remember_consent)
        .map(|p| cloudmaster_core::lab::consent::ConsentStore::in_data_dir(&p.data_dir));
    tracing::info!(%colors, "colour mode");
    // Every style read while the TUI runs (updates and frames alike) comes from this palette.
    theme::scope(colors, runtime::run(backend, lab_dir, consent)).await
}
