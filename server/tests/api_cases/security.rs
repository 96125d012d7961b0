//! Trust boundaries of the HTTP API: what someone without an account can make the server
//! spend, brute force against logins, client addresses behind proxies, and sessions that
//! end when they are ended.

use std::time::Duration as StdDuration;

use cloudmaster_core::api::Role;
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use time::Duration;

use crate::api_support::{ManualClock, PASSWORD, Reply, TestApp, TestDatabase};

backend_tests!(
    password_hashing_is_bounded_and_says_when_to_retry,
    scope_is_decided_before_the_body_is_read,
    failed_logins_back_off_per_account_without_locking_out_the_owner,
    failed_logins_back_off_per_address,
    auth_routes_count_per_address_whatever_token_is_sent,
    forwarded_for_is_believed_only_from_trusted_proxies,
    logout_ends_the_access_tokens_of_the_session_on_every_replica,
    a_reused_refresh_token_ends_the_access_tokens_too,
    password_change_checks_the_current_one_and_rehashes_with_new_parameters,
    text_the_database_cannot_hold_is_the_requests_fault,
);

async fn try_login(app: &TestApp, email: &str, password: &str, device: Option<&str>) -> Reply {
    app.post(
        "/api/v1/auth/login",
        None,
        &login_body(email, password, device),
    )
    .await
}

fn login_body(email: &str, password: &str, device: Option<&str>) -> Value {
    match device {
        Some(device) => json!({"email": email, "password": password, "device_token": device}),
        None => json!({"email": email, "password": password}),
    }
}

async fn password_hashing_is_bounded_and_says_when_to_retry(db: &TestDatabase) {
    let app = TestApp::builder(db)
        .config(|c| {
            c.password_hash_threads = Some(1);
            c.password_hash_queue = 2;
            c.password_hash_wait_ms = 50;
            // Slow hashes, so that the flood arrives while the first ones run, however slowly
            // a loaded machine sends it.
            c.argon2_iterations = 16;
        })
        .spawn()
        .await;
    app.user("owner@example.com", Role::Learner).await;

    // Forty wrong logins at once: at most three are hashed (one running, two queued);
    // the rest are refused at once with 503 and Retry-After, never a 500.
    let flood = (0..40).map(|n| {
        let body = login_body(&format!("nobody{n}@example.com"), "wrong password!", None);
        let request = app.http.post(app.url("/api/v1/auth/login")).json(&body);
        app.send(request)
    });
    let replies = futures_util::future::join_all(flood).await;
    let busy: Vec<_> = replies.iter().filter(|r| r.status == 503).collect();
    let denied = replies.iter().filter(|r| r.status == 401).count();
    assert_eq!(busy.len() + denied, 40, "{replies:?}");
    assert!(busy.len() >= 30, "only {} refused", busy.len());
    assert_eq!(busy[0].body["error"]["code"], "unavailable");
    assert!(busy[0].headers.contains_key("retry-after"));

    // When the flood is over, the owner logs in.
    app.login("owner@example.com").await;
}

/// A body that sends one chunk and then never ends: a handler that waits for the whole
/// body before deciding never answers.
fn endless_body() -> reqwest::Body {
    let first = futures_util::stream::once(async { Ok::<_, std::io::Error>(vec![b'{'; 1024]) });
    reqwest::Body::wrap_stream(first.chain(futures_util::stream::pending()))
}

async fn scope_is_decided_before_the_body_is_read(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let learner = app.user("learner@example.com", Role::Learner).await;
    let cases = [
        (
            Some(learner.token.as_str()),
            403,
            "/api/v1/courses/anything/versions",
        ),
        (None, 401, "/api/v1/courses/anything/versions"),
        (
            Some(learner.token.as_str()),
            403,
            "/api/v1/admin/users/00000000-0000-0000-0000-000000000000/role",
        ),
    ];
    for (token, status, path) in cases {
        let mut request = app
            .http
            .request(
                if path.ends_with("role") {
                    reqwest::Method::PUT
                } else {
                    reqwest::Method::POST
                },
                app.url(path),
            )
            .header("content-type", "application/json")
            .header("content-length", (30 * 1024 * 1024).to_string())
            .body(endless_body());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        // Generous: the answer needs no body, and only a server waiting for one (which
        // never ends) runs into this limit.
        let reply = tokio::time::timeout(StdDuration::from_secs(60), app.send(request))
            .await
            .unwrap_or_else(|_| panic!("{path}: the server waited for the body"));
        assert_eq!(reply.status.as_u16(), status, "{path}: {}", reply.text);
    }
}

async fn failed_logins_back_off_per_account_without_locking_out_the_owner(db: &TestDatabase) {
    let clock = ManualClock::new();
    let app = TestApp::builder(db).clock(clock.clone()).spawn().await;
    let admin = app.user("admin@example.com", Role::Admin).await;
    let owner = "owner@example.com";
    app.state
        .create_user(owner, "Owner", PASSWORD, Role::Learner)
        .await
        .unwrap();
    let login = |password: &'static str, device: Option<&'static str>| {
        try_login(&app, owner, password, device)
    };
    // The owner's laptop logs in once, so the server knows it.
    let laptop = Some("laptop-device-token-0123456789abcdef");
    login(PASSWORD, laptop).await.expect(200);

    // Five wrong guesses are free; the sixth starts a back-off of one second, doubling.
    for _ in 0..5 {
        login("wrong password!", None)
            .await
            .expect_error(401, "unauthenticated");
    }
    login("wrong password!", None).await.expect(401);
    let throttled = login("wrong password!", None)
        .await
        .expect_error(429, "rate_limited");
    assert!(
        throttled
            .message()
            .contains("too many failed logins for this account")
    );
    assert_eq!(throttled.headers["retry-after"], "1");
    // Inside the window even the right password waits, from an unknown device...
    login(PASSWORD, None).await.expect(429);
    // ...but not from the owner's laptop.
    login(PASSWORD, laptop).await.expect(200);

    // The success reset the count; an attacker starts again from five free guesses.
    for _ in 0..6 {
        login("wrong password!", None).await.expect(401);
    }
    login(PASSWORD, None).await.expect(429);
    // After the window the right password works from anywhere.
    clock.advance(Duration::seconds(1));
    login(PASSWORD, None).await.expect(200);

    // The start of each back-off is in the audit log.
    let audit = app.get("/api/v1/admin/audit", admin.t()).await.expect(200);
    let entries = audit.body.as_array().unwrap();
    let backoffs: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "auth.account_backoff")
        .collect();
    assert_eq!(backoffs.len(), 2, "{entries:?}");
    assert_eq!(backoffs[0]["detail"]["failures"], 6);
    assert!(backoffs[0]["subject_id"].is_string());
    // Learners cannot read it.
    let learner = app.login(owner).await;
    app.get("/api/v1/admin/audit", learner.t())
        .await
        .expect(403);
    app.get("/api/v1/admin/audit?limit=0", admin.t())
        .await
        .expect(400);
}

async fn failed_logins_back_off_per_address(db: &TestDatabase) {
    let clock = ManualClock::new();
    let app = TestApp::builder(db).clock(clock.clone()).spawn().await;
    app.user("victim@example.com", Role::Learner).await;
    // Guessing across many (unknown) accounts from one address: twenty are free, the
    // twenty-first starts the wait.
    for n in 0..21 {
        let body = login_body(&format!("guess{n}@example.com"), "wrong password!", None);
        app.post("/api/v1/auth/login", None, &body)
            .await
            .expect(401);
    }
    let throttled = app
        .post(
            "/api/v1/auth/login",
            None,
            &login_body("victim@example.com", PASSWORD, None),
        )
        .await
        .expect(429);
    assert!(
        throttled.message().contains("from your address"),
        "{}",
        throttled.text
    );
    clock.advance(Duration::seconds(1));
    app.login("victim@example.com").await;
}

async fn auth_routes_count_per_address_whatever_token_is_sent(db: &TestDatabase) {
    let app = TestApp::builder(db)
        .config(|c| c.rate_limit_login = 3)
        .spawn()
        .await;
    let free = app.user("free@example.com", Role::Learner).await; // one login used
    for _ in 0..2 {
        app.post(
            "/api/v1/auth/login",
            free.t(),
            &login_body("x@example.com", "wrong password!", None),
        )
        .await
        .expect(401);
    }
    // The address is out of login attempts; a valid bearer token does not buy more.
    let reply = app
        .post(
            "/api/v1/auth/login",
            free.t(),
            &login_body("x@example.com", "wrong password!", None),
        )
        .await
        .expect_error(429, "rate_limited");
    assert!(reply.message().contains("login"), "{}", reply.text);
    assert!(reply.headers.contains_key("retry-after"));
    // Other routes are not affected by the login limit.
    app.get("/api/v1/me", free.t()).await.expect(200);

    // Registration has its own limit.
    let app = TestApp::builder(db)
        .config(|c| c.rate_limit_register = 1)
        .spawn()
        .await;
    for (n, status) in [(1, 201), (2, 429)] {
        let body =
            json!({"email": format!("new{n}@example.com"), "name": "New", "password": PASSWORD});
        app.post("/api/v1/auth/register", None, &body)
            .await
            .expect(status);
    }
}

async fn forwarded_for_is_believed_only_from_trusted_proxies(db: &TestDatabase) {
    // The test client connects from 127.0.0.1: trusted here, as a load balancer would be.
    let app = TestApp::builder(db)
        .config(|c| {
            c.rate_limit_login = 2;
            c.trust_forwarded_for = vec!["127.0.0.0/8".parse().unwrap()];
        })
        .spawn()
        .await;
    let attempt = |forwarded: &str| {
        let request = app
            .http
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", forwarded.to_owned())
            .json(&login_body("x@example.com", "wrong password!", None));
        app.send(request)
    };
    // The client forges the leftmost entry differently each time; the proxy appended the
    // real address, which is what counts.
    attempt("1.1.1.1, 203.0.113.7").await.expect(401);
    attempt("2.2.2.2, 203.0.113.7").await.expect(401);
    attempt("3.3.3.3, 203.0.113.7").await.expect(429);
    // Another client behind the same proxy has its own count.
    attempt("203.0.113.8").await.expect(401);

    // Without trusted proxies the header is ignored: the peer is the client.
    let app = TestApp::builder(db)
        .config(|c| c.rate_limit_login = 1)
        .spawn()
        .await;
    let request = |forwarded: &str| {
        app.http
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", forwarded.to_owned())
            .json(&login_body("x@example.com", "wrong password!", None))
    };
    app.send(request("198.51.100.1")).await.expect(401);
    app.send(request("198.51.100.2")).await.expect(429);
}

async fn logout_ends_the_access_tokens_of_the_session_on_every_replica(db: &TestDatabase) {
    let a = TestApp::spawn(db).await;
    // B keeps no auth cache, so it sees the database at once; with the default cache the
    // same holds within `--auth-cache-ms`.
    let b = TestApp::builder(db)
        .config(|c| c.auth_cache_ms = 0)
        .spawn()
        .await;
    let session = a.user("leaver@example.com", Role::Learner).await;
    let other = a.login("leaver@example.com").await;
    a.get("/api/v1/me", session.t()).await.expect(200);
    b.get("/api/v1/me", session.t()).await.expect(200);

    a.post(
        "/api/v1/auth/logout",
        None,
        &json!({"refresh_token": session.refresh}),
    )
    .await
    .expect(204);
    for app in [&a, &b] {
        let reply = app.get("/api/v1/me", session.t()).await;
        let reply = reply.expect_error(401, "unauthenticated");
        assert!(reply.message().contains("logged out"), "{}", reply.text);
    }
    // The refresh token says why it no longer works.
    let refused = b
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": session.refresh}),
        )
        .await
        .expect(401);
    assert!(refused.message().contains("logged out"), "{}", refused.text);
    // The user's other session is untouched.
    b.get("/api/v1/me", other.t()).await.expect(200);
}

async fn a_reused_refresh_token_ends_the_access_tokens_too(db: &TestDatabase) {
    let app = TestApp::builder(db)
        .config(|c| c.auth_cache_ms = 0)
        .spawn()
        .await;
    let session = app.user("victim@example.com", Role::Learner).await;
    let rotated = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": session.refresh}),
        )
        .await
        .expect(200);
    let fresh_access = rotated.body["access_token"].as_str().unwrap().to_owned();
    app.get("/api/v1/me", Some(&fresh_access)).await.expect(200);
    // The old refresh token is presented again (it was stolen): the whole login ends.
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": session.refresh}),
    )
    .await
    .expect(401);
    for token in [&session.token, &fresh_access] {
        let reply = app.get("/api/v1/me", Some(token)).await.expect(401);
        assert!(reply.message().contains("used twice"), "{}", reply.text);
    }
}

async fn password_change_checks_the_current_one_and_rehashes_with_new_parameters(
    db: &TestDatabase,
) {
    let app = TestApp::builder(db)
        .config(|c| {
            c.argon2_memory_kib = 1024;
            c.argon2_iterations = 1;
        })
        .spawn()
        .await;
    let user = app.user("changer@example.com", Role::Learner).await;
    for (current, new, status) in [
        ("not my password", "a brand new passphrase", 403),
        (PASSWORD, "short", 422),
        (PASSWORD, "a brand new passphrase", 204),
    ] {
        let body = json!({"current_password": current, "new_password": new});
        app.post("/api/v1/auth/password", user.t(), &body)
            .await
            .expect(status);
    }
    app.post(
        "/api/v1/auth/login",
        None,
        &login_body("changer@example.com", PASSWORD, None),
    )
    .await
    .expect(401);
    app.post(
        "/api/v1/auth/login",
        None,
        &login_body("changer@example.com", "a brand new passphrase", None),
    )
    .await
    .expect(200);
    let stored = |app: &TestApp| {
        let store = app.state.clone();
        async move {
            store
                .store()
                .user_by_email("changer@example.com")
                .await
                .unwrap()
                .unwrap()
                .password_hash
        }
    };
    assert!(stored(&app).await.contains("m=1024,t=1,p=1"));

    // The operator raises the cost: the next login stores a hash with the new parameters.
    let stronger = TestApp::builder(db)
        .config(|c| {
            c.argon2_memory_kib = 2048;
            c.argon2_iterations = 2;
        })
        .spawn()
        .await;
    stronger
        .post(
            "/api/v1/auth/login",
            None,
            &login_body("changer@example.com", "a brand new passphrase", None),
        )
        .await
        .expect(200);
    assert!(stored(&stronger).await.contains("m=2048,t=2,p=1"));
}

/// PostgreSQL holds no NUL character in text: a request carrying one is refused (400), not
/// answered with a server error; SQLite holds it, so there the request goes its usual way.
async fn text_the_database_cannot_hold_is_the_requests_fault(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let learner = app.user("ada@example.com", Role::Learner).await;
    let replies = [
        try_login(&app, "a\u{0}@example.com", "wrong password!", None).await,
        app.post(
            "/api/v1/billing/checkout",
            learner.t(),
            &json!({"course": "a\u{0}b"}),
        )
        .await,
    ];
    for reply in replies {
        assert!(
            reply.status.is_client_error(),
            "{}: {}",
            reply.status,
            reply.text
        );
        if db.sqlite_path().is_none() {
            assert_eq!(reply.status, 400, "{}", reply.text);
            assert!(
                reply.message().contains("NUL character"),
                "{}",
                reply.message()
            );
        }
    }
}
