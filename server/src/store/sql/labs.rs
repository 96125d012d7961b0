//! [`LabStore`](crate::store::LabStore), shared by both backends.
//!
//! Starting and updating a session are read-modify-write operations in a write transaction
//! (see `begin_write`): on SQLite `BEGIN IMMEDIATE` holds the write lock throughout; on
//! PostgreSQL updating locks the session's row (`for_update!`), and starting takes the
//! backend's start lock (`lock_start`), so concurrent starts of one lab by one user (on any
//! replica) find each other's session instead of creating two.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sqlx::types::Json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{Backend, Db, lock_start};
use crate::labs::records::{LabEdit, LabSessionRecord, NewLabSession, StepRecord, newly_passed};
use crate::store::labs::parse_lab_status;
use crate::store::shared::{from_json_value, not_found_on_foreign_key, start_key};
use crate::store::timestamp::micros;
use crate::store::{LabStore, StoreResult, Timestamp};

/// `SELECT <the columns of Row> FROM lab_sessions ` followed by the rest of the query, as
/// one string literal.
macro_rules! select_sessions {
    ($($rest:expr),+) => {
        concat!(
            "SELECT id, user_id, course_id, course_version, lab_id, lab_version, status, \
                    started_at, expires_at, last_activity, ended_at, submissions, steps, result \
             FROM lab_sessions ",
            $($rest),+
        )
    };
}

/// A row of [`select_sessions!`].
type Row = (
    Uuid,
    Uuid,
    String,
    i64,
    String,
    i64,
    String,
    Timestamp,
    Timestamp,
    Timestamp,
    Option<Timestamp>,
    i64,
    Json<serde_json::Value>,
    Option<Json<serde_json::Value>>,
);

fn record(row: Row) -> StoreResult<LabSessionRecord> {
    let (id, user_id, course_id, course_version, lab_id, lab_version, status, started, expires) = (
        row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8,
    );
    let (last_activity, ended_at, submissions, steps, result) =
        (row.9, row.10, row.11, row.12, row.13);
    Ok(LabSessionRecord {
        id,
        user_id,
        course_id,
        course_version,
        lab_id,
        lab_version,
        status: parse_lab_status(&status)?,
        started_at: started.get(),
        expires_at: expires.get(),
        last_activity: last_activity.get(),
        ended_at: ended_at.map(Timestamp::get),
        submissions: u32::try_from(submissions).unwrap_or(u32::MAX),
        steps: from_json_value::<BTreeMap<String, StepRecord>>("lab session steps", steps.0)?,
        result: result.map(|r| r.0),
    })
}

#[async_trait]
impl LabStore for Backend {
    async fn start_lab_session(
        &self,
        new: NewLabSession,
        idle_timeout: Duration,
    ) -> StoreResult<(LabSessionRecord, bool)> {
        let now = micros(new.started_at);
        let mut tx = self.begin_write().await?;
        let key = start_key("lab", new.user_id, &new.course_id, &new.lab_id);
        lock_start(&mut tx, &key).await?;
        let rows: Vec<Row> = sqlx::query_as(select_sessions!(
            "WHERE user_id = $1 AND course_id = $2 AND lab_id = $3 AND status = 'active' \
             ORDER BY started_at DESC",
            for_update!()
        ))
        .bind(new.user_id)
        .bind(&new.course_id)
        .bind(&new.lab_id)
        .fetch_all(&mut *tx)
        .await?;
        let mut resumed = None;
        for row in rows {
            let mut session = record(row)?;
            if session.end_if_overdue(now, idle_timeout) {
                write(&mut tx, &session).await?;
            } else if resumed.is_none() {
                resumed = Some(session);
            }
        }
        if let Some(session) = resumed {
            tx.commit().await?;
            return Ok((session, false));
        }
        let session = LabSessionRecord {
            id: new.id,
            user_id: new.user_id,
            course_id: new.course_id,
            course_version: new.course_version,
            lab_id: new.lab_id,
            lab_version: new.lab_version,
            status: cloudmaster_core::api::LabSessionStatus::Active,
            started_at: now,
            expires_at: micros(new.expires_at),
            last_activity: now,
            ended_at: None,
            submissions: 0,
            steps: new.steps,
            result: None,
        };
        sqlx::query(
            "INSERT INTO lab_sessions (id, user_id, course_id, course_version, lab_id, \
                 lab_version, status, started_at, expires_at, last_activity, submissions, steps) \
             VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $7, 0, $9)",
        )
        .bind(session.id)
        .bind(session.user_id)
        .bind(&session.course_id)
        .bind(session.course_version)
        .bind(&session.lab_id)
        .bind(session.lab_version)
        .bind(Timestamp::new(session.started_at))
        .bind(Timestamp::new(session.expires_at))
        .bind(Json(&session.steps))
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            let what = format!("user {} or course `{}`", session.user_id, session.course_id);
            not_found_on_foreign_key(e, &what)
        })?;
        tx.commit().await?;
        Ok((session, true))
    }

    async fn lab_session(&self, id: Uuid) -> StoreResult<Option<LabSessionRecord>> {
        let row: Option<Row> = sqlx::query_as(select_sessions!("WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(record).transpose()
    }

    async fn lab_sessions(
        &self,
        user_id: Uuid,
        course_id: Option<&str>,
        active_only: bool,
    ) -> StoreResult<Vec<LabSessionRecord>> {
        let rows: Vec<Row> = sqlx::query_as(select_sessions!(
            "WHERE user_id = $1 AND (CAST($2 AS TEXT) IS NULL OR course_id = $2) \
               AND (NOT $3 OR status = 'active') \
             ORDER BY started_at DESC, id DESC"
        ))
        .bind(user_id)
        .bind(course_id)
        .bind(active_only)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(record).collect()
    }

    async fn update_lab_session(
        &self,
        id: Uuid,
        edit: LabEdit<'_>,
    ) -> StoreResult<Option<LabSessionRecord>> {
        let mut tx = self.begin_write().await?;
        let row: Option<Row> = sqlx::query_as(select_sessions!("WHERE id = $1", for_update!()))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(before) = row.map(record).transpose()? else {
            return Ok(None);
        };
        let mut after = before.clone();
        if !edit(&mut after) {
            return Ok(Some(before));
        }
        // Only the mutable parts are stored; put the rest back as it was.
        let after = LabSessionRecord {
            status: after.status,
            last_activity: micros(after.last_activity),
            ended_at: after.ended_at.map(micros),
            submissions: after.submissions,
            steps: after.steps,
            result: after.result,
            ..before.clone()
        };
        write(&mut tx, &after).await?;
        if newly_passed(&before, &after) {
            sqlx::query(
                "INSERT INTO lab_passes (user_id, course_id, lab_id, session_id, passed_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (user_id, course_id, lab_id) DO NOTHING",
            )
            .bind(after.user_id)
            .bind(&after.course_id)
            .bind(&after.lab_id)
            .bind(after.id)
            .bind(Timestamp::new(
                after.ended_at.unwrap_or(after.last_activity),
            ))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Some(after))
    }

    async fn overdue_lab_sessions(
        &self,
        now: OffsetDateTime,
        idle_timeout: Duration,
        limit: u32,
    ) -> StoreResult<Vec<Uuid>> {
        let now = micros(now);
        Ok(sqlx::query_scalar(
            "SELECT id FROM lab_sessions \
             WHERE status = 'active' AND (expires_at <= $1 OR last_activity <= $2) \
             ORDER BY started_at, id LIMIT $3",
        )
        .bind(Timestamp::new(now))
        .bind(Timestamp::new(now - idle_timeout))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?)
    }

    async fn lab_passes(
        &self,
        user_id: Uuid,
        course_id: &str,
    ) -> StoreResult<Vec<(String, OffsetDateTime)>> {
        let rows: Vec<(String, Timestamp)> = sqlx::query_as(
            "SELECT lab_id, passed_at FROM lab_passes WHERE user_id = $1 AND course_id = $2",
        )
        .bind(user_id)
        .bind(course_id)
        .fetch_all(&self.reader)
        .await?;
        // Sorted here: the two databases collate text differently; this is byte order.
        let mut passes: Vec<(String, OffsetDateTime)> =
            rows.into_iter().map(|(lab, at)| (lab, at.get())).collect();
        passes.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        Ok(passes)
    }
}

/// Stores the mutable parts of `session`.
async fn write(
    conn: &mut <Db as sqlx::Database>::Connection,
    session: &LabSessionRecord,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE lab_sessions SET status = $2, last_activity = $3, ended_at = $4, \
             submissions = $5, steps = $6, result = $7 \
         WHERE id = $1",
    )
    .bind(session.id)
    .bind(session.status.as_str())
    .bind(Timestamp::new(session.last_activity))
    .bind(session.ended_at.map(Timestamp::new))
    .bind(i64::from(session.submissions))
    .bind(Json(&session.steps))
    .bind(session.result.as_ref().map(Json))
    .execute(conn)
    .await?;
    Ok(())
}
