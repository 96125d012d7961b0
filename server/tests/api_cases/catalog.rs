//! Catalog, enrollment (prerequisites, payment) and progress.

use cloudmaster_core::api::Role;
use cloudmaster_core::course::{Level, Price};
use serde_json::json;

use crate::api_support::{TestApp, TestDatabase, course};

backend_tests!(
    catalog_lists_filters_searches,
    enrollment_rules,
    progress_round_trip
);

/// Publishes three courses: `basics` (free, beginner, general), `advanced-ops` (paid,
/// advanced, aws, needs `basics`) and `k8s-intro` (free, intermediate, kubernetes).
async fn seed(app: &TestApp) -> crate::api_support::Session {
    let instructor = app.user("teacher@example.com", Role::Instructor).await;
    app.publish(&instructor, &course("basics")).await;
    let mut paid = course("advanced-ops");
    paid.title = "Advanced operations".into();
    paid.level = Level::Advanced;
    paid.provider = "aws".into();
    paid.tags = vec!["aws".into(), "certification".into()];
    paid.price = Some(Price {
        amount: 4900,
        currency: "USD".into(),
    });
    paid.prerequisites = vec!["basics".into()];
    paid.modules[0].lessons[0].body =
        "## Observability\nWith **zeppelinometrics** [dashboards](https://example.com/d).".into();
    app.publish(&instructor, &paid).await;
    let mut k8s = course("k8s-intro");
    k8s.level = Level::Intermediate;
    k8s.provider = "kubernetes".into();
    app.publish(&instructor, &k8s).await;
    instructor
}

fn ids(body: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

async fn catalog_lists_filters_searches(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    assert_eq!(
        app.get("/api/v1/courses", None).await.expect(200).body,
        json!([])
    );
    seed(&app).await;

    let all = app.get("/api/v1/courses", None).await.expect(200);
    assert_eq!(ids(&all.body), ["advanced-ops", "basics", "k8s-intro"]);
    let paid = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "advanced-ops")
        .unwrap();
    assert_eq!(paid["price"], json!({"amount": 4900, "currency": "USD"}));
    assert_eq!(paid["version"], 1);
    assert_eq!(paid["lesson_count"], 2);

    for (query, expected) in [
        ("provider=aws", vec!["advanced-ops"]),
        ("level=intermediate", vec!["k8s-intro"]),
        ("tag=certification", vec!["advanced-ops"]),
        ("free=true", vec!["basics", "k8s-intro"]),
        ("free=false", vec!["advanced-ops"]),
        ("provider=aws&free=true", vec![]),
    ] {
        let reply = app
            .get(&format!("/api/v1/courses?{query}"), None)
            .await
            .expect(200);
        assert_eq!(ids(&reply.body), expected, "{query}");
    }
    app.get("/api/v1/courses?free=maybe", None)
        .await
        .expect_error(400, "bad_request");

    let hits = app
        .get("/api/v1/courses/search?q=zeppelinometrics", None)
        .await
        .expect(200);
    assert_eq!(hits.body[0]["course_id"], "advanced-ops", "{}", hits.text);
    assert_eq!(hits.body[0]["lesson_id"], "welcome");
    // Snippets are plain text: no Markdown syntax, no words run together.
    let snippet = hits.body[0]["snippet"].as_str().unwrap();
    assert!(
        snippet.starts_with("Observability With [zeppelinometrics] dashboards"),
        "{snippet}"
    );
    assert!(
        !snippet.contains("##") && !snippet.contains("**"),
        "{snippet}"
    );
    assert!(!snippet.contains("https://"), "{snippet}");
    app.get("/api/v1/courses/search?q=%20", None)
        .await
        .expect_error(422, "validation_failed");
    app.get("/api/v1/courses/search", None)
        .await
        .expect_error(400, "bad_request");

    let detail = app
        .get("/api/v1/courses/advanced-ops", None)
        .await
        .expect(200);
    assert_eq!(detail.body["title"], "Advanced operations");
    assert_eq!(detail.body["prerequisites"], json!(["basics"]));
    assert_eq!(detail.body["modules"][0]["lessons"][0]["id"], "welcome");
    assert!(
        !detail.text.contains("zeppelinometrics"),
        "no lesson bodies in the detail"
    );
    app.get("/api/v1/courses/nope", None)
        .await
        .expect_error(404, "not_found");
}

async fn enrollment_rules(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    seed(&app).await;
    let learner = app.user("lena@example.com", Role::Learner).await;

    let first = app
        .post("/api/v1/courses/basics/enrollment", learner.t(), &json!({}))
        .await
        .expect(201);
    assert_eq!(first.body["course_id"], "basics");
    let again = app
        .post("/api/v1/courses/basics/enrollment", learner.t(), &json!({}))
        .await
        .expect(200);
    assert_eq!(again.body["enrolled_at"], first.body["enrolled_at"]);
    app.post("/api/v1/courses/nope/enrollment", learner.t(), &json!({}))
        .await
        .expect_error(404, "not_found");

    let missing = app
        .post(
            "/api/v1/courses/advanced-ops/enrollment",
            learner.t(),
            &json!({}),
        )
        .await
        .expect_error(409, "prerequisites_missing");
    assert!(missing.message().contains("basics"), "{}", missing.text);

    // Completing every lesson of `basics` satisfies the prerequisite; then payment is due.
    for lesson in ["welcome", "first-steps"] {
        app.put(
            &format!("/api/v1/courses/basics/lessons/{lesson}/progress"),
            learner.t(),
            &json!({"status": "completed"}),
        )
        .await
        .expect(200);
    }
    let pay = app
        .post(
            "/api/v1/courses/advanced-ops/enrollment",
            learner.t(),
            &json!({}),
        )
        .await
        .expect_error(402, "payment_required");
    assert!(
        pay.message().contains("billing checkout advanced-ops"),
        "{}",
        pay.text
    );

    let premium = app.premium_learner("pat@example.com").await;
    for lesson in ["welcome", "first-steps"] {
        app.post("/api/v1/courses/basics/enrollment", premium.t(), &json!({}))
            .await;
        app.put(
            &format!("/api/v1/courses/basics/lessons/{lesson}/progress"),
            premium.t(),
            &json!({"status": "completed"}),
        )
        .await
        .expect(200);
    }
    app.post(
        "/api/v1/courses/advanced-ops/enrollment",
        premium.t(),
        &json!({}),
    )
    .await
    .expect(201);

    let list = app
        .get("/api/v1/enrollments", learner.t())
        .await
        .expect(200);
    assert_eq!(ids_of_enrollments(&list.body), ["basics"]);
    app.delete("/api/v1/courses/basics/enrollment", learner.t())
        .await
        .expect(204);
    app.delete("/api/v1/courses/basics/enrollment", learner.t())
        .await
        .expect_error(404, "not_found");
    assert_eq!(
        app.get("/api/v1/enrollments", learner.t())
            .await
            .expect(200)
            .body,
        json!([])
    );
}

fn ids_of_enrollments(body: &serde_json::Value) -> Vec<String> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|e| e["course_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn progress_round_trip(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let instructor = seed(&app).await;
    let learner = app.user("leo@example.com", Role::Learner).await;
    let lesson = "/api/v1/courses/basics/lessons/welcome";

    // Lessons and progress need enrollment; the owner reads without it.
    app.get(lesson, learner.t())
        .await
        .expect_error(403, "not_enrolled");
    app.put(
        &format!("{lesson}/progress"),
        learner.t(),
        &json!({"status": "started"}),
    )
    .await
    .expect_error(403, "not_enrolled");
    app.get("/api/v1/courses/basics/progress", learner.t())
        .await
        .expect_error(403, "not_enrolled");
    app.get(lesson, instructor.t()).await.expect(200);
    app.get("/api/v1/courses/nope/lessons/welcome", learner.t())
        .await
        .expect_error(404, "not_found");

    app.post("/api/v1/courses/basics/enrollment", learner.t(), &json!({}))
        .await
        .expect(201);
    let body = app.get(lesson, learner.t()).await.expect(200);
    assert_eq!(body.body["module_id"], "getting-started");
    assert!(body.body["body"].as_str().unwrap().len() > 10);
    app.get("/api/v1/courses/basics/lessons/nope", learner.t())
        .await
        .expect_error(404, "not_found");

    let started = app
        .put(
            &format!("{lesson}/progress"),
            learner.t(),
            &json!({"status": "started", "position": 12}),
        )
        .await
        .expect(200);
    assert_eq!(started.body["status"], "started");
    assert_eq!(started.body["position"], 12);
    let done = json!({"status": "completed", "position": 40});
    let first = app
        .put(&format!("{lesson}/progress"), learner.t(), &done)
        .await
        .expect(200);
    // Replays (the offline queue) change nothing; completion is sticky.
    let replay = app
        .put(&format!("{lesson}/progress"), learner.t(), &done)
        .await
        .expect(200);
    assert_eq!(replay.body["completed_at"], first.body["completed_at"]);
    let back = app
        .put(
            &format!("{lesson}/progress"),
            learner.t(),
            &json!({"status": "started"}),
        )
        .await
        .expect(200);
    assert_eq!(back.body["status"], "completed");
    app.put(
        "/api/v1/courses/basics/lessons/nope/progress",
        learner.t(),
        &json!({"status": "started"}),
    )
    .await
    .expect_error(404, "not_found");
    app.put(
        &format!("{lesson}/progress"),
        learner.t(),
        &json!({"status": "paused"}),
    )
    .await
    .expect_error(400, "bad_request");

    let course = app
        .get("/api/v1/courses/basics/progress", learner.t())
        .await
        .expect(200);
    assert_eq!(course.body["completed_lessons"], 1);
    assert_eq!(course.body["total_lessons"], 2);
    assert_eq!(course.body["percent"], 50);
    assert_eq!(course.body["resume"]["lesson_id"], "first-steps");
    let all = app.get("/api/v1/progress", learner.t()).await.expect(200);
    assert_eq!(all.body.as_array().unwrap().len(), 1);
    assert_eq!(all.body[0]["course_id"], "basics");
    let mine = app
        .get(
            &format!("/api/v1/users/{}/progress", learner.user.id),
            learner.t(),
        )
        .await
        .expect(200);
    assert_eq!(mine.body, all.body);
}
