//! What the trust boundaries remember across replicas: ended login sessions, failed-login
//! counts for back-off, devices accounts have logged in from, and the audit log.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreResult;
use crate::auth::records::{AuditEntry, LoginFailures, NewAuditEntry, SessionEnd};

#[async_trait]
pub trait SecurityStore: Send + Sync {
    /// Why the session (refresh-token family) ended, or None while it is live.
    async fn session_end(&self, family_id: Uuid) -> StoreResult<Option<SessionEnd>>;

    /// The failures recorded for `subject`, if any.
    async fn login_failures(&self, subject: &str) -> StoreResult<Option<LoginFailures>>;
    /// Counts one more failure of `subject` at `now` and returns the new state. A count
    /// whose last failure is older than `forget_before` starts again from one.
    async fn record_login_failure(
        &self,
        subject: &str,
        now: OffsetDateTime,
        forget_before: OffsetDateTime,
    ) -> StoreResult<LoginFailures>;
    async fn clear_login_failures(&self, subject: &str) -> StoreResult<()>;
    /// Forgets failures last seen before `failures_before` and sessions that ended before
    /// `sessions_before` (once their refresh tokens have expired too).
    async fn prune_login_state(
        &self,
        failures_before: OffsetDateTime,
        sessions_before: OffsetDateTime,
    ) -> StoreResult<u64>;

    /// Whether the device token with this hash belongs to `user_id`.
    async fn is_known_device(&self, user_id: Uuid, token_hash: &[u8]) -> StoreResult<bool>;
    /// Records a login of `user_id` from the device token with this hash (new or known).
    async fn remember_device(
        &self,
        user_id: Uuid,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<()>;

    /// Replaces an account's password hash (a password change, or a re-hash with new
    /// Argon2 parameters at login).
    async fn set_password_hash(&self, user_id: Uuid, password_hash: &str) -> StoreResult<()>;

    async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()>;
    /// The newest `limit` entries with an id below `before` (all when None), newest first.
    async fn audit_log(&self, limit: u32, before: Option<i64>) -> StoreResult<Vec<AuditEntry>>;
}
