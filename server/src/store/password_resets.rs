//! Codes that reset a forgotten password (the rules are in `crate::auth::recovery`).

use async_trait::async_trait;
use time::OffsetDateTime;

use super::StoreResult;
use crate::auth::records::{NewPasswordReset, PasswordResetRedeemed, ResetQuota};
use crate::mail::NewMail;

#[async_trait]
pub trait PasswordResetStore: Send + Sync {
    /// Records a reset code and queues the mail that carries it (none when an administrator
    /// hands the code over), in one transaction. Records nothing and returns false when the
    /// account already has `quota.max` codes made since `quota.since`; `NotFound` when there
    /// is no such account.
    async fn create_password_reset(
        &self,
        reset: NewPasswordReset,
        mail: Option<NewMail>,
        quota: Option<ResetQuota>,
    ) -> StoreResult<bool>;

    /// Redeems a code, once and before it expires: the account gets `password_hash`, its
    /// other codes stop working and each of its login sessions ends. None when the code is
    /// unknown, used or expired at `now`.
    async fn redeem_password_reset(
        &self,
        code_hash: &[u8],
        password_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<PasswordResetRedeemed>>;

    /// Forgets codes that expired before `before`.
    async fn prune_password_resets(&self, before: OffsetDateTime) -> StoreResult<u64>;
}
