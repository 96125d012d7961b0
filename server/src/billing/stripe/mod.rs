//! Stripe as the payment provider: Checkout for courses and subscriptions, refunds,
//! cancellation at the end of a period, and the webhooks that report what happened.
//!
//! Payers pay on Stripe's hosted Checkout page, so card data never reaches us. Prices are
//! sent with each session (`price_data`) rather than kept as Products in the Stripe
//! dashboard: the course catalogue and the plans stay the only place prices live. Stripe
//! renews subscriptions itself and tells us through `invoice.*` events
//! ([`events`] maps them onto [`EventKind`](super::provider::EventKind)).
//!
//! Every call sends our idempotency key, so a call retried after a timeout is the same
//! checkout or refund at Stripe, never a second one. [`client`] makes the calls and maps
//! Stripe's errors; the API key leaves it only as the bearer credential, never in an error,
//! a log line or `Debug`.

mod client;
mod events;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use axum::http::HeaderMap;
use cloudmaster_core::api::PaymentKind;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use time::OffsetDateTime;
use url::Url;

use self::client::{StripeApi, misconfigured};
use super::provider::{
    ChargeRequest, PaymentProvider, ProviderError, RefundRequest, Started, WebhookError,
    WebhookEvent,
};
use super::signature;

/// Stripe's API.
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com/";

/// How far a webhook's signed timestamp may be from our clock (Stripe's libraries use five
/// minutes too).
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Webhook bodies larger than this are refused unread: Stripe's events are a few KiB.
pub const MAX_WEBHOOK_BODY: usize = 256 * 1024;

/// What the Stripe provider needs. `Debug` shows the secrets as redacted.
#[derive(Debug)]
pub struct StripeConfig {
    /// [`DEFAULT_API_BASE`] in production; a local server in tests.
    pub api_base: Url,
    /// The secret key (`sk_live_…`, `sk_test_…`), or a restricted key allowed to create
    /// Checkout Sessions and refunds and to update subscriptions.
    pub api_key: SecretString,
    /// The webhook endpoint's signing secrets (`whsec_…`): the current one, and the previous
    /// one while Stripe rolls it.
    pub webhook_secrets: Vec<SecretString>,
    /// See [`DEFAULT_TOLERANCE`].
    pub tolerance: Duration,
}

/// Stripe, called over its HTTP API.
pub struct StripeProvider {
    api: StripeApi,
    webhook_secrets: Vec<SecretString>,
    tolerance: Duration,
}

impl fmt::Debug for StripeProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeProvider")
            .field("api", &self.api)
            .field(
                "webhook_secrets",
                &format_args!("[{} redacted]", self.webhook_secrets.len()),
            )
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

impl StripeProvider {
    /// Checks the configuration and builds the HTTP client. A configuration that could never
    /// work (no key, no webhook secret, an API address that is not http(s)) is refused here
    /// rather than at the first payment.
    pub fn new(config: StripeConfig) -> Result<StripeProvider, ProviderError> {
        if config.webhook_secrets.is_empty()
            || config
                .webhook_secrets
                .iter()
                .any(|secret| secret.expose_secret().is_empty())
        {
            return Err(misconfigured(
                "a webhook signing secret is needed to accept Stripe's events",
            ));
        }
        Ok(StripeProvider {
            api: StripeApi::new(config.api_base, config.api_key)?,
            webhook_secrets: config.webhook_secrets,
            tolerance: config.tolerance,
        })
    }
}

#[async_trait]
impl PaymentProvider for StripeProvider {
    fn name(&self) -> &'static str {
        "stripe"
    }

    fn renews_itself(&self) -> bool {
        true
    }

    async fn start(&self, charge: &ChargeRequest<'_>) -> Result<Started, ProviderError> {
        let form = checkout_session_form(charge)?;
        let session: CheckoutSession = self
            .api
            .post(
                &["v1", "checkout", "sessions"],
                &form,
                charge.idempotency_key,
            )
            .await?;
        let url = session.url.ok_or_else(|| {
            ProviderError::Unavailable(format!(
                "Stripe created checkout session {} without a payment page",
                session.id
            ))
        })?;
        Ok(Started::HostedPage {
            provider_ref: session.id,
            url,
        })
    }

    async fn refund(&self, refund: &RefundRequest<'_>) -> Result<String, ProviderError> {
        if !refund.charge_ref.starts_with("pi_") {
            return Err(ProviderError::Unsupported(format!(
                "Stripe refunds are made against a payment intent (pi_…), and `{}` is not one",
                refund.charge_ref
            )));
        }
        let form = [
            ("payment_intent", refund.charge_ref.to_owned()),
            ("amount", refund.amount.amount.to_string()),
        ];
        let created: Created = self
            .api
            .post(&["v1", "refunds"], &form, refund.idempotency_key)
            .await?;
        Ok(created.id)
    }

    async fn cancel_at_period_end(
        &self,
        subscription_ref: &str,
        idempotency_key: &str,
    ) -> Result<(), ProviderError> {
        let form = [("cancel_at_period_end", "true".to_owned())];
        let _: Created = self
            .api
            .post(
                &["v1", "subscriptions", subscription_ref],
                &form,
                idempotency_key,
            )
            .await?;
        Ok(())
    }

    fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<WebhookEvent, WebhookError> {
        if body.len() > MAX_WEBHOOK_BODY {
            return Err(WebhookError::Malformed(format!(
                "the body has {} bytes, more than the {MAX_WEBHOOK_BODY} accepted",
                body.len()
            )));
        }
        let header = headers
            .get(signature::SIGNATURE_HEADER)
            .and_then(|value| value.to_str().ok())
            .ok_or(WebhookError::MissingSignature)?;
        let secrets: Vec<&[u8]> = self
            .webhook_secrets
            .iter()
            .map(|secret| secret.expose_secret().as_bytes())
            .collect();
        signature::verify(header, body, &secrets, self.tolerance, now)?;
        events::decode(body)
    }
}

/// The Checkout Session parameters for `charge`, in Stripe's bracketed form keys.
fn checkout_session_form(
    charge: &ChargeRequest<'_>,
) -> Result<Vec<(&'static str, String)>, ProviderError> {
    let payment_id = charge.payment_id.to_string();
    let mode = match charge.kind {
        PaymentKind::Course => "payment",
        PaymentKind::Subscription => "subscription",
        PaymentKind::Renewal => {
            return Err(ProviderError::Unsupported(
                "Stripe charges renewals itself; a renewal is never a checkout".to_owned(),
            ));
        }
    };
    let mut form = vec![
        ("mode", mode.to_owned()),
        ("client_reference_id", payment_id.clone()),
        ("metadata[payment_id]", payment_id.clone()),
        ("success_url", return_address(charge, "success")?),
        ("cancel_url", return_address(charge, "cancel")?),
        ("line_items[0][quantity]", "1".to_owned()),
        (
            "line_items[0][price_data][currency]",
            charge.amount.currency.to_ascii_lowercase(),
        ),
        (
            "line_items[0][price_data][unit_amount]",
            charge.amount.amount.to_string(),
        ),
        (
            "line_items[0][price_data][product_data][name]",
            charge.description.to_owned(),
        ),
    ];
    if !charge.customer_email.is_empty() {
        form.push(("customer_email", charge.customer_email.to_owned()));
    }
    if charge.kind == PaymentKind::Subscription {
        let interval = charge.interval.ok_or_else(|| {
            ProviderError::Unsupported("a subscription checkout needs an interval".to_owned())
        })?;
        form.push((
            "line_items[0][price_data][recurring][interval]",
            interval.as_str().to_owned(),
        ));
        // Renewal invoices name the subscription, not the checkout: the subscription carries
        // the payment id too, for tracing a renewal back to its first payment.
        form.push(("subscription_data[metadata][payment_id]", payment_id));
    }
    Ok(form)
}

/// Where Checkout sends the payer back: the caller's `return_url` with `payment=<id>` and
/// `result=success|cancel` added to its query.
fn return_address(charge: &ChargeRequest<'_>, result: &str) -> Result<String, ProviderError> {
    let mut url = Url::parse(charge.return_url).map_err(|error| {
        ProviderError::Unsupported(format!(
            "the return address `{}` is not a URL: {error}",
            charge.return_url
        ))
    })?;
    url.query_pairs_mut()
        .append_pair("payment", &charge.payment_id.to_string())
        .append_pair("result", result);
    Ok(url.into())
}

/// The parts of a created Checkout Session we keep.
#[derive(Deserialize)]
struct CheckoutSession {
    id: String,
    /// The hosted payment page (absent only for embedded sessions, which we do not create).
    url: Option<String>,
}

/// Any created or updated object, by its id.
#[derive(Deserialize)]
struct Created {
    id: String,
}
