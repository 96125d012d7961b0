//! What the billing cases share: a server selling one course, and waiting for a payment to
//! settle (the sandbox, like a real provider, settles after answering).

use std::sync::Arc;
use std::time::Duration;

use cloudmaster_core::api::Role;
use cloudmaster_core::course::Price;
use serde_json::{Value, json};

use crate::api_support::{ManualClock, Session, TestApp, TestDatabase, course};

/// The sandbox's test cards.
pub const SUCCEEDS: &str = "4242424242424242";
pub const DECLINED: &str = "4000000000000002";
pub const INSUFFICIENT: &str = "4000000000009995";
pub const FAILS_ON_RENEWAL: &str = "4000000000000341";

/// The paid course's price in minor units.
pub const PRICE: i64 = 4900;

/// A server with a free course `basics` and a paid one, `paid-ops` (49.00 USD), published;
/// on `clock` when given.
pub async fn shop(db: &TestDatabase, clock: Option<Arc<ManualClock>>) -> (TestApp, Session) {
    let mut builder = TestApp::builder(db);
    if let Some(clock) = clock {
        builder = builder.clock(clock);
    }
    let app = builder.spawn().await;
    let author = app.user("author@example.com", Role::Instructor).await;
    app.publish(&author, &course("basics")).await;
    let mut paid = course("paid-ops");
    paid.price = Some(Price {
        amount: PRICE as u64,
        currency: "USD".into(),
    });
    app.publish(&author, &paid).await;
    let admin = app.user("admin@example.com", Role::Admin).await;
    (app, admin)
}

/// POSTs `body` to `path` with an `Idempotency-Key` when one is given.
pub async fn post_keyed(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: &Value,
) -> crate::api_support::Reply {
    let mut request = app.http.post(app.url(path)).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    app.send(request).await
}

/// Buys `course` with `card`: the checkout's reply (201 or 200).
pub async fn checkout(app: &TestApp, learner: &Session, course: &str, card: &str) -> Value {
    let reply = post_keyed(
        app,
        "/api/v1/billing/checkout",
        learner.t(),
        None,
        &json!({"course": course, "card": card}),
    )
    .await;
    assert!(reply.status.is_success(), "checkout failed: {}", reply.text);
    reply.body
}

/// The payment once it is no longer pending (the provider's event has been applied).
pub async fn settled(app: &TestApp, token: Option<&str>, payment_id: &str) -> Value {
    for _ in 0..500 {
        let payment = app
            .get(&format!("/api/v1/billing/payments/{payment_id}"), token)
            .await
            .expect(200)
            .body;
        if payment["state"] != "pending" {
            return payment;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("payment {payment_id} is still pending");
}

/// The states of a payment's history, oldest first.
pub fn history(payment: &Value) -> Vec<String> {
    payment["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap().to_owned())
        .collect()
}

/// The course ids the learner is enrolled in.
pub async fn enrolled(app: &TestApp, learner: &Session) -> Vec<String> {
    let list = app
        .get("/api/v1/enrollments", learner.t())
        .await
        .expect(200);
    list.body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["course_id"].as_str().unwrap().to_owned())
        .collect()
}
