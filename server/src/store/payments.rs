//! Payments: checkouts, settlement by provider events, refunds (the records are
//! [`crate::billing::records`]; the rules that decide amounts and states are in
//! [`crate::billing`]).
//!
//! Every change of a payment is a conditional update in one transaction with its history
//! entry and its consequences (an enrollment, a subscription, the user's tier), and, when a
//! webhook event caused it, with the event's id: a replayed event, a concurrent settlement
//! or a late client poll cannot apply it twice.

use async_trait::async_trait;
use cloudmaster_core::api::Payment;
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreResult;
use crate::billing::records::{Checkout, EventMark, NewPayment, RefundEntry, Refunded, Settlement};

#[async_trait]
pub trait PaymentStore: Send + Sync {
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

    /// Records a refund on a paid payment: `refunded` and the state move, a history entry
    /// takes the amount off, and a whole refund ends what it bought (the course, unless the
    /// learner is premium; the subscription it paid for).
    async fn refund(&self, entry: RefundEntry<'_>, now: OffsetDateTime) -> StoreResult<Refunded>;
}
