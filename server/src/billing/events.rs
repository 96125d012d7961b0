//! Webhook events: verified, then applied to the ledger once per event id.
//!
//! Stripe's deliveries (`POST /billing/webhooks/stripe`) and the sandbox's (in process)
//! take the same path: [`receive`] verifies the signature and decodes the event, [`apply`]
//! makes its change in one store transaction that also records the event's id. A replay,
//! a concurrent duplicate delivery or an event for a payment that is no longer pending
//! changes nothing.

use axum::http::HeaderMap;
use cloudmaster_core::api::{Payment, PaymentKind};
use uuid::Uuid;

use super::provider::{EventKind, PaymentProvider, WebhookEvent};
use super::records::{EventMark, NewSubscription, RenewalOutcome, Settlement};
use crate::error::ApiError;
use crate::state::AppState;

/// What a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The event changed the ledger.
    Changed,
    /// Seen before, or nothing to change (an unknown payment, one already settled).
    Unchanged,
}

/// Verifies a delivery from `provider` and applies it. A bad signature, a stale timestamp
/// or a malformed event is a 400 and changes nothing.
pub async fn receive(
    state: &AppState,
    provider: &dyn PaymentProvider,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Applied, ApiError> {
    let event = provider
        .verify_webhook(headers, body, state.now())
        .map_err(|e| ApiError::BadRequest(format!("webhook refused: {e}")))?;
    apply(state, provider.name(), &event).await
}

fn name(kind: &EventKind) -> &str {
    match kind {
        EventKind::Paid { .. } => "paid",
        EventKind::Failed { .. } => "failed",
        EventKind::Renewed { .. } => "renewed",
        EventKind::RenewalFailed { .. } => "renewal_failed",
        EventKind::SubscriptionEnded { .. } => "subscription_ended",
        EventKind::Other { name } => name,
    }
}

/// Applies a verified event once.
pub async fn apply(
    state: &AppState,
    provider: &str,
    event: &WebhookEvent,
) -> Result<Applied, ApiError> {
    let store = state.store();
    let now = state.now();
    let mark = EventMark {
        provider,
        id: &event.id,
        name: name(&event.kind),
    };
    let changed = match &event.kind {
        EventKind::Paid {
            payment_id,
            charge_ref,
            subscription_ref,
            card,
        } => {
            let Some(payment) = store.payment(*payment_id).await? else {
                tracing::warn!(%payment_id, event = %event.id, "paid event for an unknown payment");
                return record_only(state, mark).await;
            };
            let settlement = Settlement::Paid {
                charge_ref: charge_ref.as_deref(),
                card: card.as_deref(),
                subscription: subscription_started_by(state, &payment, subscription_ref.as_deref()),
            };
            let changed = store
                .settle_payment(Some(mark), *payment_id, settlement, now)
                .await?;
            if changed {
                after_settlement(state, &payment);
                tracing::info!(%payment_id, kind = payment.kind.as_str(), "payment succeeded");
            }
            changed
        }
        EventKind::Failed { payment_id, reason } => {
            let failed = Settlement::Failed { reason };
            let changed = store
                .settle_payment(Some(mark), *payment_id, failed, now)
                .await?;
            if changed {
                tracing::info!(%payment_id, reason = %reason, "payment failed");
            }
            changed
        }
        EventKind::Renewed {
            subscription_ref,
            charge_ref,
            amount,
            period_end,
        } => {
            let Some(sub) = store
                .subscription_by_ref(provider, subscription_ref)
                .await?
            else {
                return record_only(state, mark).await;
            };
            let outcome = RenewalOutcome::Paid {
                payment_id: Uuid::now_v7(),
                charge_ref: charge_ref.as_deref(),
                amount,
                period_end: *period_end,
            };
            let changed = store
                .record_renewal(Some(mark), sub.subscription.id, outcome, now)
                .await?;
            state.auth_cache().forget_user(sub.user_id);
            changed
        }
        EventKind::RenewalFailed {
            subscription_ref,
            reason,
        } => {
            let Some(sub) = store
                .subscription_by_ref(provider, subscription_ref)
                .await?
            else {
                return record_only(state, mark).await;
            };
            let billing = state.billing();
            let grace_until = sub
                .subscription
                .grace_until
                .unwrap_or(sub.subscription.current_period_end + billing.grace);
            let outcome = RenewalOutcome::Failed {
                payment_id: Uuid::now_v7(),
                reason,
                grace_until,
                next_retry_at: (now + billing.retry_every).min(grace_until),
            };
            store
                .record_renewal(Some(mark), sub.subscription.id, outcome, now)
                .await?
        }
        EventKind::SubscriptionEnded { subscription_ref } => {
            let Some(sub) = store
                .subscription_by_ref(provider, subscription_ref)
                .await?
            else {
                return record_only(state, mark).await;
            };
            let changed = store
                .end_subscription(Some(mark), sub.subscription.id, now)
                .await?;
            state.auth_cache().forget_user(sub.user_id);
            changed
        }
        EventKind::Other { .. } => store.record_event(mark, now).await?,
    };
    Ok(if changed {
        Applied::Changed
    } else {
        Applied::Unchanged
    })
}

async fn record_only(state: &AppState, mark: EventMark<'_>) -> Result<Applied, ApiError> {
    state.store().record_event(mark, state.now()).await?;
    Ok(Applied::Unchanged)
}

/// The subscription a subscription's first payment starts: a period of its plan from now.
/// `provider_ref` is the provider's subscription id (Stripe); the sandbox names its own.
pub(crate) fn subscription_started_by(
    state: &AppState,
    payment: &Payment,
    provider_ref: Option<&str>,
) -> Option<NewSubscription> {
    if payment.kind != PaymentKind::Subscription {
        return None;
    }
    let plan = payment
        .plan_id
        .as_deref()
        .and_then(|id| state.billing().plan(id));
    let interval = plan.map_or(cloudmaster_core::api::Interval::Month, |p| p.interval);
    let id = Uuid::now_v7();
    Some(NewSubscription {
        id,
        provider_ref: provider_ref
            .map_or_else(|| format!("sub_sandbox_{}", id.simple()), str::to_owned),
        period_end: super::add_interval(state.now(), interval),
        renewal_amount: plan.map_or(payment.subtotal, |p| p.price.amount),
    })
}

/// Drops what this replica remembers of the payer, so their new tier and enrollment show
/// at once.
pub(crate) fn after_settlement(state: &AppState, payment: &Payment) {
    state.auth_cache().forget_user(payment.user_id);
}
