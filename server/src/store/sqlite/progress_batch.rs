//! Group commit of lesson-progress writes.
//!
//! Every SQLite write goes through one connection, so concurrent progress writes queue for
//! it, and each pays for its own transaction (taking the write lock, appending its pages to
//! the WAL, updating the WAL index). This module puts the queue in front of the connection
//! instead: one task takes every progress write waiting at that moment (up to
//! [`MAX_BATCH`]), writes them with one statement (one hand-off to the connection's thread,
//! one fsync), and answers each caller after the commit.
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

/// Commits the batch: one statement for all of it (one hand-off to the connection's thread
/// and one fsync), or, when that statement fails (a constraint one write breaks, such as an
/// account deleted meanwhile), each write in one transaction, so that a write that fails
/// on its own fails alone.
async fn commit(
    writer: &sqlx::SqlitePool,
    batch: &[Pending],
) -> Result<Vec<StoreResult<StoredRow>>, sqlx::Error> {
    if batch.len() > 1 && distinct_keys(batch) {
        match upsert_together(writer, batch).await {
            Ok(rows) => return Ok(rows.into_iter().map(Ok).collect()),
            Err(err) => tracing::debug!(error = %err, "group upsert failed; writing one by one"),
        }
    }
    commit_one_by_one(writer, batch).await
}

/// Whether no two writes of the batch are to the same row: the rows a statement returns
/// come in no promised order, so they can be told apart only by their key.
fn distinct_keys(batch: &[Pending]) -> bool {
    let mut keys = std::collections::HashSet::with_capacity(batch.len());
    batch.iter().all(|p| {
        let w = &p.write;
        keys.insert((w.user_id, w.course_id.as_str(), w.lesson_id.as_str()))
    })
}

/// Every write of the batch (no two to the same row) as one `INSERT ... SELECT FROM
/// (VALUES ...)` upsert with the same rules as [`upsert_progress`]; the rows it returns are
/// matched back to the writes by their key (a lesson that does not exist returns none:
/// `None`, as for a single write).
async fn upsert_together(
    writer: &sqlx::SqlitePool,
    batch: &[Pending],
) -> Result<Vec<StoredRow>, sqlx::Error> {
    let mut sql = String::from(
        "INSERT INTO lesson_progress (user_id, course_id, lesson_id, status, position, \
                                      updated_at, completed_at) \
         SELECT w.column1, w.column2, w.column3, w.column4, w.column5, w.column6, w.column7 \
         FROM (VALUES ",
    );
    for i in 0..batch.len() {
        let n = i * 7;
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            n + 5,
            n + 6,
            n + 7
        ));
    }
    sql.push_str(
        ") AS w \
         WHERE EXISTS (SELECT 1 FROM lessons l \
                       WHERE l.course_id = w.column2 AND l.lesson_id = w.column3) ",
    );
    sql.push_str(super::sql::progress::UPSERT_CONFLICT);
    sql.push_str(
        " RETURNING user_id, course_id, lesson_id, status, position, updated_at, completed_at",
    );
    let mut query = sqlx::query_as::<_, KeyedRow>(sqlx::AssertSqlSafe(sql));
    for pending in batch {
        let w = &pending.write;
        query = query
            .bind(w.user_id)
            .bind(&w.course_id)
            .bind(&w.lesson_id)
            .bind(w.status)
            .bind(w.position)
            .bind(w.now)
            .bind(w.completed_at);
    }
    let returned = query.fetch_all(writer).await?;
    let mut by_key: std::collections::HashMap<_, _> = returned
        .into_iter()
        .map(
            |(user, course, lesson, status, position, updated_at, completed_at)| {
                (
                    (user, course, lesson),
                    (status, position, updated_at, completed_at),
                )
            },
        )
        .collect();
    Ok(batch
        .iter()
        .map(|pending| {
            let w = &pending.write;
            by_key.remove(&(w.user_id, w.course_id.clone(), w.lesson_id.clone()))
        })
        .collect())
}

/// `user_id, course_id, lesson_id` and the stored row.
type KeyedRow = (
    uuid::Uuid,
    String,
    String,
    String,
    Option<i64>,
    crate::store::Timestamp,
    Option<crate::store::Timestamp>,
);

/// Runs the batch in one transaction, a statement per write. A write that fails on its own
/// (a constraint) fails alone: SQLite undoes only that statement and the others commit.
async fn commit_one_by_one(
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
