//! [`LearningStore`](crate::store::LearningStore) on SQLite.
//!
//! Every read-modify-write (starting an attempt, saving an answer, closing an attempt,
//! recording a review) runs on the single writer connection in `BEGIN IMMEDIATE`, so it
//! holds the database's write lock from its first read: two submits of one attempt, or a
//! submit racing the expiry job, are serialized and the second finds the attempt closed.

use std::collections::HashMap;

use async_trait::async_trait;
use cloudmaster_core::api::AttemptStatus;
use cloudmaster_core::assess::{Mastery, Response, ReviewCard};
use sqlx::{Sqlite, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{SqliteStore, from_ts, from_ts_opt, ts};
use crate::store::learning::{
    created_record, in_card_order, parse_attempt_status, parse_kind, seed_from_db, seed_to_db,
};
use crate::store::shared::{from_json_text, micros, to_json_text};
use crate::store::{
    AttemptClosing, AttemptRecord, CloseAttemptFn, DueCard, Evidence, LearningStore, MasteryRecord,
    NewAttempt, SaveOutcome, StartOutcome, StoreResult,
};

/// `SELECT <every attempt column> FROM attempts WHERE <filter>`, as one static string.
macro_rules! select_attempts {
    ($filter:literal $(,)?) => {
        concat!(
            "SELECT id, user_id, course_id, course_version, kind, assessment_id, seed, \
             question_ids, answers, status, started_at, deadline, last_activity, finished_at, \
             score_percent, passed, result FROM attempts WHERE ",
            $filter
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
    question_ids: String,
    answers: String,
    status: String,
    started_at: i64,
    deadline: Option<i64>,
    last_activity: i64,
    finished_at: Option<i64>,
    score_percent: Option<f64>,
    passed: Option<bool>,
    result: Option<String>,
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
            question_ids: from_json_text("attempt question ids", &self.question_ids)?,
            answers: from_json_text("attempt answers", &self.answers)?,
            status: parse_attempt_status(&self.status)?,
            started_at: from_ts(self.started_at)?,
            deadline: from_ts_opt(self.deadline)?,
            last_activity: from_ts(self.last_activity)?,
            finished_at: from_ts_opt(self.finished_at)?,
            score_percent: self.score_percent,
            passed: self.passed,
            result: self
                .result
                .as_deref()
                .map(|r| from_json_text("attempt result", r))
                .transpose()?,
        })
    }
}

async fn attempt_in(
    tx: &mut Transaction<'_, Sqlite>,
    attempt_id: Uuid,
) -> StoreResult<Option<AttemptRecord>> {
    let row: Option<AttemptRow> = sqlx::query_as(select_attempts!("id = ?1"))
        .bind(attempt_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(AttemptRow::into_record).transpose()
}

/// Folds `evidence` into the learner's mastery and schedules its cards at `now`.
async fn apply_evidence(
    tx: &mut Transaction<'_, Sqlite>,
    user_id: Uuid,
    course_id: &str,
    evidence: &[Evidence],
    now: OffsetDateTime,
) -> StoreResult<()> {
    if evidence.is_empty() {
        return Ok(());
    }
    let now = micros(now);
    let stored: Option<(String, i64)> = sqlx::query_as(
        "SELECT mastery, answers FROM learner_mastery WHERE user_id = ?1 AND course_id = ?2",
    )
    .bind(user_id)
    .bind(course_id)
    .fetch_optional(&mut **tx)
    .await?;
    let (mut mastery, mut answers) = match stored {
        Some((json, answers)) => (from_json_text::<Mastery>("mastery", &json)?, answers),
        None => (Mastery::default(), 0),
    };
    answers += i64::from(Evidence::apply_all(evidence, &mut mastery));
    sqlx::query(
        "INSERT INTO learner_mastery (user_id, course_id, mastery, answers, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (user_id, course_id) DO UPDATE SET \
             mastery = excluded.mastery, answers = excluded.answers, \
             updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(course_id)
    .bind(to_json_text(&mastery)?)
    .bind(answers)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    for e in in_card_order(evidence) {
        let current = card_in(tx, user_id, course_id, &e.question.id).await?;
        write_card(
            tx,
            user_id,
            course_id,
            &e.question.id,
            &e.next_card(current.as_ref(), now),
        )
        .await?;
    }
    Ok(())
}

async fn card_in(
    tx: &mut Transaction<'_, Sqlite>,
    user_id: Uuid,
    course_id: &str,
    question_id: &str,
) -> StoreResult<Option<ReviewCard>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT card FROM review_cards \
         WHERE user_id = ?1 AND course_id = ?2 AND question_id = ?3",
    )
    .bind(user_id)
    .bind(course_id)
    .bind(question_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|(json,)| from_json_text("review card", &json))
        .transpose()
}

async fn write_card(
    tx: &mut Transaction<'_, Sqlite>,
    user_id: Uuid,
    course_id: &str,
    question_id: &str,
    card: &ReviewCard,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO review_cards (user_id, course_id, question_id, card, due_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (user_id, course_id, question_id) DO UPDATE SET \
             card = excluded.card, due_at = excluded.due_at",
    )
    .bind(user_id)
    .bind(course_id)
    .bind(question_id)
    .bind(to_json_text(card)?)
    .bind(ts(micros(card.due)))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl LearningStore for SqliteStore {
    async fn passed_assessments(&self, user_id: Uuid, course_id: &str) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT DISTINCT assessment_id FROM attempts \
             WHERE user_id = ?1 AND course_id = ?2 AND passed = 1",
        )
        .bind(user_id)
        .bind(course_id)
        .fetch_all(&self.reader)
        .await?;
        let mut ids: Vec<String> = rows.into_iter().map(|(id,)| id).collect();
        ids.sort();
        Ok(ids)
    }

    async fn completed_lessons(&self, user_id: Uuid, course_id: &str) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT lesson_id FROM lesson_progress \
             WHERE user_id = ?1 AND course_id = ?2 AND status = 'completed'",
        )
        .bind(user_id)
        .bind(course_id)
        .fetch_all(&self.reader)
        .await?;
        let mut ids: Vec<String> = rows.into_iter().map(|(id,)| id).collect();
        ids.sort();
        Ok(ids)
    }

    async fn start_attempt(
        &self,
        mut new: NewAttempt,
        max_attempts: u32,
    ) -> StoreResult<StartOutcome> {
        new.started_at = micros(new.started_at);
        new.deadline = new.deadline.map(micros);
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let existing: Vec<AttemptRow> = sqlx::query_as(select_attempts!(
            "user_id = ?1 AND course_id = ?2 AND assessment_id = ?3 \
             ORDER BY started_at DESC, id DESC",
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
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, '{}', 'open', ?9, ?10, ?9)",
        )
        .bind(new.id)
        .bind(new.user_id)
        .bind(&new.course_id)
        .bind(new.course_version)
        .bind(new.kind.as_str())
        .bind(&new.assessment_id)
        .bind(seed_to_db(new.seed))
        .bind(to_json_text(&new.question_ids)?)
        .bind(ts(new.started_at))
        .bind(new.deadline.map(ts))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(StartOutcome::Created(created_record(new)))
    }

    async fn attempt(&self, attempt_id: Uuid) -> StoreResult<Option<AttemptRecord>> {
        let row: Option<AttemptRow> = sqlx::query_as(select_attempts!("id = ?1"))
            .bind(attempt_id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(AttemptRow::into_record).transpose()
    }

    async fn attempts(&self, user_id: Uuid, course_id: &str) -> StoreResult<Vec<AttemptRecord>> {
        let rows: Vec<AttemptRow> = sqlx::query_as(select_attempts!(
            "user_id = ?1 AND course_id = ?2 ORDER BY started_at DESC, id DESC",
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
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let row: Option<(String, String, Option<i64>)> =
            sqlx::query_as("SELECT answers, status, deadline FROM attempts WHERE id = ?1")
                .bind(attempt_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((answers, status, deadline)) = row else {
            return Ok(SaveOutcome::NotFound);
        };
        let late = deadline.is_some_and(|d| d < ts(deadline_cutoff));
        if parse_attempt_status(&status)? != AttemptStatus::Open || late {
            return Ok(SaveOutcome::Closed);
        }
        let mut answers: std::collections::BTreeMap<String, Response> =
            from_json_text("attempt answers", &answers)?;
        answers.insert(question_id.to_owned(), response.clone());
        sqlx::query(
            "UPDATE attempts SET answers = ?2, last_activity = max(last_activity, ?3) \
             WHERE id = ?1",
        )
        .bind(attempt_id)
        .bind(to_json_text(&answers)?)
        .bind(ts(micros(now)))
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
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let Some(record) = attempt_in(&mut tx, attempt_id).await? else {
            return Ok(None);
        };
        if record.status != AttemptStatus::Open {
            return Ok(None);
        }
        let Some(mut closing) = close(&record) else {
            return Ok(None);
        };
        closing.finished_at = micros(closing.finished_at);
        closing.result.finished_at = closing.finished_at;
        let closed = sqlx::query(
            "UPDATE attempts SET status = ?2, answers = ?3, result = ?4, score_percent = ?5, \
                                 passed = ?6, finished_at = ?7, \
                                 last_activity = max(last_activity, ?7) \
             WHERE id = ?1 AND status = 'open'",
        )
        .bind(attempt_id)
        .bind(closing.status.as_str())
        .bind(to_json_text(&closing.answers)?)
        .bind(to_json_text(&closing.result)?)
        .bind(closing.result.score_percent)
        .bind(closing.result.passed)
        .bind(ts(closing.finished_at))
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
        let rows: Vec<(Uuid,)> = sqlx::query_as(
            "SELECT id FROM attempts \
             WHERE status = 'open' \
               AND ((deadline IS NOT NULL AND deadline < ?1) \
                    OR (deadline IS NULL AND last_activity < ?2)) \
             ORDER BY started_at, id",
        )
        .bind(ts(deadline_before))
        .bind(ts(inactive_before))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn mastery(&self, user_id: Uuid, course_id: &str) -> StoreResult<Option<MasteryRecord>> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT mastery, answers FROM learner_mastery WHERE user_id = ?1 AND course_id = ?2",
        )
        .bind(user_id)
        .bind(course_id)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|(json, answers)| {
            Ok(MasteryRecord {
                mastery: from_json_text("mastery", &json)?,
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
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT question_id, card FROM review_cards WHERE user_id = ?1 AND course_id = ?2",
        )
        .bind(user_id)
        .bind(course_id)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(id, card)| Ok((id, from_json_text("review card", &card)?)))
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
             WHERE r.user_id = ?1 AND (?2 IS NULL OR r.course_id = ?2) AND r.due_at <= ?3 \
               AND EXISTS (SELECT 1 FROM enrollments e \
                           WHERE e.user_id = r.user_id AND e.course_id = r.course_id)",
        )
        .bind(user_id)
        .bind(course_id)
        .bind(ts(now))
        .fetch_one(&self.reader)
        .await?;
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT r.course_id, r.question_id, r.card FROM review_cards r \
             WHERE r.user_id = ?1 AND (?2 IS NULL OR r.course_id = ?2) AND r.due_at <= ?3 \
               AND EXISTS (SELECT 1 FROM enrollments e \
                           WHERE e.user_id = r.user_id AND e.course_id = r.course_id) \
             ORDER BY r.due_at, r.course_id, r.question_id \
             LIMIT ?4",
        )
        .bind(user_id)
        .bind(course_id)
        .bind(ts(now))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        let cards = rows
            .into_iter()
            .map(|(course_id, question_id, card)| {
                Ok(DueCard {
                    course_id,
                    question_id,
                    card: from_json_text("review card", &card)?,
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
             WHERE r.user_id = ?1 AND r.due_at <= ?2 \
               AND EXISTS (SELECT 1 FROM enrollments e \
                           WHERE e.user_id = r.user_id AND e.course_id = r.course_id) \
             GROUP BY r.course_id",
        )
        .bind(user_id)
        .bind(ts(now))
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
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let Some(current) = card_in(&mut tx, user_id, course_id, &evidence.question.id).await?
        else {
            return Ok(None);
        };
        let now = micros(now);
        let next = evidence.next_card(Some(&current), now);
        apply_evidence(
            &mut tx,
            user_id,
            course_id,
            std::slice::from_ref(evidence),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(next))
    }
}
