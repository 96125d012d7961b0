//! Certificates: issued when a course's completion rules are met, signed with the server's
//! Ed25519 key.
//!
//! The signing keys live in the key directory that every replica shares ([`crate::keys`]):
//! the current one signs new certificates; older ones stay, are published in the issuer
//! document and sign the Open Badges of the certificates they signed. The rules
//! themselves are decided by [`cloudmaster_core::cert::completion_status`] from the facts
//! the store reads; this module adds the course content and the certificate lifecycle.

use cloudmaster_core::api::{
    CertificateInfo, CompletionStatus, IssuerKeys, IssuerPublicKey, LabSessionStatus,
};
use cloudmaster_core::cert::{self, CertificateClaims, CertifiedLab, SignedCertificate, ob3};
use cloudmaster_core::course::{Course, Requirement};
use cloudmaster_core::lab::is_self_reported;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{StoreError, StoreResult};
/// The issuer named in certificates and Open Badges.
pub const ISSUER_NAME: &str = "cloudmaster";

/// A certificate to store: the signed file and the columns copied out of it.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub id: Uuid,
    pub user_id: Uuid,
    pub course_id: String,
    pub course_version: i64,
    pub issued_at: OffsetDateTime,
    /// The certificate file exactly as signed (canonical JSON and a newline).
    pub document: String,
}

/// A stored certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCertificate {
    pub id: Uuid,
    pub user_id: Uuid,
    pub course_id: String,
    pub course_version: i64,
    pub issued_at: OffsetDateTime,
    /// The certificate file, byte for byte as signed.
    pub document: String,
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_reason: Option<String>,
}

impl StoredCertificate {
    /// The signed content of the file.
    pub fn signed(&self) -> StoreResult<SignedCertificate> {
        serde_json::from_str(&self.document).map_err(|e| {
            StoreError::Corrupt(format!(
                "certificate {} has an unreadable document: {e}",
                self.id
            ))
        })
    }

    /// The summary the API lists (the course title as signed, not as it is today).
    pub fn info(&self) -> StoreResult<CertificateInfo> {
        Ok(CertificateInfo {
            id: self.id,
            course_id: self.course_id.clone(),
            course_title: self.signed()?.certificate.course_title,
            course_version: self.course_version,
            issued_at: self.issued_at,
            revoked_at: self.revoked_at,
            revoked_reason: self.revoked_reason.clone(),
        })
    }
}

/// Issues the certificate of `course_id` to `user_id` if the completion rules are now met
/// and none was issued yet. Called after every event that can complete a course (a lesson
/// completed, an attempt passed, a lab passed). Returns the certificate id when one exists.
pub async fn award_if_complete(
    state: &AppState,
    user_id: Uuid,
    course_id: &str,
) -> Result<Option<Uuid>, ApiError> {
    if let Some(existing) = state.store().certificate_for(user_id, course_id).await? {
        return Ok(Some(existing.id));
    }
    let status = completion(state, user_id, course_id).await?;
    if !status.complete {
        return Ok(None);
    }
    let issued = issue(state, user_id, course_id, status.course_version).await?;
    Ok(Some(issued.id))
}

/// The completion rules of the course's current version against what the user has done.
pub async fn completion(
    state: &AppState,
    user_id: Uuid,
    course_id: &str,
) -> Result<CompletionStatus, ApiError> {
    let published = state.published_course(course_id).await?;
    let facts = state.store().completion_facts(user_id, course_id).await?;
    let mut status = cert::completion_status(&published.course, published.version, &facts);
    status.certificate_id = state
        .store()
        .certificate_for(user_id, course_id)
        .await?
        .map(|c| c.id);
    Ok(status)
}

/// Signs and stores a certificate for `course_version` of the course. When a concurrent
/// award stored one first, that one is returned (the unique constraint keeps one).
async fn issue(
    state: &AppState,
    user_id: Uuid,
    course_id: &str,
    course_version: i64,
) -> Result<StoredCertificate, ApiError> {
    let keys = state.keys().certificates();
    let signer = keys.current();
    let published = state.course_version(course_id, course_version).await?;
    let learner = state
        .store()
        .user_by_id(user_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user {user_id}")))?
        .user;
    // Stored with microsecond precision: sign exactly what the database will return.
    let now = state.now().to_offset(time::UtcOffset::UTC);
    let issued_at = now
        .replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now);
    let claims = CertificateClaims {
        id: Uuid::now_v7(),
        course_id: course_id.to_owned(),
        course_title: published.course.title.clone(),
        course_version,
        learner_id: user_id,
        learner_name: learner.name,
        issued_at,
        issuer: ISSUER_NAME.to_owned(),
        key_id: signer.key_id(),
        labs: certified_labs(state, user_id, course_id, &published.course).await?,
    };
    let document = signer
        .sign(claims.clone())
        .map_err(|e| ApiError::internal("signing a certificate", e))?;
    let stored = state
        .store()
        .insert_certificate(NewCertificate {
            id: claims.id,
            user_id,
            course_id: course_id.to_owned(),
            course_version,
            issued_at,
            document,
        })
        .await?;
    if stored.id == claims.id {
        tracing::info!(user = %user_id, course = course_id, certificate = %stored.id, "certificate issued");
    }
    Ok(stored)
}

/// The labs of `course` the user passed, in course order, each marked self-reported when
/// its passing submission took some results from the learner's machine (by the grading the
/// session stored; for a pass without one, by whether this server runs the lab's `command`
/// and `script` checks itself).
async fn certified_labs(
    state: &AppState,
    user_id: Uuid,
    course_id: &str,
    course: &Course,
) -> Result<Vec<CertifiedLab>, ApiError> {
    if course.labs.is_empty() {
        return Ok(Vec::new());
    }
    let store = state.store();
    let passed: Vec<String> = store
        .lab_passes(user_id, course_id)
        .await?
        .into_iter()
        .map(|(lab, _)| lab)
        .collect();
    // Newest first: the first passed session of a lab is the pass that counts.
    let sessions = store.lab_sessions(user_id, Some(course_id), false).await?;
    let run = state.config().lab_run_options();
    Ok(crate::labs::view::labs_in_order(course)
        .into_iter()
        .filter(|(lab, _)| passed.contains(&lab.id))
        .map(|(lab, _)| {
            let graded = sessions
                .iter()
                .find(|s| s.lab_id == lab.id && s.status == LabSessionStatus::Passed)
                .and_then(|s| s.result.as_ref());
            let self_reported = match graded {
                Some(result) => graded_self_reported(result),
                None => lab.steps.iter().any(|step| is_self_reported(step, &run)),
            };
            CertifiedLab {
                id: lab.id.clone(),
                title: lab.title.clone(),
                self_reported,
            }
        })
        .collect())
}

/// Whether a stored grading (`{"passed", "steps": [SubmittedStep]}`) has a step with
/// self-reported results.
fn graded_self_reported(result: &Value) -> bool {
    result["steps"].as_array().is_some_and(|steps| {
        steps.iter().any(|step| {
            step["self_reported"]
                .as_array()
                .is_some_and(|r| !r.is_empty())
        })
    })
}

/// The public keys certificates are verified with: the current one first, then every
/// older one (certificates signed before a rotation keep verifying).
pub async fn issuer_keys(state: &AppState) -> Result<IssuerKeys, ApiError> {
    let keys = state.keys().certificates();
    Ok(IssuerKeys {
        issuer: ISSUER_NAME.to_owned(),
        keys: keys
            .all()
            .iter()
            .map(|signer| {
                let key = signer.public_key();
                IssuerPublicKey {
                    key_id: key.key_id(),
                    algorithm: cert::ALGORITHM.to_owned(),
                    public_key: key.to_base64url(),
                }
            })
            .collect(),
    })
}

/// The Open Badges 3.0 credential of a stored certificate. Refused for a revoked one: the
/// credential carries no revocation status, so a verifier could not tell.
pub async fn open_badge(state: &AppState, stored: &StoredCertificate) -> Result<Value, ApiError> {
    if let Some(revoked_at) = stored.revoked_at {
        return Err(ApiError::Conflict(format!(
            "certificate {} was revoked on {} and cannot be exported",
            stored.id,
            revoked_at.date()
        )));
    }
    let claims = stored.signed()?.certificate;
    // Signed with the key that signed the certificate, which may be an older one.
    let signer = state
        .keys()
        .certificate_key(&claims.key_id)
        .ok_or_else(|| {
            ApiError::Conflict(format!(
                "certificate {} was signed with key {}, which is not in this server's key \
             directory",
                stored.id, claims.key_id
            ))
        })?;
    let published = state
        .course_version(&stored.course_id, stored.course_version)
        .await?;
    let criteria = criteria(&published.course, stored.course_version);
    let text = ob3::BadgeText {
        issuer_name: ISSUER_NAME,
        description: &published.course.summary,
        criteria: &criteria,
    };
    ob3::credential(&claims, text, &signer)
        .map_err(|e| ApiError::internal("building an Open Badges credential", e))
}

/// What a learner did to earn the certificate, in words.
fn criteria(course: &Course, version: i64) -> String {
    let rules = &course.completion;
    let mut done = Vec::new();
    if rules.lessons == Requirement::All {
        done.push("read every lesson".to_owned());
    }
    if rules.quizzes == Requirement::All && course.modules.iter().any(|m| m.quiz.is_some()) {
        done.push("passed every module quiz".to_owned());
    }
    match rules.labs {
        0 => {}
        1 => done.push("passed a hands-on lab".to_owned()),
        n => done.push(format!("passed {n} hands-on labs")),
    }
    if rules.mock_exam {
        done.push("passed the timed mock exam".to_owned());
    }
    let title = &course.title;
    match done.as_slice() {
        [] => format!("The learner completed the course \"{title}\" (version {version})."),
        [one] => format!("The learner {one} of the course \"{title}\" (version {version})."),
        [rest @ .., last] => format!(
            "The learner {} and {last} of the course \"{title}\" (version {version}).",
            rest.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use cloudmaster_core::course::{Completion, Module, Quiz};

    use super::*;

    #[test]
    fn a_grading_with_reported_results_is_self_reported() {
        let graded = |reported: Value| {
            serde_json::json!({"passed": true, "steps": [
                {"id": "a", "self_reported": []},
                {"id": "b", "self_reported": reported},
            ]})
        };
        assert!(!graded_self_reported(&graded(serde_json::json!([]))));
        let claim = serde_json::json!([{"step": "b", "condition": "c", "passed": true}]);
        assert!(graded_self_reported(&graded(claim)));
    }

    #[test]
    fn criteria_name_every_rule() {
        let mut course = Course {
            title: "Kubernetes basics".to_owned(),
            completion: Completion {
                lessons: Requirement::All,
                quizzes: Requirement::All,
                labs: 2,
                mock_exam: true,
            },
            modules: vec![Module {
                quiz: Some(Quiz::default()),
                ..Module::default()
            }],
            ..Course::default()
        };
        assert_eq!(
            criteria(&course, 3),
            "The learner read every lesson, passed every module quiz, passed 2 hands-on labs \
             and passed the timed mock exam of the course \"Kubernetes basics\" (version 3)."
        );
        course.completion = Completion {
            lessons: Requirement::All,
            quizzes: Requirement::None,
            labs: 0,
            mock_exam: false,
        };
        assert_eq!(
            criteria(&course, 1),
            "The learner read every lesson of the course \"Kubernetes basics\" (version 1)."
        );
    }
}
