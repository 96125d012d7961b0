//! [`CertificateStore`](crate::store::CertificateStore), shared by both backends.

use std::collections::HashMap;

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Backend;
use crate::certificates::{NewCertificate, StoredCertificate};
use crate::store::certificates::facts_from_rows;
use crate::store::shared::not_found_on_foreign_key;
use crate::store::{CertificateStore, CompletionFacts, StoreResult, Timestamp};

/// `id, user_id, course_id, course_version, issued_at, document, revoked_at, revoked_reason`.
type Row = (
    Uuid,
    Uuid,
    String,
    i64,
    Timestamp,
    String,
    Option<Timestamp>,
    Option<String>,
);

/// The columns of [`Row`] followed by `$rest`, as one string literal.
macro_rules! columns_then {
    ($rest:literal) => {
        concat!(
            "id, user_id, course_id, course_version, issued_at, document, revoked_at, \
             revoked_reason ",
            $rest
        )
    };
}

fn certificate(row: Row) -> StoredCertificate {
    let (id, user_id, course_id, course_version, issued_at, document, revoked_at, reason) = row;
    StoredCertificate {
        id,
        user_id,
        course_id,
        course_version,
        issued_at: issued_at.get(),
        document,
        revoked_at: revoked_at.map(Timestamp::get),
        revoked_reason: reason,
    }
}

#[async_trait]
impl CertificateStore for Backend {
    async fn completion_facts(
        &self,
        user_id: Uuid,
        course_id: &str,
    ) -> StoreResult<CompletionFacts> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT 'lesson', lesson_id FROM lesson_progress \
             WHERE user_id = $1 AND course_id = $2 AND status = 'completed' \
             UNION ALL \
             SELECT DISTINCT 'assessment', assessment_id FROM attempts \
             WHERE user_id = $1 AND course_id = $2 AND status IN ('submitted', 'expired') \
               AND passed \
             UNION ALL \
             SELECT 'lab', lab_id FROM lab_passes WHERE user_id = $1 AND course_id = $2",
        )
        .bind(user_id)
        .bind(course_id)
        .fetch_all(&self.reader)
        .await?;
        facts_from_rows(rows)
    }

    async fn insert_certificate(&self, new: NewCertificate) -> StoreResult<StoredCertificate> {
        // Both statements on the writer. A concurrent award either committed first (this
        // insert then does nothing) or comes second; the select sees the one winner.
        sqlx::query(
            "INSERT INTO certificates (id, user_id, course_id, course_version, issued_at, \
                                       document) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, course_id) DO NOTHING",
        )
        .bind(new.id)
        .bind(new.user_id)
        .bind(&new.course_id)
        .bind(new.course_version)
        .bind(Timestamp::new(new.issued_at))
        .bind(&new.document)
        .execute(&self.writer)
        .await
        .map_err(|e| {
            let what = format!("user {} or course `{}`", new.user_id, new.course_id);
            not_found_on_foreign_key(e, &what)
        })?;
        let row: Row = sqlx::query_as(concat!(
            "SELECT ",
            columns_then!("FROM certificates WHERE user_id = $1 AND course_id = $2")
        ))
        .bind(new.user_id)
        .bind(&new.course_id)
        .fetch_one(&self.writer)
        .await?;
        Ok(certificate(row))
    }

    async fn certificate(&self, id: Uuid) -> StoreResult<Option<StoredCertificate>> {
        let row: Option<Row> = sqlx::query_as(concat!(
            "SELECT ",
            columns_then!("FROM certificates WHERE id = $1")
        ))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(certificate))
    }

    async fn certificate_for(
        &self,
        user_id: Uuid,
        course_id: &str,
    ) -> StoreResult<Option<StoredCertificate>> {
        let row: Option<Row> = sqlx::query_as(concat!(
            "SELECT ",
            columns_then!("FROM certificates WHERE user_id = $1 AND course_id = $2")
        ))
        .bind(user_id)
        .bind(course_id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(certificate))
    }

    async fn user_certificates(&self, user_id: Uuid) -> StoreResult<Vec<StoredCertificate>> {
        let rows: Vec<Row> = sqlx::query_as(concat!(
            "SELECT ",
            columns_then!("FROM certificates WHERE user_id = $1 ORDER BY issued_at, id")
        ))
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(certificate).collect())
    }

    async fn certificate_ids(&self, user_id: Uuid) -> StoreResult<HashMap<String, Uuid>> {
        let rows: Vec<(String, Uuid)> =
            sqlx::query_as("SELECT course_id, id FROM certificates WHERE user_id = $1")
                .bind(user_id)
                .fetch_all(&self.reader)
                .await?;
        Ok(rows.into_iter().collect())
    }

    async fn revoke_certificate(
        &self,
        id: Uuid,
        reason: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<StoredCertificate>> {
        // SET reads the old row, so a second revocation keeps the first time and reason.
        let row: Option<Row> = sqlx::query_as(concat!(
            "UPDATE certificates SET \
                 revoked_at = COALESCE(revoked_at, $2), \
                 revoked_reason = CASE WHEN revoked_at IS NULL THEN $3 ELSE revoked_reason END \
             WHERE id = $1 RETURNING ",
            columns_then!("")
        ))
        .bind(id)
        .bind(Timestamp::new(now))
        .bind(reason)
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.map(certificate))
    }
}
