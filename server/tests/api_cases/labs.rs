//! Labs: sessions (start, resume, ownership), hints, solutions, check reports, grading on
//! the server (authoritative over what the client claims), refused archives, abandon, and
//! expiry with an injected clock. The course is the bundled `cloud-foundations`.

use std::path::{Path, PathBuf};

use cloudmaster_core::api::{
    LabSession, LabSessionStatus, LabSummary, Role, SelfReported, StepSolution,
};
use serde_json::json;
use time::Duration;
use uuid::Uuid;

use crate::api_support::TestDatabase;
use crate::labs_support::{
    COURSE, all_paths, condition_message, lab, lab_app, long_named_archive, message_of,
    raw_archive, reported, submission, workspace,
};

backend_tests!(
    sessions_hints_solutions_and_abandon,
    the_server_grades_submissions,
    script_checks_run_on_a_sandboxed_server,
    malicious_archives_are_refused,
    names_file_systems_refuse_are_422,
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

async fn the_server_grades_submissions(db: &TestDatabase) {
    let server = lab_app(db, |_| {}).await;
    let cidr = lab("cidr-plan");
    let id = server.start_lab("cidr-plan").await.session.id;
    let script_ok = [reported("private-subnets", "no-overlap", true)];

    // The starter files fail, with the authored messages.
    let starter = submission(
        server
            .submit_lab(id, workspace(cidr, 0), Some(&script_ok[..]))
            .await,
    );
    assert!(!starter.passed);
    assert!(starter.steps.iter().all(|s| !s.passed));
    assert_eq!(
        message_of(&starter, "vpc-block", "vpc-cidr"),
        Some(condition_message(cidr, 0, "vpc-cidr"))
    );
    assert_eq!(
        message_of(&starter, "public-subnets", "public-a-cidr"),
        Some(condition_message(cidr, 1, "public-a-cidr"))
    );
    assert_eq!(starter.steps[2].self_reported, script_ok);
    assert_eq!(starter.session.status, LabSessionStatus::Active);
    assert_eq!(starter.session.submissions, 1);

    // Claiming success does not make a failing declarative condition pass.
    let lies: Vec<SelfReported> = cidr
        .steps
        .iter()
        .flat_map(|s| s.conditions.iter().map(|c| reported(&s.id, &c.id, true)))
        .collect();
    let lying = submission(
        server
            .submit_lab(id, workspace(cidr, 2), Some(&lies[..]))
            .await,
    );
    assert!(!lying.passed);
    assert!(lying.steps[0].passed && lying.steps[1].passed && !lying.steps[2].passed);
    assert_eq!(
        message_of(&lying, "private-subnets", "private-a-cidr"),
        Some(condition_message(cidr, 2, "private-a-cidr"))
    );
    let session = server.lab_session(id).await;
    assert!(session.steps[0].passed && !session.steps[2].passed);
    assert_eq!(session.current_step.as_deref(), Some("private-subnets"));

    // A script check the client did not report counts as failed.
    let unreported = submission(server.submit_lab(id, workspace(cidr, 3), None).await);
    assert!(!unreported.passed);
    assert_eq!(
        unreported.steps[2].self_reported,
        [reported("private-subnets", "no-overlap", false)]
    );
    assert!(unreported.steps[2].verified.iter().all(|c| c.passed()));

    // Bad self-reports are refused before anything is graded.
    let bad = server
        .send(
            server
                .http
                .post(server.url(&format!("/api/v1/lab-sessions/{id}/submit")))
                .bearer_auth(&server.learner().token)
                .header("x-cloudmaster-self-reported", "{not json")
                .body(workspace(cidr, 3)),
        )
        .await
        .expect_error(400, "bad_request");
    assert!(
        bad.message().contains("x-cloudmaster-self-reported"),
        "{}",
        bad.text
    );
    server
        .submit_lab(
            id,
            workspace(cidr, 3),
            Some(&[reported("private-subnets", "no-such-check", true)][..]),
        )
        .await
        .expect_error(422, "validation_failed");
    assert_eq!(server.lab_session(id).await.submissions, 3);
    assert!(
        server
            .state
            .store()
            .lab_passes(server.learner().user.id, COURSE)
            .await
            .unwrap()
            .is_empty()
    );

    // Every step solved: the lab passes, the session ends, the pass is recorded.
    let solved = submission(
        server
            .submit_lab(id, workspace(cidr, 3), Some(&script_ok[..]))
            .await,
    );
    assert!(solved.passed, "{solved:#?}");
    assert!(solved.steps.iter().all(|s| s.passed && !s.skipped));
    assert_eq!(solved.session.status, LabSessionStatus::Passed);
    assert_eq!(solved.session.submissions, 4);
    assert!(solved.session.ended_at.is_some() && solved.session.current_step.is_none());
    let passes = server
        .state
        .store()
        .lab_passes(server.learner().user.id, COURSE)
        .await
        .unwrap();
    assert_eq!(passes.len(), 1);
    assert_eq!(passes[0].0, "cidr-plan");
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
    assert!(labs[0].passed && labs[0].active_session.is_none());

    // A passed session takes no more submissions and cannot be abandoned.
    server
        .submit_lab(id, workspace(cidr, 3), Some(&script_ok[..]))
        .await
        .expect_error(409, "session_closed");
    server
        .delete(&format!("/api/v1/lab-sessions/{id}"), server.learner().t())
        .await
        .expect_error(409, "session_closed");
    assert!(
        std::fs::read_dir(server.scratch_root())
            .map(|mut d| d.next().is_none())
            .unwrap_or(true),
        "every scratch folder is removed"
    );

    // A skipped step earns no credit, so the lab cannot pass in that session.
    let docker = lab("fix-dockerfile");
    let id = server.start_lab("fix-dockerfile").await.session.id;
    server
        .post(
            &format!("/api/v1/lab-sessions/{id}/steps/healthcheck/solution?skip=true"),
            server.learner().t(),
            &json!({}),
        )
        .await
        .expect(200);
    let skipped = submission(
        server
            .submit_lab(id, workspace(docker, 3), Some(&[][..]))
            .await,
    );
    assert!(!skipped.passed);
    let last = &skipped.steps[2];
    assert!(last.skipped && !last.passed && last.verified.iter().all(|c| c.passed()));
    assert_eq!(skipped.session.status, LabSessionStatus::Active);
}

async fn script_checks_run_on_a_sandboxed_server(db: &TestDatabase) {
    let server = lab_app(db, |c| c.lab_script_checks = true).await;
    let cidr = lab("cidr-plan");
    let id = server.start_lab("cidr-plan").await.session.id;
    // The server runs the script itself: a false claim of failure changes nothing.
    let claims = [reported("private-subnets", "no-overlap", false)];
    let solved = submission(
        server
            .submit_lab(id, workspace(cidr, 3), Some(&claims[..]))
            .await,
    );
    assert!(solved.passed, "{solved:#?}");
    assert!(solved.steps[2].self_reported.is_empty());
    assert!(
        solved.steps[2]
            .verified
            .iter()
            .any(|c| c.id == "no-overlap" && c.passed())
    );
}

async fn malicious_archives_are_refused(db: &TestDatabase) {
    let server = lab_app(db, |c| {
        c.lab_max_archive_bytes = 64 * 1024;
        c.lab_max_workspace_bytes = 1024 * 1024;
    })
    .await;
    let id = server.start_lab("fix-dockerfile").await.session.id;
    let file = tar::EntryType::Regular;
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "parent directory",
            raw_archive(&[
                ("Dockerfile", file, "", b"FROM python:3.13-slim\n"),
                ("../escaped.txt", file, "", b"outside"),
            ]),
            "entry `../escaped.txt` has a `..` component",
        ),
        (
            "symlink",
            raw_archive(&[("Dockerfile", tar::EntryType::Symlink, "/etc/passwd", b"")]),
            "entry `Dockerfile` is a symlink (to `/etc/passwd`)",
        ),
        (
            "absolute path",
            raw_archive(&[("/tmp/escaped-absolute.txt", file, "", b"outside")]),
            "has an absolute path",
        ),
        (
            "size bomb",
            raw_archive(&[("zeros.bin", file, "", &vec![0; 2 * 1024 * 1024])]),
            "more than 1048576 bytes uncompressed",
        ),
    ];
    for (what, archive, expected) in cases {
        let reply = server
            .submit_lab(id, archive, None)
            .await
            .expect_error(422, "validation_failed");
        assert!(
            reply.message().contains(expected),
            "{what}: {}",
            reply.message()
        );
    }
    // Nothing was written anywhere under the data directory (the scratch folders are gone)
    // or next to it.
    let escaped: Vec<PathBuf> = all_paths(server.data_dir())
        .into_iter()
        .filter(|p| p.starts_with(server.scratch_root()) || p.ends_with("escaped.txt"))
        .filter(|p| p != &server.scratch_root())
        .collect();
    assert!(escaped.is_empty(), "{escaped:?}");
    assert!(!Path::new("/tmp/escaped-absolute.txt").exists());

    // Over the size limit: 413 before anything is unpacked.
    let noise: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    server
        .submit_lab(id, noise, None)
        .await
        .expect_error(413, "payload_too_large");
    // Not an archive at all.
    server
        .submit_lab(id, b"plain text".to_vec(), None)
        .await
        .expect_error(422, "validation_failed");

    // None of it counted as a submission.
    let session = server.lab_session(id).await;
    assert_eq!(session.submissions, 0);
    assert_eq!(session.status, LabSessionStatus::Active);
}

/// Names the file system would refuse (ENAMETOOLONG) are the archive's fault: 422 with what
/// to change, never a 500.
async fn names_file_systems_refuse_are_422(db: &TestDatabase) {
    let server = lab_app(db, |_| {}).await;
    let id = server.start_lab("fix-dockerfile").await.session.id;
    let cases = [
        (
            "a name of 300 characters",
            format!("{}.txt", "n".repeat(296)),
            "has a name of 300 bytes in its path; file systems allow at most 255: shorten it",
        ),
        (
            "2,000 nested folders",
            format!("{}f.txt", "d/".repeat(2_000)),
            "has a path of 4005 bytes (folders nested too deeply",
        ),
    ];
    for (what, name, expected) in cases {
        let reply = server
            .submit_lab(id, long_named_archive(&name), None)
            .await
            .expect_error(422, "validation_failed");
        assert!(
            reply
                .message()
                .starts_with("the workspace archive was refused: entry `"),
            "{what}: {}",
            reply.message()
        );
        assert!(
            reply.message().contains(expected),
            "{what}: {}",
            reply.message()
        );
    }
    let leftovers: Vec<PathBuf> = all_paths(&server.scratch_root());
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(server.lab_session(id).await.submissions, 0);
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
