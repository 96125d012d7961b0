//! One clock: every timestamp the server writes comes from the clock it was given, so a
//! test that sets the clock reads back exactly that time.

use cloudmaster_core::api::Role;
use cloudmaster_server::Clock as _;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::api_support::{ManualClock, TestApp, TestDatabase, course};

backend_tests!(every_stored_timestamp_comes_from_the_injected_clock);

fn at(value: &Value) -> OffsetDateTime {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"));
    OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|e| panic!("{text}: {e}"))
}

async fn every_stored_timestamp_comes_from_the_injected_clock(db: &TestDatabase) {
    let clock = ManualClock::new();
    // Far enough from the system clock that a time taken from it could not pass.
    clock.advance(Duration::days(40));
    let app = TestApp::builder(db).clock(clock.clone()).spawn().await;
    let then = clock.now();

    let instructor = app.user("ines@example.com", Role::Instructor).await;
    let learner = app.user("lena@example.com", Role::Learner).await;
    let stored = app
        .state
        .store()
        .user_by_email("lena@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.user.created_at, then, "user created_at");

    app.publish(&instructor, &course("basics")).await;
    let detail = app.get("/api/v1/courses/basics", None).await.expect(200);
    assert_eq!(at(&detail.body["published_at"]), then, "published_at");
    let versions = app
        .get("/api/v1/courses/basics/versions", instructor.t())
        .await
        .expect(200);
    assert_eq!(at(&versions.body[0]["published_at"]), then, "version");

    let enrolled = app
        .post("/api/v1/courses/basics/enrollment", learner.t(), &json!({}))
        .await
        .expect(201);
    assert_eq!(at(&enrolled.body["enrolled_at"]), then, "enrolled_at");

    let token = app
        .post(
            "/api/v1/tokens",
            learner.t(),
            &json!({"name": "ci", "scopes": ["learn"], "expires_in_days": 30}),
        )
        .await
        .expect(201);
    assert_eq!(at(&token.body["info"]["created_at"]), then, "token");
    assert_eq!(
        at(&token.body["info"]["expires_at"]),
        then + Duration::days(30),
        "token expiry"
    );
    let listed = app.get("/api/v1/tokens", learner.t()).await.expect(200);
    assert_eq!(at(&listed.body[0]["created_at"]), then, "listed token");
}
