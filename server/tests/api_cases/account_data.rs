//! An account's data for data protection requests: an administrator exports everything kept
//! about an account, and erases it, keeping its payments against an anonymous account.

use cloudmaster_core::api::Role;
use serde_json::{Value, json};

use crate::api_support::{PASSWORD, Session, TestApp, TestDatabase};
use crate::billing_support::{SUCCEEDS, checkout, settled, shop};

backend_tests!(
    an_administrator_exports_and_erases_an_account,
    only_administrators_export_and_erase_and_not_their_own_account,
    a_learner_downloads_their_data_and_deletes_their_account,
);

/// The erased account `who` (ada@example.com) can neither log in nor use its session.
async fn assert_gone(app: &TestApp, who: &Session) {
    app.post(
        "/api/v1/auth/login",
        None,
        &json!({"email": who.user.email, "password": PASSWORD}),
    )
    .await
    .expect(401);
    assert!(
        app.get("/api/v1/me", who.t())
            .await
            .status
            .is_client_error()
    );
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": who.refresh}),
    )
    .await
    .expect(401);
}

async fn an_administrator_exports_and_erases_an_account(db: &TestDatabase) {
    let (app, admin) = shop(db, None).await;
    let ada = app.user("ada@example.com", Role::Learner).await;
    // Something of everything: a bought course, a free one with progress, an API token.
    let bought = checkout(&app, &ada, "paid-ops", SUCCEEDS).await;
    let payment_id = bought["id"].as_str().unwrap().to_owned();
    settled(&app, ada.t(), &payment_id).await;
    app.enroll(&ada, "basics").await;
    app.put(
        "/api/v1/courses/basics/lessons/welcome/progress",
        ada.t(),
        &json!({"status": "completed"}),
    )
    .await
    .expect(200);
    let token = app.api_token(&ada, "laptop", &["learn"]).await;
    // A course left keeps its progress, which the export shows too.
    app.delete("/api/v1/courses/basics/enrollment", ada.t())
        .await
        .expect(204);

    let path = format!("/api/v1/admin/users/{}", ada.user.id);
    let export: Value = app
        .get(&format!("{path}/export"), admin.t())
        .await
        .expect(200)
        .body;
    assert_eq!(export["account"]["email"], "ada@example.com");
    assert_eq!(export["account"]["suspended"], false);
    assert_eq!(export["api_tokens"][0]["name"], "laptop");
    let enrolled: Vec<&str> = export["enrollments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["course_id"].as_str().unwrap())
        .collect();
    assert_eq!(enrolled, ["paid-ops"]);
    let basics = export["progress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["course_id"] == "basics")
        .expect("the progress of a course left");
    assert!(basics.to_string().contains("welcome"), "{basics}");
    assert_eq!(export["payments"][0]["id"], json!(payment_id));
    assert!(
        !export.to_string().contains(&token),
        "no secret in the export"
    );
    assert!(
        !export.to_string().contains("argon2"),
        "no password hash in the export"
    );

    let erased = app.delete(&path, admin.t()).await.expect(200).body;
    assert_eq!(erased["user_id"], json!(ada.user.id));
    assert_eq!(erased["payments_kept"], 1);
    // Nothing of the account works any more.
    assert_gone(&app, &ada).await;
    assert!(
        app.get("/api/v1/me", Some(&token))
            .await
            .status
            .is_client_error()
    );

    // What stays is anonymous: the payment, against an account with no name or email.
    let after: Value = app
        .get(&format!("{path}/export"), admin.t())
        .await
        .expect(200)
        .body;
    let account = &after["account"];
    assert_eq!(account["name"], "Deleted account");
    assert_eq!(
        account["email"],
        format!("deleted-{}@deleted.invalid", ada.user.id)
    );
    assert_eq!(account["suspended"], true);
    assert_eq!(account["role"], "learner");
    for emptied in [
        "api_tokens",
        "ssh_keys",
        "enrollments",
        "progress",
        "attempts",
        "certificates",
        "tutor_conversations",
    ] {
        assert_eq!(after[emptied], json!([]), "{emptied}");
    }
    assert_eq!(after["payments"][0]["id"], json!(payment_id));
    assert!(!after.to_string().contains("ada@example.com"), "{after}");

    // The email is free to register again, as a new account.
    app.post(
        "/api/v1/auth/register",
        None,
        &json!({"email": "ada@example.com", "name": "Ada", "password": PASSWORD}),
    )
    .await
    .expect(201);

    let audit = app.get("/api/v1/admin/audit", admin.t()).await.expect(200);
    let actions: Vec<&str> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"admin.user_erased") && actions.contains(&"admin.user_exported"),
        "{actions:?}"
    );
}

async fn only_administrators_export_and_erase_and_not_their_own_account(db: &TestDatabase) {
    let (app, admin) = shop(db, None).await;
    let ada = app.user("ada@example.com", Role::Learner).await;
    let path = format!("/api/v1/admin/users/{}", ada.user.id);
    app.get(&format!("{path}/export"), ada.t())
        .await
        .expect(403);
    app.delete(&path, ada.t()).await.expect(403);
    let own = format!("/api/v1/admin/users/{}", admin.user.id);
    let refused = app.delete(&own, admin.t()).await.expect(409);
    assert!(
        refused.message().contains("another administrator"),
        "{}",
        refused.message()
    );
    let nobody = format!("/api/v1/admin/users/{}", uuid::Uuid::new_v4());
    app.delete(&nobody, admin.t()).await.expect(404);
    app.get(&format!("{nobody}/export"), admin.t())
        .await
        .expect(404);
    app.get("/api/v1/me", ada.t()).await.expect(200);
}

async fn a_learner_downloads_their_data_and_deletes_their_account(db: &TestDatabase) {
    let (app, admin) = shop(db, None).await;
    let ada = app.user("ada@example.com", Role::Learner).await;
    app.enroll(&ada, "basics").await;
    let token = app.api_token(&ada, "laptop", &["learn"]).await;

    let mine: Value = app
        .get("/api/v1/account/export", ada.t())
        .await
        .expect(200)
        .body;
    assert_eq!(mine["account"]["email"], "ada@example.com");
    assert_eq!(mine["enrollments"][0]["course_id"], "basics");
    app.get("/api/v1/account/export", Some(&token))
        .await
        .expect(200);

    // Deleting needs a login session and the password, again.
    let body = |password: &str| json!({ "password": password });
    app.send(
        app.http
            .delete(app.url("/api/v1/account"))
            .bearer_auth(&token)
            .json(&body(PASSWORD)),
    )
    .await
    .expect(403);
    let delete = |session: &Session, password: &str| {
        app.send(
            app.http
                .delete(app.url("/api/v1/account"))
                .bearer_auth(&session.token)
                .json(&body(password)),
        )
    };
    let wrong = delete(&ada, "not my password at all").await.expect(403);
    assert!(
        wrong.message().contains("password is wrong"),
        "{}",
        wrong.message()
    );
    let refused = delete(&admin, PASSWORD).await.expect(409);
    assert!(
        refused.message().contains("another administrator"),
        "{}",
        refused.message()
    );

    let erased = delete(&ada, PASSWORD).await.expect(200).body;
    assert_eq!(erased["user_id"], json!(ada.user.id));
    assert_gone(&app, &ada).await;
    let audit = app.get("/api/v1/admin/audit", admin.t()).await.expect(200);
    assert_eq!(
        audit.body[0]["action"], "auth.account_deleted",
        "{}",
        audit.text
    );
    assert_eq!(audit.body[0]["actor_id"], json!(ada.user.id));
}
