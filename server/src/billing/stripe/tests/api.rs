//! Calls to a local server that plays Stripe: it records each request (method, path,
//! headers, form) for the test to check against Stripe's documented parameters, and
//! answers as Stripe does.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::http::{Method, StatusCode, Uri};
use cloudmaster_core::api::{Interval, Money};
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;

const FORM: &str = "application/x-www-form-urlencoded";

/// One request as the mock Stripe received it.
#[derive(Debug, Clone)]
struct Received {
    method: Method,
    path: String,
    authorization: Option<String>,
    content_type: Option<String>,
    idempotency_key: Option<String>,
    form: Vec<(String, String)>,
}

impl Received {
    /// The form parameters by name; a name sent twice fails the test.
    fn params(&self) -> BTreeMap<&str, &str> {
        let params: BTreeMap<&str, &str> = self
            .form
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        assert_eq!(params.len(), self.form.len(), "repeated: {:?}", self.form);
        params
    }

    /// A `POST` to `path` carrying the key, a form body and `idempotency_key`, as Stripe
    /// takes them.
    fn assert_api_call(&self, path: &str, idempotency_key: &str) {
        assert_eq!(self.method, Method::POST);
        assert_eq!(self.path, path);
        assert_eq!(
            self.authorization.as_deref(),
            Some(format!("Bearer {API_KEY}").as_str())
        );
        assert_eq!(self.content_type.as_deref(), Some(FORM));
        assert_eq!(self.idempotency_key.as_deref(), Some(idempotency_key));
    }
}

/// How the mock answers a request that carried the right key and a form body.
type Answer = fn(&Received) -> (StatusCode, Value);

/// A local server that plays Stripe's API and records every request.
struct MockStripe {
    base: Url,
    received: Arc<Mutex<Vec<Received>>>,
}

impl MockStripe {
    async fn start(answer: Answer) -> MockStripe {
        let received = Arc::new(Mutex::new(Vec::new()));
        let recorder = Arc::clone(&received);
        let app = Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let recorder = Arc::clone(&recorder);
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|value| value.to_str().ok())
                            .map(str::to_owned)
                    };
                    let request = Received {
                        method,
                        path: uri.path().to_owned(),
                        authorization: header("authorization"),
                        content_type: header("content-type"),
                        idempotency_key: header("idempotency-key"),
                        form: url::form_urlencoded::parse(&body).into_owned().collect(),
                    };
                    recorder.lock().unwrap().push(request.clone());
                    let (status, body) = stripe_answer(&request, answer);
                    (status, Json(body))
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        MockStripe {
            base: Url::parse(&format!("http://{address}/")).unwrap(),
            received,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The only request received.
    fn request(&self) -> Received {
        let received = self.received();
        assert_eq!(received.len(), 1, "{received:?}");
        received[0].clone()
    }
}

/// Refuses what Stripe refuses before looking at a request (a wrong key, a body that is
/// not a form), and answers the rest with `answer`.
fn stripe_answer(request: &Received, answer: Answer) -> (StatusCode, Value) {
    let authorization = request.authorization.as_deref().unwrap_or_default();
    if authorization != format!("Bearer {API_KEY}") {
        // Echoes the key it got, to show the provider does not pass it on.
        let key = authorization.trim_start_matches("Bearer ");
        return (
            StatusCode::UNAUTHORIZED,
            json!({"error": {
                "type": "invalid_request_error",
                "message": format!("Invalid API Key provided: {key}"),
            }}),
        );
    }
    if request.content_type.as_deref() != Some(FORM) {
        return (
            StatusCode::BAD_REQUEST,
            json!({"error": {"type": "invalid_request_error", "message": "Invalid request"}}),
        );
    }
    answer(request)
}

fn course_charge<'a>(payment_id: Uuid, price: &'a Money) -> ChargeRequest<'a> {
    ChargeRequest {
        payment_id,
        kind: PaymentKind::Course,
        description: "Course aws-saa",
        amount: price,
        interval: None,
        customer_email: "ada@example.com",
        idempotency_key: "checkout-7f3a",
        return_url: "https://learn.example.com/billing/return",
    }
}

fn refund_request<'a>(price: &'a Money) -> RefundRequest<'a> {
    RefundRequest {
        charge_ref: "pi_3NcloudmasterIntent",
        amount: price,
        idempotency_key: "refund-91c2",
    }
}

#[tokio::test]
async fn a_course_checkout_creates_a_payment_session() {
    let stripe = MockStripe::start(|_| {
        (
            StatusCode::OK,
            json!({
                "id": "cs_test_a1B2c3",
                "object": "checkout.session",
                "mode": "payment",
                "payment_status": "unpaid",
                "status": "open",
                "url": "https://checkout.stripe.com/c/pay/cs_test_a1B2c3#fidkdWxOYHwnPyd1blpxYHZxWjA0",
            }),
        )
    })
    .await;
    let payment_id = Uuid::new_v4();
    let price = Money::new(4900, "USD").unwrap();

    let started = provider(&stripe.base)
        .start(&course_charge(payment_id, &price))
        .await
        .unwrap();

    assert_eq!(
        started,
        Started::HostedPage {
            provider_ref: "cs_test_a1B2c3".to_owned(),
            url: "https://checkout.stripe.com/c/pay/cs_test_a1B2c3#fidkdWxOYHwnPyd1blpxYHZxWjA0"
                .to_owned(),
        }
    );
    let request = stripe.request();
    request.assert_api_call("/v1/checkout/sessions", "checkout-7f3a");
    let id = payment_id.to_string();
    let success = format!("https://learn.example.com/billing/return?payment={id}&result=success");
    let cancel = format!("https://learn.example.com/billing/return?payment={id}&result=cancel");
    assert_eq!(
        request.params(),
        BTreeMap::from([
            ("mode", "payment"),
            ("client_reference_id", id.as_str()),
            ("metadata[payment_id]", id.as_str()),
            ("customer_email", "ada@example.com"),
            ("success_url", success.as_str()),
            ("cancel_url", cancel.as_str()),
            ("line_items[0][quantity]", "1"),
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "4900"),
            (
                "line_items[0][price_data][product_data][name]",
                "Course aws-saa"
            ),
        ])
    );
}

#[tokio::test]
async fn a_subscription_checkout_recurs_every_interval() {
    let stripe = MockStripe::start(|_| {
        (
            StatusCode::OK,
            json!({
                "id": "cs_test_sub9Z",
                "object": "checkout.session",
                "mode": "subscription",
                "url": "https://checkout.stripe.com/c/pay/cs_test_sub9Z",
            }),
        )
    })
    .await;
    let payment_id = Uuid::new_v4();
    let price = Money::new(9900, "EUR").unwrap();
    let charge = ChargeRequest {
        kind: PaymentKind::Subscription,
        description: "Plan premium-yearly",
        interval: Some(Interval::Year),
        return_url: "https://learn.example.com/billing?tab=plans",
        ..course_charge(payment_id, &price)
    };

    let started = provider(&stripe.base).start(&charge).await.unwrap();

    assert!(matches!(
        started,
        Started::HostedPage { ref provider_ref, .. } if provider_ref == "cs_test_sub9Z"
    ));
    let request = stripe.request();
    request.assert_api_call("/v1/checkout/sessions", "checkout-7f3a");
    let id = payment_id.to_string();
    let success =
        format!("https://learn.example.com/billing?tab=plans&payment={id}&result=success");
    let cancel = format!("https://learn.example.com/billing?tab=plans&payment={id}&result=cancel");
    assert_eq!(
        request.params(),
        BTreeMap::from([
            ("mode", "subscription"),
            ("client_reference_id", id.as_str()),
            ("metadata[payment_id]", id.as_str()),
            ("subscription_data[metadata][payment_id]", id.as_str()),
            ("customer_email", "ada@example.com"),
            ("success_url", success.as_str()),
            ("cancel_url", cancel.as_str()),
            ("line_items[0][quantity]", "1"),
            ("line_items[0][price_data][currency]", "eur"),
            ("line_items[0][price_data][unit_amount]", "9900"),
            (
                "line_items[0][price_data][product_data][name]",
                "Plan premium-yearly"
            ),
            ("line_items[0][price_data][recurring][interval]", "year"),
        ])
    );
}

#[tokio::test]
async fn renewals_and_subscriptions_without_an_interval_are_not_checkouts() {
    let price = Money::new(1500, "USD").unwrap();
    let stripe = offline_provider();
    for charge in [
        ChargeRequest {
            kind: PaymentKind::Renewal,
            ..course_charge(Uuid::new_v4(), &price)
        },
        ChargeRequest {
            kind: PaymentKind::Subscription,
            ..course_charge(Uuid::new_v4(), &price)
        },
    ] {
        let error = stripe.start(&charge).await.unwrap_err();
        assert!(matches!(error, ProviderError::Unsupported(_)), "{error:?}");
    }
}

#[tokio::test]
async fn a_refund_names_the_payment_intent_and_the_amount() {
    let stripe = MockStripe::start(|_| {
        (
            StatusCode::OK,
            json!({
                "id": "re_3NcloudmasterRefund",
                "object": "refund",
                "amount": 1500,
                "currency": "usd",
                "payment_intent": "pi_3NcloudmasterIntent",
                "status": "succeeded",
            }),
        )
    })
    .await;
    let amount = Money::new(1500, "USD").unwrap();

    let refund_id = provider(&stripe.base)
        .refund(&refund_request(&amount))
        .await
        .unwrap();

    assert_eq!(refund_id, "re_3NcloudmasterRefund");
    let request = stripe.request();
    request.assert_api_call("/v1/refunds", "refund-91c2");
    assert_eq!(
        request.params(),
        BTreeMap::from([
            ("payment_intent", "pi_3NcloudmasterIntent"),
            ("amount", "1500")
        ])
    );
}

#[tokio::test]
async fn refunding_anything_but_a_payment_intent_is_unsupported() {
    let stripe = MockStripe::start(|_| (StatusCode::OK, json!({"id": "re_1"}))).await;
    let amount = Money::new(1500, "USD").unwrap();
    for charge_ref in ["cs_test_a1B2c3", "ch_3Ncharge", ""] {
        let refund = RefundRequest {
            charge_ref,
            ..refund_request(&amount)
        };
        let error = provider(&stripe.base).refund(&refund).await.unwrap_err();
        let ProviderError::Unsupported(message) = error else {
            panic!("{charge_ref}: {error:?}");
        };
        assert!(message.contains("payment intent"), "{message}");
    }
    assert!(stripe.received().is_empty());
}

#[tokio::test]
async fn cancelling_at_the_period_end_updates_the_subscription() {
    let stripe = MockStripe::start(|_| {
        (
            StatusCode::OK,
            json!({
                "id": "sub_1NcloudmasterSub",
                "object": "subscription",
                "cancel_at_period_end": true,
                "status": "active",
            }),
        )
    })
    .await;

    provider(&stripe.base)
        .cancel_at_period_end("sub_1NcloudmasterSub", "cancel-55d0")
        .await
        .unwrap();

    let request = stripe.request();
    request.assert_api_call("/v1/subscriptions/sub_1NcloudmasterSub", "cancel-55d0");
    assert_eq!(
        request.params(),
        BTreeMap::from([("cancel_at_period_end", "true")])
    );
}

#[tokio::test]
async fn a_card_error_is_refused_with_stripes_message() {
    let stripe = MockStripe::start(|_| {
        (
            StatusCode::PAYMENT_REQUIRED,
            json!({"error": {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
                "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            }}),
        )
    })
    .await;
    let price = Money::new(4900, "USD").unwrap();

    let error = provider(&stripe.base)
        .start(&course_charge(Uuid::new_v4(), &price))
        .await
        .unwrap_err();

    assert!(
        matches!(&error, ProviderError::Refused(message) if message == "Your card was declined."),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_invalid_request_is_refused_with_stripes_message() {
    let stripe = MockStripe::start(|_| {
        (
            StatusCode::BAD_REQUEST,
            json!({"error": {
                "type": "invalid_request_error",
                "code": "amount_too_large",
                "param": "amount",
                "message": "Refund amount ($20.00) is greater than unrefunded amount on charge ($15.00)",
            }}),
        )
    })
    .await;
    let amount = Money::new(2000, "USD").unwrap();

    let error = provider(&stripe.base)
        .refund(&refund_request(&amount))
        .await
        .unwrap_err();

    assert!(
        matches!(&error, ProviderError::Refused(message) if message.starts_with("Refund amount ($20.00)")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_server_error_is_unavailable() {
    let stripe = MockStripe::start(|_| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": {"type": "api_error", "message": "An unknown error occurred"}}),
        )
    })
    .await;

    let error = provider(&stripe.base)
        .cancel_at_period_end("sub_1NcloudmasterSub", "cancel-55d0")
        .await
        .unwrap_err();

    assert!(matches!(error, ProviderError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn a_refused_api_key_is_unavailable_and_never_repeated() {
    let stripe = MockStripe::start(|_| (StatusCode::OK, json!({"id": "re_1"}))).await;
    let wrong_key = "sk_test_51NsomeoneElsesKey9876543210";
    let provider = StripeProvider::new(config(stripe.base.clone(), wrong_key)).unwrap();
    let amount = Money::new(1500, "USD").unwrap();

    let error = provider.refund(&refund_request(&amount)).await.unwrap_err();

    assert!(matches!(error, ProviderError::Unavailable(_)), "{error:?}");
    assert!(!error.to_string().contains(wrong_key), "{error}");
    assert!(!format!("{error:?}").contains(wrong_key), "{error:?}");
}

#[tokio::test]
async fn an_unreachable_stripe_is_unavailable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let base = Url::parse(&format!("http://{address}/")).unwrap();
    let price = Money::new(4900, "USD").unwrap();

    let error = provider(&base)
        .start(&course_charge(Uuid::new_v4(), &price))
        .await
        .unwrap_err();

    assert!(matches!(error, ProviderError::Unavailable(_)), "{error:?}");
    assert!(!error.to_string().contains(API_KEY), "{error}");
}

#[tokio::test]
async fn a_rate_limit_is_unavailable() {
    let stripe = MockStripe::start(|_| {
        (
            StatusCode::TOO_MANY_REQUESTS,
            json!({"error": {
                "type": "invalid_request_error",
                "code": "rate_limit",
                "message": "Too many requests hit the API too quickly.",
            }}),
        )
    })
    .await;
    let amount = Money::new(1500, "USD").unwrap();

    let error = provider(&stripe.base)
        .refund(&refund_request(&amount))
        .await
        .unwrap_err();

    assert!(matches!(error, ProviderError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn a_session_without_a_payment_page_is_unavailable() {
    let stripe = MockStripe::start(|_| {
        (
            StatusCode::OK,
            json!({"id": "cs_test_embedded", "object": "checkout.session", "url": null}),
        )
    })
    .await;
    let price = Money::new(4900, "USD").unwrap();

    let error = provider(&stripe.base)
        .start(&course_charge(Uuid::new_v4(), &price))
        .await
        .unwrap_err();

    assert!(
        matches!(&error, ProviderError::Unavailable(message) if message.contains("cs_test_embedded")),
        "{error:?}"
    );
}
