//! WAL checkpoints off the write path.
//!
//! By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that
//! commit copies the pages into the database file and fsyncs it before it returns, and every
//! write queued behind the one writing connection waits for it. Under load that is a stall
//! every few hundred writes, and it is what sets the tail latency of writes. The writer runs
//! with `wal_autocheckpoint=0` instead, and this task checkpoints from a connection of its
//! own: a `PASSIVE` checkpoint runs alongside writers and readers, blocking neither.
//!
//! The WAL starts over from its beginning only when a write begins after a checkpoint
//! copied all of it; under unbroken load a passive checkpoint never quite catches up, so
//! past [`RESTART_PAGES`] the task asks for a `RESTART` checkpoint, which waits for the
//! writer and readers of the moment, copies the rest and starts the WAL over
//! (`journal_size_limit` then trims the file). Nothing is lost if the task is behind or stopped: the WAL is durable, and any later
//! connection (another process, the next start) checkpoints it.

use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions as _, Connection as _, SqliteConnection};
use tokio::sync::mpsc;

/// How often the WAL is checkpointed (a checkpoint with nothing to copy costs next to
/// nothing).
const INTERVAL: Duration = Duration::from_millis(200);
/// WAL size in pages (16 MiB) beyond which the task starts the WAL over. The restart makes
/// writes wait while it copies what the last passive checkpoint left (about one interval's
/// worth) and syncs; under sustained load that is a short pause every few seconds, where
/// checkpoints in commits paused writes every thousand pages.
pub(super) const RESTART_PAGES: i64 = 4_096;

/// Keeps the checkpoint task running; it stops when every clone is dropped.
#[derive(Debug, Clone)]
pub(super) struct Checkpointer {
    _alive: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Opens a connection with `options` (the writer's) and starts checkpointing on it.
    pub async fn start(options: &SqliteConnectOptions) -> Result<Checkpointer, sqlx::Error> {
        let conn = options.clone().connect().await?;
        let (alive, stopped) = mpsc::channel(1);
        tokio::spawn(run(conn, stopped));
        Ok(Checkpointer { _alive: alive })
    }
}

async fn run(mut conn: SqliteConnection, mut stopped: mpsc::Receiver<()>) {
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            None = stopped.recv() => break,
        }
        match checkpoint(&mut conn, "PRAGMA wal_checkpoint(PASSIVE)").await {
            // (busy, pages in the WAL, pages copied into the database): a WAL that grew
            // past the bound is started over.
            Ok((_, log, _)) if log >= RESTART_PAGES => {
                if let Err(err) = checkpoint(&mut conn, "PRAGMA wal_checkpoint(RESTART)").await {
                    tracing::warn!(error = %err, "restarting the WAL failed");
                }
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "WAL checkpoint failed"),
        }
    }
    let _ = conn.close().await;
}

async fn checkpoint(
    conn: &mut SqliteConnection,
    pragma: &'static str,
) -> Result<(i64, i64, i64), sqlx::Error> {
    sqlx::query_as(pragma).fetch_one(&mut *conn).await
}
