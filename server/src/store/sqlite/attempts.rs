//! The parts of the attempt store that SQLite does its own way.

use cloudmaster_core::api::AttemptStatus;
use cloudmaster_core::assess::Response;
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqliteStore;
use crate::store::learning::parse_attempt_status;
use crate::store::shared::{from_json_text, to_json_text};
use crate::store::{NewAttempt, SaveOutcome, StoreResult, Timestamp};

/// Serialises starts of one learner at one assessment: nothing to do, the write transaction
/// (`BEGIN IMMEDIATE`) already holds the only write lock.
pub(super) async fn lock_attempt_start(
    _tx: &mut sqlx::SqliteConnection,
    _new: &NewAttempt,
) -> StoreResult<()> {
    Ok(())
}

/// Saves one answer of an open attempt: a read and a write under the write lock (SQLite has
/// no JSON merge that replaces one key whatever its spelling).
pub(super) async fn save_answer(
    s: &SqliteStore,
    attempt_id: Uuid,
    question_id: &str,
    response: &Response,
    now: OffsetDateTime,
    deadline_cutoff: OffsetDateTime,
) -> StoreResult<SaveOutcome> {
    let mut tx = s.begin_write().await?;
    let row: Option<(String, String, Option<Timestamp>)> =
        sqlx::query_as("SELECT answers, status, deadline FROM attempts WHERE id = $1")
            .bind(attempt_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((answers, status, deadline)) = row else {
        return Ok(SaveOutcome::NotFound);
    };
    let late = deadline.is_some_and(|d| d < Timestamp::new(deadline_cutoff));
    if parse_attempt_status(&status)? != AttemptStatus::Open || late {
        return Ok(SaveOutcome::Closed);
    }
    let mut answers: std::collections::BTreeMap<String, Response> =
        from_json_text("attempt answers", &answers)?;
    answers.insert(question_id.to_owned(), response.clone());
    sqlx::query(
        "UPDATE attempts SET answers = $2, last_activity = max(last_activity, $3) WHERE id = $1",
    )
    .bind(attempt_id)
    .bind(to_json_text(&answers)?)
    .bind(Timestamp::new(now))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(SaveOutcome::Saved)
}
