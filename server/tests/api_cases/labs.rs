//! Labs: sessions (start, resume, ownership), hints, solutions, check reports, abandon,
//! module locks and expiry with an injected clock; grading of submissions is in
//! `lab_submissions`. The course is the bundled `cloud-foundations`.

use cloudmaster_core::api::{LabSession, LabSessionStatus, LabSummary, Role, StepSolution};
use serde_json::json;
use time::Duration;
use uuid::Uuid;

use crate::api_support::TestDatabase;
use crate::labs_support::{COURSE, lab, lab_app, reported, submission, workspace};

backend_tests!(
    sessions_hints_solutions_and_abandon,
    idle_and_overdue_sessions_expire,
    a_lab_opens_with_its_module,
    hint_texts_come_only_from_the_hint_endpoint,
    steps_with_local_only_checks_are_self_reported,
);

async fn sessions_hints_solutions_and_abandon(db: &TestDatabase) {
    let server = lab_app(db, |_| {}).await;
    let docker = lab("fix-dockerfile");

    // The labs in course order (module listing order), nothing passed or running yet.
    let labs: Vec<LabSummary> = serde_json::from_value(
        server
            .get(
                &format!("/api/v1/courses/{COURSE}/labs"),
                server.learner().t(),
            )
            .await
            .expect(200)
            .body,
    )
    .unwrap();
    let listed: Vec<&str> = labs.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(
        listed,
        ["cidr-plan", "fix-dockerfile", "terraform-variables"]
    );
    assert!(labs.iter().all(|l| !l.passed && l.active_session.is_none()));
    assert_eq!((labs[1].steps, labs[1].time_limit_minutes), (3, 60));

    // Start: no solution files reach the client; deadlines follow the lab and the config.
    let started = server.start_lab("fix-dockerfile").await;
    let id = started.session.id;
    assert!(!started.lab.files.is_empty());
    assert!(
        started
            .lab
            .files
            .iter()
            .all(|f| !f.path.starts_with("solution/")),
        "{:?}",
        started
            .lab
            .files
            .iter()
            .map(|f| &f.path)
            .collect::<Vec<_>>()
    );
    assert!(started.lab.file("starter/Dockerfile").is_some());
    let mut without_hint_texts = docker.clone();
    without_hint_texts.hide_unrevealed_hints(|_| 0);
    assert_eq!(started.lab.steps, without_hint_texts.steps);
    let session = &started.session;
    assert_eq!(session.status, LabSessionStatus::Active);
    assert_eq!(
        session.expires_at - session.started_at,
        Duration::minutes(60)
    );
    assert_eq!(
        session.idle_expires_at - session.started_at,
        Duration::minutes(30)
    );
    assert_eq!(session.current_step.as_deref(), Some("pin-base-image"));

    // Starting again resumes (200, same session), and the listing shows it.
    let again = server
        .post(
            &format!("/api/v1/courses/{COURSE}/labs/fix-dockerfile/sessions"),
            server.learner().t(),
            &json!({}),
        )
        .await
        .expect(200);
    assert_eq!(again.body["session"]["id"], json!(id));
    let labs: Vec<LabSummary> = serde_json::from_value(
        server
            .get(
                &format!("/api/v1/courses/{COURSE}/labs"),
                server.learner().t(),
            )
            .await
            .body,
    )
    .unwrap();
    assert_eq!(labs[1].active_session, Some(id));

    // Someone else's session does not exist for them.
    let other = server.user("other@example.com", Role::Learner).await;
    for request in [
        server
            .http
            .get(server.url(&format!("/api/v1/lab-sessions/{id}"))),
        server
            .http
            .delete(server.url(&format!("/api/v1/lab-sessions/{id}"))),
        server.http.post(server.url(&format!(
            "/api/v1/lab-sessions/{id}/steps/pin-base-image/hint"
        ))),
    ] {
        server
            .send(request.bearer_auth(&other.token))
            .await
            .expect_error(404, "not_found");
    }
    server
        .get("/api/v1/lab-sessions/not-a-uuid", server.learner().t())
        .await
        .expect_error(404, "not_found");

    // Hints come one at a time, then run out.
    let hint_path = format!("/api/v1/lab-sessions/{id}/steps/pin-base-image/hint");
    for number in 1..=3u32 {
        let hint = server.next_hint(&hint_path).await;
        assert_eq!((hint.number, hint.of), (number, 3));
        assert_eq!(hint.text, docker.steps[0].hints[number as usize - 1].text);
    }
    server
        .post(&hint_path, server.learner().t(), &json!({}))
        .await
        .expect_error(404, "not_found");
    server
        .post(
            &format!("/api/v1/lab-sessions/{id}/steps/no-such-step/hint"),
            server.learner().t(),
            &json!({}),
        )
        .await
        .expect_error(404, "not_found");
    assert_eq!(server.lab_session(id).await.steps[0].hints_shown, 3);

    // Check reports: unknown steps are refused; failures are counted; a pass is recorded.
    let checks = format!("/api/v1/lab-sessions/{id}/checks");
    let refused = server
        .post(
            &checks,
            server.learner().t(),
            &json!({"step": "nope", "passed": true}),
        )
        .await
        .expect_error(422, "validation_failed");
    assert!(
        refused.message().contains("no step `nope`"),
        "{}",
        refused.text
    );
    server.clock().advance(Duration::minutes(5));
    let after_failure: LabSession = serde_json::from_value(
        server
            .post(
                &checks,
                server.learner().t(),
                &json!({"step": "pin-base-image", "passed": false}),
            )
            .await
            .expect(200)
            .body,
    )
    .unwrap();
    assert_eq!(after_failure.steps[0].failed_checks, 1);
    assert!(!after_failure.steps[0].passed);
    assert_eq!(
        after_failure.idle_expires_at - after_failure.started_at,
        Duration::minutes(35),
        "a check report is activity"
    );
    // A failure on content already checked is activity, but no new attempt.
    server.clock().advance(Duration::minutes(1));
    let repeated: LabSession = serde_json::from_value(
        server
            .post(
                &checks,
                server.learner().t(),
                &json!({"step": "pin-base-image", "passed": false, "new_content": false}),
            )
            .await
            .expect(200)
            .body,
    )
    .unwrap();
    assert_eq!(repeated.steps[0].failed_checks, 1);
    assert_eq!(
        repeated.idle_expires_at - repeated.started_at,
        Duration::minutes(36),
        "still activity"
    );

    // Solutions: refused before the step passed, given once skipped (no credit) or passed.
    let solution_path = |step: &str| format!("/api/v1/lab-sessions/{id}/steps/{step}/solution");
    let refused = server
        .post(
            &solution_path("non-root-user"),
            server.learner().t(),
            &json!({}),
        )
        .await
        .expect_error(409, "conflict");
    assert!(refused.message().contains("skip"), "{}", refused.text);
    let skipped: StepSolution = serde_json::from_value(
        server
            .post(
                &format!("{}?skip=true", solution_path("non-root-user")),
                server.learner().t(),
                &json!({}),
            )
            .await
            .expect(200)
            .body,
    )
    .unwrap();
    let expected = docker.file("solution/non-root-user/Dockerfile").unwrap();
    assert_eq!(skipped.files.len(), 1);
    assert_eq!(skipped.files[0].path, "Dockerfile");
    assert_eq!(skipped.files[0].content, expected.content);
    let session = server.lab_session(id).await;
    assert!(session.steps[1].skipped && !session.steps[1].passed);
    server
        .post(
            &solution_path("non-root-user"),
            server.learner().t(),
            &json!({}),
        )
        .await
        .expect(200);

    server
        .post(
            &checks,
            server.learner().t(),
            &json!({"step": "pin-base-image", "passed": true}),
        )
        .await
        .expect(200);
    let solution: StepSolution = serde_json::from_value(
        server
            .post(
                &solution_path("pin-base-image"),
                server.learner().t(),
                &json!({}),
            )
            .await
            .expect(200)
            .body,
    )
    .unwrap();
    assert_eq!(solution.files[0].path, "Dockerfile");
    let session = server.lab_session(id).await;
    assert!(session.steps[0].passed && !session.steps[0].skipped);
    assert_eq!(session.current_step.as_deref(), Some("healthcheck"));

    // The active list, then abandon (idempotent), after which the session is closed.
    let active: Vec<LabSession> = serde_json::from_value(
        server
            .get("/api/v1/lab-sessions?active=true", server.learner().t())
            .await
            .expect(200)
            .body,
    )
    .unwrap();
    assert_eq!(active.iter().map(|s| s.id).collect::<Vec<_>>(), [id]);
    server
        .delete(&format!("/api/v1/lab-sessions/{id}"), server.learner().t())
        .await
        .expect(204);
    server
        .delete(&format!("/api/v1/lab-sessions/{id}"), server.learner().t())
        .await
        .expect(204);
    let session = server.lab_session(id).await;
    assert_eq!(session.status, LabSessionStatus::Abandoned);
    assert!(session.ended_at.is_some());
    server
        .post(
            &hint_path.replace("pin-base-image", "healthcheck"),
            server.learner().t(),
            &json!({}),
        )
        .await
        .expect_error(409, "session_closed");
    let active = server
        .get("/api/v1/lab-sessions?active=true", server.learner().t())
        .await
        .expect(200);
    assert_eq!(active.body, json!([]));
    let all = server
        .get("/api/v1/lab-sessions", server.learner().t())
        .await
        .expect(200);
    assert_eq!(all.body.as_array().unwrap().len(), 1);

    // A new start is a new session.
    let fresh = server.start_lab("fix-dockerfile").await;
    assert_ne!(fresh.session.id, id);
}

async fn idle_and_overdue_sessions_expire(db: &TestDatabase) {
    let server = lab_app(db, |_| {}).await;
    let docker = lab("fix-dockerfile");
    let submitted = server.start_lab("fix-dockerfile").await.session.id;
    let idle = server.start_lab("terraform-variables").await.session.id;
    let kept_alive = server.start_lab("cidr-plan").await.session.id;
    submission(
        server
            .submit_lab(submitted, workspace(docker, 1), Some(&[][..]))
            .await,
    );

    // Activity moves the idle deadline.
    server.clock().advance(Duration::minutes(20));
    server
        .post(
            &format!("/api/v1/lab-sessions/{kept_alive}/steps/vpc-block/hint"),
            server.learner().t(),
            &json!({}),
        )
        .await
        .expect(200);

    // A scratch folder a crash left behind, and one of a session this server does not know.
    let leftover = server
        .scratch_root()
        .join(submitted.to_string())
        .join("crashed");
    std::fs::create_dir_all(&leftover).unwrap();
    std::fs::write(leftover.join("Dockerfile"), "FROM scratch").unwrap();
    let foreign = server.scratch_root().join(Uuid::new_v4().to_string());
    std::fs::create_dir_all(&foreign).unwrap();

    // Past the idle timeout of the first two (30 minutes of no activity), not the third.
    server.clock().advance(Duration::minutes(11));
    let report = cloudmaster_server::jobs::run_once(&server.state)
        .await
        .unwrap();
    assert_eq!(report.lab_sessions_expired, 2);
    let first = server.lab_session(submitted).await;
    assert_eq!(
        first.status,
        LabSessionStatus::Failed,
        "it had a submission"
    );
    assert_eq!(first.ended_at, Some(first.idle_expires_at));
    assert_eq!(
        server.lab_session(idle).await.status,
        LabSessionStatus::Expired
    );
    assert_eq!(
        server.lab_session(kept_alive).await.status,
        LabSessionStatus::Active
    );
    assert!(
        !leftover.exists(),
        "the ended session's scratch folder is removed"
    );
    assert!(foreign.exists(), "unknown sessions' folders are left alone");
    let again = cloudmaster_server::jobs::run_once(&server.state)
        .await
        .unwrap();
    assert_eq!(again.lab_sessions_expired, 0);

    // Ended sessions refuse work.
    server
        .submit_lab(
            idle,
            workspace(lab("terraform-variables"), 3),
            Some(&[][..]),
        )
        .await
        .expect_error(409, "session_closed");
    server
        .post(
            &format!("/api/v1/lab-sessions/{idle}/checks"),
            server.learner().t(),
            &json!({"step": "add-variables", "passed": true}),
        )
        .await
        .expect_error(409, "session_closed");
    server
        .delete(
            &format!("/api/v1/lab-sessions/{idle}"),
            server.learner().t(),
        )
        .await
        .expect_error(409, "session_closed");

    // Past the time limit (activity cannot extend it), a session reads as expired even
    // before the job runs, and a new start makes a new session.
    server
        .post(
            &format!("/api/v1/lab-sessions/{kept_alive}/steps/vpc-block/hint"),
            server.learner().t(),
            &json!({}),
        )
        .await
        .expect(200);
    server
        .clock()
        .advance(Duration::minutes(29) + Duration::seconds(30));
    let third = server.lab_session(kept_alive).await;
    assert_eq!(third.status, LabSessionStatus::Expired);
    assert!(third.idle_expires_at > third.expires_at);
    assert_eq!(third.ended_at, Some(third.expires_at));
    let restarted = server.start_lab("cidr-plan").await.session.id;
    assert_ne!(restarted, kept_alive);
}

async fn a_lab_opens_with_its_module(db: &TestDatabase) {
    let server = lab_app(db, |_| {}).await;
    // A second learner, enrolled but with no lesson done: the labs of module 3 stay shut.
    let newcomer = server.user("newcomer@example.com", Role::Learner).await;
    let as_newcomer =
        |request: reqwest::RequestBuilder| server.send(request.bearer_auth(&newcomer.token));
    as_newcomer(
        server
            .http
            .post(server.url(&format!("/api/v1/courses/{COURSE}/enrollment")))
            .json(&json!({})),
    )
    .await
    .expect(201);
    let start = |lab: &str| {
        server
            .http
            .post(server.url(&format!("/api/v1/courses/{COURSE}/labs/{lab}/sessions")))
            .json(&json!({}))
    };
    let listed = as_newcomer(
        server
            .http
            .get(server.url(&format!("/api/v1/courses/{COURSE}/labs"))),
    )
    .await
    .expect(200);
    let labs: Vec<LabSummary> = serde_json::from_value(listed.body).unwrap();
    assert!(labs.iter().all(|l| l.locked), "{labs:?}");
    let refused = as_newcomer(start("fix-dockerfile"))
        .await
        .expect_error(403, "locked");
    let message = refused.body["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("lab `fix-dockerfile`") && message.contains("cloud-concepts"),
        "{message}"
    );
    // The learner of the fixture finished the modules before it: the same lab opens.
    let labs: Vec<LabSummary> = serde_json::from_value(
        server
            .get(
                &format!("/api/v1/courses/{COURSE}/labs"),
                server.learner().t(),
            )
            .await
            .expect(200)
            .body,
    )
    .unwrap();
    assert!(labs.iter().all(|l| !l.locked), "{labs:?}");
    server.start_lab("fix-dockerfile").await;
}

/// Whether `text` (a response body) contains any hint text of `lab` but those of
/// `revealed` (step index, hint index), as written or JSON-escaped.
fn leaked_hints(
    text: &str,
    lab: &cloudmaster_core::course::Lab,
    revealed: &[(usize, usize)],
) -> Vec<String> {
    let mut leaked = Vec::new();
    for (s, step) in lab.steps.iter().enumerate() {
        for (h, hint) in step.hints.iter().enumerate() {
            if revealed.contains(&(s, h)) {
                continue;
            }
            let escaped = serde_json::to_string(&hint.text).unwrap();
            let escaped = &escaped[1..escaped.len() - 1];
            if text.contains(&hint.text) || text.contains(escaped) {
                leaked.push(hint.text.clone());
            }
        }
    }
    leaked
}

async fn hint_texts_come_only_from_the_hint_endpoint(db: &TestDatabase) {
    let server = lab_app(db, |_| {}).await;
    let docker = lab("fix-dockerfile");
    assert!(docker.steps.iter().all(|s| s.hints.len() == 3));

    // Starting, reading the session, listing sessions and reporting checks carry no hint
    // text, but say how many hints each step has and when they unlock.
    let started = server
        .post(
            &format!("/api/v1/courses/{COURSE}/labs/fix-dockerfile/sessions"),
            server.learner().t(),
            &json!({}),
        )
        .await
        .expect(201);
    assert_eq!(
        leaked_hints(&started.text, docker, &[]),
        Vec::<String>::new()
    );
    let start: cloudmaster_core::api::LabSessionStart =
        serde_json::from_value(started.body).unwrap();
    let id = start.session.id;
    for (sent, authored) in start.lab.steps.iter().zip(&docker.steps) {
        assert_eq!(sent.hints.len(), authored.hints.len());
        for (sent, authored) in sent.hints.iter().zip(&authored.hints) {
            assert!(sent.text.is_empty());
            assert_eq!(
                (sent.after_failures, sent.after_minutes),
                (authored.after_failures, authored.after_minutes)
            );
        }
    }
    assert!(
        start
            .session
            .steps
            .iter()
            .all(|s| s.hints == 3 && s.hints_shown == 0)
    );
    let report = server
        .post(
            &format!("/api/v1/lab-sessions/{id}/checks"),
            server.learner().t(),
            &json!({"step": "pin-base-image", "passed": false}),
        )
        .await
        .expect(200);
    for reply in [
        report,
        server
            .get(&format!("/api/v1/lab-sessions/{id}"), server.learner().t())
            .await
            .expect(200),
        server
            .get("/api/v1/lab-sessions", server.learner().t())
            .await
            .expect(200),
        server
            .get(
                &format!("/api/v1/courses/{COURSE}/labs"),
                server.learner().t(),
            )
            .await
            .expect(200),
    ] {
        assert_eq!(leaked_hints(&reply.text, docker, &[]), Vec::<String>::new());
    }

    // The endpoint gives them in order; a resumed session's lab carries the revealed ones
    // only.
    let hint_path = format!("/api/v1/lab-sessions/{id}/steps/pin-base-image/hint");
    let first = server.next_hint(&hint_path).await;
    assert_eq!((first.number, first.of), (1, 3));
    assert_eq!(first.text, docker.steps[0].hints[0].text);
    let resumed = server
        .post(
            &format!("/api/v1/courses/{COURSE}/labs/fix-dockerfile/sessions"),
            server.learner().t(),
            &json!({}),
        )
        .await
        .expect(200);
    assert_eq!(
        leaked_hints(&resumed.text, docker, &[(0, 0)]),
        Vec::<String>::new()
    );
    let resumed: cloudmaster_core::api::LabSessionStart =
        serde_json::from_value(resumed.body).unwrap();
    assert_eq!(
        resumed.lab.steps[0].hints[0].text,
        docker.steps[0].hints[0].text
    );
    assert!(resumed.lab.steps[0].hints[1].text.is_empty());
    assert_eq!(resumed.session.steps[0].hints_shown, 1);
    for number in 2..=3u32 {
        let hint = server.next_hint(&hint_path).await;
        assert_eq!(hint.number, number);
        assert_eq!(hint.text, docker.steps[0].hints[number as usize - 1].text);
    }
    server
        .post(&hint_path, server.learner().t(), &json!({}))
        .await
        .expect_error(404, "not_found");
}

async fn steps_with_local_only_checks_are_self_reported(db: &TestDatabase) {
    let server = lab_app(db, |_| {}).await;
    let cidr = lab("cidr-plan");
    // `private-subnets` has a script check the server does not run.
    let start = server.start_lab("cidr-plan").await;
    let flags: Vec<(&str, bool)> = start
        .session
        .steps
        .iter()
        .map(|s| (s.id.as_str(), s.self_reported))
        .collect();
    assert_eq!(
        flags,
        [
            ("vpc-block", false),
            ("public-subnets", false),
            ("private-subnets", true)
        ]
    );
    let claims = [reported("private-subnets", "no-overlap", true)];
    let passed = submission(
        server
            .submit_lab(start.session.id, workspace(cidr, 3), Some(&claims[..]))
            .await,
    );
    assert!(passed.passed && passed.self_reported, "{passed:#?}");
    assert!(passed.steps[..2].iter().all(|s| s.self_reported.is_empty()));
    assert_eq!(passed.steps[2].self_reported, claims);

    // With the sandbox the server runs the script itself: nothing is self-reported.
    let sandboxed_db = db.another().await;
    let sandboxed = lab_app(&sandboxed_db, |c| c.lab_script_checks = true).await;
    let start = sandboxed.start_lab("cidr-plan").await;
    assert!(start.session.steps.iter().all(|s| !s.self_reported));
    let graded = submission(
        sandboxed
            .submit_lab(start.session.id, workspace(cidr, 3), Some(&claims[..]))
            .await,
    );
    assert!(graded.passed && !graded.self_reported, "{graded:#?}");
}
