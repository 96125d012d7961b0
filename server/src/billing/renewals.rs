//! The renewal job: what happens to subscriptions when their period ends, run with the
//! injected clock beside the other background jobs.
//!
//! - A subscription cancelled for the period's end expires then.
//! - The sandbox's subscriptions are charged with the saved test payment method; the
//!   outcome comes back as an event like any provider's. A failed renewal leaves premium
//!   on for the grace period (`--billing-grace-days`) and is retried every
//!   `--billing-retry-hours`; when the grace period ends unpaid, the subscription expires.
//! - Stripe renews by itself and reports it (`invoice.paid`, `invoice.payment_failed`,
//!   `customer.subscription.deleted`); a subscription it has said nothing about by the end
//!   of the grace period expires.
//!
//! Expiry sets the learner back to free and locks the paid courses they did not buy;
//! progress and certificates stay. Every step is a conditional write, so replicas running
//! the job at once act once.

use time::OffsetDateTime;

use super::records::SubscriptionRecord;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::StoreError;
use cloudmaster_core::api::SubscriptionStatus;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenewalReport {
    /// Renewal charges made (paid or failed; providers that renew by themselves excluded).
    pub charged: u32,
    pub expired: u32,
}

/// Looks at every subscription whose period or grace period has ended, or whose retry is due.
pub async fn run(state: &AppState, now: OffsetDateTime) -> Result<RenewalReport, StoreError> {
    let mut report = RenewalReport::default();
    for record in state.store().due_subscriptions(now).await? {
        match next_step(state, &record, now) {
            Step::Expire => {
                if state
                    .store()
                    .end_subscription(None, record.subscription.id, now)
                    .await?
                {
                    state.auth_cache().forget_user(record.user_id);
                    tracing::info!(subscription = %record.subscription.id, "subscription expired");
                    report.expired += 1;
                }
            }
            Step::Charge => {
                charge(state, &record, now).await?;
                report.charged += 1;
            }
            Step::Wait => {}
        }
    }
    Ok(report)
}

enum Step {
    Expire,
    Charge,
    Wait,
}

fn next_step(state: &AppState, record: &SubscriptionRecord, now: OffsetDateTime) -> Step {
    let sub = &record.subscription;
    let renews_itself = state.billing().provider().renews_itself();
    let grace_end = sub
        .grace_until
        .unwrap_or(sub.current_period_end + state.billing().grace);
    match sub.status {
        SubscriptionStatus::Active if sub.cancel_at.is_some_and(|at| at <= now) => Step::Expire,
        _ if grace_end <= now => Step::Expire,
        _ if renews_itself || state.billing().sandbox().is_none() => Step::Wait,
        SubscriptionStatus::Active => Step::Charge,
        SubscriptionStatus::PastDue if record.next_retry_at.is_some_and(|at| at <= now) => {
            Step::Charge
        }
        _ => Step::Wait,
    }
}

/// Charges the next period with the saved payment method and applies the outcome.
async fn charge(
    state: &AppState,
    record: &SubscriptionRecord,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let Some(sandbox) = state.billing().sandbox().cloned() else {
        return Ok(());
    };
    let sub = &record.subscription;
    let interval = state
        .billing()
        .plan(&sub.plan_id)
        .map_or(cloudmaster_core::api::Interval::Month, |p| p.interval);
    let period_end = super::add_interval(sub.current_period_end, interval);
    let delivery = sandbox.renew(
        &record.provider_ref,
        record.payment_method.as_deref(),
        &record.price,
        period_end,
        now,
    );
    match super::events::receive(state, &*sandbox, &delivery.headers, &delivery.body).await {
        Ok(_) => {}
        Err(ApiError::Store(err)) => return Err(err),
        Err(err) => tracing::warn!(error = %err, "a renewal's outcome was not applied"),
    }
    state.auth_cache().forget_user(record.user_id);
    Ok(())
}
