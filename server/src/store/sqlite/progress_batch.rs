//! Group commit of lesson-progress writes.
//!
//! Every SQLite write goes through one connection, so concurrent progress writes queue for
//! it, and each pays for its own transaction (taking the write lock, appending its pages to
//! the WAL, updating the WAL index). This module puts the queue in front of the connection
//! instead: one task takes every progress write waiting at that moment (up to
//! [`MAX_BATCH`]), writes them with one statement in one transaction, and answers each
//! caller after the commit.
//! A write is acknowledged only once it is committed, as before, and a lone write under no
//! load is a batch of one, so nothing waits for company.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::sql::progress::{ProgressWrite, StoredRow, upsert_progress};
use crate::store::{StoreError, StoreResult, Timestamp};

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
        for group in distinct_lessons(std::mem::take(&mut batch)) {
            commit(&writer, group).await;
        }
    }
}

/// Splits a batch, in order, into groups in which no lesson of a user is written twice:
/// one statement can write each row only once.
fn distinct_lessons(batch: Vec<Pending>) -> Vec<Vec<Pending>> {
    let mut groups: Vec<Vec<Pending>> = Vec::new();
    let mut seen = HashSet::new();
    for pending in batch {
        let w = &pending.write;
        let key = (w.user_id, w.course_id.clone(), w.lesson_id.clone());
        if groups.is_empty() || !seen.insert(key.clone()) {
            groups.push(Vec::new());
            seen.clear();
            seen.insert(key);
        }
        groups
            .last_mut()
            .expect("a group was just pushed")
            .push(pending);
    }
    groups
}

/// Commits a group and answers each of its writers.
async fn commit(writer: &sqlx::SqlitePool, group: Vec<Pending>) {
    let rows = match upsert_all(writer, &group).await {
        Ok(rows) => rows,
        // One write may have failed the statement (a constraint); write them one by one,
        // so that it fails alone.
        Err(_) => match upsert_each(writer, &group).await {
            Ok(rows) => rows,
            Err(err) => {
                // The transaction is gone, and every write in it with it: each caller gets
                // the database's own error, not a description of it.
                let err = Arc::new(err);
                group
                    .iter()
                    .map(|_| Err(StoreError::Batch(err.clone())))
                    .collect()
            }
        },
    };
    for (waiting, row) in group.into_iter().zip(rows) {
        let _ = waiting.reply.send(row);
    }
}

/// The whole group as one statement on its own (autocommit) transaction: one round trip to
/// the database thread and one commit, however many writes. The writes go in as one JSON
/// array; each comes back as the row it left, matched by its key (a write whose lesson does
/// not exist leaves none).
async fn upsert_all(
    writer: &sqlx::SqlitePool,
    group: &[Pending],
) -> Result<Vec<StoreResult<StoredRow>>, sqlx::Error> {
    let writes: Vec<serde_json::Value> = group
        .iter()
        .map(|p| {
            let w = &p.write;
            serde_json::json!([
                w.user_id.simple().to_string(),
                w.course_id,
                w.lesson_id,
                w.status,
                w.position,
                w.now.unix_micros(),
                w.completed_at.map(Timestamp::unix_micros),
            ])
        })
        .collect();
    type Returned = (
        Uuid,
        String,
        String,
        String,
        Option<i64>,
        Timestamp,
        Option<Timestamp>,
    );
    let returned: Vec<Returned> = sqlx::query_as(
        "INSERT INTO lesson_progress (user_id, course_id, lesson_id, status, position, \
                                      updated_at, completed_at) \
         SELECT unhex(w.value ->> 0), w.value ->> 1, w.value ->> 2, w.value ->> 3, \
                w.value ->> 4, w.value ->> 5, w.value ->> 6 \
         FROM json_each($1) w \
         WHERE EXISTS (SELECT 1 FROM lessons \
                       WHERE course_id = w.value ->> 1 AND lesson_id = w.value ->> 2) \
         ON CONFLICT (user_id, course_id, lesson_id) DO UPDATE SET \
             status = CASE WHEN lesson_progress.status = 'completed' THEN 'completed' \
                           ELSE excluded.status END, \
             position = COALESCE(excluded.position, lesson_progress.position), \
             updated_at = CASE WHEN excluded.updated_at > lesson_progress.updated_at \
                               THEN excluded.updated_at ELSE lesson_progress.updated_at END, \
             completed_at = COALESCE(lesson_progress.completed_at, excluded.completed_at) \
         RETURNING user_id, course_id, lesson_id, status, position, updated_at, completed_at",
    )
    .bind(sqlx::types::Json(writes))
    .fetch_all(writer)
    .await?;
    let mut stored: HashMap<(Uuid, String, String), _> = returned
        .into_iter()
        .map(
            |(user, course, lesson, status, position, updated, completed)| {
                (
                    (user, course, lesson),
                    (status, position, updated, completed),
                )
            },
        )
        .collect();
    Ok(group
        .iter()
        .map(|p| {
            let w = &p.write;
            Ok(stored.remove(&(w.user_id, w.course_id.clone(), w.lesson_id.clone())))
        })
        .collect())
}

/// The group in one transaction, a statement per write. A write that fails on its own (a
/// constraint) fails alone: SQLite undoes only that statement and the others commit.
async fn upsert_each(
    writer: &sqlx::SqlitePool,
    group: &[Pending],
) -> Result<Vec<StoreResult<StoredRow>>, sqlx::Error> {
    use sqlx::Connection as _;
    let mut conn = writer.acquire().await?;
    // IMMEDIATE: another process writing the file makes this wait (busy_timeout) here,
    // not fail half-way through the group.
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let mut rows = Vec::with_capacity(group.len());
    for pending in group {
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
