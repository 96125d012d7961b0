//! The rules around attempts over HTTP: module locks, attempt limits, whose attempt is
//! whose, answers that do not fit their question, and a submission sent twice at once.

use cloudmaster_core::api::Role;
use cloudmaster_core::assess::Response;
use cloudmaster_core::course::QuestionKind;
use serde_json::{Value, json};

use crate::api_support::{Session, TestDatabase};
use crate::learning_support::*;

backend_tests!(
    locks_and_attempt_limits,
    search_marks_lessons_locked_for_the_caller,
    answers_are_validated,
    double_submit_grades_once,
);

// --- locks, attempt limits, ownership -------------------------------------------------

async fn locks_and_attempt_limits(db: &TestDatabase) {
    let app = learning_app(db).await;
    let author = app.author();
    let outsider = app.user("otto@example.com", Role::Learner).await;
    app.start_attempt(&outsider, MOCK)
        .await
        .expect_error(403, "not_enrolled");
    let learner = app.enrolled("lou@example.com").await;

    let list = app
        .get(
            &format!("/api/v1/courses/{COURSE}/assessments"),
            learner.t(),
        )
        .await
        .expect(200)
        .body;
    let listed: Vec<(&str, &str, u64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap(),
                a["kind"].as_str().unwrap(),
                a["pass_mark"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (QUIZ_1, "quiz", 70),
            (QUIZ_2, "quiz", 50),
            (MOCK, "mock_exam", 70)
        ]
    );
    assert_eq!(list[1]["module_id"], "operations");
    assert_eq!(list[2]["time_limit_minutes"], 30);
    // The listing marks what is locked: a quiz until its module's lessons are done.
    let locked_flags = async |session: &Session| -> Vec<bool> {
        let list = app
            .get(
                &format!("/api/v1/courses/{COURSE}/assessments"),
                session.t(),
            )
            .await
            .expect(200)
            .body;
        let flags = list.as_array().unwrap().iter();
        flags.map(|a| a["locked"].as_bool().unwrap()).collect()
    };
    assert_eq!(locked_flags(&learner).await, [true, true, false]);

    // Module 2's lessons and both quizzes wait for module 1; the mock exam does not.
    let lesson = format!("/api/v1/courses/{COURSE}/lessons/availability");
    let locked = app
        .get(&lesson, learner.t())
        .await
        .expect_error(403, "locked");
    for part in [
        "module `getting-started`",
        "2 lessons left",
        "lesson `welcome`",
        &format!("run `cloudmaster learn {COURSE}`"),
    ] {
        assert!(locked.message().contains(part), "{part}: {}", locked.text);
    }
    app.put(
        &format!("{lesson}/progress"),
        learner.t(),
        &json!({"status": "started"}),
    )
    .await
    .expect_error(403, "locked");
    app.get(&lesson, author.t()).await.expect(200);
    app.start_attempt(&learner, QUIZ_1)
        .await
        .expect_error(403, "locked");
    app.complete(&learner, &["welcome"]).await;
    let one_left = app
        .start_attempt(&learner, QUIZ_1)
        .await
        .expect_error(403, "locked");
    assert!(
        one_left.message().contains("1 lesson left"),
        "{}",
        one_left.text
    );
    assert!(
        one_left.message().contains("`first-steps`"),
        "{}",
        one_left.text
    );
    app.complete(&learner, &["first-steps"]).await;
    app.get(&lesson, learner.t()).await.expect(200);
    app.start_attempt(&learner, QUIZ_1).await.expect(201);
    assert_eq!(locked_flags(&learner).await, [false, true, false]);
    // The course's owner, enrolled to see the listing, is never locked out.
    app.post(
        &format!("/api/v1/courses/{COURSE}/enrollment"),
        author.t(),
        &json!({}),
    )
    .await
    .expect(201);
    assert_eq!(locked_flags(author).await, [false, false, false]);
    let quiz_2 = app
        .start_attempt(&learner, QUIZ_2)
        .await
        .expect_error(403, "locked");
    assert!(
        quiz_2.message().contains("module `operations`"),
        "{}",
        quiz_2.text
    );
    app.complete(&learner, &["availability", "recovery"]).await;

    // One attempt allowed: starting again resumes it until it is submitted.
    let first = app.start_attempt(&learner, QUIZ_2).await.expect(201).body;
    let resumed = app.start_attempt(&learner, QUIZ_2).await.expect(200).body;
    assert_eq!(resumed["id"], first["id"]);
    assert_eq!(resumed["questions"], first["questions"]);
    let attempt = first["id"].as_str().unwrap().to_owned();
    let ids = question_ids(&first);
    assert_eq!(ids.len(), 2);

    // Someone else's attempt does not exist for them.
    app.get(&format!("/api/v1/attempts/{attempt}"), outsider.t())
        .await
        .expect_error(404, "not_found");
    app.submit_attempt(&outsider, &attempt, json!({}))
        .await
        .expect_error(404, "not_found");
    app.get("/api/v1/attempts/not-a-uuid", learner.t())
        .await
        .expect_error(404, "not_found");

    let answers = json!({ (ids[0].clone()): right_in(&first, &ids[0]) });
    let result = app
        .submit_attempt(&learner, &attempt, answers)
        .await
        .expect(200)
        .body;
    assert_eq!(result["score_percent"], 50.0);
    assert_eq!(result["passed"], true, "pass mark 50");
    app.start_attempt(&learner, QUIZ_2)
        .await
        .expect_error(409, "attempts_exhausted");
    app.save_answer(&learner, &attempt, &ids[1], &right_in(&first, &ids[1]))
        .await
        .expect_error(409, "attempt_closed");

    let list = app
        .get(
            &format!("/api/v1/courses/{COURSE}/assessments"),
            learner.t(),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(list[1]["attempts_used"], 1);
    assert_eq!(list[1]["best_score"], 50.0);
    assert_eq!(list[1]["passed"], true);
    assert_eq!(list[1]["open_attempt"], Value::Null);
    assert_eq!(list[0]["attempts_used"], 1);
    assert!(list[0]["open_attempt"].is_string());
    let passed = app
        .state
        .store()
        .passed_assessments(learner.user.id, COURSE)
        .await
        .unwrap();
    assert_eq!(passed, [QUIZ_2]);
}

/// Search is open to everyone; a signed-in learner sees which lesson hits are in modules
/// still locked for them, by the rule the lesson route applies.
async fn search_marks_lessons_locked_for_the_caller(db: &TestDatabase) {
    let app = learning_app(db).await;
    let author = app.author();
    let learner = app.enrolled("sam@example.com").await;
    let outsider = app.user("out@example.com", Role::Learner).await;
    let admin = app.user("adm@example.com", Role::Admin).await;
    let lessons = async |q: &str, session: Option<&Session>| -> Vec<(String, bool)> {
        let hits = app
            .get(
                &format!("/api/v1/courses/search?q={q}"),
                session.and_then(Session::t),
            )
            .await
            .expect(200)
            .body;
        let mut lessons: Vec<(String, bool)> = hits
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|h| {
                let lesson = h["lesson_id"].as_str()?.to_owned();
                Some((lesson, h["locked"].as_bool().unwrap()))
            })
            .collect();
        lessons.sort();
        lessons
    };
    let both = |locked: bool| {
        vec![
            ("availability".to_owned(), locked),
            ("recovery".to_owned(), locked),
        ]
    };
    assert_eq!(lessons("production", Some(&learner)).await, both(true));
    assert_eq!(
        lessons("markdown", Some(&learner)).await,
        [("welcome".to_owned(), false)],
        "the first module is always open"
    );
    // Without credentials, outside the course, as an admin: nothing is locked.
    assert_eq!(lessons("production", None).await, both(false));
    assert_eq!(lessons("production", Some(&outsider)).await, both(false));
    assert_eq!(lessons("production", Some(&admin)).await, both(false));
    // The course's owner, enrolled, is never locked out.
    app.post(
        &format!("/api/v1/courses/{COURSE}/enrollment"),
        author.t(),
        &json!({}),
    )
    .await
    .expect(201);
    assert_eq!(lessons("production", Some(author)).await, both(false));
    // Half of module 1 done: still locked; all of it: open.
    app.complete(&learner, &["welcome"]).await;
    assert_eq!(lessons("production", Some(&learner)).await, both(true));
    app.complete(&learner, &["first-steps"]).await;
    assert_eq!(lessons("production", Some(&learner)).await, both(false));
    // A credential that is not valid is refused, as on every route behind the gate.
    app.get("/api/v1/courses/search?q=production", Some("not-a-token"))
        .await
        .expect_error(401, "unauthenticated");
}

// --- answer validation and concurrency ------------------------------------------------

async fn answers_are_validated(db: &TestDatabase) {
    let app = learning_app(db).await;
    let author = app.author();
    let learner = app.enrolled("val@example.com").await;
    let view = app.start_attempt(&learner, MOCK).await.expect(201).body;
    let attempt = view["id"].as_str().unwrap().to_owned();
    app.save_answer(
        &learner,
        &attempt,
        "not-asked",
        &right_in(&view, "lesson-format"),
    )
    .await
    .expect_error(422, "validation_failed");
    let mismatch = app
        .save_answer(
            &learner,
            &attempt,
            "uptime-hours",
            &Response::TrueFalse { value: true },
        )
        .await
        .expect_error(422, "validation_failed");
    assert!(mismatch.message().contains("numeric"), "{}", mismatch.text);
    app.save_answer(
        &learner,
        &attempt,
        "lesson-format",
        &Response::SingleChoice { choice: "z".into() },
    )
    .await
    .expect_error(422, "validation_failed");
    app.submit_attempt(
        &learner,
        &attempt,
        json!({"lab-order": {"type": "ordering", "order": ["start"]}}),
    )
    .await
    .expect_error(422, "validation_failed");
    // A later save replaces the earlier one.
    app.save_answer(
        &learner,
        &attempt,
        "ids-are-stable",
        &wrong("ids-are-stable"),
    )
    .await
    .expect(204);
    app.save_answer(
        &learner,
        &attempt,
        "ids-are-stable",
        &right("ids-are-stable"),
    )
    .await
    .expect(204);
    let shown = app
        .get(&format!("/api/v1/attempts/{attempt}"), learner.t())
        .await
        .expect(200);
    assert_eq!(
        shown.body["answers"],
        json!({"ids-are-stable": {"type": "true_false", "value": true}})
    );
    assert_eq!(shown.body["status"], "open");

    // A publish in the middle changes neither the questions nor the grading of the attempt.
    let mut reworded = learning_course();
    for q in &mut reworded.questions {
        q.prompt = format!("Reworded: {}", q.prompt);
        if let QuestionKind::TrueFalse { answer } = &mut q.kind {
            *answer = !*answer;
        }
    }
    app.post(
        &format!("/api/v1/courses/{COURSE}/versions"),
        author.t(),
        &serde_json::to_value(reworded).unwrap(),
    )
    .await
    .expect(200);
    let pinned = app
        .get(&format!("/api/v1/attempts/{attempt}"), learner.t())
        .await
        .expect(200);
    assert_eq!(pinned.body["questions"], view["questions"]);
    let result = app
        .submit_attempt(&learner, &attempt, json!({}))
        .await
        .expect(200);
    let graded = result.body["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["question_id"] == "ids-are-stable")
        .unwrap();
    assert_eq!(
        graded["correct"], true,
        "graded on the version it was drawn from"
    );
    assert!(!graded["prompt"].as_str().unwrap().starts_with("Reworded"));
    let next = app.start_attempt(&learner, MOCK).await.expect(201).body;
    assert!(
        next["questions"][0]["prompt"]
            .as_str()
            .unwrap()
            .starts_with("Reworded"),
        "new attempts use the new version"
    );
}

async fn double_submit_grades_once(db: &TestDatabase) {
    let app = learning_app(db).await;
    let learner = app.enrolled("dot@example.com").await;
    let view = app.start_attempt(&learner, MOCK).await.expect(201).body;
    let attempt = view["id"].as_str().unwrap().to_owned();
    let answers: serde_json::Map<String, Value> = question_ids(&view)
        .iter()
        .map(|q| (q.clone(), serde_json::to_value(right_in(&view, q)).unwrap()))
        .collect();
    let body = Value::Object(answers);
    let (a, b) = tokio::join!(
        app.submit_attempt(&learner, &attempt, body.clone()),
        app.submit_attempt(&learner, &attempt, body.clone()),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", a.text, b.text);
    let refused = if a.status == 409 { a } else { b };
    assert_eq!(refused.body["error"]["code"], "attempt_closed");
    assert!(
        refused.message().contains("already submitted"),
        "{}",
        refused.text
    );
    let mastery = app
        .get(&format!("/api/v1/courses/{COURSE}/mastery"), learner.t())
        .await
        .expect(200)
        .body;
    assert_eq!(mastery["answers"], 7, "graded once");
    let summaries = app
        .get(&format!("/api/v1/courses/{COURSE}/attempts"), learner.t())
        .await
        .expect(200)
        .body;
    assert_eq!(summaries.as_array().unwrap().len(), 1);
    assert_eq!(summaries[0]["status"], "submitted");
    assert_eq!(summaries[0]["score_percent"], 100.0);
}
