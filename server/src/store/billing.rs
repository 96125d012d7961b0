//! Payments, subscriptions, coupons, webhook events and idempotency keys (the records are
//! [`crate::billing::records`]; the rules that decide amounts and states are in
//! [`crate::billing`]).
//!
//! Every change of a payment is a conditional update in one transaction with its history
//! entry and its consequences (an enrollment, the user's tier), and, when a webhook event
//! caused it, with the event's id: a replayed event, a concurrent settlement or a late
//! client poll cannot apply it twice.

use async_trait::async_trait;
use cloudmaster_core::api::{Coupon, Payment};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreResult;
use crate::billing::records::{
    Checkout, EventMark, KeyClaim, LedgerEntry, NewPayment, RefundEntry, Refunded, RenewalOutcome,
    Settlement, SubscriptionRecord,
};

#[async_trait]
pub trait BillingStore: Send + Sync {
    /// Claims the coupon, if any, and creates the pending payment, in one transaction;
    /// when the learner already has a live payment for the same course (pending or paid) or
    /// a pending subscription checkout, returns that one instead and claims nothing.
    async fn begin_checkout(&self, new: NewPayment) -> StoreResult<Checkout>;

    async fn payment(&self, id: Uuid) -> StoreResult<Option<Payment>>;

    /// The user's payments, newest first, each with its history.
    async fn payments_of(&self, user_id: Uuid) -> StoreResult<Vec<Payment>>;

    /// Courses the user bought and did not get wholly refunded, sorted.
    async fn purchased_courses(&self, user_id: Uuid) -> StoreResult<Vec<String>>;

    /// Pending payments of `provider` created before `before` that no card was sent for,
    /// oldest first (at most 500).
    async fn abandoned_checkouts(
        &self,
        provider: &str,
        before: OffsetDateTime,
    ) -> StoreResult<Vec<Uuid>>;

    /// Records where a hosted checkout happens.
    async fn set_checkout(
        &self,
        payment_id: Uuid,
        provider_ref: &str,
        checkout_url: &str,
    ) -> StoreResult<()>;

    /// Attaches a card (its label and the provider's payment-method token) to a pending
    /// payment that has none yet. False when it is not pending or already has one: exactly
    /// one of any number of concurrent attempts charges.
    async fn attach_card(
        &self,
        payment_id: Uuid,
        card: &str,
        payment_method: &str,
    ) -> StoreResult<bool>;

    /// Settles a pending payment, once: paid (enrolling in its course, or starting its
    /// subscription and making the user premium) or failed (giving the coupon's redemption
    /// back). False when the event was applied before or the payment is not pending.
    async fn settle_payment(
        &self,
        event: Option<EventMark<'_>>,
        payment_id: Uuid,
        settlement: Settlement<'_>,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;

    /// Records a renewal of the subscription: paid (a new period, premium again if it had
    /// lapsed into grace) or failed (past due, premium until `grace_until`). False when the
    /// event was applied before or the subscription has expired.
    async fn record_renewal(
        &self,
        event: Option<EventMark<'_>>,
        subscription_id: Uuid,
        outcome: RenewalOutcome<'_>,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;

    /// Ends a subscription: expired, the user back to free, and their enrollments in paid
    /// courses they did not buy removed (progress stays). False when the event was applied
    /// before or it had already ended.
    async fn end_subscription(
        &self,
        event: Option<EventMark<'_>>,
        subscription_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;

    /// Records an event that changes nothing, so that its replay is recognised. False when
    /// it was recorded before.
    async fn record_event(&self, event: EventMark<'_>, now: OffsetDateTime) -> StoreResult<bool>;

    /// The user's subscription that has not expired, else their latest.
    async fn subscription_of(&self, user_id: Uuid) -> StoreResult<Option<SubscriptionRecord>>;

    async fn subscription_by_ref(
        &self,
        provider: &str,
        provider_ref: &str,
    ) -> StoreResult<Option<SubscriptionRecord>>;

    /// Subscriptions the renewal job must look at: active ones whose period ended,
    /// past-due ones whose retry is due or whose grace period ended.
    async fn due_subscriptions(&self, now: OffsetDateTime) -> StoreResult<Vec<SubscriptionRecord>>;

    /// Sets (or clears) when a live subscription stops. False when it has expired.
    async fn set_cancel_at(
        &self,
        subscription_id: Uuid,
        cancel_at: Option<OffsetDateTime>,
    ) -> StoreResult<bool>;

    /// Records a refund on a paid payment: `refunded` and the state move, a history entry
    /// takes the amount off, and a whole refund ends what it bought (the course, unless the
    /// learner is premium; the subscription it paid for).
    async fn refund(&self, entry: RefundEntry<'_>, now: OffsetDateTime) -> StoreResult<Refunded>;

    /// Fails with `Conflict` when the code exists.
    async fn insert_coupon(&self, coupon: &Coupon) -> StoreResult<()>;
    async fn coupons(&self) -> StoreResult<Vec<Coupon>>;
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
