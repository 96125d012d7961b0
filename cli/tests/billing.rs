//! Paying from the command line against the bundled catalog on a real server with the
//! sandbox provider: a learner buys aws-saa and studies it, a declined card buys nothing,
//! and premium opens every paid course until the cancelled period ends (the server's
//! clock moved forward, its background jobs run).

// Needs the server feature (the test server runs in-process, see util); a client-only
// `cargo test --no-default-features` skips this file.
#![cfg(feature = "server")]

mod util;

use std::path::{Path, PathBuf};

use cloudmaster_core::api::{LessonStatus, Role};
use cloudmaster_core::course::load_course;
use util::{Home, TestServer};

const PASSWORD: &str = "correct horse battery";
const SUCCEEDS: &str = "4242424242424242";
const DECLINED: &str = "4000000000000002";

fn bundled(course: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../courses")
        .join(course)
}

/// The bundled catalog published, and the paid courses' ids.
fn catalog(server: &TestServer) -> Vec<String> {
    let admin = server.create_user("admin@example.com", PASSWORD, Role::Admin);
    let mut paid = Vec::new();
    for course in ["cloud-foundations", "aws-saa", "kubernetes-fundamentals"] {
        server.publish(&admin, &bundled(course));
        let (loaded, _) = load_course(&bundled(course)).unwrap();
        if loaded.price.is_some() {
            paid.push(course.to_owned());
        }
    }
    assert!(!paid.is_empty(), "the bundled catalog sells a course");
    paid
}

/// A learner who finished cloud-foundations (aws-saa's prerequisite), logged in at `home`.
fn learner(server: &TestServer, home: &Home, email: &str) {
    let user = server.create_user(email, PASSWORD, Role::Learner);
    let (foundations, _) = load_course(&bundled("cloud-foundations")).unwrap();
    let now = time::OffsetDateTime::now_utc();
    for lesson in foundations.lessons() {
        server
            .block_on(server.state.store().record_lesson_progress(
                user.id,
                "cloud-foundations",
                &lesson.id,
                LessonStatus::Completed,
                None,
                now,
            ))
            .unwrap();
    }
    home.login(email, PASSWORD, &[]);
    home.ok(&["enroll", "cloud-foundations"]);
}

/// The ids of the courses `progress` lists (those the learner is enrolled in).
fn enrolled(home: &Home) -> Vec<String> {
    let all = home.json(&["progress"]);
    all.as_array()
        .unwrap()
        .iter()
        .map(|p| p["course_id"].as_str().unwrap().to_owned())
        .collect()
}

fn first_lesson(course: &str) -> String {
    let (loaded, _) = load_course(&bundled(course)).unwrap();
    format!("{course}/{}", loaded.lessons().next().unwrap().id)
}

#[test]
fn a_learner_buys_a_course_with_a_test_card_and_studies_it() {
    let server = TestServer::start();
    catalog(&server);
    let home = Home::new(&server.url);
    learner(&server, &home, "lena@example.com");
    let lesson = first_lesson("aws-saa");

    let before = home
        .cmd()
        .args(["lesson", "show", &lesson])
        .output()
        .unwrap();
    assert!(
        !before.status.success(),
        "a paid course is closed before paying"
    );

    let declined = home
        .cmd()
        .args(["billing", "checkout", "aws-saa", "--card", DECLINED])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&declined.stderr);
    assert_eq!(declined.status.code(), Some(1), "{err}");
    assert!(
        err.contains("declined") && err.contains("Nothing was charged"),
        "{err}"
    );
    assert_eq!(
        enrolled(&home),
        ["cloud-foundations"],
        "no enrollment in aws-saa"
    );

    let paid = home.ok(&["billing", "checkout", "aws-saa", "--card", SUCCEEDS]);
    assert!(paid.contains("Paid 49.00 USD for aws-saa"), "{paid}");
    let shown = home.ok(&["lesson", "show", &lesson]);
    assert!(!shown.trim().is_empty());
    home.ok(&["lesson", "done", &lesson]);
    let progress = home.json(&["progress", "aws-saa"]);
    assert_eq!(progress["completed_lessons"], 1, "{progress}");

    let payments = home.json(&["billing", "payments"]);
    let states: Vec<_> = payments
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["state"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(states, ["succeeded", "failed"]);
    let id = payments[0]["id"].as_str().unwrap();
    let receipt = home.ok(&["billing", "receipt", id]);
    for line in [
        "price:",
        "tax:",
        "0.00 USD",
        "total:",
        "49.00 USD",
        "Visa ending in 4242",
    ] {
        assert!(receipt.contains(line), "{line} in\n{receipt}");
    }
    let again = home
        .cmd()
        .args(["billing", "checkout", "aws-saa", "--card", SUCCEEDS])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(6), "already bought is a conflict");
}

#[test]
fn premium_opens_every_paid_course_until_the_cancelled_period_ends() {
    let server = TestServer::start();
    let paid = catalog(&server);
    let home = Home::new(&server.url);
    learner(&server, &home, "pat@example.com");

    let plans = home.ok(&["billing", "plans"]);
    assert!(
        plans.contains("premium-monthly") && plans.contains(SUCCEEDS),
        "{plans}"
    );
    let subscribed = home.ok(&[
        "billing",
        "subscribe",
        "premium-monthly",
        "--card",
        SUCCEEDS,
    ]);
    assert!(subscribed.contains("premium is on"), "{subscribed}");
    assert!(home.ok(&["whoami"]).contains("premium (until"));
    for course in &paid {
        home.ok(&["enroll", course]);
        home.ok(&["lesson", "show", &first_lesson(course)]);
    }

    let cancelled = home.ok(&["billing", "cancel"]);
    assert!(cancelled.contains("premium lasts until"), "{cancelled}");
    let status = home.json(&["billing", "status"]);
    assert_eq!(status["tier"], "premium");
    assert!(status["subscription"]["cancel_at"].is_string(), "{status}");

    server.advance(time::Duration::days(32));
    server
        .block_on(cloudmaster_server::jobs::run_once(&server.state))
        .unwrap();
    assert_eq!(home.json(&["billing", "status"])["tier"], "free");
    for course in &paid {
        let closed = home
            .cmd()
            .args(["lesson", "show", &first_lesson(course)])
            .output()
            .unwrap();
        assert!(!closed.status.success(), "{course} is closed again");
        let enroll = home.cmd().args(["enroll", course]).output().unwrap();
        let err = String::from_utf8_lossy(&enroll.stderr);
        assert!(err.contains("billing checkout"), "{err}");
    }
    // Free courses and their progress stay.
    assert_eq!(enrolled(&home), ["cloud-foundations"]);
    home.ok(&["lesson", "show", &first_lesson("cloud-foundations")]);
}

#[test]
fn an_admin_makes_coupons_refunds_and_reads_revenue() {
    let server = TestServer::start();
    catalog(&server);
    let learner_home = Home::new(&server.url);
    learner(&server, &learner_home, "lena@example.com");
    let admin = Home::new(&server.url);
    admin.login("admin@example.com", PASSWORD, &[]);

    let created = admin.ok(&[
        "admin",
        "coupons",
        "create",
        "launch25",
        "--percent-off",
        "25",
        "--course",
        "aws-saa",
        "--max-redemptions",
        "5",
    ]);
    assert!(created.contains("Created coupon LAUNCH25"), "{created}");
    let listed = admin.ok(&["admin", "coupons", "list"]);
    assert!(
        listed.contains("LAUNCH25") && listed.contains("25%") && listed.contains("0/5"),
        "{listed}"
    );
    let bad = admin
        .cmd()
        .args([
            "admin",
            "coupons",
            "create",
            "x1",
            "--amount-off",
            "1.234",
            "--currency",
            "USD",
        ])
        .output()
        .unwrap();
    assert_eq!(
        bad.status.code(),
        Some(2),
        "an amount with too many decimals is a usage error"
    );

    let paid = learner_home.ok(&[
        "billing", "checkout", "aws-saa", "--coupon", "LAUNCH25", "--card", SUCCEEDS,
    ]);
    assert!(paid.contains("Paid 36.75 USD for aws-saa"), "{paid}");
    let id = learner_home.json(&["billing", "payments"])[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Learners cannot refund; an admin refunds part, in the payment's currency.
    let refused = learner_home
        .cmd()
        .args(["billing", "refund", &id, "--yes"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(3));
    let refunded = admin.ok(&[
        "billing", "refund", &id, "--amount", "10.00", "--reason", "late", "--yes",
    ]);
    assert!(refunded.contains("partially_refunded"), "{refunded}");
    let receipt = learner_home.ok(&["billing", "receipt", &id]);
    assert!(
        receipt.contains("refunded:") && receipt.contains("10.00 USD"),
        "{receipt}"
    );
    assert!(receipt.contains("coupon LAUNCH25"), "{receipt}");

    let revenue = admin.json(&["admin", "revenue", "--days", "2"]);
    assert_eq!(revenue[0]["item"], "aws-saa", "{revenue}");
    assert_eq!(revenue[0]["gross"], 3675);
    assert_eq!(revenue[0]["refunds"], 1000);
    assert_eq!(revenue[0]["net"], 2675);

    admin.ok(&["admin", "coupons", "disable", "LAUNCH25"]);
    let coupons = admin.json(&["admin", "coupons", "list"]);
    assert!(coupons[0]["disabled_at"].is_string(), "{coupons}");
}
