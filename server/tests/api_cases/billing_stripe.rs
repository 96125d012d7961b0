//! The Stripe provider end to end: a server configured for Stripe against a local server
//! that plays Stripe's API, and webhooks delivered over HTTP — a paid checkout enrolls once,
//! and a forged signature, a stale timestamp or a replayed event changes nothing.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::post;
use cloudmaster_core::api::Role;
use cloudmaster_server::billing::config::ProviderKind;
use cloudmaster_server::billing::signature;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::api_support::{Session, TestApp, TestDatabase, course};
use crate::billing_support::{enrolled, history};

backend_tests!(
    a_paid_checkout_enrolls_once_and_refunds_through_stripe,
    a_wrong_signature_changes_nothing,
    a_stale_timestamp_changes_nothing,
    a_replayed_event_changes_nothing
);

const SECRET: &str = "whsec_test_cloudmaster";

/// Plays Stripe's API: records each request's path and form, answers like Stripe.
async fn fake_stripe() -> (String, Arc<Mutex<Vec<(String, String)>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = |seen: Arc<Mutex<Vec<(String, String)>>>, path: &'static str, answer: Value| {
        post(move |body: String| async move {
            seen.lock().unwrap().push((path.to_owned(), body));
            axum::Json(answer)
        })
    };
    let app = Router::new()
        .route(
            "/v1/checkout/sessions",
            record(
                seen.clone(),
                "/v1/checkout/sessions",
                json!({"id": "cs_test_1", "object": "checkout.session",
                       "url": "https://checkout.stripe.com/c/pay/cs_test_1"}),
            ),
        )
        .route(
            "/v1/refunds",
            record(
                seen.clone(),
                "/v1/refunds",
                json!({"id": "re_test_1", "object": "refund", "status": "succeeded"}),
            ),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/"), seen)
}

fn completed(event_id: &str, payment_id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": event_id,
        "object": "event",
        "type": "checkout.session.completed",
        "data": {"object": {
            "id": "cs_test_1",
            "object": "checkout.session",
            "client_reference_id": payment_id,
            "metadata": {"payment_id": payment_id},
            "payment_status": "paid",
            "payment_intent": "pi_test_1",
            "subscription": null
        }}
    }))
    .unwrap()
}

async fn deliver(app: &TestApp, body: &[u8], signature: &str) -> u16 {
    app.send(
        app.http
            .post(app.url("/api/v1/billing/webhooks/stripe"))
            .header("Stripe-Signature", signature)
            .header("Content-Type", "application/json")
            .body(body.to_vec()),
    )
    .await
    .status
    .as_u16()
}

/// A server selling `paid-ops` through the fake Stripe, a learner with a pending Stripe
/// checkout for it, the checkout's payment id and what the fake Stripe received.
struct StripeShop {
    app: TestApp,
    learner: Session,
    payment_id: String,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

async fn stripe_shop(db: &TestDatabase) -> StripeShop {
    let (stripe_url, seen) = fake_stripe().await;
    let key_file = db.data_dir().join("stripe-key");
    let secret_file = db.data_dir().join("stripe-webhook-secret");
    std::fs::write(&key_file, "sk_test_cloudmaster\n").unwrap();
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let app = TestApp::builder(db)
        .config(|config| {
            config.billing.billing_provider = ProviderKind::Stripe;
            config.billing.stripe_api_base = stripe_url.parse().unwrap();
            config.billing.stripe_api_key_file = Some(key_file);
            config.billing.stripe_webhook_secret_file = Some(secret_file);
        })
        .spawn()
        .await;
    let author = app.user("author@example.com", Role::Instructor).await;
    let mut paid = course("paid-ops");
    paid.price = Some(cloudmaster_core::course::Price {
        amount: 4900,
        currency: "USD".into(),
    });
    app.publish(&author, &paid).await;
    let learner = app.user("lena@example.com", Role::Learner).await;
    let checkout = app
        .post(
            "/api/v1/billing/checkout",
            learner.t(),
            &json!({"course": "paid-ops"}),
        )
        .await
        .expect(201);
    assert_eq!(
        checkout.body["checkout_url"],
        "https://checkout.stripe.com/c/pay/cs_test_1"
    );
    let payment_id = checkout.body["id"].as_str().unwrap().to_owned();
    StripeShop {
        app,
        learner,
        payment_id,
        seen,
    }
}

impl StripeShop {
    async fn payment(&self) -> Value {
        let path = format!("/api/v1/billing/payments/{}", self.payment_id);
        self.app.get(&path, self.learner.t()).await.expect(200).body
    }

    /// Asserts that the payment is still pending and bought nothing.
    async fn unchanged(&self) {
        assert_eq!(self.payment().await["state"], "pending");
        assert!(enrolled(&self.app, &self.learner).await.is_empty());
    }
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

async fn a_paid_checkout_enrolls_once_and_refunds_through_stripe(db: &TestDatabase) {
    let shop = stripe_shop(db).await;
    let (app, id) = (&shop.app, &shop.payment_id);
    let form = shop.seen.lock().unwrap()[0].1.clone();
    assert!(form.contains("unit_amount%5D=4900"), "{form}");
    assert!(
        form.contains(&format!("client_reference_id={id}")),
        "{form}"
    );
    // Stripe takes cards on its own page.
    app.post(
        &format!("/api/v1/billing/payments/{id}/card"),
        shop.learner.t(),
        &json!({"card": "4242424242424242"}),
    )
    .await
    .expect_error(422, "validation_failed");

    let body = completed("evt_test_1", id);
    assert_eq!(
        deliver(
            app,
            &body,
            &signature::sign(SECRET.as_bytes(), now(), &body)
        )
        .await,
        200
    );
    let paid = shop.payment().await;
    assert_eq!(history(&paid), ["pending", "succeeded"]);
    assert_eq!(paid["provider_ref"], "pi_test_1");
    assert_eq!(enrolled(app, &shop.learner).await, ["paid-ops"]);

    let admin = app.user("admin@example.com", Role::Admin).await;
    let refunded = app
        .post(
            &format!("/api/v1/admin/payments/{id}/refunds"),
            admin.t(),
            &json!({"amount": 1000}),
        )
        .await
        .expect(200);
    assert_eq!(refunded.body["state"], "partially_refunded");
    let (path, form) = shop.seen.lock().unwrap()[1].clone();
    assert_eq!(path, "/v1/refunds");
    assert!(
        form.contains("payment_intent=pi_test_1") && form.contains("amount=1000"),
        "{form}"
    );
}

async fn a_wrong_signature_changes_nothing(db: &TestDatabase) {
    let shop = stripe_shop(db).await;
    let body = completed("evt_test_1", &shop.payment_id);
    let forged = signature::sign(b"whsec_someone_else", now(), &body);
    assert_eq!(deliver(&shop.app, &body, &forged).await, 400);
    assert_eq!(deliver(&shop.app, &body, "t=1,v1=00").await, 400);
    // Signed right, but the body was changed after signing.
    let signed = signature::sign(SECRET.as_bytes(), now(), &body);
    let tampered = completed("evt_test_2", &shop.payment_id);
    assert_eq!(deliver(&shop.app, &tampered, &signed).await, 400);
    shop.unchanged().await;
}

async fn a_stale_timestamp_changes_nothing(db: &TestDatabase) {
    let shop = stripe_shop(db).await;
    let body = completed("evt_test_1", &shop.payment_id);
    for age in [3_600, -3_600] {
        let stale = signature::sign(SECRET.as_bytes(), now() - age, &body);
        assert_eq!(deliver(&shop.app, &body, &stale).await, 400, "{age} s");
    }
    shop.unchanged().await;
}

async fn a_replayed_event_changes_nothing(db: &TestDatabase) {
    let shop = stripe_shop(db).await;
    let body = completed("evt_test_1", &shop.payment_id);
    let signed = signature::sign(SECRET.as_bytes(), now(), &body);
    assert_eq!(deliver(&shop.app, &body, &signed).await, 200);
    let first = shop.payment().await;
    // The same delivery again, the same event re-signed later, and another event for the
    // same payment: each acknowledged, none applied a second time.
    assert_eq!(deliver(&shop.app, &body, &signed).await, 200);
    let resigned = signature::sign(SECRET.as_bytes(), now() + 1, &body);
    assert_eq!(deliver(&shop.app, &body, &resigned).await, 200);
    let other = completed("evt_test_2", &shop.payment_id);
    let other_signed = signature::sign(SECRET.as_bytes(), now(), &other);
    assert_eq!(deliver(&shop.app, &other, &other_signed).await, 200);
    let after = shop.payment().await;
    assert_eq!(after, first);
    assert_eq!(history(&after), ["pending", "succeeded"]);
    assert_eq!(enrolled(&shop.app, &shop.learner).await, ["paid-ops"]);
}
