//! Certificates: the facts that decide course completion, issuing (at most one certificate
//! per learner and course, enforced by a unique constraint), listing and revoking.

use std::collections::HashMap;

use async_trait::async_trait;
pub use cloudmaster_core::cert::CompletionFacts;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{StoreError, StoreResult};
use crate::certificates::{NewCertificate, StoredCertificate};

/// Sorts the `(kind, id)` rows of the backends' completion query (kinds `lesson`,
/// `assessment`, `lab`) into facts.
pub(crate) fn facts_from_rows(rows: Vec<(String, String)>) -> StoreResult<CompletionFacts> {
    let mut facts = CompletionFacts::default();
    for (kind, id) in rows {
        match kind.as_str() {
            "lesson" => facts.completed_lessons.push(id),
            "assessment" => facts.passed_assessments.push(id),
            "lab" => facts.passed_labs.push(id),
            other => {
                return Err(StoreError::Corrupt(format!(
                    "unknown completion fact `{other}`"
                )));
            }
        }
    }
    Ok(facts)
}

#[async_trait]
pub trait CertificateStore: Send + Sync {
    /// What the user has done in the course, in one query: lessons completed, quizzes and
    /// mock exams with a closed (submitted or expired) passed attempt, labs passed. Items of
    /// every version are returned; the caller decides which count.
    async fn completion_facts(
        &self,
        user_id: Uuid,
        course_id: &str,
    ) -> StoreResult<CompletionFacts>;

    /// Stores `new` unless the user already has a certificate for the course, and returns
    /// the one stored (the existing one, when there was one: concurrent awards store one).
    /// `NotFound` when the user or course does not exist.
    async fn insert_certificate(&self, new: NewCertificate) -> StoreResult<StoredCertificate>;

    async fn certificate(&self, id: Uuid) -> StoreResult<Option<StoredCertificate>>;

    /// The user's certificate for the course, if one was issued (revoked or not).
    async fn certificate_for(
        &self,
        user_id: Uuid,
        course_id: &str,
    ) -> StoreResult<Option<StoredCertificate>>;

    /// The user's certificates, oldest first.
    async fn user_certificates(&self, user_id: Uuid) -> StoreResult<Vec<StoredCertificate>>;

    /// Course id → certificate id of every certificate the user holds (revoked ones
    /// included; their status says they are not valid), in one query.
    async fn certificate_ids(&self, user_id: Uuid) -> StoreResult<HashMap<String, Uuid>>;

    /// Revokes a certificate. Revoking again keeps the first time and reason. `None` when
    /// there is no such certificate.
    async fn revoke_certificate(
        &self,
        id: Uuid,
        reason: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<StoredCertificate>>;
}
