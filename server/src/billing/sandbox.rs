//! The built-in sandbox provider: test cards, no money, the behaviour of a real provider.
//!
//! Payments wait for a card (`POST /billing/payments/{id}/card`, or the card given at
//! checkout); the outcome is decided by the card number, as with the test cards payment
//! providers document, and reported back as a webhook delivery signed with the sandbox's
//! secret and verified on the same path as Stripe's: the payment settles asynchronously,
//! after the request that sent the card has been answered. Card numbers are never stored;
//! a payment keeps the card's label ("Visa ending in 4242") and the test payment method's
//! name, which decides what renewals do.

use async_trait::async_trait;
use axum::http::{HeaderMap, HeaderValue};
use cloudmaster_core::api::{CardBehaviour, Money, TEST_CARDS, TestCard};
use rand::RngCore as _;
use time::OffsetDateTime;
use uuid::Uuid;

use super::provider::{
    ChargeRequest, EventKind, PaymentProvider, ProviderError, RefundRequest, Started, WebhookError,
    WebhookEvent,
};
use super::signature::{self, SIGNATURE_HEADER};

/// How far a delivery's timestamp may be from now.
const TOLERANCE: std::time::Duration = std::time::Duration::from_secs(300);

/// The test card with this number (spaces and dashes ignored); never a real one.
pub fn test_card(number: &str) -> Result<TestCard, ProviderError> {
    TestCard::find(number).ok_or_else(|| {
        ProviderError::Refused(format!(
            "the sandbox takes test cards only, never real ones: {}",
            test_card_list()
        ))
    })
}

/// "4242424242424242 (succeeds), ..." for messages and `billing plans`.
pub fn test_card_list() -> String {
    TEST_CARDS
        .iter()
        .map(|c| format!("{} ({})", c.number, c.outcome()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A webhook delivery: what a provider would POST.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// The sandbox provider. Its signing secret is made when it starts: its deliveries never
/// leave the process.
pub struct Sandbox {
    secret: Vec<u8>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").finish_non_exhaustive()
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        let mut secret = vec![0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        Sandbox { secret }
    }
}

impl Sandbox {
    /// What paying `payment_id` with `card` gives, as a signed delivery.
    pub fn charge(&self, payment_id: Uuid, card: &TestCard, now: OffsetDateTime) -> Delivery {
        let kind = match card.behaviour {
            CardBehaviour::Succeeds | CardBehaviour::FailsOnRenewal => EventKind::Paid {
                payment_id,
                charge_ref: Some(format!("ch_sandbox_{}", payment_id.simple())),
                subscription_ref: None,
                card: Some(card.label()),
            },
            CardBehaviour::Declined => EventKind::Failed {
                payment_id,
                reason: "Your card was declined.".to_owned(),
            },
            CardBehaviour::InsufficientFunds => EventKind::Failed {
                payment_id,
                reason: "Your card has insufficient funds.".to_owned(),
            },
        };
        let event = WebhookEvent {
            id: format!("evt_sandbox_{}", payment_id.simple()),
            kind,
        };
        self.deliver(&event, now)
    }

    /// What charging a subscription's renewal with its saved payment method gives. The
    /// event id names the subscription and the period paid for, so replicas charging the
    /// same renewal at once apply it once.
    pub fn renew(
        &self,
        subscription_ref: &str,
        payment_method: Option<&str>,
        amount: &Money,
        period_end: OffsetDateTime,
        attempt_at: OffsetDateTime,
    ) -> Delivery {
        let card = payment_method.and_then(TestCard::by_payment_method);
        let kind = match card.map(|c| c.behaviour) {
            Some(CardBehaviour::Succeeds) => EventKind::Renewed {
                subscription_ref: subscription_ref.to_owned(),
                charge_ref: Some(format!("ch_sandbox_{}", Uuid::new_v4().simple())),
                amount: amount.clone(),
                period_end,
            },
            _ => EventKind::RenewalFailed {
                subscription_ref: subscription_ref.to_owned(),
                reason: "the renewal charge was declined".to_owned(),
            },
        };
        let id = match kind {
            EventKind::Renewed { .. } => {
                format!(
                    "evt_sandbox_renewed_{subscription_ref}_{}",
                    period_end.unix_timestamp()
                )
            }
            _ => format!(
                "evt_sandbox_renewal_failed_{subscription_ref}_{}",
                attempt_at.unix_timestamp()
            ),
        };
        self.deliver(&WebhookEvent { id, kind }, attempt_at)
    }

    fn deliver(&self, event: &WebhookEvent, now: OffsetDateTime) -> Delivery {
        // Serialising these plain data types cannot fail.
        let body = serde_json::to_vec(event).unwrap_or_default();
        let header = signature::sign(&self.secret, now.unix_timestamp(), &body);
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(&header) {
            headers.insert(SIGNATURE_HEADER, value);
        }
        Delivery { headers, body }
    }
}

#[async_trait]
impl PaymentProvider for Sandbox {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn renews_itself(&self) -> bool {
        false
    }

    async fn start(&self, _charge: &ChargeRequest<'_>) -> Result<Started, ProviderError> {
        Ok(Started::AwaitingCard)
    }

    async fn refund(&self, _refund: &RefundRequest<'_>) -> Result<String, ProviderError> {
        Ok(format!("re_sandbox_{}", Uuid::new_v4().simple()))
    }

    async fn cancel_at_period_end(
        &self,
        _subscription_ref: &str,
        _idempotency_key: &str,
    ) -> Result<(), ProviderError> {
        Ok(())
    }

    fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<WebhookEvent, WebhookError> {
        let header = headers
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or(WebhookError::MissingSignature)?;
        signature::verify(header, body, &[&self.secret], TOLERANCE, now)?;
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_test_cards_are_taken() {
        assert_eq!(
            test_card("4242 4242 4242 4242").unwrap().behaviour,
            CardBehaviour::Succeeds
        );
        let refused = test_card("4111111111111111").unwrap_err().to_string();
        assert!(refused.contains("test cards only"), "{refused}");
        assert!(refused.contains("4000000000000002 (declined)"), "{refused}");
        assert_eq!(
            test_card("4000000000000341").unwrap().label(),
            "Visa ending in 0341"
        );
    }

    #[test]
    fn deliveries_verify_and_tampering_does_not() {
        let sandbox = Sandbox::default();
        let now = OffsetDateTime::now_utc();
        let card = test_card("4000000000000002").unwrap();
        let delivery = sandbox.charge(Uuid::nil(), &card, now);
        let event = sandbox
            .verify_webhook(&delivery.headers, &delivery.body, now)
            .unwrap();
        assert!(matches!(event.kind, EventKind::Failed { .. }));
        let mut forged = delivery.body.clone();
        forged.extend_from_slice(b" ");
        assert_eq!(
            sandbox.verify_webhook(&delivery.headers, &forged, now),
            Err(WebhookError::BadSignature)
        );
        let other = Sandbox::default();
        assert_eq!(
            other.verify_webhook(&delivery.headers, &delivery.body, now),
            Err(WebhookError::BadSignature)
        );
    }
}
