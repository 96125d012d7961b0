//! The parts of the attempt store that PostgreSQL does its own way.

use cloudmaster_core::assess::Response;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::PgStore;
use crate::store::{NewAttempt, SaveOutcome, StoreResult, Timestamp};

/// Serialises starts of one learner at one assessment across replicas with a
/// transaction-scoped advisory lock (a hash collision only serialises two unrelated starts).
pub(super) async fn lock_attempt_start(
    tx: &mut sqlx::PgConnection,
    new: &NewAttempt,
) -> StoreResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!(
            "attempt\u{1f}{}\u{1f}{}\u{1f}{}",
            new.user_id, new.course_id, new.assessment_id
        ))
        .execute(tx)
        .await?;
    Ok(())
}

/// Saves one answer of an open attempt in one conditional statement: the key is replaced
/// whole (`||` merges top-level keys).
pub(super) async fn save_answer(
    s: &PgStore,
    attempt_id: Uuid,
    question_id: &str,
    response: &Response,
    now: OffsetDateTime,
    deadline_cutoff: OffsetDateTime,
) -> StoreResult<SaveOutcome> {
    let saved = sqlx::query(
        "UPDATE attempts \
         SET answers = answers || jsonb_build_object($2::text, $3::jsonb), \
             last_activity = GREATEST(last_activity, $4) \
         WHERE id = $1 AND status = 'open' AND (deadline IS NULL OR deadline >= $5)",
    )
    .bind(attempt_id)
    .bind(question_id)
    .bind(Json(response))
    .bind(Timestamp::new(now))
    .bind(Timestamp::new(deadline_cutoff))
    .execute(&s.pool)
    .await?;
    if saved.rows_affected() == 1 {
        return Ok(SaveOutcome::Saved);
    }
    let (exists,): (bool,) = sqlx::query_as("SELECT EXISTS (SELECT 1 FROM attempts WHERE id = $1)")
        .bind(attempt_id)
        .fetch_one(&s.pool)
        .await?;
    Ok(if exists {
        SaveOutcome::Closed
    } else {
        SaveOutcome::NotFound
    })
}
