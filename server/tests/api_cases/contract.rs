//! The API contract: what the OpenAPI document promises (statuses, validation rules) is
//! what the server does, integer query parameters refuse what their schema refuses, and
//! concurrent duplicate requests get the documented answers.

use cloudmaster_core::api::Role;
use serde_json::{Value, json};

use crate::api_support::{TestApp, TestDatabase, course};

backend_tests!(
    concurrent_enrollments_create_one,
    integer_query_parameters_are_checked,
    openapi_documents_statuses_and_rules,
);

/// Twenty enrollments of one user in one course at once: one 201, nineteen 200, all with
/// the same enrollment.
async fn concurrent_enrollments_create_one(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let instructor = app.user("teacher@example.com", Role::Instructor).await;
    app.publish(&instructor, &course("basics")).await;
    let learner = app.user("lena@example.com", Role::Learner).await;

    let body = json!({});
    let requests =
        (0..20).map(|_| app.post("/api/v1/courses/basics/enrollment", learner.t(), &body));
    let replies = futures_util::future::join_all(requests).await;
    let mut statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort_unstable();
    let mut expected = vec![200; 19];
    expected.push(201);
    assert_eq!(statuses, expected);
    let first = &replies[0].body;
    for reply in &replies {
        assert_eq!(reply.body, *first, "every answer shows the one enrollment");
    }
    let listed = app
        .get("/api/v1/enrollments", learner.t())
        .await
        .expect(200);
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
}

async fn integer_query_parameters_are_checked(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let learner = app.user("lena@example.com", Role::Learner).await;
    for (path, parameter) in [
        ("/api/v1/courses/search?q=cloud&limit=", "limit"),
        ("/api/v1/review?limit=", "limit"),
    ] {
        for bad in ["-1", "0", "101", "99999999999", "ten"] {
            let reply = app
                .get(&format!("{path}{bad}"), learner.t())
                .await
                .expect_error(400, "bad_request");
            assert!(
                reply.message().contains(&format!("`{parameter}`"))
                    || reply.message().contains(parameter),
                "{path}{bad}: {}",
                reply.message()
            );
        }
        for good in ["1", "100"] {
            app.get(&format!("{path}{good}"), learner.t())
                .await
                .expect(200);
        }
    }
    let reply = app
        .get("/api/v1/review?limit=0", learner.t())
        .await
        .expect_error(400, "bad_request");
    assert!(
        reply.message().contains("between 1 and 100"),
        "{}",
        reply.message()
    );
}

fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not documented");
    op
}

fn statuses(op: &Value) -> Vec<String> {
    op["responses"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

/// Spot checks of what the document promises; `scripts/api-conformance` checks all of it
/// against the running server.
async fn openapi_documents_statuses_and_rules(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let doc = app.get("/api/v1/openapi.json", None).await.expect(200).body;

    // Every route behind the gate can answer 429 and, with a bad credential, 401.
    for (method, path) in [
        ("get", "/api/v1/courses"),
        ("post", "/api/v1/auth/login"),
        ("get", "/api/v1/courses/{course}/labs"),
    ] {
        let got = statuses(operation(&doc, method, path));
        for status in ["401", "429"] {
            assert!(got.contains(&status.to_owned()), "{method} {path}: {got:?}");
        }
        let limited = &operation(&doc, method, path)["responses"]["429"];
        assert!(
            limited["headers"]["Retry-After"].is_object(),
            "{method} {path}: {limited}"
        );
    }
    // Outside the gate: no 429.
    assert!(!statuses(operation(&doc, "get", "/healthz")).contains(&"429".to_owned()));
    // Password routes may be refused while the hasher is saturated.
    for path in ["/api/v1/auth/register", "/api/v1/auth/login"] {
        assert!(statuses(operation(&doc, "post", path)).contains(&"503".to_owned()));
    }
    // Bodies and queries are validated: 400 and 422 where they apply.
    let enroll = statuses(operation(
        &doc,
        "post",
        "/api/v1/courses/{course}/enrollment",
    ));
    for status in ["200", "201", "402", "403", "404", "409"] {
        assert!(enroll.contains(&status.to_owned()), "{enroll:?}");
    }
    let search = operation(&doc, "get", "/api/v1/courses/search");
    assert!(statuses(search).contains(&"400".to_owned()));
    // Open to everyone, and says more (locked lessons) with a bearer token.
    assert_eq!(search["security"], json!([{}, {"bearer": []}]), "{search}");
    let limit = search["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .expect("limit parameter");
    assert_eq!(limit["schema"]["minimum"], 1, "{limit}");
    assert_eq!(limit["schema"]["maximum"], 100, "{limit}");

    let schemas = &doc["components"]["schemas"];
    let register = &schemas["RegisterRequest"]["properties"];
    assert_eq!(register["email"]["maxLength"], 254, "{register}");
    assert_eq!(register["name"]["maxLength"], 200, "{register}");
    assert_eq!(register["password"]["minLength"], 10, "{register}");
    let token = &schemas["CreateTokenRequest"]["properties"];
    assert_eq!(token["name"]["maxLength"], 100, "{token}");
    assert_eq!(token["scopes"]["minItems"], 1, "{token}");
    assert_eq!(token["expires_in_days"]["maximum"], 3650, "{token}");
    assert_eq!(token["expires_in_days"]["minimum"], 1, "{token}");
    let reason = &schemas["RevokeCertificateRequest"]["properties"]["reason"];
    assert_eq!(reason["maxLength"], 500, "{reason}");
}
