//! Group commit of lesson-progress writes.
//!
//! Every SQLite write goes through one connection, so concurrent progress writes queue for
//! it, and each pays for its own transaction (taking the write lock, appending its pages to
//! the WAL, updating the WAL index). This module puts the queue in front of the connection
//! instead: one task takes every progress write waiting at that moment (up to
//! [`MAX_BATCH`]), runs them in one transaction, and answers each caller after the commit.
//! A write is acknowledged only once it is committed, as before, and a lone write under no
//! load is a batch of one, so nothing waits for company.

use tokio::sync::{mpsc, oneshot};

use super::sql::progress::{ProgressWrite, StoredRow, upsert_progress};
use crate::store::{StoreError, StoreResult};

/// The most writes committed together; bounds how long the first of them waits.
const MAX_BATCH: usize = 64;
/// Writes waiting for the batch task before callers wait to enqueue.
const QUEUE: usize = 1024;

struct Pending {
    write: ProgressWrite,
    reply: oneshot::Sender<StoreResult<StoredRow>>,
}

/// The handle the store keeps; cheap to clone. The batch task ends when every handle is
/// dropped.
#[derive(Debug, Clone)]
pub(super) struct ProgressBatcher {
    queue: mpsc::Sender<Pending>,
}

impl ProgressBatcher {
    /// Starts the batch task on `writer` (the store's one writing connection).
    pub fn start(writer: sqlx::SqlitePool) -> ProgressBatcher {
        let (queue, pending) = mpsc::channel(QUEUE);
        tokio::spawn(run(writer, pending));
        ProgressBatcher { queue }
    }

    /// Writes `write` with whatever else is waiting, and returns its row once committed.
    pub async fn write(&self, write: ProgressWrite) -> StoreResult<StoredRow> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Database(sqlx::Error::PoolClosed);
        self.queue
            .send(Pending { write, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(writer: sqlx::SqlitePool, mut pending: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while pending.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match commit(&writer, &batch).await {
            Ok(rows) => {
                for (waiting, row) in batch.drain(..).zip(rows) {
                    let _ = waiting.reply.send(row);
                }
            }
            Err(err) => {
                // The transaction is gone, and every write in it with it: each caller gets
                // the database's own error, not a description of it.
                let err = std::sync::Arc::new(err);
                for waiting in batch.drain(..) {
                    let _ = waiting.reply.send(Err(StoreError::Batch(err.clone())));
                }
            }
        }
    }
}

/// Runs the batch in one transaction. A write that fails on its own (a constraint) fails
/// alone: SQLite undoes only that statement and the others commit.
async fn commit(
    writer: &sqlx::SqlitePool,
    batch: &[Pending],
) -> Result<Vec<StoreResult<StoredRow>>, sqlx::Error> {
    use sqlx::Connection as _;
    let mut conn = writer.acquire().await?;
    // IMMEDIATE: another process writing the file makes this wait (busy_timeout) here,
    // not fail half-way through the batch.
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let mut rows = Vec::with_capacity(batch.len());
    for pending in batch {
        rows.push(
            upsert_progress(&mut *tx, &pending.write)
                .await
                .map_err(Into::into),
        );
    }
    tx.commit().await?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Timestamp;

    #[tokio::test]
    async fn a_failed_group_gives_each_write_the_database_error_itself() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        pool.close().await;
        let batcher = ProgressBatcher::start(pool);
        let now = Timestamp::new(time::OffsetDateTime::now_utc());
        let err = batcher
            .write(ProgressWrite {
                user_id: uuid::Uuid::nil(),
                course_id: "c".into(),
                lesson_id: "l".into(),
                status: "started",
                position: None,
                now,
                completed_at: None,
            })
            .await
            .unwrap_err();
        match err {
            StoreError::Batch(e) => assert!(matches!(*e, sqlx::Error::PoolClosed), "{e:?}"),
            other => panic!("the group's error became {other:?}"),
        }
    }
}
