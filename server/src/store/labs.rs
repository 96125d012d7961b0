//! Lab sessions and lab passes (the session record and its rules are
//! [`crate::labs::records`]).

use async_trait::async_trait;
use cloudmaster_core::api::LabSessionStatus;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{StoreError, StoreResult};
use crate::labs::records::{LabEdit, LabSessionRecord, NewLabSession};

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
        .ok_or_else(|| StoreError::Corrupt(format!("unknown lab session status `{s}`")))
}
