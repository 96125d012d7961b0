//! Logs go to `$XDG_STATE_HOME/cloudmaster/tui.log`, never to the screen (they would tear
//! the UI). The level comes from `CLOUDMASTER_LOG` (`info` by default).

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

/// Installs the file logger and returns the log file, or `None` when logging is not
/// possible (no state directory) or a logger is already installed (the caller's wins).
pub(crate) fn init(state_dir: &Path) -> Option<PathBuf> {
    std::fs::create_dir_all(state_dir).ok()?;
    let path = state_dir.join("tui.log");
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    let filter =
        EnvFilter::try_from_env("CLOUDMASTER_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(path)
}
