//! Two replicas (two `AppState`s, two servers) on one database: nothing that must be
//! shared lives in one replica's memory. Meant for PostgreSQL; SQLite runs it too (two
//! pools on one file), which checks the same contract for the embedded backend.

use cloudmaster_core::api::Role;
use serde_json::json;

use crate::api_support::{TestApp, TestDatabase, course};

backend_tests!(
    replicas_share_sessions_enrollments_and_publishes,
    replicas_share_rate_limits
);

async fn replicas_share_sessions_enrollments_and_publishes(db: &TestDatabase) {
    let a = TestApp::spawn(db).await;
    let b = TestApp::spawn(db).await;

    // A session made on A works on B: both sign with the key stored in the database.
    let learner = a.user("rep@example.com", Role::Learner).await;
    b.get("/api/v1/me", learner.t()).await.expect(200);

    // A course published through A is in B's catalog; an enrollment made through A is
    // visible through B.
    let instructor = b.user("prof@example.com", Role::Instructor).await;
    a.publish(&instructor, &course("shared-course")).await;
    b.get("/api/v1/courses/shared-course", None)
        .await
        .expect(200);
    a.post(
        "/api/v1/courses/shared-course/enrollment",
        learner.t(),
        &json!({}),
    )
    .await
    .expect(201);
    let seen = b.get("/api/v1/enrollments", learner.t()).await.expect(200);
    assert_eq!(seen.body[0]["course_id"], "shared-course");
    b.post(
        "/api/v1/courses/shared-course/enrollment",
        learner.t(),
        &json!({}),
    )
    .await
    .expect(200);
    b.put(
        "/api/v1/courses/shared-course/lessons/welcome/progress",
        learner.t(),
        &json!({"status": "completed"}),
    )
    .await
    .expect(200);
    let progress = a
        .get("/api/v1/courses/shared-course/progress", learner.t())
        .await
        .expect(200);
    assert_eq!(progress.body["completed_lessons"], 1);

    // A refresh token rotated on A is reuse-detected on B, which revokes the family for
    // both replicas.
    let rotated = a
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": learner.refresh}),
        )
        .await
        .expect(200);
    let successor = rotated.body["refresh_token"].as_str().unwrap().to_owned();
    b.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": learner.refresh}),
    )
    .await
    .expect_error(401, "unauthenticated");
    a.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": successor}),
    )
    .await
    .expect_error(401, "unauthenticated");
    // The access tokens of that login end with it, on both replicas.
    b.get("/api/v1/me", learner.t())
        .await
        .expect_error(401, "unauthenticated");

    // Concurrent refreshes of one token on both replicas: exactly one wins.
    let fresh = a.login("rep@example.com").await;
    let body = json!({"refresh_token": fresh.refresh});
    let (ra, rb) = tokio::join!(
        a.post("/api/v1/auth/refresh", None, &body),
        b.post("/api/v1/auth/refresh", None, &body)
    );
    let wins = [ra.status.as_u16(), rb.status.as_u16()];
    assert_eq!(wins.iter().filter(|s| **s == 200).count(), 1, "{wins:?}");

    // A token revoked through B is refused by A.
    let learner = a.login("rep@example.com").await;
    let token = a
        .post(
            "/api/v1/tokens",
            learner.t(),
            &json!({"name": "ci", "scopes": ["learn"]}),
        )
        .await
        .expect(201);
    let secret = token.body["token"].as_str().unwrap().to_owned();
    let id = token.body["info"]["id"].as_str().unwrap().to_owned();
    a.get("/api/v1/me", Some(&secret)).await.expect(200);
    b.delete(&format!("/api/v1/tokens/{id}"), learner.t())
        .await
        .expect(204);
    a.get("/api/v1/me", Some(&secret))
        .await
        .expect_error(401, "unauthenticated");
}

async fn replicas_share_rate_limits(db: &TestDatabase) {
    let limited = |c: &mut cloudmaster_server::ServerConfig| {
        c.rate_limit_anonymous = 5;
        c.rate_limit_free = 6;
    };
    let a = TestApp::builder(db).config(limited).spawn().await;
    let b = TestApp::builder(db).config(limited).spawn().await;
    for _ in 0..3 {
        a.get("/api/v1/courses", None).await.expect(200);
    }
    for _ in 0..2 {
        b.get("/api/v1/courses", None).await.expect(200);
    }
    b.get("/api/v1/courses", None)
        .await
        .expect_error(429, "rate_limited");
    a.get("/api/v1/courses", None)
        .await
        .expect_error(429, "rate_limited");

    // Per user too: the learner's budget is spent across both replicas.
    a.state
        .create_user(
            "budget@example.com",
            "B",
            crate::api_support::PASSWORD,
            Role::Learner,
        )
        .await
        .unwrap();
    let fresh_ip = TestApp::spawn(db).await;
    let learner = fresh_ip.login("budget@example.com").await;
    for i in 0..6 {
        let replica = if i % 2 == 0 { &a } else { &b };
        replica.get("/api/v1/me", learner.t()).await.expect(200);
    }
    a.get("/api/v1/me", learner.t())
        .await
        .expect_error(429, "rate_limited");
    b.get("/api/v1/me", learner.t())
        .await
        .expect_error(429, "rate_limited");
}
