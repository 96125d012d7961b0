//! Noticing that a lab workspace changed, for checks that re-run on every save (`lab check
//! --watch` and the terminal UI's lab runner).
//!
//! Changes are noticed through the file system's notifications (`notify`: inotify, FSEvents,
//! ReadDirectoryChangesW). Some file systems accept a watch and then never deliver anything
//! (network shares, some container mounts), so after setting the watch up a probe file is
//! written under `.cloudmaster`; if its event does not arrive within a second, or the watch
//! cannot be set up at all, changes are found by comparing a [`Snapshot`] of every file's
//! size and modification time every 500 ms instead.
//!
//! Either way a wake-up only means "maybe": events are debounced (150 ms of quiet, so an
//! editor's save-rename-chmod dance is one change), then the snapshot is compared with a
//! baseline, so reads, `.cloudmaster` and `.git` never count as changes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::workspace::state::{STATE_DIR, is_state_path};

const DEBOUNCE: Duration = Duration::from_millis(150);
/// How often the polling fallback looks at the files.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// How long the probe's event may take before notifications are judged not to work.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// A workspace with more entries than this is not snapshotted further (a runaway
/// `node_modules`); changes beyond it are only seen through notifications.
const MAX_SNAPSHOT_ENTRIES: usize = 100_000;

/// How changes are noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchMode {
    /// File-system notifications, falling back to polling when they do not work.
    Notify,
    Poll,
}

/// What each file looked like: size, modification time, and whether it is a folder.
pub type Snapshot = BTreeMap<PathBuf, (u64, Option<SystemTime>, bool)>;

/// Watches a workspace until dropped.
pub struct ChangeWatcher {
    root: PathBuf,
    wake: mpsc::UnboundedReceiver<()>,
    /// Kept alive for as long as the watch runs; dropping it ends the notifications.
    _notifier: Option<notify::RecommendedWatcher>,
    poller: Option<JoinHandle<()>>,
}

impl Drop for ChangeWatcher {
    fn drop(&mut self) {
        if let Some(poller) = &self.poller {
            poller.abort();
        }
    }
}

impl ChangeWatcher {
    /// Starts watching `root`. With [`WatchMode::Notify`], the second value says why
    /// notifications do not work here when the watcher fell back to polling.
    pub async fn start(root: &Path, mode: WatchMode) -> (ChangeWatcher, Option<String>) {
        let (wake_tx, wake) = mpsc::unbounded_channel();
        let mut watcher = ChangeWatcher {
            root: root.to_owned(),
            wake,
            _notifier: None,
            poller: None,
        };
        let mut fell_back = None;
        if mode == WatchMode::Notify {
            match watch_with_notify(root, wake_tx.clone()).await {
                Ok(notifier) => {
                    watcher._notifier = Some(notifier);
                    return (watcher, None);
                }
                Err(why) => fell_back = Some(why),
            }
        }
        // Taken before returning, so a change made right after `start` is seen.
        let initial = snapshot(root).await;
        watcher.poller = Some(spawn_poller(root.to_owned(), initial, wake_tx));
        (watcher, fell_back)
    }

    /// Waits until the workspace differs from `baseline` and returns how it looks now;
    /// `None` when nothing can report changes any more.
    pub async fn changed_from(&mut self, baseline: &Snapshot) -> Option<Snapshot> {
        loop {
            self.wake.recv().await?;
            // Debounce: wait for a quiet moment.
            loop {
                tokio::select! {
                    () = tokio::time::sleep(DEBOUNCE) => break,
                    woke = self.wake.recv() => if woke.is_none() { break },
                }
            }
            let now = snapshot(&self.root).await;
            if now != *baseline {
                return Some(now);
            }
        }
    }
}

/// Watches `root` recursively and proves that events arrive.
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

/// Looks at the workspace every [`POLL_INTERVAL`] and wakes the watcher when it changed.
fn spawn_poller(
    root: PathBuf,
    mut last: Snapshot,
    wake: mpsc::UnboundedSender<()>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
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
    })
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

/// [`snapshot_blocking`] on a blocking thread.
pub async fn snapshot(root: &Path) -> Snapshot {
    let root = root.to_owned();
    tokio::task::spawn_blocking(move || snapshot_blocking(&root))
        .await
        .unwrap_or_default()
}

/// Sizes and times of everything under `root` except `.cloudmaster` and `.git`, without
/// following symlinks. Unreadable folders are skipped (they cannot be checked either).
pub fn snapshot_blocking(root: &Path) -> Snapshot {
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

    #[tokio::test]
    async fn a_saved_file_wakes_the_polling_watcher() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let baseline = snapshot(root).await;
        let (mut watcher, fell_back) = ChangeWatcher::start(root, WatchMode::Poll).await;
        assert_eq!(fell_back, None);
        std::fs::write(root.join("main.tf"), "x").unwrap();
        // Generous: only a watcher that never notices the change waits it out.
        let changed =
            tokio::time::timeout(Duration::from_secs(60), watcher.changed_from(&baseline))
                .await
                .expect("the change is noticed")
                .expect("the watcher still runs");
        assert!(changed.contains_key(&root.join("main.tf")));
    }
}
