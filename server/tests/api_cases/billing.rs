//! Buying courses: sandbox cards, exactly one charge under concurrency, idempotency keys,
//! coupons that hold their limit, refunds, receipts and revenue.

use cloudmaster_core::api::Role;
use serde_json::json;

use crate::api_support::{ManualClock, TestDatabase};
use crate::billing_support::{
    DECLINED, INSUFFICIENT, PRICE, SUCCEEDS, checkout, enrolled, history, post_keyed, settled, shop,
};

backend_tests!(
    a_course_is_bought_with_a_test_card,
    concurrent_checkouts_charge_once,
    idempotency_keys_replay_or_refuse,
    a_coupon_is_redeemed_no_more_than_its_limit,
    refunds_end_paid_access_and_net_revenue,
    money_is_integers_only,
    a_lost_sandbox_delivery_is_sent_again,
    an_abandoned_checkout_gives_its_coupon_back
);

async fn a_course_is_bought_with_a_test_card(db: &TestDatabase) {
    let (app, _) = shop(db, None).await;
    let learner = app.user("lena@example.com", Role::Learner).await;

    let refused = app
        .post(
            "/api/v1/courses/paid-ops/enrollment",
            learner.t(),
            &json!({}),
        )
        .await
        .expect_error(402, "payment_required");
    assert!(
        refused.message().contains("billing checkout paid-ops"),
        "{}",
        refused.text
    );

    for (card, reason) in [(DECLINED, "declined"), (INSUFFICIENT, "insufficient funds")] {
        // The outcome comes asynchronously: the reply may or may not show it yet.
        let pending = checkout(&app, &learner, "paid-ops", card).await;
        let failed = settled(&app, learner.t(), pending["id"].as_str().unwrap()).await;
        assert_eq!(failed["state"], "failed", "{failed}");
        assert!(
            failed["failure"].as_str().unwrap().contains(reason),
            "{failed}"
        );
        assert_eq!(history(&failed), ["pending", "failed"]);
        assert!(enrolled(&app, &learner).await.is_empty());
    }

    let bought = checkout(&app, &learner, "paid-ops", SUCCEEDS).await;
    let paid = settled(&app, learner.t(), bought["id"].as_str().unwrap()).await;
    assert_eq!(paid["state"], "succeeded", "{paid}");
    assert_eq!(
        (
            &paid["subtotal"],
            &paid["discount"],
            &paid["tax"],
            &paid["total"]
        ),
        (&json!(PRICE), &json!(0), &json!(0), &json!(PRICE))
    );
    assert_eq!(paid["currency"], "USD");
    assert_eq!(paid["card"], "Visa ending in 4242");
    assert!(
        paid["provider_ref"]
            .as_str()
            .unwrap()
            .starts_with("ch_sandbox_")
    );
    assert_eq!(history(&paid), ["pending", "succeeded"]);
    assert_eq!(enrolled(&app, &learner).await, ["paid-ops"]);
    app.get("/api/v1/courses/paid-ops/lessons/welcome", learner.t())
        .await
        .expect(200);

    // Bought once: a second checkout is refused, and the card number is nowhere.
    app.post(
        "/api/v1/billing/checkout",
        learner.t(),
        &json!({"course": "paid-ops", "card": SUCCEEDS}),
    )
    .await
    .expect_error(409, "conflict");
    let status = app
        .get("/api/v1/billing/status", learner.t())
        .await
        .expect(200);
    assert_eq!(status.body["purchased_courses"], json!(["paid-ops"]));
    let all = app
        .get("/api/v1/billing/payments", learner.t())
        .await
        .expect(200);
    assert_eq!(all.body.as_array().unwrap().len(), 3);
    assert!(!all.text.contains(SUCCEEDS) && !all.text.contains(DECLINED));

    // Someone else's receipt is not there for them; a real card number is refused.
    let other = app.user("otto@example.com", Role::Learner).await;
    let id = paid["id"].as_str().unwrap();
    app.get(&format!("/api/v1/billing/payments/{id}"), other.t())
        .await
        .expect_error(404, "not_found");
    app.post(
        "/api/v1/billing/checkout",
        other.t(),
        &json!({"course": "paid-ops", "card": "4111111111111111"}),
    )
    .await
    .expect_error(422, "validation_failed");
    app.post(
        "/api/v1/billing/checkout",
        other.t(),
        &json!({"course": "basics"}),
    )
    .await
    .expect_error(422, "validation_failed");
}

async fn concurrent_checkouts_charge_once(db: &TestDatabase) {
    let (app, admin) = shop(db, None).await;
    let learner = app.user("lena@example.com", Role::Learner).await;
    let replies = futures_util::future::join_all((0..100).map(|i| {
        // Half share one key, half bring their own.
        let key = if i % 2 == 0 {
            "same-key".to_owned()
        } else {
            format!("key-{i}")
        };
        let app = &app;
        let token = learner.t();
        async move {
            post_keyed(
                app,
                "/api/v1/billing/checkout",
                token,
                Some(&key),
                &json!({"course": "paid-ops", "card": SUCCEEDS}),
            )
            .await
        }
    }))
    .await;
    let mut ids = std::collections::BTreeSet::new();
    for reply in &replies {
        match reply.status.as_u16() {
            200 | 201 => {
                ids.insert(reply.body["id"].as_str().unwrap().to_owned());
            }
            // Bought already, or the shared key's first request still running.
            409 => {}
            other => panic!("unexpected {other}: {}", reply.text),
        }
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    let id = ids.into_iter().next().unwrap();
    let paid = settled(&app, learner.t(), &id).await;
    assert_eq!(history(&paid), ["pending", "succeeded"]);
    let all = app
        .get("/api/v1/billing/payments", learner.t())
        .await
        .expect(200);
    assert_eq!(all.body.as_array().unwrap().len(), 1, "{}", all.text);
    assert_eq!(enrolled(&app, &learner).await, ["paid-ops"]);
    let revenue = app
        .get("/api/v1/admin/revenue", admin.t())
        .await
        .expect(200);
    assert_eq!(revenue.body[0]["gross"], PRICE, "{}", revenue.text);
    assert_eq!(revenue.body[0]["payments"], 1);
}

async fn idempotency_keys_replay_or_refuse(db: &TestDatabase) {
    let (app, _) = shop(db, None).await;
    let learner = app.user("lena@example.com", Role::Learner).await;
    let body = json!({"course": "paid-ops"});
    let path = "/api/v1/billing/checkout";
    let first = post_keyed(&app, path, learner.t(), Some("k-1"), &body)
        .await
        .expect(201);
    let again = post_keyed(&app, path, learner.t(), Some("k-1"), &body)
        .await
        .expect(201);
    assert_eq!(first.body, again.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    let other = json!({"course": "basics"});
    post_keyed(&app, path, learner.t(), Some("k-1"), &other)
        .await
        .expect_error(422, "validation_failed");
    post_keyed(&app, path, learner.t(), Some(""), &body)
        .await
        .expect_error(400, "bad_request");
    // Keys are the learner's own: another learner's same key is a new request.
    let other_learner = app.user("otto@example.com", Role::Learner).await;
    let theirs = post_keyed(&app, path, other_learner.t(), Some("k-1"), &body)
        .await
        .expect(201);
    assert_ne!(theirs.body["id"], first.body["id"]);
    // A new key for the same course returns the pending payment, not a second one.
    let pending = post_keyed(&app, path, learner.t(), Some("k-2"), &body)
        .await
        .expect(200);
    assert_eq!(pending.body["id"], first.body["id"]);
}

async fn a_coupon_is_redeemed_no_more_than_its_limit(db: &TestDatabase) {
    let (app, admin) = shop(db, None).await;
    app.post(
        "/api/v1/admin/coupons",
        admin.t(),
        &json!({"code": "launch50", "percent_off": 50, "max_redemptions": 10, "course_id": "paid-ops"}),
    )
    .await
    .expect(201);
    let mut learners = Vec::new();
    for i in 0..50 {
        learners.push(app.user(&format!("l{i}@example.com"), Role::Learner).await);
    }
    let body = json!({"course": "paid-ops", "coupon": "LAUNCH50"});
    let replies = futures_util::future::join_all(
        learners
            .iter()
            .map(|learner| app.post("/api/v1/billing/checkout", learner.t(), &body)),
    )
    .await;
    let created: Vec<_> = replies.iter().filter(|r| r.status == 201).collect();
    assert_eq!(created.len(), 10);
    for reply in &created {
        assert_eq!(reply.body["discount"], PRICE / 2);
        assert_eq!(reply.body["total"], PRICE / 2);
        assert_eq!(reply.body["coupon"], "LAUNCH50");
    }
    for reply in replies.iter().filter(|r| r.status != 201) {
        assert_eq!(reply.status, 409, "{}", reply.text);
        assert!(reply.text.contains("no redemptions left"), "{}", reply.text);
    }
    let coupons = app
        .get("/api/v1/admin/coupons", admin.t())
        .await
        .expect(200);
    assert_eq!(coupons.body[0]["redeemed"], 10);

    // A failed payment gives its redemption back; a disabled coupon takes no more.
    let winner = learners
        .iter()
        .zip(&replies)
        .find(|(_, r)| r.status == 201)
        .map(|(l, r)| (l, r.body["id"].as_str().unwrap().to_owned()))
        .unwrap();
    app.post(
        &format!("/api/v1/billing/payments/{}/card", winner.1),
        winner.0.t(),
        &json!({"card": DECLINED}),
    )
    .await
    .expect(202);
    settled(&app, winner.0.t(), &winner.1).await;
    let coupons = app
        .get("/api/v1/admin/coupons", admin.t())
        .await
        .expect(200);
    assert_eq!(coupons.body[0]["redeemed"], 9);
    app.delete("/api/v1/admin/coupons/launch50", admin.t())
        .await
        .expect(204);
    let late = app.user("late@example.com", Role::Learner).await;
    app.post(
        "/api/v1/billing/checkout",
        late.t(),
        &json!({"course": "paid-ops", "coupon": "launch50"}),
    )
    .await
    .expect_error(422, "validation_failed");
    // Learners cannot make coupons.
    app.post(
        "/api/v1/admin/coupons",
        late.t(),
        &json!({"code": "FREE", "percent_off": 100}),
    )
    .await
    .expect_error(403, "forbidden");
}

async fn refunds_end_paid_access_and_net_revenue(db: &TestDatabase) {
    let clock = ManualClock::new();
    let (app, admin) = shop(db, Some(clock.clone())).await;
    let learner = app.user("lena@example.com", Role::Learner).await;
    let bought = checkout(&app, &learner, "paid-ops", SUCCEEDS).await;
    let id = bought["id"].as_str().unwrap().to_owned();
    settled(&app, learner.t(), &id).await;
    let refunds = format!("/api/v1/admin/payments/{id}/refunds");
    // Refunded the next day: revenue counts the refund on its own day.
    clock.advance(time::Duration::days(1));

    app.post(&refunds, learner.t(), &json!({}))
        .await
        .expect_error(403, "forbidden");
    let part = app
        .post(
            &refunds,
            admin.t(),
            &json!({"amount": 900, "reason": "late start"}),
        )
        .await
        .expect(200);
    assert_eq!(part.body["state"], "partially_refunded");
    assert_eq!(part.body["refunded"], 900);
    assert_eq!(
        enrolled(&app, &learner).await,
        ["paid-ops"],
        "a partial refund keeps the course"
    );
    app.post(&refunds, admin.t(), &json!({"amount": PRICE}))
        .await
        .expect_error(409, "conflict");

    let rest = app.post(&refunds, admin.t(), &json!({})).await.expect(200);
    assert_eq!(rest.body["state"], "refunded");
    assert_eq!(rest.body["refunded"], PRICE);
    assert_eq!(
        history(&rest.body),
        ["pending", "succeeded", "partially_refunded", "refunded"]
    );
    assert!(
        enrolled(&app, &learner).await.is_empty(),
        "a whole refund ends access"
    );
    app.post(
        "/api/v1/courses/paid-ops/enrollment",
        learner.t(),
        &json!({}),
    )
    .await
    .expect_error(402, "payment_required");

    let refund_day = app.now().date().to_string();
    let refunded_at = rest.body["history"][3]["at"].as_str().unwrap();
    assert!(refunded_at.starts_with(&refund_day), "{refunded_at}");
    let revenue = app
        .get("/api/v1/admin/revenue", admin.t())
        .await
        .expect(200);
    let rows = revenue.body.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{}", revenue.text);
    let (paid_day, refund_row) = (&rows[0], &rows[1]);
    assert_eq!(
        (&paid_day["item"], &paid_day["currency"], &paid_day["net"]),
        (&json!("paid-ops"), &json!("USD"), &json!(PRICE))
    );
    assert_eq!(refund_row["day"], refund_day);
    assert_eq!(
        (
            &refund_row["gross"],
            &refund_row["refunds"],
            &refund_row["net"]
        ),
        (&json!(0), &json!(PRICE), &json!(-PRICE))
    );
    let audit = app.get("/api/v1/admin/audit", admin.t()).await.expect(200);
    assert!(audit.text.contains("billing.refund"), "{}", audit.text);
}

async fn money_is_integers_only(db: &TestDatabase) {
    let (app, admin) = shop(db, None).await;
    app.post(
        "/api/v1/admin/coupons",
        admin.t(),
        &json!({"code": "FLOAT", "amount_off": {"amount": 4.5, "currency": "USD"}}),
    )
    .await
    .expect_error(400, "bad_request");
    let plans = app.get("/api/v1/billing/plans", None).await.expect(200);
    assert!(plans.body[0]["price"]["amount"].is_i64(), "{}", plans.text);
}

async fn a_lost_sandbox_delivery_is_sent_again(db: &TestDatabase) {
    let (app, _) = shop(db, None).await;
    let learner = app.user("lena@example.com", Role::Learner).await;
    let pending = app
        .post(
            "/api/v1/billing/checkout",
            learner.t(),
            &json!({"course": "paid-ops"}),
        )
        .await
        .expect(201);
    let id = pending.body["id"].as_str().unwrap().to_owned();
    // The card was taken, then the server stopped before its outcome was applied.
    let attached = app
        .state
        .store()
        .attach_card(id.parse().unwrap(), "Visa ending in 4242", "pm_card_visa")
        .await
        .unwrap();
    assert!(attached);
    // Another card is not charged on top; the same card delivers the outcome again.
    let card = format!("/api/v1/billing/payments/{id}/card");
    app.post(&card, learner.t(), &json!({"card": "5555555555554444"}))
        .await
        .expect(202);
    let still = app
        .get(&format!("/api/v1/billing/payments/{id}"), learner.t())
        .await;
    assert_eq!(still.body["state"], "pending");
    app.post(&card, learner.t(), &json!({"card": SUCCEEDS}))
        .await
        .expect(202);
    let paid = settled(&app, learner.t(), &id).await;
    assert_eq!(history(&paid), ["pending", "succeeded"]);
    assert_eq!(enrolled(&app, &learner).await, ["paid-ops"]);
}

async fn an_abandoned_checkout_gives_its_coupon_back(db: &TestDatabase) {
    let clock = ManualClock::new();
    let (app, admin) = shop(db, Some(clock.clone())).await;
    app.post(
        "/api/v1/admin/coupons",
        admin.t(),
        &json!({"code": "LAST-ONE", "amount_off": {"amount": 1000, "currency": "USD"}, "max_redemptions": 1}),
    )
    .await
    .expect(201);
    let body = json!({"course": "paid-ops", "coupon": "last-one"});
    let first = app.user("ann@example.com", Role::Learner).await;
    let second = app.user("bob@example.com", Role::Learner).await;
    let held = app
        .post("/api/v1/billing/checkout", first.t(), &body)
        .await
        .expect(201);
    assert_eq!(held.body["total"], PRICE - 1000);
    app.post("/api/v1/billing/checkout", second.t(), &body)
        .await
        .expect_error(409, "conflict");

    // No card came: after the checkout time the payment fails and the coupon is free again.
    clock.advance(time::Duration::minutes(30));
    let report = cloudmaster_server::jobs::run_once(&app.state)
        .await
        .unwrap();
    assert_eq!(report.checkouts_abandoned, 0);
    clock.advance(time::Duration::minutes(31));
    let report = cloudmaster_server::jobs::run_once(&app.state)
        .await
        .unwrap();
    assert_eq!(report.checkouts_abandoned, 1);
    let id = held.body["id"].as_str().unwrap();
    let failed = app
        .get(&format!("/api/v1/billing/payments/{id}"), first.t())
        .await
        .expect(200);
    assert_eq!(failed.body["state"], "failed");
    assert!(failed.text.contains("abandoned"), "{}", failed.text);
    app.post("/api/v1/billing/checkout", second.t(), &body)
        .await
        .expect(201);
}
