//! Accounts, login sessions (refresh tokens) and personal API tokens.

use async_trait::async_trait;
use cloudmaster_core::api::{AccountErased, ApiTokenInfo, Role, User, UserAccount};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreResult;
use crate::auth::records::{
    ApiTokenOwner, NewApiToken, NewRefreshToken, NewUser, RefreshOutcome, UserCredentials,
};

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Fails with `Conflict` when the email (case-insensitive) is taken. `now` is the
    /// account's `created_at`.
    async fn create_user(&self, new: NewUser, now: OffsetDateTime) -> StoreResult<User>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserCredentials>>;
    async fn user_by_id(&self, id: Uuid) -> StoreResult<Option<UserCredentials>>;
    /// Every account, oldest first.
    async fn list_users(&self) -> StoreResult<Vec<UserAccount>>;
    async fn set_user_role(&self, id: Uuid, role: Role) -> StoreResult<User>;
    /// Suspends the account or lifts its suspension; `NotFound` when there is none.
    async fn set_user_suspended(&self, id: Uuid, suspended: bool) -> StoreResult<UserAccount>;
    /// Erases an account, in one transaction: deletes its sessions, API tokens, devices, SSH
    /// keys, reset codes, unsent mail, enrollments, progress, attempts, mastery, review
    /// cards, certificates, lab sessions and tutor conversations; cancels its subscription
    /// and forgets its card; and leaves the account row anonymous (`placeholder_email`, the
    /// name "Deleted account", a password nothing matches, the learner role, suspended), so
    /// that the payments and audit entries that name it stay for the accounts. Courses it
    /// owns stay published. `NotFound` when there is no such account.
    async fn erase_user(&self, id: Uuid, placeholder_email: &str) -> StoreResult<AccountErased>;

    // --- sessions (refresh tokens) --------------------------------------------------
    async fn insert_refresh_token(
        &self,
        token: NewRefreshToken,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Atomically consumes a refresh token (by hash). Exactly one of any number of
    /// concurrent presentations of the same token can get `Rotated`.
    async fn use_refresh_token(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<RefreshOutcome>;
    /// Logs out: revokes every token of the family that holds this token hash and records
    /// the session as ended by logout at `now`. Returns the family, None when the token
    /// is unknown.
    async fn revoke_refresh_family_of(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<Option<Uuid>>;

    // --- personal API tokens --------------------------------------------------------
    async fn create_api_token(
        &self,
        token: NewApiToken,
        now: OffsetDateTime,
    ) -> StoreResult<ApiTokenInfo>;
    /// Finds a live (not revoked, not expired at `now`) token by hash.
    async fn api_token_owner(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<Option<ApiTokenOwner>>;
    /// The user's unrevoked tokens (expired ones included), oldest first.
    async fn list_api_tokens(&self, user_id: Uuid) -> StoreResult<Vec<ApiTokenInfo>>;
    /// Revokes the user's own token; false when it does not exist or is not theirs.
    /// Revoking an already revoked token of one's own is true (idempotent).
    async fn revoke_api_token(
        &self,
        user_id: Uuid,
        token_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Records use of tokens, batched by the caller (token id, last use).
    async fn touch_api_tokens(&self, uses: &[(Uuid, OffsetDateTime)]) -> StoreResult<()>;
}
