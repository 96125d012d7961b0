//! `lab check --watch`: checks again whenever the workspace changes.
//!
//! Changes are noticed through the file system's notifications (`notify`: inotify, FSEvents,
//! ReadDirectoryChangesW). Some file systems accept a watch and then never deliver anything
//! (network shares, some container mounts), so after setting the watch up a probe file is
//! written under `.cloudmaster`; if its event does not arrive within a second, or the watch
//! cannot be set up at all, changes are found by comparing a snapshot of every file's size
//! and modification time every 500 ms instead (`--poll` asks for that directly).
//!
//! Either way a wake-up only means "maybe": events are debounced (150 ms of quiet, so an
//! editor's save-rename-chmod dance is one change), then the snapshot is compared with the
//! one taken after the last run, so reads, `.cloudmaster` and `.git` never trigger a run.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cloudmaster_core::Client;
use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher as _};
use tokio::sync::{mpsc, watch};

use super::check::{CheckRun, check_once, outcome, write_run};
use super::report::Reporter;
use super::workspace_state::{STATE_DIR, Workspace, is_state_path};
use crate::context::Context;

const DEBOUNCE: Duration = Duration::from_millis(150);
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// How long the probe's event may take before notifications are judged not to work.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// A workspace with more entries than this is not snapshotted further (a runaway
/// `node_modules`); changes beyond it are only seen through notifications.
const MAX_SNAPSHOT_ENTRIES: usize = 100_000;

/// How changes are noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Notify,
    Poll,
}

/// What each file looked like: size, modification time, and whether it is a folder.
type Snapshot = BTreeMap<PathBuf, (u64, Option<SystemTime>, bool)>;

/// Checks, then waits for a change and checks again, until the step(s) pass or Ctrl-C.
pub async fn run(
    ctx: &Context,
    client: &Client,
    mut workspace: Workspace,
    requested: Option<String>,
    mode: Mode,
) -> anyhow::Result<()> {
    let root = workspace.root.clone();
    let (stop_tx, mut stop) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stop_tx.send(true);
        }
    });
    let (wake_tx, mut wake) = mpsc::unbounded_channel();
    // Kept alive for as long as the loop runs; dropping it ends the notifications.
    let _watcher = match mode {
        Mode::Notify => match watch_with_notify(&root, wake_tx.clone()).await {
            Ok(watcher) => Some(watcher),
            Err(why) => {
                ctx.warn(&format!(
                    "file-system notifications do not work here ({why}); looking for changes \
                     every {} ms instead",
                    POLL_INTERVAL.as_millis()
                ));
                spawn_poller(root.clone(), wake_tx);
                None
            }
        },
        Mode::Poll => {
            spawn_poller(root.clone(), wake_tx);
            None
        }
    };
    let clear = std::io::stdout().is_terminal() && ctx.human();
    let mut reporter = Reporter::default();
    let mut last: Option<CheckRun> = None;
    let mut may_rerun = true;
    loop {
        if clear && last.is_some() {
            print!("\x1b[2J\x1b[H");
        }
        let before = snapshot(&root).await;
        reporter.new_run();
        let run = tokio::select! {
            run = check_once(ctx, client, &mut workspace, requested.as_deref(), &mut reporter) => run?,
            _ = stop.wait_for(|stopped| *stopped) => return stopped(ctx, last.as_ref()),
        };
        let finished = run.all_steps_pass || (requested.is_some() && run.passed);
        ctx.print(&run, |out| {
            write_run(ctx, out, &workspace, &run)?;
            if !finished && ctx.human() {
                writeln!(
                    out,
                    "\n{}",
                    ctx.dim(&format!(
                        "Watching {} for changes (Ctrl-C stops)…",
                        root.display()
                    ))
                )?;
            }
            Ok(())
        })?;
        if finished {
            return Ok(());
        }
        let after = snapshot(&root).await;
        last = Some(run);
        // A save that landed while the checks ran may have been read half-way: look again,
        // once (a check that writes into the workspace itself must not loop forever).
        if before != after && may_rerun {
            may_rerun = false;
            continue;
        }
        may_rerun = true;
        if !wait_for_change(&root, &after, &mut wake, &mut stop).await {
            return stopped(ctx, last.as_ref());
        }
    }
}

/// Ctrl-C: the exit code of the last run (1 unless it passed).
fn stopped(ctx: &Context, last: Option<&CheckRun>) -> anyhow::Result<()> {
    ctx.notice("Stopped watching.");
    last.map_or(Ok(()), outcome)
}

/// Waits until the workspace differs from `baseline`. `false` when stopped (Ctrl-C) or when
/// nothing can report changes any more.
async fn wait_for_change(
    root: &Path,
    baseline: &Snapshot,
    wake: &mut mpsc::UnboundedReceiver<()>,
    stop: &mut watch::Receiver<bool>,
) -> bool {
    loop {
        tokio::select! {
            woke = wake.recv() => if woke.is_none() { return false },
            _ = stop.wait_for(|stopped| *stopped) => return false,
        }
        // Debounce: wait for a quiet moment.
        loop {
            tokio::select! {
                () = tokio::time::sleep(DEBOUNCE) => break,
                woke = wake.recv() => if woke.is_none() { break },
            }
        }
        if snapshot(root).await != *baseline {
            return true;
        }
    }
}

/// Watches `root` recursively and proves that events arrive. The watcher must be kept.
async fn watch_with_notify(
    root: &Path,
    wake: mpsc::UnboundedSender<()>,
) -> Result<notify::RecommendedWatcher, String> {
    let state_dir = root.join(STATE_DIR);
    std::fs::create_dir_all(&state_dir).map_err(|e| format!("cannot write {STATE_DIR}: {e}"))?;
    let probe = state_dir.join("watch-probe");
    let probe_seen = Arc::new(tokio::sync::Notify::new());
    let seen = probe_seen.clone();
    let watched_root = root.to_owned();
    let probe_path = probe.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else {
            // The watch reported a problem (overflow, ...): look at the files anyway.
            let _ = wake.send(());
            return;
        };
        if event.paths.contains(&probe_path) {
            seen.notify_one();
        }
        let read_only = matches!(
            event.kind,
            EventKind::Access(
                AccessKind::Open(_) | AccessKind::Read | AccessKind::Close(AccessMode::Read)
            )
        );
        if !read_only && event.paths.iter().any(|p| is_watched(&watched_root, p)) {
            let _ = wake.send(());
        }
    })
    .map_err(|e| e.to_string())?;
    watcher
        .watch(root, RecursiveMode::Recursive)
        .map_err(|e| e.to_string())?;
    std::fs::write(&probe, b"cloudmaster watch probe\n")
        .map_err(|e| format!("cannot write {}: {e}", probe.display()))?;
    let arrived = tokio::time::timeout(PROBE_TIMEOUT, probe_seen.notified())
        .await
        .is_ok();
    let _ = std::fs::remove_file(&probe);
    if arrived {
        Ok(watcher)
    } else {
        Err(format!(
            "no event arrived for a test file within {} s",
            PROBE_TIMEOUT.as_secs()
        ))
    }
}

/// Looks at the workspace every [`POLL_INTERVAL`] and wakes the loop when it changed.
fn spawn_poller(root: PathBuf, wake: mpsc::UnboundedSender<()>) {
    tokio::spawn(async move {
        let mut last = snapshot(&root).await;
        let mut interval = tokio::time::interval(POLL_INTERVAL);
        loop {
            interval.tick().await;
            let now = snapshot(&root).await;
            if now != last {
                last = now;
                if wake.send(()).is_err() {
                    return;
                }
            }
        }
    });
}

/// Whether a change at `path` (absolute) can matter to the checks: inside the workspace,
/// outside `.cloudmaster` and `.git`.
fn is_watched(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    let first = rel.components().next().map(|c| c.as_os_str().to_owned());
    !is_state_path(rel) && first.is_none_or(|c| c != ".git")
}

async fn snapshot(root: &Path) -> Snapshot {
    let root = root.to_owned();
    tokio::task::spawn_blocking(move || snapshot_blocking(&root))
        .await
        .unwrap_or_default()
}

/// Sizes and times of everything under `root` except `.cloudmaster` and `.git`, without
/// following symlinks. Unreadable folders are skipped (they cannot be checked either).
fn snapshot_blocking(root: &Path) -> Snapshot {
    let mut found = Snapshot::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if dir == root && !is_watched(root, &path) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                pending.push(path.clone());
            }
            found.insert(path, (meta.len(), meta.modified().ok(), meta.is_dir()));
            if found.len() >= MAX_SNAPSHOT_ENTRIES {
                return found;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_ignore_state_and_git_and_see_edits() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join(".cloudmaster")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.txt"), "a").unwrap();
        let before = snapshot_blocking(root);
        assert_eq!(before.len(), 2, "{before:?}");
        std::fs::write(root.join(".cloudmaster/lab.json"), "{}").unwrap();
        std::fs::write(root.join(".git/HEAD"), "x").unwrap();
        assert_eq!(snapshot_blocking(root), before);
        std::fs::write(root.join("sub/a.txt"), "ab").unwrap();
        assert_ne!(snapshot_blocking(root), before);
        assert!(is_watched(root, &root.join("sub/a.txt")));
        assert!(!is_watched(root, &root.join(".cloudmaster/lab.json")));
        assert!(!is_watched(root, Path::new("/elsewhere/a.txt")));
    }
}
