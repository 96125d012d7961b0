//! Lab sessions and lab passes.
//!
//! A session row holds what changes while the learner works (status, last activity,
//! submissions, per-step state as JSON, the last grading). The rules for changing it live in
//! `crate::labs`; the store only loads a session under a write lock, hands it to an edit,
//! and writes back what the edit changed ([`LabStore::update_lab_session`]), so two replicas
//! (or two requests) can never interleave on one session.

use std::collections::BTreeMap;

use async_trait::async_trait;
use cloudmaster_core::api::LabSessionStatus;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::StoreResult;

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

/// A change to one session, run by [`LabStore::update_lab_session`] under the session's
/// write lock. It gets the stored session, may change its mutable parts (status,
/// `last_activity`, `ended_at`, `submissions`, `steps`, `result`; changes to anything else
/// are not stored) and returns whether it changed anything to store.
pub type LabEdit<'a> = &'a mut (dyn FnMut(&mut LabSessionRecord) -> bool + Send);

#[async_trait]
pub trait LabStore: Send + Sync {
    /// Starts a session of `new.lab_id` for `new.user_id`, unless the user already has an
    /// active session of that lab in that course that is not overdue at `new.started_at`:
    /// then that one is returned and `new` is dropped. Overdue active sessions of the lab
    /// are ended first (as [`LabSessionRecord::end_if_overdue`]). Returns the session and
    /// whether it was created. Concurrent starts of one lab by one user create one session.
    async fn start_lab_session(
        &self,
        new: NewLabSession,
        idle_timeout: Duration,
    ) -> StoreResult<(LabSessionRecord, bool)>;

    async fn lab_session(&self, id: Uuid) -> StoreResult<Option<LabSessionRecord>>;

    /// The user's sessions (of one course when `course_id` is set; only the active ones when
    /// `active_only`), newest first.
    async fn lab_sessions(
        &self,
        user_id: Uuid,
        course_id: Option<&str>,
        active_only: bool,
    ) -> StoreResult<Vec<LabSessionRecord>>;

    /// Runs `edit` on session `id` in one transaction that holds the session's write lock,
    /// and stores the result when `edit` returns true. When the edit turns the session
    /// `passed`, the lab is recorded in the user's lab passes (the first pass is kept).
    /// Returns the session as it now is; `None` when there is no such session (the edit did
    /// not run).
    async fn update_lab_session(
        &self,
        id: Uuid,
        edit: LabEdit<'_>,
    ) -> StoreResult<Option<LabSessionRecord>>;

    /// Active sessions past their time limit (`expires_at`) or idle timeout
    /// (`last_activity + idle_timeout`) at `now`, oldest first, at most `limit`: the
    /// candidates for the expiry job, which ends each through [`Self::update_lab_session`].
    async fn overdue_lab_sessions(
        &self,
        now: OffsetDateTime,
        idle_timeout: Duration,
        limit: u32,
    ) -> StoreResult<Vec<Uuid>>;

    /// The labs of `course_id` the user has passed, with when each was first passed, by
    /// time (one query).
    async fn lab_passes(
        &self,
        user_id: Uuid,
        course_id: &str,
    ) -> StoreResult<Vec<(String, OffsetDateTime)>>;
}

/// Decodes a stored status.
pub(crate) fn parse_lab_status(s: &str) -> StoreResult<LabSessionStatus> {
    LabSessionStatus::parse(s)
        .ok_or_else(|| super::StoreError::Corrupt(format!("unknown lab session status `{s}`")))
}

/// Whether `after` is the edit of `before` that passed the lab: the moment to record the
/// lab pass.
pub(crate) fn newly_passed(before: &LabSessionRecord, after: &LabSessionRecord) -> bool {
    before.status != LabSessionStatus::Passed && after.status == LabSessionStatus::Passed
}
