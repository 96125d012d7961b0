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
    /// Adds each count's `delta` requests to the counter of its key for the window starting
    /// at `window_start`, and returns the new totals across all replicas, in the order of
    /// `counts`. One transaction (one commit, so one fsync) for a whole flush of a replica's
    /// counters; counters are updated in key order, so two replicas flushing the same keys
    /// cannot deadlock.
    async fn add_rate_usages(&self, counts: &[RateCount]) -> StoreResult<Vec<i64>>;
    /// Deletes rate-limit windows that started before `before`.
    async fn prune_rate_usage(&self, before: OffsetDateTime) -> StoreResult<u64>;
}

/// Requests to add to one rate-limit counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateCount {
    pub key: String,
    pub window_start: OffsetDateTime,
    pub delta: i64,
}
