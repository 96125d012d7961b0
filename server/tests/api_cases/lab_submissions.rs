//! Lab submissions graded on the server: authoritative over what the client claims, script
//! checks on a sandboxed server, and archives refused for what they hold or how they name
//! it. The course is the bundled `cloud-foundations`.

use std::path::{Path, PathBuf};

use cloudmaster_core::api::{LabSessionStatus, LabSummary, SelfReported};
use serde_json::json;

use crate::api_support::TestDatabase;
use crate::labs_support::{
    COURSE, all_paths, condition_message, lab, lab_app, long_named_archive, message_of,
    raw_archive, reported, submission, workspace,
};

backend_tests!(
    the_server_grades_submissions,
    script_checks_run_on_a_sandboxed_server,
    malicious_archives_are_refused,
    names_file_systems_refuse_are_422,
);

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
