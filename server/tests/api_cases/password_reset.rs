//! Resetting a forgotten password: a code mailed through a real SMTP server
//! (`scripts/smtp-sink`), or made by an administrator where the server sends no mail. A code
//! works once, for 30 minutes, and ends every session of the account; requests answer alike
//! for any email and are limited per account and per address.

use cloudmaster_core::api::Role;
use serde_json::{Value, json};

use crate::api_support::smtp::SmtpSink;
use crate::api_support::{ManualClock, PASSWORD, TestApp, TestDatabase};

backend_tests!(
    a_mailed_code_resets_the_password_and_ends_every_session,
    requests_answer_alike_and_an_account_gets_three_codes_an_hour,
    without_mail_a_request_says_to_ask_an_administrator,
    an_administrator_makes_a_code_that_works_once_until_it_expires,
    requests_are_limited_per_address,
);

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn spawn_with_mail(db: &TestDatabase, sink: &SmtpSink) -> TestApp {
    let url = sink.url.clone();
    TestApp::builder(db)
        .config(move |c| {
            c.mail.smtp_url = Some(url);
            c.mail.mail_from = "Cloudmaster <noreply@cloudmaster.test>".to_owned();
        })
        .spawn()
        .await
}

async fn ask(app: &TestApp, email: &str) -> crate::api_support::Reply {
    app.post(
        "/api/v1/auth/password-reset",
        None,
        &json!({ "email": email }),
    )
    .await
}

async fn confirm(app: &TestApp, code: &str, password: &str) -> crate::api_support::Reply {
    app.post(
        "/api/v1/auth/password-reset/confirm",
        None,
        &json!({ "code": code, "new_password": password }),
    )
    .await
}

async fn login(app: &TestApp, email: &str, password: &str) -> crate::api_support::Reply {
    app.post(
        "/api/v1/auth/login",
        None,
        &json!({ "email": email, "password": password }),
    )
    .await
}

/// The actions of the audit log, newest first.
async fn audit_actions(app: &TestApp) -> Vec<String> {
    let admin = app.user("auditor@example.com", Role::Admin).await;
    let audit = app.get("/api/v1/admin/audit", admin.t()).await.expect(200);
    audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_mailed_code_resets_the_password_and_ends_every_session(db: &TestDatabase) {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let app = spawn_with_mail(db, &sink).await;
    let laptop = app.user("ada@example.com", Role::Learner).await;
    let phone = app.login("ada@example.com").await;

    // The email is matched in any case.
    ask(&app, "ADA@example.com").await.expect(202);
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.header("To"), Some("ada@example.com"), "{}", mail.text);
    assert_eq!(
        mail.header("From"),
        Some("Cloudmaster <noreply@cloudmaster.test>")
    );
    assert_eq!(
        mail.header("Subject"),
        Some("Reset your cloudmaster password")
    );
    assert!(
        mail.text.contains("cloudmaster password reset"),
        "{}",
        mail.text
    );
    let code = mail.word_starting("cm_reset_").expect("a code in the mail");

    confirm(&app, code, NEW_PASSWORD).await.expect(204);
    // Every session ended: access tokens and refresh tokens alike.
    for session in [&laptop, &phone] {
        let refused = app.get("/api/v1/me", session.t()).await.expect(401);
        assert!(
            refused.message().contains("password was reset"),
            "{}",
            refused.message()
        );
        app.post(
            "/api/v1/auth/refresh",
            None,
            &json!({ "refresh_token": session.refresh }),
        )
        .await
        .expect(401);
    }
    login(&app, "ada@example.com", PASSWORD).await.expect(401);
    login(&app, "ada@example.com", NEW_PASSWORD)
        .await
        .expect(200);

    // The code worked once.
    let again = confirm(&app, code, "yet another passphrase")
        .await
        .expect(400);
    assert!(
        again.message().contains("unknown, used or expired"),
        "{}",
        again.message()
    );
    let signed_in = login(&app, "ada@example.com", NEW_PASSWORD)
        .await
        .expect(200);

    // The owner is told of the reset, and of a later change, by mail (without a code).
    let told = sink.wait_for(2).await.remove(1);
    assert_eq!(told.header("To"), Some("ada@example.com"));
    assert_eq!(
        told.header("Subject"),
        Some("Your cloudmaster password was reset")
    );
    assert!(
        told.text
            .contains("cloudmaster password forgot ada@example.com"),
        "{}",
        told.text
    );
    assert!(told.word_starting("cm_reset_").is_none(), "{}", told.text);
    let access = signed_in.body["access_token"].as_str().unwrap();
    app.post(
        "/api/v1/auth/password",
        Some(access),
        &json!({"current_password": NEW_PASSWORD, "new_password": "a third passphrase"}),
    )
    .await
    .expect(204);
    let changed = sink.wait_for(3).await.remove(2);
    assert_eq!(
        changed.header("Subject"),
        Some("Your cloudmaster password was changed")
    );

    let actions = audit_actions(&app).await;
    let reset = actions.iter().position(|a| a == "auth.password_reset");
    let requested = actions
        .iter()
        .position(|a| a == "auth.password_reset_requested");
    assert!(reset.is_some() && requested > reset, "{actions:?}");
}

async fn requests_answer_alike_and_an_account_gets_three_codes_an_hour(db: &TestDatabase) {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let clock = ManualClock::new();
    let url = sink.url.clone();
    let app = TestApp::builder(db)
        .clock(clock.clone())
        .config(move |c| c.mail.smtp_url = Some(url))
        .spawn()
        .await;
    app.user("ada@example.com", Role::Learner).await;
    let bob = app.user("bob@example.com", Role::Learner).await;
    let admin = app.user("admin@example.com", Role::Admin).await;
    app.put(
        &format!("/api/v1/admin/users/{}/suspended", bob.user.id),
        admin.t(),
        &json!({ "suspended": true }),
    )
    .await
    .expect(200);

    // No account, a suspended one, and a real one: the same answer, one mail.
    let nobody = ask(&app, "nobody@example.com").await.expect(202);
    let suspended = ask(&app, "bob@example.com").await.expect(202);
    let real = ask(&app, "ada@example.com").await.expect(202);
    assert_eq!(nobody.text, real.text);
    assert_eq!(suspended.text, real.text);
    for _ in 0..3 {
        ask(&app, "ada@example.com").await.expect(202);
    }
    // Whatever was queued has been sent once the jobs have run.
    cloudmaster_server::jobs::run_once(&app.state)
        .await
        .unwrap();
    let mails = sink.wait_for(3).await;
    assert_eq!(mails.len(), 3, "three codes an hour: {mails:?}");
    assert!(
        mails
            .iter()
            .all(|m| m.header("To") == Some("ada@example.com"))
    );

    // An hour on, the account may have another.
    clock.advance(time::Duration::minutes(61));
    ask(&app, "ada@example.com").await.expect(202);
    cloudmaster_server::jobs::run_once(&app.state)
        .await
        .unwrap();
    assert_eq!(sink.wait_for(4).await.len(), 4);
}

async fn without_mail_a_request_says_to_ask_an_administrator(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    app.user("ada@example.com", Role::Learner).await;
    for email in ["ada@example.com", "nobody@example.com"] {
        let refused = ask(&app, email).await.expect_error(503, "unavailable");
        assert!(
            refused
                .message()
                .contains("cloudmaster admin users reset-password"),
            "{}",
            refused.message()
        );
    }
}

async fn an_administrator_makes_a_code_that_works_once_until_it_expires(db: &TestDatabase) {
    let clock = ManualClock::new();
    let app = TestApp::builder(db).clock(clock.clone()).spawn().await;
    let ada = app.user("ada@example.com", Role::Learner).await;
    let admin = app.user("admin@example.com", Role::Admin).await;
    let path = format!("/api/v1/admin/users/{}/password-reset", ada.user.id);

    // Only administrators make codes.
    app.post(&path, ada.t(), &json!({})).await.expect(403);
    let nobody = format!(
        "/api/v1/admin/users/{}/password-reset",
        uuid::Uuid::new_v4()
    );
    app.post(&nobody, admin.t(), &json!({})).await.expect(404);

    let issued = app.post(&path, admin.t(), &json!({})).await.expect(201);
    assert_eq!(issued.body["email"], "ada@example.com");
    assert_eq!(issued.body["user_id"], json!(ada.user.id));
    let expires_at = time::OffsetDateTime::parse(
        issued.body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(expires_at, app.now() + time::Duration::minutes(30));
    let code = issued.body["code"].as_str().unwrap().to_owned();
    assert!(code.starts_with("cm_reset_"), "{code}");

    // Malformed codes and weak passwords are refused before anything changes.
    let malformed = confirm(&app, "123456", NEW_PASSWORD).await.expect(400);
    assert!(
        malformed.message().contains("cm_reset_"),
        "{}",
        malformed.message()
    );
    confirm(&app, &code, "short").await.expect(422);

    // A code past its 30 minutes does nothing.
    clock.advance(time::Duration::minutes(31));
    confirm(&app, &code, NEW_PASSWORD).await.expect(400);
    login(&app, "ada@example.com", PASSWORD).await.expect(200);

    let fresh: Value = app
        .post(&path, admin.t(), &json!({}))
        .await
        .expect(201)
        .body;
    confirm(&app, fresh["code"].as_str().unwrap(), NEW_PASSWORD)
        .await
        .expect(204);
    login(&app, "ada@example.com", NEW_PASSWORD)
        .await
        .expect(200);
    let actions = audit_actions(&app).await;
    assert!(
        actions.contains(&"admin.password_reset_issued".to_owned()),
        "{actions:?}"
    );
}

async fn requests_are_limited_per_address(db: &TestDatabase) {
    let app = TestApp::builder(db)
        .config(|c| c.rate_limit_password_reset = 2)
        .spawn()
        .await;
    // Refused for want of mail, but counted: the limit guards the route, not the mail.
    ask(&app, "a@example.com").await.expect(503);
    confirm(&app, "cm_reset_x", NEW_PASSWORD).await.expect(400);
    ask(&app, "b@example.com")
        .await
        .expect_error(429, "rate_limited");
}
