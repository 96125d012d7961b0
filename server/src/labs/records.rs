//! A lab session as the store keeps it, and the rules for ending one that ran out of time.
//!
//! A session row holds what changes while the learner works (status, last activity,
//! submissions, per-step state, the last grading). The store loads a session under a write
//! lock, hands it to an edit ([`LabEdit`]) and writes back what the edit changed, so two
//! replicas (or two requests) never interleave on one session.

use std::collections::BTreeMap;

use cloudmaster_core::api::LabSessionStatus;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// A session to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLabSession {
    pub id: Uuid,
    pub user_id: Uuid,
    pub course_id: String,
    /// The course version the session keeps, whatever is published meanwhile.
    pub course_version: i64,
    pub lab_id: String,
    pub lab_version: i64,
    pub started_at: OffsetDateTime,
    /// The time limit.
    pub expires_at: OffsetDateTime,
    /// Every step of the lab, each with its initial state.
    pub steps: BTreeMap<String, StepRecord>,
}

/// A lab session as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct LabSessionRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub course_id: String,
    pub course_version: i64,
    pub lab_id: String,
    pub lab_version: i64,
    pub status: LabSessionStatus,
    pub started_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub last_activity: OffsetDateTime,
    pub ended_at: Option<OffsetDateTime>,
    pub submissions: u32,
    /// Per step id.
    pub steps: BTreeMap<String, StepRecord>,
    /// The grading of the last submission (JSON of `cloudmaster_core::api::LabSubmission`
    /// without its `session`).
    pub result: Option<serde_json::Value>,
}

/// The learner's standing on one step, as stored in the session's `steps` JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    #[serde(default)]
    pub passed: bool,
    #[serde(default)]
    pub skipped: bool,
    #[serde(default)]
    pub failed_checks: u32,
    #[serde(default)]
    pub hints_shown: u32,
}

impl LabSessionRecord {
    /// When the session expires for lack of activity.
    pub fn idle_expires_at(&self, idle_timeout: Duration) -> OffsetDateTime {
        self.last_activity + idle_timeout
    }

    /// An active session past its time limit or idle timeout at `now`.
    pub fn is_overdue(&self, now: OffsetDateTime, idle_timeout: Duration) -> bool {
        self.status == LabSessionStatus::Active
            && (now >= self.expires_at || now >= self.idle_expires_at(idle_timeout))
    }

    /// Ends the session if it is overdue at `now`: `failed` when it had submissions (none of
    /// which passed, or it would not be active), `expired` otherwise. The end time is the
    /// deadline that was missed, not the moment this ran. Returns whether it ended it.
    pub fn end_if_overdue(&mut self, now: OffsetDateTime, idle_timeout: Duration) -> bool {
        if !self.is_overdue(now, idle_timeout) {
            return false;
        }
        self.status = if self.submissions > 0 {
            LabSessionStatus::Failed
        } else {
            LabSessionStatus::Expired
        };
        self.ended_at = Some(self.expires_at.min(self.idle_expires_at(idle_timeout)));
        true
    }
}

/// A change to one session, run by [`crate::store::LabStore::update_lab_session`] under the
/// session's write lock. It gets the stored session, may change its mutable parts (status,
/// `last_activity`, `ended_at`, `submissions`, `steps`, `result`; changes to anything else
/// are not stored) and returns whether it changed anything to store.
pub type LabEdit<'a> = &'a mut (dyn FnMut(&mut LabSessionRecord) -> bool + Send);

/// Whether `after` is the edit of `before` that passed the lab: the moment to record the
/// lab pass.
pub fn newly_passed(before: &LabSessionRecord, after: &LabSessionRecord) -> bool {
    before.status != LabSessionStatus::Passed && after.status == LabSessionStatus::Passed
}
