//! Certificates: completion rules, issuing (once), the signed file verified with the
//! published issuer key, visibility, revocation, and the Open Badges 3.0 export.

use cloudmaster_core::api::{
    CertificateInfo, CertificateStatus, CompletionStatus, IssuerKeys, LessonStatus, Role,
};
use cloudmaster_core::cert::{self, PublicKey, ob3};
use cloudmaster_core::course::{
    Check, Completion, Condition, Course, FileContent, LabFile, Requirement,
};
use cloudmaster_server::certificates::award_if_complete;
use serde_json::json;
use uuid::Uuid;

use crate::api_support::{Session, TestApp, TestDatabase, course};

backend_tests!(
    issued_once_rules_are_met_and_verifies_with_the_published_key,
    revocation_shows_in_status_and_blocks_the_open_badge,
    open_badge_proof_verifies_with_the_issuer_key,
    quizzes_and_labs_count_towards_completion,
    concurrent_awards_store_one_certificate,
    certificates_signed_before_a_rotation_keep_verifying,
);

/// The scaffolded course (lessons `welcome` and `first-steps`, quiz `getting-started-quiz`,
/// lab `hello-file`) with the given completion rules.
fn course_with(id: &str, completion: Completion) -> Course {
    let mut course = course(id);
    course.title = format!("Course {id}");
    course.completion = completion;
    course
}

fn lessons_only() -> Completion {
    Completion {
        lessons: Requirement::All,
        quizzes: Requirement::None,
        labs: 0,
        mock_exam: false,
    }
}

/// An instructor publishes `course`; a learner enrolls in it.
async fn setup(app: &TestApp, course: &Course) -> Session {
    let instructor = app.user("teacher@example.com", Role::Instructor).await;
    app.publish(&instructor, course).await;
    let learner = app.user("learner@example.com", Role::Learner).await;
    app.post(
        &format!("/api/v1/courses/{}/enrollment", course.id),
        learner.t(),
        &json!({}),
    )
    .await
    .expect(201);
    learner
}

async fn complete_lesson(app: &TestApp, learner: &Session, course: &str, lesson: &str) {
    app.put(
        &format!("/api/v1/courses/{course}/lessons/{lesson}/progress"),
        learner.t(),
        &json!({ "status": LessonStatus::Completed }),
    )
    .await
    .expect(200);
}

async fn completion(app: &TestApp, learner: &Session, course: &str) -> CompletionStatus {
    let reply = app
        .get(&format!("/api/v1/courses/{course}/completion"), learner.t())
        .await
        .expect(200);
    serde_json::from_value(reply.body).expect("CompletionStatus")
}

async fn issuer_key(app: &TestApp) -> PublicKey {
    let reply = app
        .get("/.well-known/cloudmaster/issuer.json", None)
        .await
        .expect(200);
    let keys: IssuerKeys = serde_json::from_value(reply.body).expect("IssuerKeys");
    assert_eq!(keys.keys.len(), 1);
    assert_eq!(keys.keys[0].algorithm, "Ed25519");
    let key = PublicKey::from_base64url(&keys.keys[0].public_key).expect("public key");
    assert_eq!(key.key_id(), keys.keys[0].key_id);
    key
}

/// Completes both lessons of `course` and awards its certificate.
async fn certified(app: &TestApp, learner: &Session, course: &str) -> Uuid {
    complete_lesson(app, learner, course, "welcome").await;
    complete_lesson(app, learner, course, "first-steps").await;
    award_if_complete(&app.state, learner.user.id, course)
        .await
        .expect("award")
        .expect("the course is complete")
}

async fn issued_once_rules_are_met_and_verifies_with_the_published_key(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let learner = setup(&app, &course_with("cert-basics", lessons_only())).await;
    let id = learner.user.id;

    let before = completion(&app, &learner, "cert-basics").await;
    assert!(!before.complete);
    assert_eq!((before.lessons.required, before.lessons.done), (2, 0));
    assert_eq!(before.lessons.missing, ["welcome", "first-steps"]);
    assert!(before.quizzes.met && before.labs.met && before.mock_exam.met);
    assert_eq!(before.certificate_id, None);

    complete_lesson(&app, &learner, "cert-basics", "welcome").await;
    assert_eq!(
        award_if_complete(&app.state, id, "cert-basics")
            .await
            .unwrap(),
        None,
        "one lesson left: no certificate yet"
    );
    assert_eq!(
        completion(&app, &learner, "cert-basics")
            .await
            .lessons
            .missing,
        ["first-steps"]
    );
    complete_lesson(&app, &learner, "cert-basics", "first-steps").await;
    let certificate = award_if_complete(&app.state, id, "cert-basics")
        .await
        .unwrap()
        .expect("issued");
    // Awarding again (another completion event) returns the same certificate.
    assert_eq!(
        award_if_complete(&app.state, id, "cert-basics")
            .await
            .unwrap(),
        Some(certificate)
    );
    let after = completion(&app, &learner, "cert-basics").await;
    assert!(after.complete);
    assert_eq!(after.certificate_id, Some(certificate));

    let listed: Vec<CertificateInfo> = serde_json::from_value(
        app.get("/api/v1/certificates", learner.t())
            .await
            .expect(200)
            .body,
    )
    .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, certificate);
    assert_eq!(listed[0].course_title, "Course cert-basics");
    assert_eq!(listed[0].revoked_at, None);

    // The file, served byte for byte, verifies with the key the server publishes.
    let path = format!("/api/v1/certificates/{certificate}");
    let file = app.get(&path, learner.t()).await.expect(200);
    assert_eq!(file.headers["content-type"], "application/json");
    assert!(file.text.ends_with("}\n"));
    let key = issuer_key(&app).await;
    let claims = cert::verify(file.text.as_bytes(), &key).expect("verifies");
    assert_eq!(claims.id, certificate);
    assert_eq!(claims.learner_id, id);
    assert_eq!(claims.learner_name, "learner@example.com");
    assert_eq!(
        (claims.course_id.as_str(), claims.course_version),
        ("cert-basics", 1)
    );
    assert_eq!(claims.issued_at, listed[0].issued_at);
    assert!(
        claims.labs.is_empty() && !file.text.contains("labs"),
        "no lab passed"
    );
    let stored = app.state.store().certificate_ids(id).await.unwrap();
    assert_eq!(stored.get("cert-basics"), Some(&certificate));
    assert_eq!(stored.len(), 1);

    // Another learner cannot see it (404, not 403); an admin can; the status is public.
    let other = app.user("other@example.com", Role::Learner).await;
    app.get(&path, other.t())
        .await
        .expect_error(404, "not_found");
    app.get(&format!("{path}/ob3"), other.t())
        .await
        .expect_error(404, "not_found");
    let admin = app.user("admin@example.com", Role::Admin).await;
    assert_eq!(app.get(&path, admin.t()).await.expect(200).text, file.text);
    app.get(&path, None)
        .await
        .expect_error(401, "unauthenticated");
    let status: CertificateStatus = serde_json::from_value(
        app.get(&format!("{path}/status"), None)
            .await
            .expect(200)
            .body,
    )
    .unwrap();
    assert!(status.valid);
    assert_eq!(status.course_id, "cert-basics");
    app.get("/api/v1/certificates/not-a-uuid/status", None)
        .await
        .expect_error(404, "not_found");
    app.get(
        &format!("/api/v1/certificates/{}/status", Uuid::now_v7()),
        None,
    )
    .await
    .expect_error(404, "not_found");
    // Completion needs enrollment, like progress.
    app.get("/api/v1/courses/cert-basics/completion", other.t())
        .await
        .expect_error(403, "not_enrolled");
}

async fn revocation_shows_in_status_and_blocks_the_open_badge(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let learner = setup(&app, &course_with("cert-revoke", lessons_only())).await;
    let certificate = certified(&app, &learner, "cert-revoke").await;
    let admin = app.user("admin@example.com", Role::Admin).await;
    let revoke = format!("/api/v1/admin/certificates/{certificate}/revoke");
    let status = format!("/api/v1/certificates/{certificate}/status");

    app.post(&revoke, learner.t(), &json!({"reason": "mine"}))
        .await
        .expect_error(403, "forbidden");
    app.post(&revoke, admin.t(), &json!({"reason": "  "}))
        .await
        .expect_error(422, "validation_failed");
    app.post(
        &format!("/api/v1/admin/certificates/{}/revoke", Uuid::now_v7()),
        admin.t(),
        &json!({"reason": "x"}),
    )
    .await
    .expect_error(404, "not_found");

    let revoked: CertificateInfo = serde_json::from_value(
        app.post(&revoke, admin.t(), &json!({"reason": "exam fraud"}))
            .await
            .expect(200)
            .body,
    )
    .unwrap();
    assert_eq!(revoked.revoked_reason.as_deref(), Some("exam fraud"));
    let first_time = revoked.revoked_at.expect("revoked_at");

    let seen: CertificateStatus =
        serde_json::from_value(app.get(&status, None).await.expect(200).body).unwrap();
    assert!(!seen.valid);
    assert_eq!(seen.reason.as_deref(), Some("exam fraud"));
    assert_eq!(seen.revoked_at, Some(first_time));

    // Revoking again keeps the first time and reason.
    let again: CertificateInfo = serde_json::from_value(
        app.post(&revoke, admin.t(), &json!({"reason": "changed my mind"}))
            .await
            .expect(200)
            .body,
    )
    .unwrap();
    assert_eq!(again.revoked_at, Some(first_time));
    assert_eq!(again.revoked_reason.as_deref(), Some("exam fraud"));

    // The learner's list says so; the file is still served (it verifies, the status tells);
    // the Open Badge is refused since it could not carry the revocation.
    let listed = app
        .get("/api/v1/certificates", learner.t())
        .await
        .expect(200);
    assert_eq!(listed.body[0]["revoked_reason"], "exam fraud");
    app.get(&format!("/api/v1/certificates/{certificate}"), learner.t())
        .await
        .expect(200);
    app.get(
        &format!("/api/v1/certificates/{certificate}/ob3"),
        learner.t(),
    )
    .await
    .expect_error(409, "conflict");
    // Still one certificate: a revoked one is not re-issued by the next completion event.
    assert_eq!(
        award_if_complete(&app.state, learner.user.id, "cert-revoke")
            .await
            .unwrap(),
        Some(certificate)
    );
}

async fn open_badge_proof_verifies_with_the_issuer_key(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let mut course = course_with("cert-badge", lessons_only());
    course.summary = "Learn the basics of the course format.".to_owned();
    let learner = setup(&app, &course).await;
    let certificate = certified(&app, &learner, "cert-badge").await;

    let badge = app
        .get(
            &format!("/api/v1/certificates/{certificate}/ob3"),
            learner.t(),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        badge["type"],
        json!(["VerifiableCredential", "OpenBadgeCredential"])
    );
    assert_eq!(badge["id"], format!("urn:uuid:{certificate}"));
    let achievement = &badge["credentialSubject"]["achievement"];
    assert_eq!(achievement["name"], "Course cert-badge");
    assert_eq!(
        achievement["description"],
        "Learn the basics of the course format."
    );
    assert_eq!(
        achievement["criteria"]["narrative"],
        "The learner read every lesson of the course \"Course cert-badge\" (version 1)."
    );
    let key = issuer_key(&app).await;
    assert_eq!(badge["issuer"]["id"], ob3::did_key(&key));
    assert_eq!(ob3::verify_proof(&badge).expect("proof verifies"), key);

    let mut altered = badge.clone();
    altered["credentialSubject"]["achievement"]["name"] = json!("Course of something else");
    assert!(ob3::verify_proof(&altered).is_err());
    // Exporting again gives the same credential (deterministic signature and `created`).
    let again = app
        .get(
            &format!("/api/v1/certificates/{certificate}/ob3"),
            learner.t(),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(again, badge);
}

async fn quizzes_and_labs_count_towards_completion(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let rules = Completion {
        lessons: Requirement::All,
        quizzes: Requirement::All,
        labs: 1,
        mock_exam: false,
    };
    // The lab's step also has a script check, which this server does not run.
    let mut course = course_with("cert-full", rules);
    course.labs[0].steps[0].conditions.push(Condition {
        id: "script".to_owned(),
        message: "the script fails".to_owned(),
        timeout_seconds: 10,
        check: Check::Script {
            script: "checks/ok.sh".to_owned(),
        },
    });
    course.labs[0].files.push(LabFile {
        path: "checks/ok.sh".to_owned(),
        content: FileContent::Text("exit 0\n".to_owned()),
        executable: false,
    });
    let learner = setup(&app, &course).await;
    let user = learner.user.id;
    complete_lesson(&app, &learner, "cert-full", "welcome").await;
    complete_lesson(&app, &learner, "cert-full", "first-steps").await;

    let status = completion(&app, &learner, "cert-full").await;
    assert!(status.lessons.met && !status.complete);
    assert_eq!(status.quizzes.missing, ["getting-started-quiz"]);
    assert_eq!((status.labs.required, status.labs.done), (1, 0));
    assert_eq!(status.labs.missing, ["hello-file"]);

    // A failed attempt and a still-open one do not count; neither does a pass elsewhere.
    let quiz = "getting-started-quiz";
    raw::attempt(db, user, "cert-full", quiz, "submitted", Some(false)).await;
    raw::attempt(db, user, "cert-full", quiz, "open", None).await;
    let stranger = app.user("stranger@example.com", Role::Learner).await;
    raw::attempt(
        db,
        stranger.user.id,
        "cert-full",
        quiz,
        "submitted",
        Some(true),
    )
    .await;
    let status = completion(&app, &learner, "cert-full").await;
    assert_eq!(status.quizzes.missing, [quiz]);
    assert_eq!(
        award_if_complete(&app.state, user, "cert-full")
            .await
            .unwrap(),
        None
    );

    // An expired attempt graded as passed counts, as does a passed lab.
    raw::attempt(db, user, "cert-full", quiz, "expired", Some(true)).await;
    raw::attempt(db, user, "cert-full", quiz, "submitted", Some(true)).await;
    let facts = app
        .state
        .store()
        .completion_facts(user, "cert-full")
        .await
        .unwrap();
    assert_eq!(facts.passed_assessments, [quiz], "distinct assessments");
    let status = completion(&app, &learner, "cert-full").await;
    assert!(status.quizzes.met && !status.labs.met);
    raw::lab_pass(db, user, "cert-full", "hello-file").await;
    let status = completion(&app, &learner, "cert-full").await;
    assert!(status.complete, "{status:?}");
    let mut facts = app
        .state
        .store()
        .completion_facts(user, "cert-full")
        .await
        .unwrap();
    facts.completed_lessons.sort();
    assert_eq!(facts.completed_lessons, ["first-steps", "welcome"]);
    assert_eq!(facts.passed_labs, ["hello-file"]);
    let certificate = award_if_complete(&app.state, user, "cert-full")
        .await
        .unwrap()
        .expect("issued");

    // The certificate lists the lab, marked self-reported: its script ran on the learner's
    // machine only.
    let file = app
        .get(&format!("/api/v1/certificates/{certificate}"), learner.t())
        .await
        .expect(200);
    let claims = cert::verify(file.text.as_bytes(), &issuer_key(&app).await).expect("verifies");
    assert_eq!(
        claims.labs,
        [cert::CertifiedLab {
            id: "hello-file".to_owned(),
            title: course.labs[0].title.clone(),
            self_reported: true,
        }]
    );
}

async fn concurrent_awards_store_one_certificate(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let learner = setup(&app, &course_with("cert-race", lessons_only())).await;
    complete_lesson(&app, &learner, "cert-race", "welcome").await;
    complete_lesson(&app, &learner, "cert-race", "first-steps").await;
    let awards = (0..8).map(|_| {
        let state = app.state.clone();
        let user = learner.user.id;
        tokio::spawn(async move { award_if_complete(&state, user, "cert-race").await })
    });
    let mut ids = Vec::new();
    for award in awards.collect::<Vec<_>>() {
        ids.push(award.await.unwrap().unwrap().expect("issued"));
    }
    ids.dedup();
    assert_eq!(
        ids.len(),
        1,
        "every award returns the one stored certificate"
    );
    let listed = app
        .get("/api/v1/certificates", learner.t())
        .await
        .expect(200);
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(listed.body[0]["id"], ids[0].to_string());
}

/// Rows the assessment and lab flows write, inserted directly so completion can be tested
/// on its own (the schema is shared; these are its documented meanings).
mod raw {
    use uuid::Uuid;

    use crate::api_support::{Backend, TestDatabase};

    pub async fn attempt(
        db: &TestDatabase,
        user: Uuid,
        course: &str,
        quiz: &str,
        status: &str,
        passed: Option<bool>,
    ) {
        if db.backend == Backend::Postgres {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            sqlx::query(
                "INSERT INTO attempts (id, user_id, course_id, course_version, kind, \
                     assessment_id, seed, question_ids, status, started_at, last_activity, passed) \
                 VALUES ($1, $2, $3, 1, 'quiz', $4, 0, '[]', $5, now(), now(), $6)",
            )
            .bind(Uuid::now_v7())
            .bind(user)
            .bind(course)
            .bind(quiz)
            .bind(status)
            .bind(passed)
            .execute(&pool)
            .await
            .unwrap();
            pool.close().await;
        } else {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            sqlx::query(
                "INSERT INTO attempts (id, user_id, course_id, course_version, kind, \
                     assessment_id, seed, question_ids, status, started_at, last_activity, passed) \
                 VALUES (?1, ?2, ?3, 1, 'quiz', ?4, 0, '[]', ?5, 0, 0, ?6)",
            )
            .bind(Uuid::now_v7())
            .bind(user)
            .bind(course)
            .bind(quiz)
            .bind(status)
            .bind(passed)
            .execute(&pool)
            .await
            .unwrap();
            pool.close().await;
        }
    }

    pub async fn lab_pass(db: &TestDatabase, user: Uuid, course: &str, lab: &str) {
        if db.backend == Backend::Postgres {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            sqlx::query(
                "INSERT INTO lab_passes (user_id, course_id, lab_id, session_id, passed_at) \
                 VALUES ($1, $2, $3, $4, now())",
            )
            .bind(user)
            .bind(course)
            .bind(lab)
            .bind(Uuid::now_v7())
            .execute(&pool)
            .await
            .unwrap();
            pool.close().await;
        } else {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            sqlx::query(
                "INSERT INTO lab_passes (user_id, course_id, lab_id, session_id, passed_at) \
                 VALUES (?1, ?2, ?3, ?4, 0)",
            )
            .bind(user)
            .bind(course)
            .bind(lab)
            .bind(Uuid::now_v7())
            .execute(&pool)
            .await
            .unwrap();
            pool.close().await;
        }
    }
}

async fn certificates_signed_before_a_rotation_keep_verifying(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let course = course_with("cert-rotate", lessons_only());
    let first = setup(&app, &course).await;
    let old_certificate = certified(&app, &first, "cert-rotate").await;
    let old_key = issuer_key(&app).await;

    let dir = cloudmaster_server::keys::KeyDir::new(crate::api_support::config(db).key_dir());
    let made = cloudmaster_server::keys::rotate(
        &dir,
        &[cloudmaster_server::keys::KeyKind::Certificate],
        time::OffsetDateTime::now_utc(),
    )
    .unwrap();
    app.state.keys().reload().unwrap();

    let second = app.user("second@example.com", Role::Learner).await;
    app.post(
        "/api/v1/courses/cert-rotate/enrollment",
        second.t(),
        &json!({}),
    )
    .await
    .expect(201);
    let new_certificate = certified(&app, &second, "cert-rotate").await;

    // The issuer document lists the new key first and keeps the old one.
    let reply = app
        .get("/.well-known/cloudmaster/issuer.json", None)
        .await
        .expect(200);
    let published: IssuerKeys = serde_json::from_value(reply.body).unwrap();
    let ids: Vec<&str> = published.keys.iter().map(|k| k.key_id.as_str()).collect();
    assert_eq!(ids, [made[0].kid.as_str(), old_key.key_id().as_str()]);
    let keys: Vec<PublicKey> = published
        .keys
        .iter()
        .map(|k| PublicKey::from_base64url(&k.public_key).unwrap())
        .collect();

    for (session, id, key_id) in [
        (&first, old_certificate, old_key.key_id()),
        (&second, new_certificate, made[0].kid.clone()),
    ] {
        let file = app
            .get(&format!("/api/v1/certificates/{id}"), session.t())
            .await
            .expect(200)
            .text;
        let claims = cert::verify_with_keys(file.as_bytes(), &keys).expect("verifies");
        assert_eq!(claims.key_id, key_id);
        // The Open Badge is signed with the key that signed the certificate.
        let badge = app
            .get(&format!("/api/v1/certificates/{id}/ob3"), session.t())
            .await
            .expect(200)
            .body;
        assert_eq!(ob3::verify_proof(&badge).unwrap().key_id(), key_id);
    }
}
