//! State every server on one database shares: secrets left by earlier versions, the
//! server's identity and rate-limit counters.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::StoreResult;

#[async_trait]
pub trait StateStore: Send + Sync {
    /// The secret stored under `name` by servers that kept their signing keys in the
    /// database (now moved to the key directory at start-up, see `crate::keys`).
    async fn secret(&self, name: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Deletes the secret `name`; false when there was none.
    async fn delete_secret(&self, name: &str) -> StoreResult<bool>;
    /// The non-secret server value `name` (the server's identity), storing `candidate`
    /// at `now` first if there is none, so that every replica agrees on one.
    async fn get_or_init_value(
        &self,
        name: &str,
        candidate: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<Vec<u8>>;
    /// Adds `delta` requests to the counter `key` for the window starting at
    /// `window_start` and returns the window's new total across all replicas.
    async fn add_rate_usage(
        &self,
        key: &str,
        window_start: OffsetDateTime,
        delta: i64,
    ) -> StoreResult<i64>;
    /// Deletes rate-limit windows that started before `before`.
    async fn prune_rate_usage(&self, before: OffsetDateTime) -> StoreResult<u64>;
}
