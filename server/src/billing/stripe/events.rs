//! Stripe's webhook events, mapped onto what the ledger acts on.
//!
//! Checkout reports the first payment (`checkout.session.*`, naming our payment id in
//! `client_reference_id`); Stripe's own renewals arrive as `invoice.*` events naming the
//! subscription; `customer.subscription.deleted` ends one. Only the fields used here are
//! read, so fields Stripe adds or moves elsewhere do not break decoding. The invoice's
//! subscription moved in API version 2025-03-31 (`subscription` became
//! `parent.subscription_details.subscription`): both places are read, so events keep
//! decoding whichever API version the webhook endpoint is pinned to.

use std::collections::HashMap;

use cloudmaster_core::api::Money;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::billing::provider::{EventKind, WebhookError, WebhookEvent};

/// Decodes a verified event body.
pub(super) fn decode(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let event: Envelope = serde_json::from_slice(body)
        .map_err(|error| malformed(format!("not a Stripe event: {error}")))?;
    let kind = match event.name.as_str() {
        "checkout.session.completed" => {
            let session: CheckoutSession = event.object()?;
            // Bank debits and vouchers complete the checkout unpaid and settle later, with
            // `async_payment_succeeded` or `async_payment_failed`.
            if matches!(
                session.payment_status.as_str(),
                "paid" | "no_payment_required"
            ) {
                session.paid()?
            } else {
                event.other()
            }
        }
        "checkout.session.async_payment_succeeded" => event.object::<CheckoutSession>()?.paid()?,
        "checkout.session.async_payment_failed" => EventKind::Failed {
            payment_id: event.object::<CheckoutSession>()?.payment_id()?,
            reason: "the payment did not go through".to_owned(),
        },
        "checkout.session.expired" => EventKind::Failed {
            payment_id: event.object::<CheckoutSession>()?.payment_id()?,
            reason: "the checkout expired before it was paid".to_owned(),
        },
        "invoice.paid" => {
            let invoice: Invoice = event.object()?;
            if invoice.is_renewal() {
                invoice.renewed()?
            } else {
                // The first invoice is paid through Checkout, which reports it itself.
                event.other()
            }
        }
        "invoice.payment_failed" => {
            let invoice: Invoice = event.object()?;
            if invoice.is_renewal() {
                let reason = invoice.failure_reason();
                EventKind::RenewalFailed {
                    subscription_ref: invoice.subscription_ref()?,
                    reason,
                }
            } else {
                // A first payment that fails stays on the Checkout page for the payer to
                // retry, and ends as `checkout.session.expired` if they give up.
                event.other()
            }
        }
        "customer.subscription.deleted" => EventKind::SubscriptionEnded {
            subscription_ref: event.object::<StripeObject>()?.id,
        },
        _ => event.other(),
    };
    Ok(WebhookEvent { id: event.id, kind })
}

fn malformed(why: String) -> WebhookError {
    WebhookError::Malformed(why)
}

/// An event: its id, type and the object it is about.
#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "type")]
    name: String,
    data: EnvelopeData,
}

#[derive(Deserialize)]
struct EnvelopeData {
    object: serde_json::Value,
}

impl Envelope {
    /// The event's object, read as `T`.
    fn object<T: DeserializeOwned>(&self) -> Result<T, WebhookError> {
        T::deserialize(&self.data.object)
            .map_err(|error| malformed(format!("{} event {}: {error}", self.name, self.id)))
    }

    fn other(&self) -> EventKind {
        EventKind::Other {
            name: self.name.clone(),
        }
    }
}

/// A reference to another object: its id, or the whole object when expanded.
#[derive(Deserialize)]
#[serde(untagged)]
enum Expandable {
    Id(String),
    Object(StripeObject),
}

impl Expandable {
    fn into_id(self) -> String {
        match self {
            Expandable::Id(id) | Expandable::Object(StripeObject { id }) => id,
        }
    }
}

/// Any object, by its id.
#[derive(Deserialize)]
struct StripeObject {
    id: String,
}

#[derive(Deserialize)]
struct CheckoutSession {
    id: String,
    /// Our payment id, as [`super::checkout_session_form`] sends it.
    client_reference_id: Option<String>,
    metadata: Option<HashMap<String, String>>,
    payment_status: String,
    payment_intent: Option<Expandable>,
    subscription: Option<Expandable>,
}

impl CheckoutSession {
    fn payment_id(&self) -> Result<Uuid, WebhookError> {
        let metadata_id = self
            .metadata
            .as_ref()
            .and_then(|metadata| metadata.get("payment_id"));
        let text = self
            .client_reference_id
            .as_ref()
            .or(metadata_id)
            .ok_or_else(|| malformed(format!("checkout session {} names no payment", self.id)))?;
        Uuid::parse_str(text).map_err(|_| {
            malformed(format!(
                "checkout session {} names `{text}`, which is not a payment id",
                self.id
            ))
        })
    }

    fn paid(self) -> Result<EventKind, WebhookError> {
        Ok(EventKind::Paid {
            payment_id: self.payment_id()?,
            charge_ref: self.payment_intent.map(Expandable::into_id),
            subscription_ref: self.subscription.map(Expandable::into_id),
            // Checkout does not say which card paid; the payment intent would.
            card: None,
        })
    }
}

#[derive(Deserialize)]
struct Invoice {
    id: String,
    billing_reason: Option<String>,
    /// Before API version 2025-03-31.
    subscription: Option<Expandable>,
    /// From API version 2025-03-31.
    parent: Option<InvoiceParent>,
    /// Before API version 2025-03-31 (later invoices list their payments instead).
    payment_intent: Option<Expandable>,
    amount_paid: Option<i64>,
    currency: Option<String>,
    lines: Option<InvoiceLines>,
    last_finalization_error: Option<InvoiceError>,
}

#[derive(Deserialize)]
struct InvoiceParent {
    subscription_details: Option<SubscriptionDetails>,
}

#[derive(Deserialize)]
struct SubscriptionDetails {
    subscription: Option<Expandable>,
}

#[derive(Deserialize)]
struct InvoiceLines {
    data: Vec<InvoiceLine>,
}

#[derive(Deserialize)]
struct InvoiceLine {
    period: Period,
}

#[derive(Deserialize)]
struct Period {
    end: i64,
}

#[derive(Deserialize)]
struct InvoiceError {
    message: Option<String>,
}

impl Invoice {
    /// Whether Stripe made this invoice to renew a subscription for another period.
    fn is_renewal(&self) -> bool {
        self.billing_reason.as_deref() == Some("subscription_cycle")
    }

    fn subscription_ref(self) -> Result<String, WebhookError> {
        let id = self.id;
        self.subscription
            .or(self
                .parent
                .and_then(|parent| parent.subscription_details)
                .and_then(|details| details.subscription))
            .map(Expandable::into_id)
            .ok_or_else(|| malformed(format!("invoice {id} names no subscription")))
    }

    fn renewed(mut self) -> Result<EventKind, WebhookError> {
        let id = self.id.clone();
        let missing = |field: &str| malformed(format!("invoice {id} has no {field}"));
        let amount = Money::new(
            self.amount_paid.ok_or_else(|| missing("amount_paid"))?,
            self.currency
                .as_deref()
                .ok_or_else(|| missing("currency"))?,
        )
        .map_err(|error| malformed(format!("invoice {id}: {error}")))?;
        // The period paid for ends where the invoice's lines end; a line added by hand
        // (an invoice item) spans only an instant before that.
        let period_end = self
            .lines
            .take()
            .and_then(|lines| lines.data.into_iter().map(|line| line.period.end).max())
            .ok_or_else(|| missing("line with a period"))?;
        let period_end = OffsetDateTime::from_unix_timestamp(period_end)
            .map_err(|error| malformed(format!("invoice {id}: {error}")))?;
        let charge_ref = self.payment_intent.take().map(Expandable::into_id);
        Ok(EventKind::Renewed {
            subscription_ref: self.subscription_ref()?,
            charge_ref,
            amount,
            period_end,
        })
    }

    fn failure_reason(&self) -> String {
        self.last_finalization_error
            .as_ref()
            .and_then(|error| error.message.clone())
            .unwrap_or_else(|| "the renewal charge was declined".to_owned())
    }
}
