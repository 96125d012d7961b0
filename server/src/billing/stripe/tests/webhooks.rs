//! Webhook deliveries, signed as Stripe signs them, decoded into ledger events.

use axum::http::HeaderValue;
use cloudmaster_core::api::Money;
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;
use crate::billing::provider::EventKind;

const SIGNED_AT: i64 = 1_700_000_000;

fn event(name: &str, object: &Value) -> Value {
    json!({
        "id": "evt_1NcloudmasterEvent",
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": SIGNED_AT,
        "livemode": false,
        "pending_webhooks": 1,
        "type": name,
        "data": {"object": object},
    })
}

fn deliver_with(
    provider: &StripeProvider,
    body: &[u8],
    header: Option<&str>,
    now: i64,
) -> Result<WebhookEvent, WebhookError> {
    let mut headers = HeaderMap::new();
    if let Some(header) = header {
        headers.insert("stripe-signature", HeaderValue::from_str(header).unwrap());
    }
    let now = OffsetDateTime::from_unix_timestamp(now).unwrap();
    provider.verify_webhook(&headers, body, now)
}

/// Delivers `event` signed with the endpoint's secret, a few seconds after signing.
fn deliver(event: &Value) -> Result<WebhookEvent, WebhookError> {
    let body = serde_json::to_vec(event).unwrap();
    let header = signature::sign(WEBHOOK_SECRET.as_bytes(), SIGNED_AT, &body);
    deliver_with(&offline_provider(), &body, Some(&header), SIGNED_AT + 3)
}

/// The kind of event `name` about `object`, delivered correctly signed.
fn kind_of(name: &str, object: &Value) -> EventKind {
    let delivered = deliver(&event(name, object)).unwrap();
    assert_eq!(delivered.id, "evt_1NcloudmasterEvent");
    delivered.kind
}

fn checkout_session(payment_id: Uuid, payment_status: &str) -> Value {
    json!({
        "id": "cs_test_a1B2c3",
        "object": "checkout.session",
        "amount_total": 4900,
        "currency": "usd",
        "client_reference_id": payment_id.to_string(),
        "customer_email": "ada@example.com",
        "metadata": {"payment_id": payment_id.to_string()},
        "mode": "payment",
        "payment_intent": "pi_3NcloudmasterIntent",
        "payment_status": payment_status,
        "status": "complete",
        "subscription": null,
    })
}

fn renewal_invoice() -> Value {
    json!({
        "id": "in_1NcloudmasterInvoice",
        "object": "invoice",
        "amount_due": 1500,
        "amount_paid": 1500,
        "billing_reason": "subscription_cycle",
        "currency": "usd",
        "customer": "cus_Ncloudmaster",
        "payment_intent": "pi_3NcloudmasterRenewal",
        "status": "paid",
        "subscription": "sub_1NcloudmasterSub",
        "lines": {
            "object": "list",
            "data": [{
                "id": "il_1Ncloudmaster",
                "object": "line_item",
                "amount": 1500,
                "currency": "usd",
                "period": {"start": 1_699_000_000, "end": 1_701_592_000},
            }],
            "has_more": false,
        },
    })
}

/// The renewal invoice as API versions from 2025-03-31 write it.
fn renewal_invoice_with_parent() -> Value {
    let mut invoice = renewal_invoice();
    let fields = invoice.as_object_mut().unwrap();
    fields.remove("subscription");
    fields.remove("payment_intent");
    fields.insert(
        "parent".to_owned(),
        json!({
            "type": "subscription_details",
            "quote_details": null,
            "subscription_details": {
                "metadata": {},
                "subscription": "sub_1NcloudmasterSub",
            },
        }),
    );
    invoice
}

fn with(mut object: Value, field: &str, value: Value) -> Value {
    object[field] = value;
    object
}

#[test]
fn a_paid_checkout_is_paid() {
    let payment_id = Uuid::new_v4();
    assert_eq!(
        kind_of(
            "checkout.session.completed",
            &checkout_session(payment_id, "paid")
        ),
        EventKind::Paid {
            payment_id,
            charge_ref: Some("pi_3NcloudmasterIntent".to_owned()),
            subscription_ref: None,
            card: None,
        }
    );
}

#[test]
fn a_subscription_checkout_is_paid_with_its_subscription() {
    let payment_id = Uuid::new_v4();
    let session = with(
        with(
            checkout_session(payment_id, "paid"),
            "payment_intent",
            Value::Null,
        ),
        "subscription",
        json!("sub_1NcloudmasterSub"),
    );
    assert_eq!(
        kind_of("checkout.session.completed", &session),
        EventKind::Paid {
            payment_id,
            charge_ref: None,
            subscription_ref: Some("sub_1NcloudmasterSub".to_owned()),
            card: None,
        }
    );
}

#[test]
fn a_checkout_needing_no_payment_or_named_only_in_metadata_is_paid() {
    let payment_id = Uuid::new_v4();
    let session = with(
        checkout_session(payment_id, "no_payment_required"),
        "client_reference_id",
        Value::Null,
    );
    assert!(matches!(
        kind_of("checkout.session.completed", &session),
        EventKind::Paid { payment_id: paid, .. } if paid == payment_id
    ));
}

#[test]
fn an_unpaid_completed_checkout_waits_for_its_payment() {
    let payment_id = Uuid::new_v4();
    assert_eq!(
        kind_of(
            "checkout.session.completed",
            &checkout_session(payment_id, "unpaid")
        ),
        EventKind::Other {
            name: "checkout.session.completed".to_owned()
        }
    );
    assert!(matches!(
        kind_of(
            "checkout.session.async_payment_succeeded",
            &checkout_session(payment_id, "paid")
        ),
        EventKind::Paid { payment_id: paid, charge_ref: Some(_), .. } if paid == payment_id
    ));
}

#[test]
fn failed_and_expired_checkouts_fail() {
    let payment_id = Uuid::new_v4();
    for (name, status) in [
        ("checkout.session.async_payment_failed", "unpaid"),
        ("checkout.session.expired", "unpaid"),
    ] {
        let kind = kind_of(name, &checkout_session(payment_id, status));
        assert!(
            matches!(&kind, EventKind::Failed { payment_id: failed, reason } if *failed == payment_id && !reason.is_empty()),
            "{name}: {kind:?}"
        );
    }
}

#[test]
fn a_paid_renewal_invoice_renews() {
    let expected = |charge_ref: Option<&str>| EventKind::Renewed {
        subscription_ref: "sub_1NcloudmasterSub".to_owned(),
        charge_ref: charge_ref.map(str::to_owned),
        amount: Money::new(1500, "USD").unwrap(),
        period_end: OffsetDateTime::from_unix_timestamp(1_701_592_000).unwrap(),
    };
    assert_eq!(
        kind_of("invoice.paid", &renewal_invoice()),
        expected(Some("pi_3NcloudmasterRenewal"))
    );
    assert_eq!(
        kind_of("invoice.paid", &renewal_invoice_with_parent()),
        expected(None)
    );
}

#[test]
fn a_first_invoice_is_left_to_checkout() {
    let first = with(
        renewal_invoice(),
        "billing_reason",
        json!("subscription_create"),
    );
    for name in ["invoice.paid", "invoice.payment_failed"] {
        assert_eq!(
            kind_of(name, &first),
            EventKind::Other {
                name: name.to_owned()
            }
        );
    }
}

#[test]
fn a_failed_renewal_invoice_is_a_failed_renewal() {
    let failed = with(renewal_invoice_with_parent(), "status", json!("open"));
    assert_eq!(
        kind_of("invoice.payment_failed", &failed),
        EventKind::RenewalFailed {
            subscription_ref: "sub_1NcloudmasterSub".to_owned(),
            reason: "the renewal charge was declined".to_owned(),
        }
    );
    let explained = with(
        failed,
        "last_finalization_error",
        json!({"type": "invalid_request_error", "message": "The customer has no payment method."}),
    );
    assert_eq!(
        kind_of("invoice.payment_failed", &explained),
        EventKind::RenewalFailed {
            subscription_ref: "sub_1NcloudmasterSub".to_owned(),
            reason: "The customer has no payment method.".to_owned(),
        }
    );
}

#[test]
fn a_deleted_subscription_ends() {
    let subscription = json!({
        "id": "sub_1NcloudmasterSub",
        "object": "subscription",
        "status": "canceled",
        "cancel_at_period_end": true,
    });
    assert_eq!(
        kind_of("customer.subscription.deleted", &subscription),
        EventKind::SubscriptionEnded {
            subscription_ref: "sub_1NcloudmasterSub".to_owned()
        }
    );
}

#[test]
fn other_events_are_recorded_by_name() {
    let intent = json!({"id": "pi_3NcloudmasterIntent", "object": "payment_intent"});
    assert_eq!(
        kind_of("payment_intent.created", &intent),
        EventKind::Other {
            name: "payment_intent.created".to_owned()
        }
    );
}

#[test]
fn events_missing_what_they_need_are_malformed() {
    let nameless = with(
        with(
            checkout_session(Uuid::new_v4(), "paid"),
            "client_reference_id",
            Value::Null,
        ),
        "metadata",
        json!({}),
    );
    let not_ours = with(
        checkout_session(Uuid::new_v4(), "paid"),
        "client_reference_id",
        json!("order-17"),
    );
    let mut orphan = renewal_invoice();
    orphan.as_object_mut().unwrap().remove("subscription");
    let lineless = with(renewal_invoice(), "lines", json!({"data": []}));
    for (name, object) in [
        ("checkout.session.completed", nameless),
        ("checkout.session.expired", not_ours),
        ("invoice.paid", orphan),
        ("invoice.paid", lineless),
        (
            "customer.subscription.deleted",
            json!({"object": "subscription"}),
        ),
    ] {
        let result = deliver(&event(name, &object));
        assert!(
            matches!(result, Err(WebhookError::Malformed(_))),
            "{name}: {result:?}"
        );
    }
    let body = b"{\"id\": \"evt_1\", \"type\": ";
    let header = signature::sign(WEBHOOK_SECRET.as_bytes(), SIGNED_AT, body);
    let result = deliver_with(&offline_provider(), body, Some(&header), SIGNED_AT);
    assert!(
        matches!(result, Err(WebhookError::Malformed(_))),
        "{result:?}"
    );
}

#[test]
fn a_wrong_signature_is_refused() {
    let body = serde_json::to_vec(&event(
        "checkout.session.completed",
        &checkout_session(Uuid::new_v4(), "paid"),
    ))
    .unwrap();
    let forged = signature::sign(b"whsec_someone_else", SIGNED_AT, &body);
    assert_eq!(
        deliver_with(&offline_provider(), &body, Some(&forged), SIGNED_AT),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        deliver_with(&offline_provider(), &body, None, SIGNED_AT),
        Err(WebhookError::MissingSignature)
    );
}

#[test]
fn a_stale_delivery_is_refused() {
    let body = serde_json::to_vec(&event(
        "customer.subscription.deleted",
        &json!({"id": "sub_1NcloudmasterSub"}),
    ))
    .unwrap();
    let header = signature::sign(WEBHOOK_SECRET.as_bytes(), SIGNED_AT, &body);
    assert_eq!(
        deliver_with(&offline_provider(), &body, Some(&header), SIGNED_AT + 3600),
        Err(WebhookError::Stale { age_secs: 3600 })
    );
}

#[test]
fn a_delivery_signed_with_a_previous_secret_is_accepted_while_it_is_configured() {
    let previous = "whsec_cloudmaster_previous_secret";
    let provider = StripeProvider::new(StripeConfig {
        webhook_secrets: vec![
            SecretString::from(WEBHOOK_SECRET),
            SecretString::from(previous),
        ],
        ..config(Url::parse(DEFAULT_API_BASE).unwrap(), API_KEY)
    })
    .unwrap();
    let body = serde_json::to_vec(&event(
        "customer.subscription.deleted",
        &json!({"id": "sub_1NcloudmasterSub"}),
    ))
    .unwrap();
    let header = signature::sign(previous.as_bytes(), SIGNED_AT, &body);
    assert!(deliver_with(&provider, &body, Some(&header), SIGNED_AT).is_ok());
}

#[test]
fn an_oversized_body_is_refused_before_its_signature_is_checked() {
    let body = vec![b' '; MAX_WEBHOOK_BODY + 1];
    let result = deliver_with(&offline_provider(), &body, None, SIGNED_AT);
    assert!(
        matches!(result, Err(WebhookError::Malformed(_))),
        "{result:?}"
    );
}
