//! A learner's standing: their subscription (and cancelling it) and `GET /billing/status`.

use cloudmaster_core::api::{BillingStatus, Subscription, SubscriptionStatus, User};
use uuid::Uuid;

use super::checkout::provider_error;
use crate::error::ApiError;
use crate::state::AppState;

/// The user's subscription unless it has expired.
pub async fn live_subscription(
    state: &AppState,
    user_id: Uuid,
) -> Result<Option<Subscription>, ApiError> {
    Ok(state
        .store()
        .subscription_of(user_id)
        .await?
        .map(|r| r.subscription)
        .filter(|s| s.status != SubscriptionStatus::Expired))
}

/// `DELETE /billing/subscription`: premium stops at the end of the period paid for.
pub async fn cancel(state: &AppState, user: &User) -> Result<Subscription, ApiError> {
    let record = state
        .store()
        .subscription_of(user.id)
        .await?
        .filter(|r| r.subscription.status != SubscriptionStatus::Expired)
        .ok_or_else(|| ApiError::NotFound("you have no subscription to cancel".to_owned()))?;
    let sub = &record.subscription;
    if sub.cancel_at.is_none() {
        let provider = state.billing().provider();
        if provider.renews_itself() {
            provider
                .cancel_at_period_end(&record.provider_ref, &format!("cancel-{}", sub.id))
                .await
                .map_err(provider_error)?;
        }
        state
            .store()
            .set_cancel_at(sub.id, Some(sub.current_period_end))
            .await?;
    }
    live_subscription(state, user.id)
        .await?
        .ok_or_else(|| ApiError::NotFound("the subscription has ended".to_owned()))
}

/// `GET /billing/status`.
pub async fn status(state: &AppState, user: &User) -> Result<BillingStatus, ApiError> {
    let store = state.store();
    let subscription = store
        .subscription_of(user.id)
        .await?
        .map(|r| r.subscription);
    let tier = store
        .user_by_id(user.id)
        .await?
        .map_or(user.tier, |u| u.user.tier);
    let premium_until = subscription
        .as_ref()
        .filter(|s| s.status != SubscriptionStatus::Expired)
        .map(|s| match (s.status, s.grace_until, s.cancel_at) {
            (SubscriptionStatus::PastDue, Some(grace), _) => grace,
            (_, _, Some(cancel)) => cancel,
            _ => s.current_period_end,
        });
    Ok(BillingStatus {
        tier,
        premium_until,
        subscription,
        purchased_courses: store.purchased_courses(user.id).await?,
        provider: state.billing().provider().name().to_owned(),
    })
}
