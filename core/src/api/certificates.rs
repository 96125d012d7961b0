//! Certificates: listing, status (public), revocation, the issuer's public keys and what is
//! left before a course is complete.
//!
//! The certificate file itself is [`crate::cert::SignedCertificate`] (served byte for byte as
//! signed); the Open Badges 3.0 export is a JSON-LD document built by [`crate::cert::ob3`].

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// Where a server publishes its certificate keys (outside `/api/v1`, no authentication).
pub const ISSUER_KEYS_PATH: &str = "/.well-known/cloudmaster/issuer.json";

/// `GET /certificates`: one of the caller's certificates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CertificateInfo {
    pub id: Uuid,
    pub course_id: String,
    pub course_title: String,
    /// The course version whose completion rules were met.
    pub course_version: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_reason: Option<String>,
}

/// `GET /certificates/{id}/status`: whether a certificate is valid, for anyone holding its
/// id (no authentication). Says nothing about the learner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CertificateStatus {
    pub id: Uuid,
    /// False once revoked.
    pub valid: bool,
    pub course_id: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<OffsetDateTime>,
    /// Why it was revoked.
    pub reason: Option<String>,
}

/// `POST /admin/certificates/{id}/revoke`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RevokeCertificateRequest {
    /// Shown to anyone who checks the certificate's status: 1 to 500 characters, not only
    /// spaces.
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub reason: String,
}

/// One public key of the issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IssuerPublicKey {
    /// First 16 hex digits of the SHA-256 of the public key; certificates name it.
    pub key_id: String,
    /// Always `Ed25519`.
    pub algorithm: String,
    /// The 32-byte public key, base64url without padding.
    pub public_key: String,
}

/// `GET /.well-known/cloudmaster/issuer.json`: the keys certificates are verified with.
/// Saved as a file, it is what `cloudmaster cert verify --key FILE` reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IssuerKeys {
    pub issuer: String,
    pub keys: Vec<IssuerPublicKey>,
}

/// One completion rule of a course and how far the learner is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CompletionRule {
    /// How many items the rule asks for (0: the rule asks for nothing).
    pub required: u32,
    /// How many of them the learner has done (at most `required`).
    pub done: u32,
    /// Whether the rule is satisfied.
    pub met: bool,
    /// Ids of the items still to do. For labs, any `required - done` of them suffice.
    pub missing: Vec<String>,
}

/// `GET /courses/{course}/completion`: the completion rules of the course's current version
/// and what the caller has left to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CompletionStatus {
    pub course_id: String,
    pub course_version: i64,
    /// Every rule is met.
    pub complete: bool,
    /// Every lesson read (when the course requires it).
    pub lessons: CompletionRule,
    /// Every module quiz passed (when required).
    pub quizzes: CompletionRule,
    /// Labs passed.
    pub labs: CompletionRule,
    /// The mock exam passed (when required).
    pub mock_exam: CompletionRule,
    /// The caller's certificate for the course, once issued.
    pub certificate_id: Option<Uuid>,
}
