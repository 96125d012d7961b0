use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// One published version of a course. Versions are immutable and numbered from 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CourseVersion {
    pub course_id: String,
    pub version: i64,
    pub published_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub published_at: OffsetDateTime,
    /// Set when this version restored an earlier one.
    pub restored_from: Option<i64>,
    pub current: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RollbackRequest {
    /// The version whose content to publish again.
    #[serde(deserialize_with = "super::whole::required")]
    #[schema(minimum = 1, maximum = 9_007_199_254_740_991_i64)]
    pub version: i64,
}

/// The manifest (content hash per item) of a course's current version, so a client can show
/// a publish plan without sending the bundle.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublishManifest {
    pub version: i64,
    #[schema(value_type = Object)]
    pub manifest: crate::course::Manifest,
}

/// What a publish (or rollback) did, or for a dry run would do.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublishOutcome {
    pub course_id: String,
    /// Added, changed and removed items against the version that was current.
    #[schema(value_type = Object)]
    pub plan: crate::course::Plan,
    /// The version current after the call; for a dry run, the one the publish would make.
    /// Unchanged when the plan is empty (re-publishing identical content is a no-op).
    pub version: i64,
    /// The version that was current before, if the course was published before.
    pub previous_version: Option<i64>,
    /// Whether a new version was stored.
    pub applied: bool,
    pub dry_run: bool,
    /// For a rollback: the version whose content was restored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored_from: Option<i64>,
}
