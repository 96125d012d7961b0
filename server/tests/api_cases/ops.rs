//! Operations: health, readiness, metrics, OpenAPI, request ids, rate limits.

use cloudmaster_core::api::Role;

use crate::api_support::{TestApp, TestDatabase};

backend_tests!(
    health_metrics_and_request_ids,
    the_server_identity_outlives_a_restart,
    openapi_lists_every_route,
    rate_limits_per_tier
);

/// The route table of docs/api.md.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/.well-known/cloudmaster/server.json"),
    ("get", "/metrics"),
    ("get", "/api/v1/openapi.json"),
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/auth/password"),
    ("post", "/api/v1/auth/password-reset"),
    ("post", "/api/v1/auth/password-reset/confirm"),
    ("post", "/api/v1/tokens"),
    ("get", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{id}"),
    ("get", "/api/v1/account/ssh-keys"),
    ("post", "/api/v1/account/ssh-keys"),
    ("delete", "/api/v1/account/ssh-keys/{id}"),
    ("get", "/api/v1/courses"),
    ("get", "/api/v1/courses/search"),
    ("get", "/api/v1/courses/{course}"),
    ("get", "/api/v1/courses/{course}/lessons/{lesson}"),
    ("post", "/api/v1/courses/{course}/enrollment"),
    ("delete", "/api/v1/courses/{course}/enrollment"),
    ("get", "/api/v1/enrollments"),
    ("put", "/api/v1/courses/{course}/lessons/{lesson}/progress"),
    ("get", "/api/v1/progress"),
    ("get", "/api/v1/courses/{course}/progress"),
    ("get", "/api/v1/users/{user}/progress"),
    ("get", "/api/v1/courses/{course}/manifest"),
    ("post", "/api/v1/courses/{course}/versions"),
    ("get", "/api/v1/courses/{course}/versions"),
    ("post", "/api/v1/courses/{course}/rollback"),
    ("get", "/api/v1/admin/users"),
    ("put", "/api/v1/admin/users/{user}/role"),
    ("put", "/api/v1/admin/users/{user}/suspended"),
    ("post", "/api/v1/admin/users/{user}/password-reset"),
    ("get", "/api/v1/admin/users/{user}/export"),
    ("delete", "/api/v1/admin/users/{user}"),
    ("get", "/api/v1/account/export"),
    ("delete", "/api/v1/account"),
    ("get", "/api/v1/admin/audit"),
    ("get", "/api/v1/billing/plans"),
    ("get", "/api/v1/billing/status"),
    ("post", "/api/v1/billing/checkout"),
    ("post", "/api/v1/billing/subscriptions"),
    ("delete", "/api/v1/billing/subscription"),
    ("get", "/api/v1/billing/payments"),
    ("get", "/api/v1/billing/payments/{payment}"),
    ("post", "/api/v1/billing/payments/{payment}/card"),
    ("get", "/api/v1/billing/return"),
    ("post", "/api/v1/billing/webhooks/stripe"),
    ("post", "/api/v1/admin/payments/{payment}/refunds"),
    ("get", "/api/v1/admin/coupons"),
    ("post", "/api/v1/admin/coupons"),
    ("delete", "/api/v1/admin/coupons/{code}"),
    ("get", "/api/v1/admin/revenue"),
    ("post", "/api/v1/tutor/ask"),
    ("get", "/api/v1/tutor/conversations"),
    ("delete", "/api/v1/tutor/conversations"),
    ("get", "/api/v1/tutor/conversations/{conversation}"),
    ("delete", "/api/v1/tutor/conversations/{conversation}"),
    ("get", "/api/v1/tutor/budget"),
    ("get", "/api/v1/courses/{course}/assessments"),
    (
        "post",
        "/api/v1/courses/{course}/assessments/{assessment}/attempts",
    ),
    ("get", "/api/v1/courses/{course}/attempts"),
    ("get", "/api/v1/attempts/{attempt}"),
    ("put", "/api/v1/attempts/{attempt}/answers/{question}"),
    ("post", "/api/v1/attempts/{attempt}/submit"),
    ("get", "/api/v1/courses/{course}/mastery"),
    ("get", "/api/v1/courses/{course}/readiness"),
    ("get", "/api/v1/review"),
    ("post", "/api/v1/review/{course}/{question}"),
    ("get", "/api/v1/certificates"),
    ("get", "/api/v1/certificates/{id}"),
    ("get", "/api/v1/certificates/{id}/status"),
    ("get", "/api/v1/certificates/{id}/ob3"),
    ("post", "/api/v1/admin/certificates/{id}/revoke"),
    ("get", "/api/v1/courses/{course}/completion"),
    ("get", "/.well-known/cloudmaster/issuer.json"),
    ("get", "/api/v1/courses/{course}/labs"),
    ("post", "/api/v1/courses/{course}/labs/{lab}/sessions"),
    ("get", "/api/v1/lab-sessions"),
    ("get", "/api/v1/lab-sessions/{session}"),
    ("delete", "/api/v1/lab-sessions/{session}"),
    ("post", "/api/v1/lab-sessions/{session}/checks"),
    ("post", "/api/v1/lab-sessions/{session}/steps/{step}/hint"),
    (
        "post",
        "/api/v1/lab-sessions/{session}/steps/{step}/solution",
    ),
    ("post", "/api/v1/lab-sessions/{session}/submit"),
];

async fn health_metrics_and_request_ids(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let health = app.get("/healthz", None).await.expect(200);
    assert_eq!(health.text, "ok");
    app.get("/readyz", None).await.expect(200);

    let generated = app.get("/api/v1/courses", None).await.expect(200);
    let id = generated.headers["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    let echoed = app
        .send(
            app.http
                .get(app.url("/api/v1/courses/nope"))
                .header("x-request-id", "trace-me-42"),
        )
        .await
        .expect_error(404, "not_found");
    assert_eq!(echoed.headers["x-request-id"], "trace-me-42");

    let metrics = app.get("/metrics", None).await.expect(200);
    assert!(
        metrics.text.contains(
            "cloudmaster_http_requests_total{route=\"/api/v1/courses\",method=\"GET\",status=\"200\"} 1"
        ),
        "{}",
        metrics.text
    );
    assert!(metrics.text.contains(
        "cloudmaster_http_requests_total{route=\"/api/v1/courses/{course}\",method=\"GET\",status=\"404\"} 1"
    ));
    assert!(
        metrics
            .text
            .contains("cloudmaster_http_request_duration_seconds_bucket{route=\"/healthz\"")
    );
}

async fn the_server_identity_outlives_a_restart(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let path = "/.well-known/cloudmaster/server.json";
    let id = app.get(path, None).await.expect(200).body["server_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 32, "{id}");
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    assert_eq!(app.get(path, None).await.expect(200).body["server_id"], id);
    // Another process on the same database, on another port: the same server.
    let restarted = TestApp::spawn(db).await;
    assert_ne!(restarted.url("/"), app.url("/"));
    assert_eq!(
        restarted.get(path, None).await.expect(200).body["server_id"],
        id
    );
    // Another database: another server.
    let other_db = db.another().await;
    let other = TestApp::spawn(&other_db).await;
    assert_ne!(
        other.get(path, None).await.expect(200).body["server_id"],
        id
    );
}

async fn openapi_lists_every_route(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let doc = app.get("/api/v1/openapi.json", None).await.expect(200).body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().expect("paths");
    for (method, path) in ROUTES {
        assert!(
            paths.get(*path).and_then(|p| p.get(*method)).is_some(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        documented,
        ROUTES.len(),
        "the document has routes the table lacks"
    );
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "ErrorBody",
        "User",
        "TokenPair",
        "CourseDetail",
        "PublishOutcome",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

async fn rate_limits_per_tier(db: &TestDatabase) {
    let app = TestApp::builder(db)
        .config(|c| {
            c.rate_limit_anonymous = 3;
            c.rate_limit_free = 4;
            c.rate_limit_staff = 0;
        })
        .spawn()
        .await;
    for _ in 0..3 {
        app.get("/api/v1/courses", None).await.expect(200);
    }
    let limited = app
        .get("/api/v1/courses", None)
        .await
        .expect_error(429, "rate_limited");
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    // Operations endpoints are never limited.
    app.get("/healthz", None).await.expect(200);

    // A free learner has their own budget (login itself was anonymous, so make the
    // account directly and mint the session through the library).
    app.state
        .create_user(
            "free@example.com",
            "Free",
            crate::api_support::PASSWORD,
            Role::Learner,
        )
        .await
        .unwrap();
    let other_ip = TestApp::builder(db)
        .config(|c| c.rate_limit_free = 4)
        .spawn()
        .await;
    let learner = other_ip.login("free@example.com").await;
    for _ in 0..4 {
        app.get("/api/v1/me", learner.t()).await.expect(200);
    }
    app.get("/api/v1/me", learner.t())
        .await
        .expect_error(429, "rate_limited");
    // Staff are unlimited here.
    let staff = other_ip.user("staff@example.com", Role::Admin).await;
    for _ in 0..10 {
        app.get("/api/v1/me", staff.t()).await.expect(200);
    }
}

/// `cloudmaster-server create-user`: reads the password from stdin, exits 3 when the email
/// is taken, and refuses a weak password.
#[test]
fn create_user_bootstraps_an_admin() {
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let run = |email: &str, password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cloudmaster-server"))
            .args([
                "create-user",
                "--email",
                email,
                "--role",
                "admin",
                "--password-stdin",
            ])
            .arg("--data-dir")
            .arg(dir.path())
            .env_remove("CLOUDMASTER_DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let created = run("first@example.com", crate::api_support::PASSWORD);
    assert!(created.status.success(), "{created:?}");
    assert!(String::from_utf8_lossy(&created.stdout).contains("created admin first@example.com"));
    let again = run("first@example.com", crate::api_support::PASSWORD);
    assert_eq!(again.status.code(), Some(3), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let weak = run("second@example.com", "short");
    assert_eq!(weak.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&weak.stderr).contains("at least 10 characters"),
        "{weak:?}"
    );
}
