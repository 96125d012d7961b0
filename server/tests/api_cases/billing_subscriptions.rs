//! Premium subscriptions on the injected clock: what premium opens, cancellation at the
//! period's end, renewal, failed renewal with its grace period, and expiry.

use cloudmaster_core::api::Role;
use serde_json::{Value, json};
use time::Duration;

use crate::api_support::{ManualClock, Session, TestApp, TestDatabase};
use crate::billing_support::{
    FAILS_ON_RENEWAL, PRICE, SUCCEEDS, enrolled, history, post_keyed, settled, shop,
};

backend_tests!(
    premium_opens_paid_courses_until_the_cancelled_period_ends,
    a_subscription_renews_at_the_end_of_its_period,
    a_failed_renewal_keeps_premium_through_the_grace_period_then_expires
);

async fn subscribe(app: &TestApp, learner: &Session, card: &str) -> Value {
    let reply = post_keyed(
        app,
        "/api/v1/billing/subscriptions",
        learner.t(),
        Some("subscribe-1"),
        &json!({"plan": "premium-monthly", "card": card}),
    )
    .await
    .expect(201);
    settled(app, learner.t(), reply.body["id"].as_str().unwrap()).await
}

async fn status(app: &TestApp, learner: &Session) -> Value {
    app.get("/api/v1/billing/status", learner.t())
        .await
        .expect(200)
        .body
}

async fn run_jobs(app: &TestApp) -> cloudmaster_server::jobs::JobReport {
    cloudmaster_server::jobs::run_once(&app.state)
        .await
        .unwrap()
}

async fn premium_opens_paid_courses_until_the_cancelled_period_ends(db: &TestDatabase) {
    let clock = ManualClock::new();
    let (app, _) = shop(db, Some(clock.clone())).await;
    let learner = app.user("lena@example.com", Role::Learner).await;
    let paid = subscribe(&app, &learner, SUCCEEDS).await;
    assert_eq!(paid["state"], "succeeded", "{paid}");
    assert_eq!(paid["kind"], "subscription");
    assert_eq!(paid["total"], 1200);

    let premium = status(&app, &learner).await;
    assert_eq!(premium["tier"], "premium");
    assert_eq!(premium["subscription"]["status"], "active");
    let period_end = premium["subscription"]["current_period_end"].clone();
    assert_eq!(premium["premium_until"], period_end);
    app.enroll(&learner, "paid-ops").await;
    app.put(
        "/api/v1/courses/paid-ops/lessons/welcome/progress",
        learner.t(),
        &json!({"status": "completed"}),
    )
    .await
    .expect(200);
    app.enroll(&learner, "basics").await;

    // Subscribing twice is refused; cancelling keeps premium to the period's end.
    app.post(
        "/api/v1/billing/subscriptions",
        learner.t(),
        &json!({"plan": "premium-yearly"}),
    )
    .await
    .expect_error(409, "conflict");
    let cancelled = app
        .delete("/api/v1/billing/subscription", learner.t())
        .await
        .expect(200);
    assert_eq!(cancelled.body["cancel_at"], period_end);

    clock.advance(Duration::days(20));
    run_jobs(&app).await;
    assert_eq!(status(&app, &learner).await["tier"], "premium");

    clock.advance(Duration::days(12));
    let report = run_jobs(&app).await;
    assert_eq!(report.renewals.expired, 1, "{report:?}");
    assert_eq!(
        report.renewals.charged, 0,
        "a cancelled subscription is not charged"
    );
    let ended = status(&app, &learner).await;
    assert_eq!(ended["tier"], "free");
    assert_eq!(ended["subscription"]["status"], "expired");
    assert_eq!(
        enrolled(&app, &learner).await,
        ["basics"],
        "the paid course is locked"
    );
    app.post(
        "/api/v1/courses/paid-ops/enrollment",
        learner.t(),
        &json!({}),
    )
    .await
    .expect_error(402, "payment_required");

    // Progress stays: buying the course later brings it back.
    let bought = crate::billing_support::checkout(&app, &learner, "paid-ops", SUCCEEDS).await;
    settled(&app, learner.t(), bought["id"].as_str().unwrap()).await;
    let progress = app
        .get("/api/v1/courses/paid-ops/progress", learner.t())
        .await
        .expect(200);
    assert!(progress.text.contains("welcome"), "{}", progress.text);
    assert_eq!(bought["total"], PRICE);
}

async fn a_subscription_renews_at_the_end_of_its_period(db: &TestDatabase) {
    let clock = ManualClock::new();
    let (app, admin) = shop(db, Some(clock.clone())).await;
    let learner = app.user("lena@example.com", Role::Learner).await;
    subscribe(&app, &learner, SUCCEEDS).await;
    let first_end = status(&app, &learner).await["subscription"]["current_period_end"].clone();

    clock.advance(Duration::days(32));
    let report = run_jobs(&app).await;
    assert_eq!(report.renewals.charged, 1, "{report:?}");
    // A second run in the same period charges nothing more.
    assert_eq!(run_jobs(&app).await.renewals.charged, 0);
    let renewed = status(&app, &learner).await;
    assert_eq!(renewed["tier"], "premium");
    assert_eq!(renewed["subscription"]["status"], "active");
    assert_ne!(renewed["subscription"]["current_period_end"], first_end);

    let payments = app
        .get("/api/v1/billing/payments", learner.t())
        .await
        .expect(200);
    let kinds: Vec<_> = payments
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!("renewal"), json!("subscription")]);
    assert_eq!(history(&payments.body[0]), ["pending", "succeeded"]);

    let revenue = app
        .get("/api/v1/admin/revenue?days=40", admin.t())
        .await
        .expect(200);
    let total: i64 = revenue
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["net"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 2400, "{}", revenue.text);
    assert!(revenue.text.contains("plan:premium-monthly"));
}

async fn a_failed_renewal_keeps_premium_through_the_grace_period_then_expires(db: &TestDatabase) {
    let clock = ManualClock::new();
    let (app, _) = shop(db, Some(clock.clone())).await;
    let learner = app.user("lena@example.com", Role::Learner).await;
    let first = subscribe(&app, &learner, FAILS_ON_RENEWAL).await;
    assert_eq!(
        first["state"], "succeeded",
        "the first payment goes through"
    );
    app.enroll(&learner, "paid-ops").await;

    clock.advance(Duration::days(31) + Duration::hours(1));
    assert_eq!(run_jobs(&app).await.renewals.charged, 1);
    let past_due = status(&app, &learner).await;
    assert_eq!(past_due["subscription"]["status"], "past_due", "{past_due}");
    assert_eq!(
        past_due["tier"], "premium",
        "premium lasts through the grace period"
    );
    assert_eq!(
        past_due["premium_until"],
        past_due["subscription"]["grace_until"]
    );
    let payments = app
        .get("/api/v1/billing/payments", learner.t())
        .await
        .expect(200);
    assert_eq!(payments.body[0]["kind"], "renewal");
    assert_eq!(payments.body[0]["state"], "failed");

    // Retried a day later, failing again; the grace period does not move.
    assert_eq!(
        run_jobs(&app).await.renewals.charged,
        0,
        "not before the retry time"
    );
    clock.advance(Duration::hours(25));
    assert_eq!(run_jobs(&app).await.renewals.charged, 1);
    let still = status(&app, &learner).await;
    assert_eq!(
        still["subscription"]["grace_until"],
        past_due["subscription"]["grace_until"]
    );
    assert_eq!(enrolled(&app, &learner).await, ["paid-ops"]);

    clock.advance(Duration::days(7));
    let report = run_jobs(&app).await;
    assert_eq!(report.renewals.expired, 1, "{report:?}");
    let ended = status(&app, &learner).await;
    assert_eq!(
        (&ended["tier"], &ended["subscription"]["status"]),
        (&json!("free"), &json!("expired"))
    );
    assert!(enrolled(&app, &learner).await.is_empty());
}
