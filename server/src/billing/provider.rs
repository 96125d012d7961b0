//! What the ledger needs from a payment provider, and the events a provider reports back.
//!
//! A provider starts a charge (a hosted checkout page, or nothing when the card comes
//! next), refunds, cancels a subscription at the end of its period, and verifies the
//! webhook deliveries that report what happened. Effects on the ledger come only from
//! verified [`WebhookEvent`]s, applied once per event id (`billing::events`): the sandbox
//! reports its outcomes through that same path, signed and verified like Stripe's.

use async_trait::async_trait;
use axum::http::HeaderMap;
use cloudmaster_core::api::{Interval, Money, PaymentKind};
use time::OffsetDateTime;
use uuid::Uuid;

/// A charge to start at the provider.
#[derive(Debug, Clone)]
pub struct ChargeRequest<'a> {
    /// Ours; providers echo it back in their events (Stripe: `client_reference_id` and
    /// `metadata[payment_id]`).
    pub payment_id: Uuid,
    pub kind: PaymentKind,
    /// What is bought, as the payment page shows it ("Course aws-saa", "Plan premium-monthly").
    pub description: &'a str,
    /// The total to charge.
    pub amount: &'a Money,
    /// Set for subscriptions: the charge recurs every interval.
    pub interval: Option<Interval>,
    pub customer_email: &'a str,
    /// Sent as the provider's idempotency key: a retried start is the same charge.
    pub idempotency_key: &'a str,
    /// Where a hosted page sends the payer back to afterwards.
    pub return_url: &'a str,
}

/// How a started charge continues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// The payer pays on the provider's page at `url` (Stripe Checkout).
    HostedPage { provider_ref: String, url: String },
    /// The payer sends a card through our API next (the sandbox).
    AwaitingCard,
}

/// A refund to make.
#[derive(Debug, Clone)]
pub struct RefundRequest<'a> {
    /// The provider's id of the charge (`Payment::provider_ref` once paid).
    pub charge_ref: &'a str,
    /// Minor units; at most what is left to refund.
    pub amount: &'a Money,
    pub idempotency_key: &'a str,
}

/// A verified webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WebhookEvent {
    /// The provider's event id: an event is applied once, replays change nothing.
    pub id: String,
    pub kind: EventKind,
}

/// What an event means for the ledger, whatever provider sent it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A checkout was paid: a course, or a subscription's first period.
    Paid {
        payment_id: Uuid,
        /// The provider's id of the charge, for refunds and receipts.
        charge_ref: Option<String>,
        /// The provider's subscription id (subscriptions at providers that renew them).
        subscription_ref: Option<String>,
        /// Brand and last four digits, when the provider says.
        card: Option<String>,
    },
    /// A checkout failed or expired unpaid.
    Failed { payment_id: Uuid, reason: String },
    /// A subscription's next period was paid.
    Renewed {
        subscription_ref: String,
        charge_ref: Option<String>,
        amount: Money,
        #[serde(with = "time::serde::rfc3339")]
        period_end: OffsetDateTime,
    },
    /// A subscription's renewal charge failed.
    RenewalFailed {
        subscription_ref: String,
        reason: String,
    },
    /// The provider ended a subscription.
    SubscriptionEnded { subscription_ref: String },
    /// An event the ledger does not act on; recorded so that a replay is recognised.
    Other { name: String },
}

/// Why a provider call failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider refused the request (a decline, an invalid parameter): the message is
    /// the provider's, safe to show to the payer.
    #[error("{0}")]
    Refused(String),
    /// The provider could not be reached or failed.
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
    /// This provider cannot do that.
    #[error("{0}")]
    Unsupported(String),
}

/// Why a webhook delivery was refused (400; nothing is changed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the signature header is missing or malformed")]
    MissingSignature,
    #[error("no signature matches the payload")]
    BadSignature,
    #[error("the signature's timestamp is {age_secs} s from now, outside the tolerance")]
    Stale { age_secs: i64 },
    #[error("the event is malformed: {0}")]
    Malformed(String),
}

/// A payment provider (the sandbox, Stripe).
#[async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    /// `sandbox` or `stripe`, as stored on payments.
    fn name(&self) -> &'static str;

    /// Whether the provider charges renewals by itself and reports them in events (Stripe),
    /// or the renewal job charges them (the sandbox).
    fn renews_itself(&self) -> bool;

    /// Starts a charge.
    async fn start(&self, charge: &ChargeRequest<'_>) -> Result<Started, ProviderError>;

    /// Refunds part or all of a charge; returns the provider's refund id.
    async fn refund(&self, refund: &RefundRequest<'_>) -> Result<String, ProviderError>;

    /// Stops a provider-renewed subscription at the end of its current period.
    async fn cancel_at_period_end(
        &self,
        subscription_ref: &str,
        idempotency_key: &str,
    ) -> Result<(), ProviderError>;

    /// Verifies a webhook delivery's signature (within the tolerance around `now`) and
    /// decodes it.
    fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<WebhookEvent, WebhookError>;
}
