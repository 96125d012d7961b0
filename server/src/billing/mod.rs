//! Payments and subscriptions (PRODUCT.md §7): paid courses, premium plans, coupons,
//! refunds, receipts and revenue, over a [`PaymentProvider`] (the built-in sandbox or
//! Stripe).
//!
//! How money moves:
//! - A checkout creates a `pending` payment (one per learner and course, or one pending
//!   subscription checkout: concurrent checkouts meet at a unique index and get the same
//!   payment back) and starts it at the provider: a hosted page to pay on (Stripe), or a
//!   card to send next (the sandbox).
//! - Only a verified webhook event settles a payment ([`events`]): applied once per event
//!   id, in the same transaction as what it causes — an enrollment, a subscription, the
//!   user's tier. Clients only poll; the order of polls and deliveries changes nothing.
//! - Renewals, failed renewals with a grace period, cancellation at the period's end and
//!   expiry run in the background jobs with the injected clock ([`renewals`]).
//! - Amounts are integer minor units ([`cloudmaster_core::money`]) from the course YAML and
//!   the plan configuration to the receipt; there is no floating point on the way.

use std::sync::Arc;

use cloudmaster_core::api::{Interval, Money, Plan};
use time::OffsetDateTime;

pub mod account;
pub mod checkout;
pub mod config;
pub mod events;
pub mod idempotency;
pub mod provider;
pub mod records;
pub mod refunds;
pub mod renewals;
pub mod revenue;
pub mod sandbox;
pub mod signature;
pub mod stripe;

use config::{BillingConfig, BillingConfigError, ProviderKind};
use provider::PaymentProvider;
use sandbox::Sandbox;

/// The billing side of the server state: the provider and the plans.
pub struct Billing {
    provider: Arc<dyn PaymentProvider>,
    /// Set when the provider is the sandbox: it takes cards and charges renewals.
    sandbox: Option<Arc<Sandbox>>,
    plans: Vec<Plan>,
    grace: time::Duration,
    retry_every: time::Duration,
    /// How long a sandbox checkout waits for its card.
    checkout_wait: time::Duration,
    tax_basis_points: u32,
    /// Where a hosted checkout sends the payer back to.
    return_url: String,
}

impl std::fmt::Debug for Billing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Billing")
            .field("provider", &self.provider.name())
            .field("plans", &self.plans)
            .finish_non_exhaustive()
    }
}

impl Billing {
    /// The provider and plans `config` names; `listen` makes the default public URL.
    pub fn from_config(
        config: &BillingConfig,
        listen: std::net::SocketAddr,
    ) -> Result<Billing, BillingConfigError> {
        let (provider, sandbox): (Arc<dyn PaymentProvider>, _) = match config.billing_provider {
            ProviderKind::Sandbox => {
                let sandbox = Arc::new(Sandbox::default());
                (sandbox.clone(), Some(sandbox))
            }
            ProviderKind::Stripe => {
                let api_key = config.stripe_api_key()?;
                tracing::info!(
                    api_key = %masked(secrecy::ExposeSecret::expose_secret(&api_key)),
                    api = %config.stripe_api_base,
                    "payments through Stripe"
                );
                let stripe = stripe::StripeProvider::new(stripe::StripeConfig {
                    api_base: config.stripe_api_base.clone(),
                    api_key,
                    webhook_secrets: config.stripe_webhook_secrets()?,
                    tolerance: config.webhook_tolerance(),
                })
                .map_err(|e| BillingConfigError(e.to_string()))?;
                (Arc::new(stripe), None)
            }
        };
        let public = config
            .public_url
            .as_ref()
            .map_or_else(|| format!("http://{listen}/"), |u| u.to_string());
        Ok(Billing {
            provider,
            sandbox,
            plans: config.plans(),
            grace: config.grace(),
            retry_every: config.retry_every(),
            checkout_wait: config.checkout_wait(),
            tax_basis_points: config.billing_tax_basis_points,
            return_url: format!("{}api/v1/billing/return", ensure_slash(&public)),
        })
    }

    pub fn provider(&self) -> &Arc<dyn PaymentProvider> {
        &self.provider
    }

    pub fn sandbox(&self) -> Option<&Arc<Sandbox>> {
        self.sandbox.as_ref()
    }

    pub fn plans(&self) -> &[Plan] {
        &self.plans
    }

    pub fn plan(&self, id: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.id == id)
    }

    /// Tax on a price after discounts, rounded half up to a minor unit.
    pub fn tax_on(&self, net: i64) -> i64 {
        let tax = (i128::from(net) * i128::from(self.tax_basis_points) + 5_000) / 10_000;
        i64::try_from(tax).unwrap_or(i64::MAX)
    }
}

/// A secret as logs may show it: its kind prefix and last four characters
/// (`sk_live_…4242`), enough to tell which key is in use.
pub fn masked(secret: &str) -> String {
    let prefix: String = secret
        .split_inclusive('_')
        .take_while(|part| part.ends_with('_'))
        .take(2)
        .collect();
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if secret.chars().count() < 12 {
        return "***".to_owned();
    }
    format!("{prefix}…{tail}")
}

fn ensure_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    }
}

/// `t` one interval later: the same day of the next month or year, or that month's last
/// day when it is shorter (31 January → 28 or 29 February).
pub fn add_interval(t: OffsetDateTime, interval: Interval) -> OffsetDateTime {
    let (year, month) = match interval {
        Interval::Month if t.month() == time::Month::December => {
            (t.year() + 1, time::Month::January)
        }
        Interval::Month => (t.year(), t.month().next()),
        Interval::Year => (t.year() + 1, t.month()),
    };
    let day = t.day().min(month.length(year));
    time::Date::from_calendar_date(year, month, day)
        .map(|date| t.replace_date(date))
        .unwrap_or(t)
}

/// The price after a coupon's discount, and the discount.
pub fn discounted(price: &Money, coupon: &cloudmaster_core::api::Coupon) -> i64 {
    match (&coupon.percent_off, &coupon.amount_off) {
        (Some(percent), _) => price.percent(*percent).min(price.amount),
        (None, Some(off)) => off.amount.min(price.amount),
        (None, None) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn secrets_are_masked_to_their_kind_and_last_four() {
        assert_eq!(masked("sk_live_51HxAbCdEfGh4242"), "sk_live_…4242");
        assert_eq!(masked("whsec_abcdefghijkl9876"), "whsec_…9876");
        assert_eq!(masked("short"), "***");
    }

    #[test]
    fn intervals_keep_the_day_or_take_the_months_last() {
        assert_eq!(
            add_interval(datetime!(2026-01-31 10:00 UTC), Interval::Month),
            datetime!(2026-02-28 10:00 UTC)
        );
        assert_eq!(
            add_interval(datetime!(2026-12-15 00:00 UTC), Interval::Month),
            datetime!(2027-01-15 00:00 UTC)
        );
        assert_eq!(
            add_interval(datetime!(2028-02-29 00:00 UTC), Interval::Year),
            datetime!(2029-02-28 00:00 UTC)
        );
    }
}
