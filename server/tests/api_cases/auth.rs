//! Accounts, sessions, API tokens, roles and scopes.

use cloudmaster_core::api::Role;
use serde_json::json;

use crate::api_support::{PASSWORD, TestApp, TestDatabase, course};

backend_tests!(
    sessions_rotate_and_detect_reuse,
    registration_rules,
    unauthenticated_and_malformed_requests,
    api_tokens_and_scopes,
    roles_are_enforced,
    an_admin_suspends_an_account_and_lifts_the_suspension,
);

async fn sessions_rotate_and_detect_reuse(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    app.post(
        "/api/v1/auth/register",
        None,
        &json!({"email": "ada@example.com", "name": "Ada", "password": PASSWORD}),
    )
    .await
    .expect(201);

    app.post(
        "/api/v1/auth/login",
        None,
        &json!({"email": "ada@example.com", "password": "wrong password!!"}),
    )
    .await
    .expect_error(401, "unauthenticated");
    app.post(
        "/api/v1/auth/login",
        None,
        &json!({"email": "nobody@example.com", "password": PASSWORD}),
    )
    .await
    .expect_error(401, "unauthenticated");

    let first = app.login("ada@example.com").await;
    let me = app.get("/api/v1/me", first.t()).await.expect(200);
    assert_eq!(me.body["user"]["email"], "ada@example.com");
    assert_eq!(me.body["credential"], "session");
    assert_eq!(me.body["scopes"], json!(["learn"]));

    // Rotation: each refresh gives a new refresh token.
    let rotated = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": first.refresh}),
        )
        .await
        .expect(200);
    let second_refresh = rotated.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first.refresh);
    let access = rotated.body["access_token"].as_str().unwrap().to_owned();
    app.get("/api/v1/me", Some(&access)).await.expect(200);

    // Reuse of the first token revokes the family, including the second token.
    let reused = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": first.refresh}),
        )
        .await
        .expect_error(401, "unauthenticated");
    assert!(reused.message().contains("already used"), "{}", reused.text);
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": second_refresh}),
    )
    .await
    .expect_error(401, "unauthenticated");

    // Logout revokes the session's refresh token.
    let other = app.login("ada@example.com").await;
    app.post(
        "/api/v1/auth/logout",
        None,
        &json!({"refresh_token": other.refresh}),
    )
    .await
    .expect(204);
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": other.refresh}),
    )
    .await
    .expect_error(401, "unauthenticated");
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": "made-up"}),
    )
    .await
    .expect_error(401, "unauthenticated");
}

async fn registration_rules(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let created = app
        .post(
            "/api/v1/auth/register",
            None,
            &json!({"email": "bob@example.com", "name": "Bob", "password": PASSWORD}),
        )
        .await
        .expect(201);
    assert_eq!(created.body["role"], "learner");
    assert_eq!(created.body["tier"], "free");
    assert!(created.body.get("password_hash").is_none());

    let duplicate = app
        .post(
            "/api/v1/auth/register",
            None,
            &json!({"email": "BOB@example.com", "name": "Bob", "password": PASSWORD}),
        )
        .await
        .expect_error(409, "conflict");
    assert!(
        duplicate.message().contains("already exists"),
        "{}",
        duplicate.text
    );

    let weak = app
        .post(
            "/api/v1/auth/register",
            None,
            &json!({"email": "carol@example.com", "name": "Carol", "password": "short"}),
        )
        .await
        .expect_error(422, "validation_failed");
    assert!(weak.message().contains("at least 10"), "{}", weak.text);
    app.post(
        "/api/v1/auth/register",
        None,
        &json!({"email": "not-an-email", "name": "X", "password": PASSWORD}),
    )
    .await
    .expect_error(422, "validation_failed");
}

async fn unauthenticated_and_malformed_requests(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    for path in [
        "/api/v1/me",
        "/api/v1/enrollments",
        "/api/v1/progress",
        "/api/v1/tokens",
    ] {
        app.get(path, None)
            .await
            .expect_error(401, "unauthenticated");
    }
    app.get("/api/v1/me", Some("not-a-jwt"))
        .await
        .expect_error(401, "unauthenticated");
    app.get("/api/v1/me", Some("cm_pat_unknown"))
        .await
        .expect_error(401, "unauthenticated");

    let bad_json = app
        .send(
            app.http
                .post(app.url("/api/v1/auth/login"))
                .header("content-type", "application/json")
                .body("{\"email\": "),
        )
        .await
        .expect_error(400, "bad_request");
    assert!(bad_json.headers.contains_key("x-request-id"));
    app.send(app.http.post(app.url("/api/v1/auth/login")).body("email=x"))
        .await
        .expect_error(400, "bad_request");
    app.post(
        "/api/v1/auth/login",
        None,
        &json!({"email": "x@example.com"}),
    )
    .await
    .expect_error(400, "bad_request");
    app.get("/api/v1/nope", None)
        .await
        .expect_error(404, "not_found");
    app.delete("/api/v1/tokens/not-a-uuid", None)
        .await
        .expect_error(401, "unauthenticated");

    let huge = "x".repeat(2 * 1024 * 1024);
    app.post(
        "/api/v1/auth/login",
        None,
        &json!({"email": huge, "password": PASSWORD}),
    )
    .await
    .expect_error(413, "payload_too_large");
}

async fn api_tokens_and_scopes(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let learner = app.user("lea@example.com", Role::Learner).await;
    let created = app
        .post(
            "/api/v1/tokens",
            learner.t(),
            &json!({"name": "ci", "scopes": ["learn"], "expires_in_days": 30}),
        )
        .await
        .expect(201);
    let token = created.body["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("cm_pat_"));
    let id = created.body["info"]["id"].as_str().unwrap().to_owned();
    assert!(token.starts_with(created.body["info"]["prefix"].as_str().unwrap()));

    let listed = app.get("/api/v1/tokens", learner.t()).await.expect(200);
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(listed.body[0]["name"], "ci");
    assert!(!listed.text.contains(&token), "the secret is never listed");

    let me = app.get("/api/v1/me", Some(&token)).await.expect(200);
    assert_eq!(me.body["credential"], "api_token");
    assert_eq!(me.body["scopes"], json!(["learn"]));
    // A token cannot mint tokens, and a learner cannot grant `publish`.
    app.post(
        "/api/v1/tokens",
        Some(&token),
        &json!({"name": "x", "scopes": ["learn"]}),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        "/api/v1/tokens",
        learner.t(),
        &json!({"name": "x", "scopes": ["publish"]}),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        "/api/v1/tokens",
        learner.t(),
        &json!({"name": "x", "scopes": []}),
    )
    .await
    .expect_error(422, "validation_failed");

    // An instructor's learn-only token cannot publish.
    let instructor = app.user("ivan@example.com", Role::Instructor).await;
    let learn_only = app.api_token(&instructor, "read", &["learn"]).await;
    let demo = course("token-demo");
    app.post(
        "/api/v1/courses/token-demo/versions",
        Some(&learn_only),
        &demo,
    )
    .await
    .expect_error(403, "forbidden");
    let publisher = app.api_token(&instructor, "ci", &["publish"]).await;
    app.post(
        "/api/v1/courses/token-demo/versions",
        Some(&publisher),
        &demo,
    )
    .await
    .expect(200);

    // Only one's own tokens can be revoked.
    app.delete(&format!("/api/v1/tokens/{id}"), instructor.t())
        .await
        .expect_error(404, "not_found");
    app.delete(&format!("/api/v1/tokens/{id}"), learner.t())
        .await
        .expect(204);
    app.get("/api/v1/me", Some(&token))
        .await
        .expect_error(401, "unauthenticated");
    // Revoking is idempotent.
    app.delete(&format!("/api/v1/tokens/{id}"), learner.t())
        .await
        .expect(204);
}

async fn roles_are_enforced(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let learner = app.user("lou@example.com", Role::Learner).await;
    let other = app.user("lin@example.com", Role::Learner).await;
    let admin = app.user("root@example.com", Role::Admin).await;

    app.post(
        "/api/v1/courses/mine/versions",
        learner.t(),
        &course("mine"),
    )
    .await
    .expect_error(403, "forbidden");
    app.get("/api/v1/admin/users", learner.t())
        .await
        .expect_error(403, "forbidden");
    app.put(
        &format!("/api/v1/admin/users/{}/role", learner.user.id),
        learner.t(),
        &json!({"role": "admin"}),
    )
    .await
    .expect_error(403, "forbidden");

    // Another learner's progress is not found, whether or not the user exists.
    app.get(
        &format!("/api/v1/users/{}/progress", other.user.id),
        learner.t(),
    )
    .await
    .expect_error(404, "not_found");
    app.get(
        &format!("/api/v1/users/{}/progress", uuid::Uuid::new_v4()),
        learner.t(),
    )
    .await
    .expect_error(404, "not_found");
    app.get(
        &format!("/api/v1/users/{}/progress", learner.user.id),
        learner.t(),
    )
    .await
    .expect(200);
    app.get(
        &format!("/api/v1/users/{}/progress", other.user.id),
        admin.t(),
    )
    .await
    .expect(200);

    let users = app.get("/api/v1/admin/users", admin.t()).await.expect(200);
    assert_eq!(users.body.as_array().unwrap().len(), 3);
    // Promotion applies to the learner's existing session at once.
    app.put(
        &format!("/api/v1/admin/users/{}/role", learner.user.id),
        admin.t(),
        &json!({"role": "instructor"}),
    )
    .await
    .expect(200);
    let me = app.get("/api/v1/me", learner.t()).await.expect(200);
    assert_eq!(me.body["scopes"], json!(["learn", "publish"]));
    let audit = app.get("/api/v1/admin/audit", admin.t()).await.expect(200);
    assert_eq!(
        audit.body[0]["action"], "admin.role_changed",
        "{}",
        audit.text
    );
    assert_eq!(audit.body[0]["subject_id"], json!(learner.user.id));
    assert_eq!(audit.body[0]["detail"]["role"], "instructor");
    app.post(
        "/api/v1/courses/mine/versions",
        learner.t(),
        &course("mine"),
    )
    .await
    .expect(200);
    app.put(
        &format!("/api/v1/admin/users/{}/role", uuid::Uuid::new_v4()),
        admin.t(),
        &json!({"role": "admin"}),
    )
    .await
    .expect_error(404, "not_found");
}

async fn an_admin_suspends_an_account_and_lifts_the_suspension(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let admin = app.user("admin@example.com", Role::Admin).await;
    let learner = app.user("ada@example.com", Role::Learner).await;
    let token = app.api_token(&learner, "script", &["learn"]).await;
    let suspend = |user: uuid::Uuid, suspended: bool| {
        (
            format!("/api/v1/admin/users/{user}/suspended"),
            json!({ "suspended": suspended }),
        )
    };

    // Only administrators suspend.
    let (path, body) = suspend(admin.user.id, true);
    app.put(&path, learner.t(), &body)
        .await
        .expect_error(403, "forbidden");

    let (path, body) = suspend(learner.user.id, true);
    let suspended = app.put(&path, admin.t(), &body).await.expect(200);
    assert_eq!(suspended.body["email"], "ada@example.com");
    assert_eq!(suspended.body["suspended"], true);

    // Every way in is refused at once: the session, the API token, a refresh, a login.
    let refused = app
        .get("/api/v1/me", learner.t())
        .await
        .expect_error(403, "forbidden");
    assert!(refused.message().contains("suspended"), "{}", refused.text);
    app.get("/api/v1/me", Some(&token))
        .await
        .expect_error(403, "forbidden");
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": learner.refresh}),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        "/api/v1/auth/login",
        None,
        &json!({"email": "ada@example.com", "password": PASSWORD}),
    )
    .await
    .expect_error(403, "forbidden");

    // The list shows it, and the audit log says who did it.
    let users = app.get("/api/v1/admin/users", admin.t()).await.expect(200);
    let flags: Vec<(&str, bool)> = users
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["email"].as_str().unwrap(),
                u["suspended"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        vec![("admin@example.com", false), ("ada@example.com", true)]
    );
    let audit = app.get("/api/v1/admin/audit", admin.t()).await.expect(200);
    let entry = &audit.body[0];
    assert_eq!(entry["action"], "admin.user_suspended", "{}", audit.text);
    assert_eq!(entry["actor_id"], json!(admin.user.id));
    assert_eq!(entry["subject_id"], json!(learner.user.id));

    // An administrator cannot lock themselves out; an unknown account is 404.
    let (path, body) = suspend(admin.user.id, true);
    app.put(&path, admin.t(), &body)
        .await
        .expect_error(409, "conflict");
    let (path, body) = suspend(uuid::Uuid::new_v4(), true);
    app.put(&path, admin.t(), &body)
        .await
        .expect_error(404, "not_found");

    // Lifting it lets the same session and token in again.
    let (path, body) = suspend(learner.user.id, false);
    let lifted = app.put(&path, admin.t(), &body).await.expect(200);
    assert_eq!(lifted.body["suspended"], false);
    app.get("/api/v1/me", learner.t()).await.expect(200);
    app.get("/api/v1/me", Some(&token)).await.expect(200);
    let audit = app.get("/api/v1/admin/audit", admin.t()).await.expect(200);
    assert_eq!(audit.body[0]["action"], "admin.user_unsuspended");
}
