//! Publishing: dry-run plans, versions, no-op republish, ownership, rollback, validation.

use cloudmaster_core::api::{PublishOutcome, Role};
use serde_json::json;

use crate::api_support::{TestApp, TestDatabase, course};

backend_tests!(
    publish_plans_versions_and_rollback,
    publish_rejects_bad_bundles
);

fn outcome(body: serde_json::Value) -> PublishOutcome {
    serde_json::from_value(body).expect("PublishOutcome")
}

async fn publish_plans_versions_and_rollback(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let owner = app.user("owner@example.com", Role::Instructor).await;
    let rival = app.user("rival@example.com", Role::Instructor).await;
    let admin = app.user("admin@example.com", Role::Admin).await;
    let v1 = course("aws-basics");
    let versions = "/api/v1/courses/aws-basics/versions";

    // A dry run plans everything as new and stores nothing.
    let plan = outcome(
        app.post(&format!("{versions}?dry_run=true"), owner.t(), &v1)
            .await
            .expect(200)
            .body,
    );
    assert!(plan.dry_run && !plan.applied);
    assert!(plan.plan.new_course);
    assert_eq!(plan.plan.lessons.added, ["first-steps", "welcome"]);
    assert_eq!((plan.version, plan.previous_version), (1, None));
    app.get("/api/v1/courses/aws-basics", None)
        .await
        .expect_error(404, "not_found");
    app.get("/api/v1/courses/aws-basics/manifest", owner.t())
        .await
        .expect_error(404, "not_found");

    let applied = outcome(app.publish(&owner, &v1).await);
    assert!(applied.applied && !applied.dry_run);
    assert_eq!(applied.version, 1);
    assert_eq!(
        app.get("/api/v1/courses/aws-basics", None)
            .await
            .expect(200)
            .body["version"],
        1
    );

    // Identical content is a no-op that keeps the version.
    let same = outcome(app.publish(&owner, &v1).await);
    assert!(!same.applied);
    assert_eq!((same.version, same.previous_version), (1, Some(1)));
    assert!(same.plan.lessons.changed.is_empty() && !same.plan.metadata_changed);

    // One edited lesson is exactly one change.
    let mut v2 = v1.clone();
    v2.modules[0].lessons[1]
        .body
        .push_str("\nA new paragraph.\n");
    let planned = outcome(
        app.post(&format!("{versions}?dry_run=true"), owner.t(), &v2)
            .await
            .expect(200)
            .body,
    );
    assert_eq!(planned.plan.lessons.changed, ["first-steps"]);
    assert!(planned.plan.lessons.added.is_empty() && planned.plan.lessons.removed.is_empty());
    assert!(planned.plan.modules.is_empty() && planned.plan.questions.is_empty());
    assert!(!planned.plan.metadata_changed && !planned.applied);
    assert_eq!(planned.version, 2);
    let applied = outcome(app.publish(&owner, &v2).await);
    assert_eq!((applied.version, applied.previous_version), (2, Some(1)));

    // Other instructors may not publish it or see its manifest; admins may.
    app.post(versions, rival.t(), &v2)
        .await
        .expect_error(403, "forbidden");
    app.get("/api/v1/courses/aws-basics/manifest", rival.t())
        .await
        .expect_error(403, "forbidden");
    app.get(versions, rival.t())
        .await
        .expect_error(403, "forbidden");
    let manifest = app
        .get("/api/v1/courses/aws-basics/manifest", admin.t())
        .await
        .expect(200);
    assert_eq!(manifest.body["version"], 2);
    assert!(manifest.body["manifest"]["items"]["lesson:first-steps"].is_string());

    // Rollback republishes version 1's content as version 3.
    let rolled = outcome(
        app.post(
            "/api/v1/courses/aws-basics/rollback",
            owner.t(),
            &json!({"version": 1}),
        )
        .await
        .expect(200)
        .body,
    );
    assert!(rolled.applied);
    assert_eq!((rolled.version, rolled.restored_from), (3, Some(1)));
    assert_eq!(rolled.plan.lessons.changed, ["first-steps"]);
    let listed = app.get(versions, owner.t()).await.expect(200);
    let listed = listed.body.as_array().unwrap().clone();
    assert_eq!(listed.len(), 3);
    let current: Vec<_> = listed.iter().filter(|v| v["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["version"], 3);
    assert_eq!(current[0]["restored_from"], 1);
    let lesson = app
        .get("/api/v1/courses/aws-basics/lessons/first-steps", owner.t())
        .await
        .expect(200);
    assert!(
        !lesson.body["body"]
            .as_str()
            .unwrap()
            .contains("A new paragraph")
    );
    app.post(
        "/api/v1/courses/aws-basics/rollback",
        owner.t(),
        &json!({"version": 42}),
    )
    .await
    .expect_error(404, "not_found");

    // The library entry point the CLI uses applies the same rules.
    let again = app
        .state
        .publish(&owner.user, v1.clone(), false)
        .await
        .unwrap();
    assert!(!again.applied, "v1 content is current again");
    let err = app.state.publish(&rival.user, v2, false).await.unwrap_err();
    assert_eq!(err.status().as_u16(), 403);
}

async fn publish_rejects_bad_bundles(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let owner = app.user("author@example.com", Role::Instructor).await;

    let mut invalid = course("broken");
    invalid.modules[0].lessons[1].id = "Not An Id".into();
    invalid.estimated_hours = 1;
    let reply = app
        .post("/api/v1/courses/broken/versions", owner.t(), &invalid)
        .await
        .expect_error(422, "validation_failed");
    assert!(reply.message().contains("Not An Id"), "{}", reply.text);

    let mut orphan = course("orphan");
    orphan.prerequisites = vec!["never-published".into()];
    let reply = app
        .post("/api/v1/courses/orphan/versions", owner.t(), &orphan)
        .await
        .expect_error(422, "validation_failed");
    assert!(
        reply.message().contains("never-published"),
        "{}",
        reply.text
    );

    app.post(
        "/api/v1/courses/other-id/versions",
        owner.t(),
        &course("mismatch"),
    )
    .await
    .expect_error(422, "validation_failed");
    app.post(
        "/api/v1/courses/x/versions",
        owner.t(),
        &json!({"id": "x", "title": 3}),
    )
    .await
    .expect_error(400, "bad_request");

    // Bundles may be larger than the 1 MiB default limit, up to the publish limit.
    let mut big = course("big-course");
    big.modules[0].lessons[0].body = "lorem ipsum ".repeat(200_000);
    app.publish(&owner, &big).await;
    let tiny = TestApp::builder(db)
        .config(|c| c.max_publish_bytes = 64 * 1024)
        .spawn()
        .await;
    let owner_again = tiny.login("author@example.com").await;
    tiny.post("/api/v1/courses/big-course/versions", owner_again.t(), &big)
        .await
        .expect_error(413, "payload_too_large");
}
