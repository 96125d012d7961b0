//! What billing keeps beside payments and subscriptions: coupons, the ids of webhook events
//! that changed nothing, `Idempotency-Key`s and the ledger revenue is summed from.

use async_trait::async_trait;
use cloudmaster_core::api::Coupon;
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreResult;
use crate::billing::records::{EventMark, KeyClaim, LedgerEntry};

#[async_trait]
pub trait BillingStore: Send + Sync {
    /// Records an event that changes nothing, so that its replay is recognised. False when
    /// it was recorded before.
    async fn record_event(&self, event: EventMark<'_>, now: OffsetDateTime) -> StoreResult<bool>;

    /// Fails with `Conflict` when the code exists.
    async fn insert_coupon(&self, coupon: &Coupon) -> StoreResult<()>;
    async fn coupons(&self) -> StoreResult<Vec<Coupon>>;
    /// The coupon with this code (upper case).
    async fn coupon(&self, code: &str) -> StoreResult<Option<Coupon>>;
    /// False when there is no such coupon or it was disabled already.
    async fn disable_coupon(&self, code: &str, now: OffsetDateTime) -> StoreResult<bool>;

    /// Claims an `Idempotency-Key` for a request whose hash is `request_hash`.
    async fn claim_idempotency_key(
        &self,
        user_id: Uuid,
        key: &str,
        request_hash: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<KeyClaim>;
    /// Stores the answer to a claimed key; `None` frees the key instead (the request failed
    /// in a way worth retrying).
    async fn finish_idempotency_key(
        &self,
        user_id: Uuid,
        key: &str,
        answer: Option<(u16, &str)>,
    ) -> StoreResult<()>;
    /// Forgets keys claimed before `before`.
    async fn prune_idempotency_keys(&self, before: OffsetDateTime) -> StoreResult<u64>;

    /// Money movements from `from` (inclusive) to `to` (exclusive), oldest first.
    async fn ledger(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> StoreResult<Vec<LedgerEntry>>;
}
