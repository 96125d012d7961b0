//! [`LearningStore`](crate::store::LearningStore), shared by both backends.
//!
//! Every read-modify-write runs in a write transaction (`begin_write`) and locks what it
//! depends on. On SQLite `BEGIN IMMEDIATE` holds the database's write lock from the first
//! read. On PostgreSQL, where replicas run these at the same moment, closing an attempt locks
//! its row (`for_update!`) and writes the status change as a conditional update, so exactly
//! one of two concurrent closers grades it; starting an attempt takes the backend's
//! attempt-start lock, so concurrent starts make at most one open attempt and respect the
//! attempt limit. Evidence locks the learner's mastery row before any review card, and cards
//! in question-id order, so two transactions of one learner never wait on each other in a
//! cycle. Saving an answer reads the answers under the attempt's lock and writes them back
//! whole: SQLite has no JSON merge that replaces one key whatever its spelling.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use cloudmaster_core::api::AttemptStatus;
use cloudmaster_core::assess::{Mastery, Response, ReviewCard};
use sqlx::Transaction;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Backend, Db, lock_start};
use crate::learning::records::{
    AttemptClosing, AttemptRecord, CloseAttemptFn, DueCard, Evidence, MasteryRecord, NewAttempt,
    SaveOutcome, StartOutcome,
};
use crate::store::learning::{
    in_card_order, parse_attempt_status, parse_kind, seed_from_db, seed_to_db,
};
use crate::store::shared::{from_json_value, start_key};
use crate::store::{LearningStore, StoreResult, Timestamp};

/// `SELECT <every attempt column> FROM attempts WHERE <filter>`, as one static string.
macro_rules! select_attempts {
    ($($filter:expr),+ $(,)?) => {
        concat!(
            "SELECT id, user_id, course_id, course_version, kind, assessment_id, seed, \
             question_ids, answers, status, started_at, deadline, last_activity, finished_at, \
             score_percent, passed, result FROM attempts WHERE ",
            $($filter),+
        )
    };
}

#[derive(sqlx::FromRow)]
struct AttemptRow {
    id: Uuid,
    user_id: Uuid,
    course_id: String,
    course_version: i64,
    kind: String,
    assessment_id: String,
    seed: i64,
    question_ids: Json<serde_json::Value>,
    answers: Json<serde_json::Value>,
    status: String,
    started_at: Timestamp,
    deadline: Option<Timestamp>,
    last_activity: Timestamp,
    finished_at: Option<Timestamp>,
    score_percent: Option<f64>,
    passed: Option<bool>,
    result: Option<Json<serde_json::Value>>,
}

impl AttemptRow {
    fn into_record(self) -> StoreResult<AttemptRecord> {
        Ok(AttemptRecord {
            id: self.id,
            user_id: self.user_id,
            course_id: self.course_id,
            course_version: self.course_version,
            kind: parse_kind(&self.kind)?,
            assessment_id: self.assessment_id,
            seed: seed_from_db(self.seed),
            question_ids: from_json_value("attempt question ids", self.question_ids.0)?,
            answers: from_json_value("attempt answers", self.answers.0)?,
            status: parse_attempt_status(&self.status)?,
            started_at: self.started_at.get(),
            deadline: self.deadline.map(Timestamp::get),
            last_activity: self.last_activity.get(),
            finished_at: self.finished_at.map(Timestamp::get),
            score_percent: self.score_percent,
            passed: self.passed,
            result: self
                .result
                .map(|r| from_json_value("attempt result", r.0))
                .transpose()?,
        })
    }
}

/// Folds `evidence` into the learner's mastery and schedules its cards at `now`. Returns
/// each card as it was (None: new) and as it is now, in card order.
async fn apply_evidence(
    tx: &mut Transaction<'_, Db>,
    user_id: Uuid,
    course_id: &str,
    evidence: &[Evidence],
    now: OffsetDateTime,
) -> StoreResult<Vec<(Option<ReviewCard>, ReviewCard)>> {
    let mut cards = Vec::with_capacity(evidence.len());
    if evidence.is_empty() {
        return Ok(cards);
    }
    let now = Timestamp::new(now).get();
    let (mut mastery, mut answers) = lock_mastery(tx, user_id, course_id, now).await?;
    answers += i64::from(Evidence::apply_all(evidence, &mut mastery));
    sqlx::query(
        "UPDATE learner_mastery SET mastery = $3, answers = $4, updated_at = $5 \
         WHERE user_id = $1 AND course_id = $2",
    )
    .bind(user_id)
    .bind(course_id)
    .bind(Json(&mastery))
    .bind(answers)
    .bind(Timestamp::new(now))
    .execute(&mut **tx)
    .await?;
    for e in in_card_order(evidence) {
        let current = lock_card(tx, user_id, course_id, &e.question.id).await?;
        let next = e.next_card(current.as_ref(), now);
        write_card(tx, user_id, course_id, &e.question.id, &next).await?;
        cards.push((current, next));
    }
    Ok(cards)
}

/// The learner's mastery row, created empty if missing, locked until the transaction ends:
/// the first lock of every evidence write.
async fn lock_mastery(
    tx: &mut Transaction<'_, Db>,
    user_id: Uuid,
    course_id: &str,
    now: OffsetDateTime,
) -> StoreResult<(Mastery, i64)> {
    let now = Timestamp::new(now);
    sqlx::query(
        "INSERT INTO learner_mastery (user_id, course_id, mastery, answers, updated_at) \
         VALUES ($1, $2, $3, 0, $4) ON CONFLICT (user_id, course_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(course_id)
    .bind(Json(&Mastery::default()))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let (json, answers): (Json<serde_json::Value>, i64) = sqlx::query_as(concat!(
        "SELECT mastery, answers FROM learner_mastery WHERE user_id = $1 AND course_id = $2",
        for_update!()
    ))
    .bind(user_id)
    .bind(course_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok((from_json_value("mastery", json.0)?, answers))
}

async fn lock_card(
    tx: &mut Transaction<'_, Db>,
    user_id: Uuid,
    course_id: &str,
    question_id: &str,
) -> StoreResult<Option<ReviewCard>> {
    let row: Option<(Json<serde_json::Value>,)> = sqlx::query_as(concat!(
        "SELECT card FROM review_cards \
         WHERE user_id = $1 AND course_id = $2 AND question_id = $3",
        for_update!()
    ))
    .bind(user_id)
    .bind(course_id)
    .bind(question_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|(json,)| from_json_value("review card", json.0))
        .transpose()
}

async fn write_card(
    tx: &mut Transaction<'_, Db>,
    user_id: Uuid,
    course_id: &str,
    question_id: &str,
    card: &ReviewCard,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO review_cards (user_id, course_id, question_id, card, due_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (user_id, course_id, question_id) DO UPDATE SET \
             card = excluded.card, due_at = excluded.due_at",
    )
    .bind(user_id)
    .bind(course_id)
    .bind(question_id)
    .bind(Json(card))
    .bind(Timestamp::new(card.due))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl LearningStore for Backend {
    async fn passed_assessments(&self, user_id: Uuid, course_id: &str) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(concat!(
            "SELECT assessment_id FROM attempts \
             WHERE user_id = $1 AND course_id = $2 AND passed \
             GROUP BY assessment_id ORDER BY assessment_id",
            bytewise!()
        ))
        .bind(user_id)
        .bind(course_id)
        .fetch_all(&self.reader)
        .await?)
    }

    async fn completed_lessons(&self, user_id: Uuid, course_id: &str) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(concat!(
            "SELECT lesson_id FROM lesson_progress \
             WHERE user_id = $1 AND course_id = $2 AND status = 'completed' \
             ORDER BY lesson_id",
            bytewise!()
        ))
        .bind(user_id)
        .bind(course_id)
        .fetch_all(&self.reader)
        .await?)
    }

    async fn start_attempt(
        &self,
        mut new: NewAttempt,
        max_attempts: u32,
    ) -> StoreResult<StartOutcome> {
        new.started_at = Timestamp::new(new.started_at).get();
        new.deadline = new.deadline.map(|d| Timestamp::new(d).get());
        let mut tx = self.begin_write().await?;
        let key = start_key("attempt", new.user_id, &new.course_id, &new.assessment_id);
        lock_start(&mut tx, &key).await?;
        let existing: Vec<AttemptRow> = sqlx::query_as(select_attempts!(
            "user_id = $1 AND course_id = $2 AND assessment_id = $3 \
             ORDER BY started_at DESC, id DESC"
        ))
        .bind(new.user_id)
        .bind(&new.course_id)
        .bind(&new.assessment_id)
        .fetch_all(&mut *tx)
        .await?;
        if let Some(open) = existing.iter().position(|a| a.status == "open") {
            let record = existing
                .into_iter()
                .nth(open)
                .map(AttemptRow::into_record)
                .transpose()?
                .expect("position found above");
            return Ok(StartOutcome::Resumed(record));
        }
        let used = u32::try_from(existing.len()).unwrap_or(u32::MAX);
        if max_attempts > 0 && used >= max_attempts {
            return Ok(StartOutcome::Exhausted { used });
        }
        sqlx::query(
            "INSERT INTO attempts (id, user_id, course_id, course_version, kind, assessment_id, \
                                   seed, question_ids, answers, status, started_at, deadline, \
                                   last_activity) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '{}', 'open', $9, $10, $9)",
        )
        .bind(new.id)
        .bind(new.user_id)
        .bind(&new.course_id)
        .bind(new.course_version)
        .bind(new.kind.as_str())
        .bind(&new.assessment_id)
        .bind(seed_to_db(new.seed))
        .bind(Json(&new.question_ids))
        .bind(Timestamp::new(new.started_at))
        .bind(new.deadline.map(Timestamp::new))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(StartOutcome::Created(AttemptRecord::created(new)))
    }

    async fn attempt(&self, attempt_id: Uuid) -> StoreResult<Option<AttemptRecord>> {
        let row: Option<AttemptRow> = sqlx::query_as(select_attempts!("id = $1"))
            .bind(attempt_id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(AttemptRow::into_record).transpose()
    }

    async fn attempts(&self, user_id: Uuid, course_id: &str) -> StoreResult<Vec<AttemptRecord>> {
        let rows: Vec<AttemptRow> = sqlx::query_as(select_attempts!(
            "user_id = $1 AND course_id = $2 ORDER BY started_at DESC, id DESC"
        ))
        .bind(user_id)
        .bind(course_id)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(AttemptRow::into_record).collect()
    }

    async fn save_answer(
        &self,
        attempt_id: Uuid,
        question_id: &str,
        response: &Response,
        now: OffsetDateTime,
        deadline_cutoff: OffsetDateTime,
    ) -> StoreResult<SaveOutcome> {
        let mut tx = self.begin_write().await?;
        let row: Option<(Json<serde_json::Value>, String, Option<Timestamp>)> =
            sqlx::query_as(concat!(
                "SELECT answers, status, deadline FROM attempts WHERE id = $1",
                for_update!()
            ))
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
        let mut answers: BTreeMap<String, Response> =
            from_json_value("attempt answers", answers.0)?;
        answers.insert(question_id.to_owned(), response.clone());
        sqlx::query(
            "UPDATE attempts SET answers = $2, \
                 last_activity = CASE WHEN $3 > last_activity THEN $3 ELSE last_activity END \
             WHERE id = $1",
        )
        .bind(attempt_id)
        .bind(Json(&answers))
        .bind(Timestamp::new(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(SaveOutcome::Saved)
    }

    async fn close_attempt(
        &self,
        attempt_id: Uuid,
        close: CloseAttemptFn<'_>,
    ) -> StoreResult<Option<AttemptClosing>> {
        let mut tx = self.begin_write().await?;
        let row: Option<AttemptRow> = sqlx::query_as(select_attempts!("id = $1", for_update!()))
            .bind(attempt_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(record) = row.map(AttemptRow::into_record).transpose()? else {
            return Ok(None);
        };
        if record.status != AttemptStatus::Open {
            return Ok(None);
        }
        let Some(mut closing) = close(&record) else {
            return Ok(None);
        };
        closing.finished_at = Timestamp::new(closing.finished_at).get();
        closing.result.finished_at = closing.finished_at;
        let closed = sqlx::query(
            "UPDATE attempts SET status = $2, answers = $3, result = $4, score_percent = $5, \
                                 passed = $6, finished_at = $7, \
                                 last_activity = CASE WHEN $7 > last_activity THEN $7 \
                                                      ELSE last_activity END \
             WHERE id = $1 AND status = 'open'",
        )
        .bind(attempt_id)
        .bind(closing.status.as_str())
        .bind(Json(&closing.answers))
        .bind(Json(&closing.result))
        .bind(closing.result.score_percent)
        .bind(closing.result.passed)
        .bind(Timestamp::new(closing.finished_at))
        .execute(&mut *tx)
        .await?;
        if closed.rows_affected() != 1 {
            return Ok(None);
        }
        apply_evidence(
            &mut tx,
            record.user_id,
            &record.course_id,
            &closing.evidence,
            closing.finished_at,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(closing))
    }

    async fn overdue_attempts(
        &self,
        deadline_before: OffsetDateTime,
        inactive_before: OffsetDateTime,
    ) -> StoreResult<Vec<Uuid>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM attempts \
             WHERE status = 'open' \
               AND ((deadline IS NOT NULL AND deadline < $1) \
                    OR (deadline IS NULL AND last_activity < $2)) \
             ORDER BY started_at, id",
        )
        .bind(Timestamp::new(deadline_before))
        .bind(Timestamp::new(inactive_before))
        .fetch_all(&self.reader)
        .await?)
    }

    async fn mastery(&self, user_id: Uuid, course_id: &str) -> StoreResult<Option<MasteryRecord>> {
        let row: Option<(Json<serde_json::Value>, i64)> = sqlx::query_as(
            "SELECT mastery, answers FROM learner_mastery WHERE user_id = $1 AND course_id = $2",
        )
        .bind(user_id)
        .bind(course_id)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|(json, answers)| {
            Ok(MasteryRecord {
                mastery: from_json_value("mastery", json.0)?,
                answers: u32::try_from(answers).unwrap_or(u32::MAX),
            })
        })
        .transpose()
    }

    async fn review_cards(
        &self,
        user_id: Uuid,
        course_id: &str,
    ) -> StoreResult<HashMap<String, ReviewCard>> {
        let rows: Vec<(String, Json<serde_json::Value>)> = sqlx::query_as(
            "SELECT question_id, card FROM review_cards WHERE user_id = $1 AND course_id = $2",
        )
        .bind(user_id)
        .bind(course_id)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(id, card)| Ok((id, from_json_value("review card", card.0)?)))
            .collect()
    }

    async fn due_cards(
        &self,
        user_id: Uuid,
        course_id: Option<&str>,
        now: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<(u32, Vec<DueCard>)> {
        // Cards of courses the learner left stay stored (re-enrolling restores them) but
        // are not due.
        let (due,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM review_cards r \
             WHERE r.user_id = $1 AND (CAST($2 AS TEXT) IS NULL OR r.course_id = $2) \
               AND r.due_at <= $3 \
               AND EXISTS (SELECT 1 FROM enrollments e \
                           WHERE e.user_id = r.user_id AND e.course_id = r.course_id)",
        )
        .bind(user_id)
        .bind(course_id)
        .bind(Timestamp::new(now))
        .fetch_one(&self.reader)
        .await?;
        let rows: Vec<(String, String, Json<serde_json::Value>)> = sqlx::query_as(concat!(
            "SELECT r.course_id, r.question_id, r.card FROM review_cards r \
             WHERE r.user_id = $1 AND (CAST($2 AS TEXT) IS NULL OR r.course_id = $2) \
               AND r.due_at <= $3 \
               AND EXISTS (SELECT 1 FROM enrollments e \
                           WHERE e.user_id = r.user_id AND e.course_id = r.course_id) \
             ORDER BY r.due_at, r.course_id",
            bytewise!(),
            ", r.question_id",
            bytewise!(),
            " LIMIT $4"
        ))
        .bind(user_id)
        .bind(course_id)
        .bind(Timestamp::new(now))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        let cards = rows
            .into_iter()
            .map(|(course_id, question_id, card)| {
                Ok(DueCard {
                    course_id,
                    question_id,
                    card: from_json_value("review card", card.0)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((u32::try_from(due).unwrap_or(u32::MAX), cards))
    }

    async fn review_due_counts(
        &self,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<HashMap<String, u32>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT r.course_id, count(*) FROM review_cards r \
             WHERE r.user_id = $1 AND r.due_at <= $2 \
               AND EXISTS (SELECT 1 FROM enrollments e \
                           WHERE e.user_id = r.user_id AND e.course_id = r.course_id) \
             GROUP BY r.course_id",
        )
        .bind(user_id)
        .bind(Timestamp::new(now))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(course, n)| (course, u32::try_from(n).unwrap_or(u32::MAX)))
            .collect())
    }

    async fn record_review(
        &self,
        user_id: Uuid,
        course_id: &str,
        evidence: &Evidence,
        now: OffsetDateTime,
    ) -> StoreResult<Option<ReviewCard>> {
        let mut tx = self.begin_write().await?;
        let written = apply_evidence(
            &mut tx,
            user_id,
            course_id,
            std::slice::from_ref(evidence),
            now,
        )
        .await?;
        let Some((Some(_), next)) = written.into_iter().next() else {
            // The learner had no card for the question: rolls back, nothing is written.
            return Ok(None);
        };
        tx.commit().await?;
        Ok(Some(next))
    }
}
