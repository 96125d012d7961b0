//! The learning loop over HTTP: attempts graded on the server (no answer leaks before
//! submission), time limits and abandoned attempts with an injected clock, spaced review on
//! the FSRS schedule, mastery and readiness. Module locks, attempt limits and answer
//! validation are in `attempt_rules.rs`.

use cloudmaster_core::api::Role;
use cloudmaster_core::assess::{Rating, Response, schedule};
use cloudmaster_core::course::{Course, QuestionKind};
use serde_json::{Value, json};
use time::Duration;
use time::format_description::well_known::Rfc3339;

use crate::api_support::{Session, TestApp, TestDatabase};

backend_tests!(
    nothing_secret_before_submission,
    options_are_lettered_as_shown_and_mapped_back,
    timed_exam_closes_at_its_deadline,
    abandoned_attempts_are_closed_by_the_job,
    review_follows_the_card_schedule,
    mastery_and_readiness,
);

use crate::learning_support::*;

// --- no answer leaves the server before submission ---------------------------------------

const QUESTION_KEYS: &[&str] = &[
    "id", "type", "domain", "skills", "scenario", "prompt", "options",
];
const SECRET_KEYS: &[&str] = &[
    "answer",
    "accept",
    "accepted",
    "patterns",
    "tolerance",
    "explanation",
    "correct",
    "correct_answer",
];

/// Fails if `json` (a whole response body) carries anything that gives an answer away:
/// a secret key anywhere, a question with keys other than the public ones, an explanation
/// or accepted answer anywhere in the text, or an ordering question shown in its right order.
fn assert_no_secrets(json: &Value, course: &Course, what: &str) {
    fn walk(v: &Value, what: &str) {
        match v {
            Value::Object(map) => {
                for (key, value) in map {
                    assert!(
                        !SECRET_KEYS.contains(&key.as_str()),
                        "{what}: key `{key}` in {v}"
                    );
                    walk(value, what);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, what)),
            _ => {}
        }
    }
    walk(json, what);
    let text = json.to_string();
    for q in &course.questions {
        assert!(
            !text.contains(&q.explanation),
            "{what}: explanation of {}",
            q.id
        );
        match &q.kind {
            QuestionKind::ShortText { accept, patterns } => {
                for secret in accept.iter().chain(patterns) {
                    let escaped = serde_json::to_string(secret).unwrap();
                    assert!(
                        !text.contains(escaped.trim_matches('"')),
                        "{what}: {secret}"
                    );
                }
            }
            QuestionKind::Numeric { answer, .. } => {
                assert!(
                    !text.contains(&answer.to_string()),
                    "{what}: numeric answer"
                );
            }
            _ => {}
        }
    }
    let mut questions: Vec<&Value> = Vec::new();
    if let Some(qs) = json["questions"].as_array() {
        questions.extend(qs);
    }
    if let Some(items) = json["items"].as_array() {
        questions.extend(items.iter().map(|i| &i["question"]));
    }
    for q in questions {
        for key in q.as_object().unwrap().keys() {
            assert!(QUESTION_KEYS.contains(&key.as_str()), "{what}: key {key}");
        }
        for (at, option) in q["options"].as_array().unwrap().iter().enumerate() {
            let mut keys: Vec<&String> = option.as_object().unwrap().keys().collect();
            keys.sort();
            assert_eq!(keys, ["id", "text"], "{what}: option {option}");
            // Lettered in the order shown: the authored ids never leave the server.
            assert_eq!(
                option["id"],
                cloudmaster_core::assess::letter(at),
                "{what}: {q}"
            );
        }
        let source = course.question(q["id"].as_str().unwrap()).unwrap();
        if let QuestionKind::Ordering { options, answer } = &source.kind {
            let shown: Vec<&str> = q["options"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["text"].as_str().unwrap())
                .collect();
            let right: Vec<&str> = answer
                .iter()
                .map(|id| options.iter().find(|o| &o.id == id).unwrap().text.as_str())
                .collect();
            assert_ne!(shown, right, "{what}: ordering shown in the right order");
        }
    }
}

async fn nothing_secret_before_submission(db: &TestDatabase) {
    let app = learning_app(db).await;
    let learner = app.enrolled("ada@example.com").await;
    let course = learning_course();

    let started = app.start_attempt(&learner, MOCK).await.expect(201);
    assert_no_secrets(&started.body, &course, "started mock exam");
    let mut types: Vec<&str> = started.body["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["type"].as_str().unwrap())
        .collect();
    types.sort_unstable();
    types.dedup();
    assert_eq!(
        types,
        [
            "multiple_response",
            "numeric",
            "ordering",
            "short_text",
            "single_choice",
            "true_false"
        ],
        "the exam asks every question type"
    );
    assert_eq!(started.body["pass_mark"], 70, "the exam's pass mark");
    assert_eq!(started.body["result"], Value::Null);

    let attempt = started.body["id"].as_str().unwrap().to_owned();
    for q in question_ids(&started.body) {
        app.save_answer(&learner, &attempt, &q, &wrong_in(&started.body, &q))
            .await
            .expect(204);
    }
    let shown = app
        .get(&format!("/api/v1/attempts/{attempt}"), learner.t())
        .await
        .expect(200);
    assert_no_secrets(&shown.body, &course, "open attempt with saved answers");
    assert_eq!(
        shown.body["questions"], started.body["questions"],
        "same order"
    );
    assert_eq!(shown.body["answers"]["loss-term"]["text"], "RTO");

    // Once submitted, the result carries the answer key (so the checks above could fail).
    let result = app
        .submit_attempt(&learner, &attempt, json!({}))
        .await
        .expect(200);
    assert_eq!(result.body["score_percent"], 0.0);
    let numeric = result.body["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["question_id"] == "uptime-hours")
        .unwrap();
    assert_eq!(numeric["correct_answer"], "262.8 ± 0.5");
    assert!(
        numeric["explanation"]
            .as_str()
            .unwrap()
            .starts_with("Three percent")
    );
    let detector = std::panic::catch_unwind(|| {
        assert_no_secrets(&result.body, &course, "result");
    });
    assert!(
        detector.is_err(),
        "the leak check finds the answer key in a result"
    );

    // Review items are questions too: due after the 10-minute relearning step.
    app.clock().advance(Duration::minutes(10));
    let queue = app.get("/api/v1/review", learner.t()).await.expect(200);
    assert_eq!(queue.body["due"], 7, "{}", queue.text);
    assert_no_secrets(&queue.body, &course, "review queue");
}

// --- options lettered as shown ----------------------------------------------------------

/// Letters follow the order shown; what a learner picks is graded, stored and reviewed as
/// the authored option, and everything sent back reads in the letters of the screen.
async fn options_are_lettered_as_shown_and_mapped_back(db: &TestDatabase) {
    let app = learning_app(db).await;
    let learner = app.enrolled("lea@example.com").await;
    let view = app.start_attempt(&learner, MOCK).await.expect(201).body;
    let attempt = view["id"].as_str().unwrap().to_owned();
    let choice_questions = [
        "lesson-format",
        "course-parts",
        "scale-direction",
        "lab-order",
    ];
    for q in choice_questions {
        app.save_answer(&learner, &attempt, q, &right_in(&view, q))
            .await
            .expect(204);
    }
    // Stored as authored: grading, mastery and review know nothing of letters.
    let stored = app
        .state
        .store()
        .attempt(attempt.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    for q in choice_questions {
        assert_eq!(stored.answers[q], right(q), "{q} stored as authored");
    }
    // Resuming shows the same order, letters and saved answers.
    let resumed = app.start_attempt(&learner, MOCK).await.expect(200).body;
    assert_eq!(resumed["questions"], view["questions"]);
    for q in choice_questions {
        assert_eq!(
            resumed["answers"][q],
            serde_json::to_value(right_in(&view, q)).unwrap(),
            "{q}"
        );
    }
    // The authored ids are no letters: an ordering of them is refused, naming what was sent.
    let authored = app
        .save_answer(&learner, &attempt, "lab-order", &right("lab-order"))
        .await
        .expect_error(422, "validation_failed");
    assert!(
        authored.message().contains("`start` is not an option"),
        "{}",
        authored.text
    );
    let repeated = app
        .save_answer(
            &learner,
            &attempt,
            "lab-order",
            &Response::Ordering {
                order: vec!["a".into(), "a".into(), "b".into()],
            },
        )
        .await
        .expect_error(422, "validation_failed");
    assert!(
        repeated
            .message()
            .contains("option `a` appears more than once"),
        "{}",
        repeated.text
    );

    let result = app
        .submit_attempt(&learner, &attempt, json!({}))
        .await
        .expect(200)
        .body;
    for q in choice_questions {
        let graded = result["questions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["question_id"] == q)
            .unwrap();
        let shown = shown_question(&view, q);
        assert_eq!(graded["correct"], true, "{q}: {graded}");
        assert_eq!(graded["options"], shown["options"], "{q}: options as shown");
        assert_eq!(
            graded["response"],
            serde_json::to_value(right_in(&view, q)).unwrap(),
            "{q}"
        );
        let key: Vec<String> = match right_in(&view, q) {
            Response::SingleChoice { choice } => vec![choice],
            Response::MultipleResponse { mut choices } => {
                choices.sort();
                choices
            }
            Response::Ordering { order } => order,
            other => panic!("{other:?}"),
        };
        assert_eq!(graded["correct_options"], json!(key), "{q}");
        let first = &key[0];
        let text = shown["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == first.as_str())
            .unwrap()["text"]
            .as_str()
            .unwrap();
        assert!(
            graded["correct_answer"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{first}) {text}")),
            "{q}: {graded}"
        );
    }
    let closed = app
        .get(&format!("/api/v1/attempts/{attempt}"), learner.t())
        .await
        .expect(200)
        .body;
    assert_eq!(closed["result"]["questions"], result["questions"]);
    assert_eq!(closed["answers"], resumed["answers"]);

    // A review shows its own order; its letters are the ones an answer names.
    app.clock().advance(Duration::days(400));
    let queue = due_now(&app, &learner).await;
    let item = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["question"]["id"] == "lab-order")
        .expect("lab-order is due")["question"]
        .clone();
    let path = format!("/api/v1/review/{COURSE}/lab-order");
    let authored_ids = app
        .post(&path, learner.t(), &json!({"response": right("lab-order")}))
        .await
        .expect_error(422, "validation_failed");
    assert!(
        authored_ids.message().contains("`start`"),
        "{}",
        authored_ids.text
    );
    let outcome = app
        .post(
            &path,
            learner.t(),
            &json!({"response": right_in(&item, "lab-order")}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(outcome["correct"], true, "{outcome}");
    let first = letter_of(&item, "start");
    assert!(
        outcome["correct_answer"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{first}) ")),
        "{outcome}"
    );
}

// --- time limits ----------------------------------------------------------------------

async fn timed_exam_closes_at_its_deadline(db: &TestDatabase) {
    let app = learning_app(db).await;
    let learner = app.enrolled("tim@example.com").await;
    let started_at = app.now();
    let view = app.start_attempt(&learner, MOCK).await.expect(201).body;
    let attempt = view["id"].as_str().unwrap().to_owned();
    let deadline = parse_time(&view["deadline"]);
    assert_eq!(deadline, started_at + Duration::minutes(30));
    let ids = question_ids(&view);
    app.save_answer(&learner, &attempt, &ids[0], &right_in(&view, &ids[0]))
        .await
        .expect(204);

    // The grace period still takes answers; one second later nothing is accepted.
    app.clock().set(deadline + Duration::seconds(5));
    app.save_answer(&learner, &attempt, &ids[1], &right_in(&view, &ids[1]))
        .await
        .expect(204);
    app.clock().advance(Duration::seconds(1));
    let late = app
        .save_answer(&learner, &attempt, &ids[2], &right_in(&view, &ids[2]))
        .await
        .expect_error(409, "attempt_closed");
    let deadline_text = deadline.format(&Rfc3339).unwrap();
    assert!(late.message().contains(&deadline_text), "{}", late.text);
    let all_right: serde_json::Map<String, Value> = ids
        .iter()
        .map(|q| (q.clone(), serde_json::to_value(right_in(&view, q)).unwrap()))
        .collect();
    let submitted = app
        .submit_attempt(&learner, &attempt, Value::Object(all_right.clone()))
        .await
        .expect_error(409, "attempt_closed");
    assert!(
        submitted.message().contains("time limit"),
        "{}",
        submitted.text
    );
    let closed = app
        .get(&format!("/api/v1/attempts/{attempt}"), learner.t())
        .await
        .expect(200);
    assert_eq!(closed.body["status"], "expired");
    assert_eq!(closed.body["result"]["closed_by"], "expired");
    assert_eq!(
        closed.body["result"]["points"], 2.0,
        "only the answers saved in time"
    );

    // A submit after the deadline closes the attempt itself, ignoring its answers.
    let view = app.start_attempt(&learner, MOCK).await.expect(201).body;
    let second = view["id"].as_str().unwrap().to_owned();
    let second_ids = question_ids(&view);
    app.save_answer(
        &learner,
        &second,
        &second_ids[0],
        &right_in(&view, &second_ids[0]),
    )
    .await
    .expect(204);
    app.clock()
        .set(parse_time(&view["deadline"]) + Duration::seconds(6));
    let refused = app
        .submit_attempt(&learner, &second, Value::Object(all_right))
        .await
        .expect_error(409, "attempt_closed");
    assert!(
        refused
            .message()
            .contains("graded on the answers saved in time")
            && refused
                .message()
                .contains(&format!("GET /api/v1/attempts/{second}")),
        "{}",
        refused.text
    );
    let closed = app
        .get(&format!("/api/v1/attempts/{second}"), learner.t())
        .await
        .expect(200);
    assert_eq!(closed.body["status"], "expired");
    assert_eq!(closed.body["result"]["points"], 1.0);
    assert_eq!(
        closed.body["result"]["questions"][1]["response"],
        Value::Null
    );
}

async fn abandoned_attempts_are_closed_by_the_job(db: &TestDatabase) {
    let app = learning_app(db).await;
    let learner = app.enrolled("abe@example.com").await;
    app.complete(&learner, &["welcome", "first-steps"]).await;
    let view = app.start_attempt(&learner, QUIZ_1).await.expect(201).body;
    assert_eq!(view["deadline"], Value::Null, "the quiz is untimed");
    let attempt = view["id"].as_str().unwrap().to_owned();
    let q = question_ids(&view)[0].clone();
    app.clock().advance(Duration::hours(2));
    app.save_answer(&learner, &attempt, &q, &right_in(&view, &q))
        .await
        .expect(204);

    // Idle for exactly 24 hours after the last answer: still open.
    app.clock().advance(Duration::hours(24));
    let report = cloudmaster_server::jobs::run_once(&app.state)
        .await
        .unwrap();
    assert_eq!(report.attempts_closed, 0);
    app.clock().advance(Duration::seconds(1));
    let report = cloudmaster_server::jobs::run_once(&app.state)
        .await
        .unwrap();
    assert_eq!(report.attempts_closed, 1);
    let again = cloudmaster_server::jobs::run_once(&app.state)
        .await
        .unwrap();
    assert_eq!(again.attempts_closed, 0, "closed once");

    let closed = app
        .get(&format!("/api/v1/attempts/{attempt}"), learner.t())
        .await
        .expect(200);
    assert_eq!(closed.body["status"], "expired");
    assert_eq!(closed.body["result"]["points"], 1.0);
    let summaries = app
        .get(&format!("/api/v1/courses/{COURSE}/attempts"), learner.t())
        .await
        .expect(200);
    assert_eq!(summaries.body[0]["status"], "expired");
    assert_eq!(summaries.body[0]["title"], "Getting started check");
}

// --- spaced review ----------------------------------------------------------------------

async fn review_follows_the_card_schedule(db: &TestDatabase) {
    let app = learning_app(db).await;
    let learner = app.enrolled("rev@example.com").await;
    let view = app.start_attempt(&learner, MOCK).await.expect(201).body;
    let attempt = view["id"].as_str().unwrap().to_owned();
    let ids = question_ids(&view);
    // The first question wrong, every other one right.
    let answers: serde_json::Map<String, Value> = ids
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let r = if i == 0 {
                wrong_in(&view, q)
            } else {
                right_in(&view, q)
            };
            (q.clone(), serde_json::to_value(r).unwrap())
        })
        .collect();
    let result = app
        .submit_attempt(&learner, &attempt, Value::Object(answers))
        .await
        .expect(200)
        .body;
    assert_eq!(result["points"], 6.0);
    assert_eq!(result["passed"], true);
    let finished = parse_time(&result["finished_at"]);
    assert_eq!(finished, app.now());

    assert_eq!(
        due_now(&app, &learner).await,
        json!({"due": 0, "items": []})
    );

    // The missed question comes back after the relearning step, not a second earlier; the
    // result said so.
    let missed = schedule(None, Rating::Again, finished);
    assert_eq!(parse_time(&result["first_review_due"]), missed.due);
    app.clock().set(missed.due - Duration::seconds(1));
    assert_eq!(due_now(&app, &learner).await["due"], 0);
    app.clock().set(missed.due);
    let due = due_now(&app, &learner).await;
    assert_eq!(due["due"], 1);
    assert_eq!(due["items"][0]["question"]["id"], ids[0].as_str());
    assert_eq!(parse_time(&due["items"][0]["due_at"]), missed.due);

    // The others are due when FSRS says a Good answer is (attempts do not time answers).
    let learned = schedule(None, Rating::Good, finished);
    app.clock().set(learned.due - Duration::seconds(1));
    assert_eq!(due_now(&app, &learner).await["due"], 1);
    app.clock().set(learned.due);
    let due = due_now(&app, &learner).await;
    assert_eq!(due["due"], 7);
    let limited = app
        .get("/api/v1/review?limit=2", learner.t())
        .await
        .expect(200);
    assert_eq!(limited.body["due"], 7);
    assert_eq!(limited.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        limited.body["items"][0]["question"]["id"],
        ids[0].as_str(),
        "most overdue first"
    );

    // Answering reschedules the card exactly as FSRS does, and reshuffles its options.
    let reviewed_at = app.now();
    let q = ids[0].as_str();
    let outcome = app
        .post(
            &format!("/api/v1/review/{COURSE}/{q}"),
            learner.t(),
            &json!({"response": right_in(&due["items"][0]["question"], q), "elapsed_ms": 600_000}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(outcome["correct"], true);
    assert_eq!(outcome["rating"], "good", "slow answers are not easy");
    let expected = schedule(Some(&missed), Rating::Good, reviewed_at);
    assert_eq!(parse_time(&outcome["next_due"]), expected.due);
    assert!(!outcome["explanation"].as_str().unwrap().is_empty());
    let after = due_now(&app, &learner).await;
    assert_eq!(after["due"], 6);
    app.post(
        &format!("/api/v1/review/{COURSE}/no-such-question"),
        learner.t(),
        &json!({"response": {"type": "true_false", "value": true}}),
    )
    .await
    .expect_error(404, "not_found");
    let stranger = app.user("eve@example.com", Role::Learner).await;
    app.post(
        &format!("/api/v1/review/{COURSE}/{q}"),
        stranger.t(),
        &json!({"response": {"type": "true_false", "value": true}}),
    )
    .await
    .expect_error(403, "not_enrolled");
}

async fn due_now(app: &TestApp, learner: &Session) -> Value {
    app.get("/api/v1/review", learner.t())
        .await
        .expect(200)
        .body
}

// --- mastery and readiness ------------------------------------------------------------

async fn mastery_and_readiness(db: &TestDatabase) {
    let app = learning_app(db).await;
    let learner = app.enrolled("mia@example.com").await;
    let path = format!("/api/v1/courses/{COURSE}/mastery");
    let before = app.get(&path, learner.t()).await.expect(200).body;
    assert_eq!(before["answers"], 0);
    let domains: Vec<&str> = before["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(domains, ["basics", "ops"]);
    assert_eq!(before["domains"][0]["title"], "Course basics");
    assert_eq!(before["domains"][0]["p_known"], 0.3, "the prior");
    let skills: Vec<&str> = before["skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(skills, ["basics", "ops"]);

    let readiness_path = format!("/api/v1/courses/{COURSE}/readiness");
    let cold = app.get(&readiness_path, learner.t()).await.expect(200).body;
    assert_eq!(cold["exam_name"], "Cloud Basics Certification");
    assert_eq!(cold["readiness"]["sufficient_evidence"], false);
    assert_eq!(
        cold["readiness"]["domains_without_evidence"],
        json!(["basics", "ops"])
    );

    let view = app.start_attempt(&learner, MOCK).await.expect(201).body;
    let attempt = view["id"].as_str().unwrap().to_owned();
    let answers: serde_json::Map<String, Value> = question_ids(&view)
        .iter()
        .filter(|q| *q != "loss-term")
        .map(|q| (q.clone(), serde_json::to_value(right_in(&view, q)).unwrap()))
        .collect();
    app.submit_attempt(&learner, &attempt, Value::Object(answers))
        .await
        .expect(200);
    let after = app.get(&path, learner.t()).await.expect(200).body;
    assert_eq!(
        after["answers"], 6,
        "one graded answer per answered question"
    );
    for d in after["domains"].as_array().unwrap() {
        assert!(d["p_known"].as_f64().unwrap() > 0.3, "{d}");
    }
    assert_eq!(after["domains"][0]["answers"], 4);
    assert_eq!(after["domains"][1]["answers"], 2);

    let warm = app.get(&readiness_path, learner.t()).await.expect(200).body;
    let readiness = &warm["readiness"];
    assert_eq!(
        readiness["sufficient_evidence"], false,
        "6 answers are too few"
    );
    assert_eq!(readiness["answers"], 6);
    assert_eq!(readiness["domains_without_evidence"], json!([]));
    let weakest: Vec<&str> = readiness["weakest_domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    for q in warm["study_questions"].as_array().unwrap() {
        assert!(weakest.contains(&q["domain"].as_str().unwrap()), "{q}");
        assert_ne!(q["question_id"], "uptime-hours", "answered right: {q}");
    }
    for l in warm["study_lessons"].as_array().unwrap() {
        assert!(weakest.contains(&l["domain"].as_str().unwrap()), "{l}");
    }
    if weakest.contains(&"ops") {
        let lessons: Vec<&str> = warm["study_lessons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["lesson_id"].as_str().unwrap())
            .collect();
        assert!(lessons.contains(&"availability"), "{lessons:?}");
        let questions: Vec<&str> = warm["study_questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["question_id"].as_str().unwrap())
            .collect();
        assert!(
            questions.contains(&"loss-term"),
            "never answered: {questions:?}"
        );
    }
}
