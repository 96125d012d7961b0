//! The SSH public keys learners link to their accounts, found again by fingerprint when a
//! key signs in over SSH.

use async_trait::async_trait;
use cloudmaster_core::api::SshKey;
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreResult;

/// A key to link, checked by the caller (`crate::ssh_keys`).
#[derive(Debug, Clone)]
pub struct NewSshKey {
    pub id: Uuid,
    pub user_id: Uuid,
    /// `SHA256:...`, as OpenSSH prints it; one account's at most.
    pub fingerprint: String,
    pub algorithm: String,
    /// The OpenSSH line without its comment.
    pub public_key: String,
    pub name: String,
}

/// What [`SshKeyStore::add_ssh_key`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum SshKeyAdded {
    Added(SshKey),
    /// The account has `limit` keys already: nothing was added.
    LimitReached,
}

/// A linked key with its account, as the SSH server looks it up.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedSshKey {
    pub user_id: Uuid,
    /// The OpenSSH line without its comment.
    pub public_key: String,
    pub key: SshKey,
}

#[async_trait]
pub trait SshKeyStore: Send + Sync {
    /// Links a key, created at `now`, unless the account has `limit` keys already. Fails with
    /// `Conflict` when the fingerprint is linked already, to this account or another, and
    /// with `NotFound` when the account does not exist.
    async fn add_ssh_key(
        &self,
        new: NewSshKey,
        limit: u32,
        now: OffsetDateTime,
    ) -> StoreResult<SshKeyAdded>;

    /// The user's keys, oldest first.
    async fn ssh_keys(&self, user_id: Uuid) -> StoreResult<Vec<SshKey>>;

    /// Unlinks one of the user's keys and returns it; `NotFound` when they have no key `id`.
    async fn remove_ssh_key(&self, user_id: Uuid, id: Uuid) -> StoreResult<SshKey>;

    /// The key with this fingerprint (`SHA256:...`) and its account, if one links it.
    async fn ssh_key_by_fingerprint(&self, fingerprint: &str) -> StoreResult<Option<LinkedSshKey>>;

    /// Records that key `id` signed in at `now`. An earlier time than the one recorded
    /// (replicas' reports crossing) changes nothing, and neither does a key unlinked
    /// meanwhile.
    async fn touch_ssh_key(&self, id: Uuid, now: OffsetDateTime) -> StoreResult<()>;
}
