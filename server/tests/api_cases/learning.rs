//! The learning loop over HTTP: attempts graded on the server (no answer leaks before
//! submission), time limits and abandoned attempts with an injected clock, module locks,
//! attempt limits, spaced review on the FSRS schedule, mastery and readiness.

use std::sync::{Arc, Mutex};

use cloudmaster_core::api::{Role, TokenPair};
use cloudmaster_core::assess::{Rating, Response, schedule};
use cloudmaster_core::course::{
    ChoiceOption, Course, Domain, Exam, Lesson, MockExam, Module, Question, QuestionKind, Quiz,
};
use cloudmaster_server::{AppState, Clock};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use tokio::net::TcpListener;

use crate::api_support::{Backend, PASSWORD, Reply, Session, TestDb, config, course};
use crate::on_both_backends;

on_both_backends!(
    nothing_secret_before_submission,
    timed_exam_closes_at_its_deadline,
    abandoned_attempts_are_closed_by_the_job,
    review_follows_the_card_schedule,
    mastery_and_readiness,
    locks_and_attempt_limits,
    answers_are_validated,
    double_submit_grades_once,
);

const COURSE: &str = "learnco";
const MOCK: &str = "mock";
const QUIZ_1: &str = "getting-started-quiz";
const QUIZ_2: &str = "operations-quiz";

// --- a server with a clock the test moves -----------------------------------------------

struct TestClock(Mutex<OffsetDateTime>);

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

/// One server whose clock only moves when the test says so.
struct App {
    base: String,
    state: AppState,
    http: reqwest::Client,
    clock: Arc<TestClock>,
    _db: TestDb,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl App {
    async fn spawn(backend: Backend) -> App {
        let db = TestDb::of(backend).await.expect("backend available");
        let config = config(&db);
        let store = cloudmaster_server::store::open(&db.url, config.pool_size)
            .await
            .expect("open store");
        // Real time (whole seconds) at the start, so access tokens are valid.
        let start = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
        let clock = Arc::new(TestClock(Mutex::new(start)));
        let state = AppState::with_store(&config, store, clock.clone())
            .await
            .expect("state");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = state.clone();
        tokio::spawn(async move {
            let _ = cloudmaster_server::serve(listener, serving, async {
                let _ = stopped.await;
            })
            .await;
        });
        App {
            base,
            state,
            http: reqwest::Client::new(),
            clock,
            _db: db,
            _stop: stop,
        }
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    fn advance(&self, by: Duration) {
        *self.clock.0.lock().unwrap() += by;
    }

    fn set(&self, at: OffsetDateTime) {
        *self.clock.0.lock().unwrap() = at;
    }

    async fn send(&self, request: reqwest::RequestBuilder, token: Option<&str>) -> Reply {
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(self.http.get(format!("{}{path}", self.base)), token)
            .await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        let url = format!("{}{path}", self.base);
        self.send(self.http.post(url).json(body), token).await
    }

    async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        let url = format!("{}{path}", self.base);
        self.send(self.http.put(url).json(body), token).await
    }

    async fn user(&self, email: &str, role: Role) -> Session {
        self.state
            .create_user(email, email, PASSWORD, role)
            .await
            .expect("create user");
        let reply = self
            .post(
                "/api/v1/auth/login",
                None,
                &json!({"email": email, "password": PASSWORD}),
            )
            .await
            .expect(200);
        let pair: TokenPair = serde_json::from_value(reply.body).unwrap();
        Session {
            token: pair.access_token,
            refresh: pair.refresh_token,
            user: pair.user,
        }
    }

    /// Publishes the test course as a new instructor and returns them.
    async fn publish_course(&self) -> Session {
        let author = self.user("author@example.com", Role::Instructor).await;
        let bundle = serde_json::to_value(learning_course()).unwrap();
        self.post(
            &format!("/api/v1/courses/{COURSE}/versions"),
            author.t(),
            &bundle,
        )
        .await
        .expect(200);
        author
    }

    /// A learner enrolled in the test course.
    async fn learner(&self, email: &str) -> Session {
        let learner = self.user(email, Role::Learner).await;
        self.post(
            &format!("/api/v1/courses/{COURSE}/enrollment"),
            learner.t(),
            &json!({}),
        )
        .await
        .expect(201);
        learner
    }

    async fn complete(&self, learner: &Session, lessons: &[&str]) {
        for lesson in lessons {
            self.put(
                &format!("/api/v1/courses/{COURSE}/lessons/{lesson}/progress"),
                learner.t(),
                &json!({"status": "completed"}),
            )
            .await
            .expect(200);
        }
    }

    async fn start(&self, learner: &Session, assessment: &str) -> Reply {
        self.post(
            &format!("/api/v1/courses/{COURSE}/assessments/{assessment}/attempts"),
            learner.t(),
            &json!({}),
        )
        .await
    }

    async fn save(&self, learner: &Session, attempt: &str, question: &str, r: &Response) -> Reply {
        self.put(
            &format!("/api/v1/attempts/{attempt}/answers/{question}"),
            learner.t(),
            &json!({ "response": r }),
        )
        .await
    }

    async fn submit(&self, learner: &Session, attempt: &str, answers: Value) -> Reply {
        self.post(
            &format!("/api/v1/attempts/{attempt}/submit"),
            learner.t(),
            &json!({ "answers": answers }),
        )
        .await
    }
}

// --- the test course: every question type, two modules, a timed mock exam ---------------

fn options(items: &[(&str, &str)]) -> Vec<ChoiceOption> {
    items
        .iter()
        .map(|(id, text)| ChoiceOption {
            id: (*id).into(),
            text: (*text).into(),
        })
        .collect()
}

/// The scaffolded course (module `getting-started` with lessons `welcome` and
/// `first-steps` and a quiz; single choice, multiple response, true/false and ordering
/// questions) plus an exam blueprint, numeric and short-text questions, a second module
/// `operations` with its own quiz, and a timed mock exam over the whole bank.
fn learning_course() -> Course {
    let mut c = course(COURSE);
    c.exam = Some(Exam {
        name: "Cloud Basics Certification".into(),
        pass_mark: 70,
        domains: vec![
            Domain {
                id: "basics".into(),
                title: "Course basics".into(),
                weight: 60,
            },
            Domain {
                id: "ops".into(),
                title: "Operations".into(),
                weight: 40,
            },
        ],
    });
    for q in &mut c.questions {
        q.domain = Some("basics".into());
    }
    let ops = |id: &str, prompt: &str, explanation: &str, kind| Question {
        id: id.into(),
        domain: Some("ops".into()),
        skills: vec!["ops".into()],
        difficulty: 3,
        scenario: Some("A web service runs all year in one region.".into()),
        prompt: prompt.into(),
        explanation: explanation.into(),
        kind,
    };
    c.questions.push(ops(
        "uptime-hours",
        "How many hours of downtime a year does 97% availability allow?",
        "Three percent of the 8760 hours of a year is the allowed downtime.",
        QuestionKind::Numeric {
            answer: 262.8,
            tolerance: 0.5,
        },
    ));
    c.questions.push(ops(
        "loss-term",
        "Which term names the most data loss a business accepts, measured in time?",
        "The recovery point objective bounds data loss; the RTO bounds downtime.",
        QuestionKind::ShortText {
            accept: vec!["recovery point objective".into()],
            patterns: vec![r"(?i)^r\.?p\.?o\.?$".into()],
        },
    ));
    c.questions.push(ops(
        "scale-direction",
        "Adding more instances behind a load balancer is called?",
        "Scaling out adds instances; scaling up makes one instance bigger.",
        QuestionKind::SingleChoice {
            options: options(&[("a", "Scaling out"), ("b", "Scaling up"), ("c", "Sharding")]),
            answer: "a".into(),
        },
    ));
    let first = c.modules[0].lessons[0].clone();
    let lesson = |id: &str| Lesson {
        id: id.into(),
        title: format!("Operations: {id}"),
        file: format!("lessons/{id}.md"),
        body: format!("# {id}\n\nRunning services in production."),
        skills: vec!["ops".into()],
        ..first.clone()
    };
    c.modules.push(Module {
        id: "operations".into(),
        title: "Operations".into(),
        summary: None,
        lessons: vec![lesson("availability"), lesson("recovery")],
        quiz: Some(Quiz {
            id: QUIZ_2.into(),
            title: "Operations check".into(),
            questions: 2,
            domains: vec![],
            skills: vec!["ops".into()],
            pass_mark: 50,
            max_attempts: 1,
            time_limit_minutes: 0,
        }),
        labs: vec![],
    });
    c.mock_exam = Some(MockExam {
        id: MOCK.into(),
        title: "Practice exam".into(),
        questions: 7,
        time_limit_minutes: 30,
        pass_mark: 0, // falls back to the exam's 70
        max_attempts: 0,
    });
    c
}

/// A fully right answer to each question of the test course.
fn right(question: &str) -> Response {
    match question {
        "lesson-format" => Response::SingleChoice { choice: "a".into() },
        "course-parts" => Response::MultipleResponse {
            choices: vec!["b".into(), "a".into()],
        },
        "ids-are-stable" => Response::TrueFalse { value: true },
        "lab-order" => Response::Ordering {
            order: vec!["start".into(), "check".into(), "submit".into()],
        },
        "uptime-hours" => Response::Numeric { value: 263.1 },
        "loss-term" => Response::ShortText {
            text: " R.P.O ".into(),
        },
        "scale-direction" => Response::SingleChoice { choice: "a".into() },
        other => panic!("no answer for {other}"),
    }
}

/// A wrong answer (no credit) to each question.
fn wrong(question: &str) -> Response {
    match question {
        "lesson-format" => Response::SingleChoice { choice: "c".into() },
        "course-parts" => Response::MultipleResponse {
            choices: vec!["c".into()],
        },
        "ids-are-stable" => Response::TrueFalse { value: false },
        "lab-order" => Response::Ordering {
            order: vec!["submit".into(), "check".into(), "start".into()],
        },
        "uptime-hours" => Response::Numeric { value: 300.0 },
        "loss-term" => Response::ShortText { text: "RTO".into() },
        "scale-direction" => Response::SingleChoice { choice: "b".into() },
        other => panic!("no answer for {other}"),
    }
}

fn question_ids(view: &Value) -> Vec<String> {
    view["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect()
}

fn parse_time(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().unwrap(), &Rfc3339).unwrap()
}

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
        for option in q["options"].as_array().unwrap() {
            let mut keys: Vec<&String> = option.as_object().unwrap().keys().collect();
            keys.sort();
            assert_eq!(keys, ["id", "text"], "{what}: option {option}");
        }
        let source = course.question(q["id"].as_str().unwrap()).unwrap();
        if let QuestionKind::Ordering { answer, .. } = &source.kind {
            let shown: Vec<&str> = q["options"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_str().unwrap())
                .collect();
            assert_ne!(shown, *answer, "{what}: ordering shown in the right order");
        }
    }
}

async fn nothing_secret_before_submission(backend: Backend) {
    let app = App::spawn(backend).await;
    app.publish_course().await;
    let learner = app.learner("ada@example.com").await;
    let course = learning_course();

    let started = app.start(&learner, MOCK).await.expect(201);
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
        app.save(&learner, &attempt, &q, &wrong(&q))
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
    let result = app.submit(&learner, &attempt, json!({})).await.expect(200);
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
    app.advance(Duration::minutes(10));
    let queue = app.get("/api/v1/review", learner.t()).await.expect(200);
    assert_eq!(queue.body["due"], 7, "{}", queue.text);
    assert_no_secrets(&queue.body, &course, "review queue");
}

// --- time limits ----------------------------------------------------------------------

async fn timed_exam_closes_at_its_deadline(backend: Backend) {
    let app = App::spawn(backend).await;
    app.publish_course().await;
    let learner = app.learner("tim@example.com").await;
    let started_at = app.now();
    let view = app.start(&learner, MOCK).await.expect(201).body;
    let attempt = view["id"].as_str().unwrap().to_owned();
    let deadline = parse_time(&view["deadline"]);
    assert_eq!(deadline, started_at + Duration::minutes(30));
    let ids = question_ids(&view);
    app.save(&learner, &attempt, &ids[0], &right(&ids[0]))
        .await
        .expect(204);

    // The grace period still takes answers; one second later nothing is accepted.
    app.set(deadline + Duration::seconds(5));
    app.save(&learner, &attempt, &ids[1], &right(&ids[1]))
        .await
        .expect(204);
    app.advance(Duration::seconds(1));
    let late = app
        .save(&learner, &attempt, &ids[2], &right(&ids[2]))
        .await
        .expect_error(409, "attempt_closed");
    let deadline_text = deadline.format(&Rfc3339).unwrap();
    assert!(late.message().contains(&deadline_text), "{}", late.text);
    let all_right: serde_json::Map<String, Value> = ids
        .iter()
        .map(|q| (q.clone(), serde_json::to_value(right(q)).unwrap()))
        .collect();
    let submitted = app
        .submit(&learner, &attempt, Value::Object(all_right.clone()))
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
    let view = app.start(&learner, MOCK).await.expect(201).body;
    let second = view["id"].as_str().unwrap().to_owned();
    let second_ids = question_ids(&view);
    app.save(&learner, &second, &second_ids[0], &right(&second_ids[0]))
        .await
        .expect(204);
    app.set(parse_time(&view["deadline"]) + Duration::seconds(6));
    let refused = app
        .submit(&learner, &second, Value::Object(all_right))
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

async fn abandoned_attempts_are_closed_by_the_job(backend: Backend) {
    let app = App::spawn(backend).await;
    app.publish_course().await;
    let learner = app.learner("abe@example.com").await;
    app.complete(&learner, &["welcome", "first-steps"]).await;
    let view = app.start(&learner, QUIZ_1).await.expect(201).body;
    assert_eq!(view["deadline"], Value::Null, "the quiz is untimed");
    let attempt = view["id"].as_str().unwrap().to_owned();
    let q = question_ids(&view)[0].clone();
    app.advance(Duration::hours(2));
    app.save(&learner, &attempt, &q, &right(&q))
        .await
        .expect(204);

    // Idle for exactly 24 hours after the last answer: still open.
    app.advance(Duration::hours(24));
    let report = cloudmaster_server::jobs::run_once(&app.state)
        .await
        .unwrap();
    assert_eq!(report.attempts_closed, 0);
    app.advance(Duration::seconds(1));
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

async fn review_follows_the_card_schedule(backend: Backend) {
    let app = App::spawn(backend).await;
    app.publish_course().await;
    let learner = app.learner("rev@example.com").await;
    let view = app.start(&learner, MOCK).await.expect(201).body;
    let attempt = view["id"].as_str().unwrap().to_owned();
    let ids = question_ids(&view);
    // The first question wrong, every other one right.
    let answers: serde_json::Map<String, Value> = ids
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let r = if i == 0 { wrong(q) } else { right(q) };
            (q.clone(), serde_json::to_value(r).unwrap())
        })
        .collect();
    let result = app
        .submit(&learner, &attempt, Value::Object(answers))
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

    // The missed question comes back after the relearning step, not a second earlier.
    let missed = schedule(None, Rating::Again, finished);
    app.set(missed.due - Duration::seconds(1));
    assert_eq!(due_now(&app, &learner).await["due"], 0);
    app.set(missed.due);
    let due = due_now(&app, &learner).await;
    assert_eq!(due["due"], 1);
    assert_eq!(due["items"][0]["question"]["id"], ids[0].as_str());
    assert_eq!(parse_time(&due["items"][0]["due_at"]), missed.due);

    // The others are due when FSRS says a Good answer is (attempts do not time answers).
    let learned = schedule(None, Rating::Good, finished);
    app.set(learned.due - Duration::seconds(1));
    assert_eq!(due_now(&app, &learner).await["due"], 1);
    app.set(learned.due);
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
            &json!({"response": right(q), "elapsed_ms": 600_000}),
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
        &json!({"response": right(q)}),
    )
    .await
    .expect_error(403, "not_enrolled");
}

async fn due_now(app: &App, learner: &Session) -> Value {
    app.get("/api/v1/review", learner.t())
        .await
        .expect(200)
        .body
}

// --- mastery and readiness ------------------------------------------------------------

async fn mastery_and_readiness(backend: Backend) {
    let app = App::spawn(backend).await;
    app.publish_course().await;
    let learner = app.learner("mia@example.com").await;
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

    let view = app.start(&learner, MOCK).await.expect(201).body;
    let attempt = view["id"].as_str().unwrap().to_owned();
    let answers: serde_json::Map<String, Value> = question_ids(&view)
        .iter()
        .filter(|q| *q != "loss-term")
        .map(|q| (q.clone(), serde_json::to_value(right(q)).unwrap()))
        .collect();
    app.submit(&learner, &attempt, Value::Object(answers))
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

// --- locks, attempt limits, ownership -------------------------------------------------

async fn locks_and_attempt_limits(backend: Backend) {
    let app = App::spawn(backend).await;
    let author = app.publish_course().await;
    let outsider = app.user("otto@example.com", Role::Learner).await;
    app.start(&outsider, MOCK)
        .await
        .expect_error(403, "not_enrolled");
    let learner = app.learner("lou@example.com").await;

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
    app.start(&learner, QUIZ_1)
        .await
        .expect_error(403, "locked");
    app.complete(&learner, &["welcome"]).await;
    let one_left = app
        .start(&learner, QUIZ_1)
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
    app.start(&learner, QUIZ_1).await.expect(201);
    let quiz_2 = app
        .start(&learner, QUIZ_2)
        .await
        .expect_error(403, "locked");
    assert!(
        quiz_2.message().contains("module `operations`"),
        "{}",
        quiz_2.text
    );
    app.complete(&learner, &["availability", "recovery"]).await;

    // One attempt allowed: starting again resumes it until it is submitted.
    let first = app.start(&learner, QUIZ_2).await.expect(201).body;
    let resumed = app.start(&learner, QUIZ_2).await.expect(200).body;
    assert_eq!(resumed["id"], first["id"]);
    assert_eq!(resumed["questions"], first["questions"]);
    let attempt = first["id"].as_str().unwrap().to_owned();
    let ids = question_ids(&first);
    assert_eq!(ids.len(), 2);

    // Someone else's attempt does not exist for them.
    app.get(&format!("/api/v1/attempts/{attempt}"), outsider.t())
        .await
        .expect_error(404, "not_found");
    app.submit(&outsider, &attempt, json!({}))
        .await
        .expect_error(404, "not_found");
    app.get("/api/v1/attempts/not-a-uuid", learner.t())
        .await
        .expect_error(404, "not_found");

    let answers = json!({ (ids[0].clone()): right(&ids[0]) });
    let result = app
        .submit(&learner, &attempt, answers)
        .await
        .expect(200)
        .body;
    assert_eq!(result["score_percent"], 50.0);
    assert_eq!(result["passed"], true, "pass mark 50");
    app.start(&learner, QUIZ_2)
        .await
        .expect_error(409, "attempts_exhausted");
    app.save(&learner, &attempt, &ids[1], &right(&ids[1]))
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

// --- answer validation and concurrency ------------------------------------------------

async fn answers_are_validated(backend: Backend) {
    let app = App::spawn(backend).await;
    let author = app.publish_course().await;
    let learner = app.learner("val@example.com").await;
    let view = app.start(&learner, MOCK).await.expect(201).body;
    let attempt = view["id"].as_str().unwrap().to_owned();
    app.save(&learner, &attempt, "not-asked", &right("lesson-format"))
        .await
        .expect_error(422, "validation_failed");
    let mismatch = app
        .save(
            &learner,
            &attempt,
            "uptime-hours",
            &Response::TrueFalse { value: true },
        )
        .await
        .expect_error(422, "validation_failed");
    assert!(mismatch.message().contains("numeric"), "{}", mismatch.text);
    app.save(
        &learner,
        &attempt,
        "lesson-format",
        &Response::SingleChoice { choice: "z".into() },
    )
    .await
    .expect_error(422, "validation_failed");
    app.submit(
        &learner,
        &attempt,
        json!({"lab-order": {"type": "ordering", "order": ["start"]}}),
    )
    .await
    .expect_error(422, "validation_failed");
    // A later save replaces the earlier one.
    app.save(
        &learner,
        &attempt,
        "ids-are-stable",
        &wrong("ids-are-stable"),
    )
    .await
    .expect(204);
    app.save(
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
    let result = app.submit(&learner, &attempt, json!({})).await.expect(200);
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
    let next = app.start(&learner, MOCK).await.expect(201).body;
    assert!(
        next["questions"][0]["prompt"]
            .as_str()
            .unwrap()
            .starts_with("Reworded"),
        "new attempts use the new version"
    );
}

async fn double_submit_grades_once(backend: Backend) {
    let app = App::spawn(backend).await;
    app.publish_course().await;
    let learner = app.learner("dot@example.com").await;
    let view = app.start(&learner, MOCK).await.expect(201).body;
    let attempt = view["id"].as_str().unwrap().to_owned();
    let answers: serde_json::Map<String, Value> = question_ids(&view)
        .iter()
        .map(|q| (q.clone(), serde_json::to_value(right(q)).unwrap()))
        .collect();
    let body = Value::Object(answers);
    let (a, b) = tokio::join!(
        app.submit(&learner, &attempt, body.clone()),
        app.submit(&learner, &attempt, body.clone()),
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
