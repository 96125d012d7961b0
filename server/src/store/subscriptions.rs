//! Premium subscriptions: renewals, cancellation and expiry (the rules are in
//! [`crate::billing::renewals`]). Expiry sets the user back to free and removes their
//! enrollments in paid courses they did not buy, in one transaction.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreResult;
use crate::billing::records::{EventMark, RenewalOutcome, SubscriptionRecord};

#[async_trait]
pub trait SubscriptionStore: Send + Sync {
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
}
