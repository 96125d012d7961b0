//! Attempts, mastery and review cards: starting (resume, limits, concurrency), saving
//! answers against deadlines, closing exactly once with its evidence, the expiry scan, the
//! review queue and review answers.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use cloudmaster_core::api::{AssessmentKind, AttemptResult, AttemptStatus, Role};
use cloudmaster_core::assess::{Graded, Rating, Response, grade, schedule};
use cloudmaster_core::course::{Question, QuestionKind};
use cloudmaster_server::learning::records::{
    AttemptClosing, AttemptRecord, Evidence, NewAttempt, SaveOutcome, StartOutcome,
};
use cloudmaster_server::store::Store;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::fixtures::{CourseSpec, publish, user};
use crate::support::TestDatabase;

backend_tests!(
    attempts_start_resume_and_respect_limits,
    concurrent_starts_make_one_attempt,
    answers_are_saved_until_the_deadline,
    an_attempt_closes_exactly_once_with_its_evidence,
    overdue_attempts_are_found,
    review_queue_and_review_answers,
    passed_assessments_and_completed_lessons,
);

/// Whole seconds, so values survive both backends' microsecond precision unchanged.
fn t0() -> OffsetDateTime {
    OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
}

fn question(id: &str) -> Question {
    Question {
        id: id.into(),
        domain: Some("d".into()),
        skills: vec!["s".into()],
        difficulty: 3,
        prompt: format!("{id}?"),
        explanation: "Because.".into(),
        kind: QuestionKind::TrueFalse { answer: true },
        ..Question::default()
    }
}

fn new_attempt(user: Uuid, course: &str, assessment: &str, at: OffsetDateTime) -> NewAttempt {
    NewAttempt {
        id: Uuid::now_v7(),
        user_id: user,
        course_id: course.into(),
        course_version: 1,
        kind: AssessmentKind::Quiz,
        assessment_id: assessment.into(),
        seed: u64::MAX - 7,
        question_ids: vec!["q1".into(), "q2".into(), "q3".into()],
        started_at: at,
        deadline: None,
    }
}

/// Grades the saved answers of `attempt` (true/false questions whose answer is `true`).
fn closing(attempt: &AttemptRecord, status: AttemptStatus, at: OffsetDateTime) -> AttemptClosing {
    let mut evidence = Vec::new();
    let mut points = 0.0;
    for (id, response) in &attempt.answers {
        let q = question(id);
        let graded: Graded = grade(&q, response);
        points += graded.score;
        evidence.push(Evidence {
            rating: Rating::from_graded(&graded, false),
            question: q,
            graded,
        });
    }
    let max_points = attempt.question_ids.len() as u32;
    let score_percent = points / f64::from(max_points) * 100.0;
    AttemptClosing {
        status,
        answers: attempt.answers.clone(),
        result: AttemptResult {
            score_percent,
            points,
            max_points,
            passed: score_percent >= 50.0,
            pass_mark: 50,
            closed_by: status,
            finished_at: at,
            domains: vec![],
            questions: vec![],
            first_review_due: None,
        },
        finished_at: at,
        evidence,
    }
}

async fn setup(store: &dyn Store, courses: &[&str]) -> Uuid {
    let author = user(store, "author@example.com", Role::Instructor).await;
    let learner = user(store, "learner@example.com", Role::Learner).await;
    for id in courses {
        publish(
            store,
            &CourseSpec {
                id,
                title: id,
                lessons: &[("m1", "l1", "One", "1"), ("m2", "l2", "Two", "2")],
                ..CourseSpec::default()
            },
            author,
        )
        .await;
        store
            .enroll(learner, id, time::OffsetDateTime::now_utc())
            .await
            .unwrap();
    }
    learner
}

fn created(outcome: StartOutcome) -> AttemptRecord {
    match outcome {
        StartOutcome::Created(record) => record,
        other => panic!("expected a new attempt, got {other:?}"),
    }
}

async fn attempts_start_resume_and_respect_limits(db: &TestDatabase) {
    let store = db.open().await;
    let learner = setup(&*store, &["c"]).await;
    let at = t0();
    let mut new = new_attempt(learner, "c", "quiz", at);
    new.deadline = Some(at + Duration::minutes(20));
    let first = created(store.start_attempt(new.clone(), 2).await.unwrap());
    assert_eq!(first.status, AttemptStatus::Open);
    assert_eq!(first.seed, u64::MAX - 7, "every bit of the seed");
    assert_eq!(store.attempt(first.id).await.unwrap(), Some(first.clone()));

    // An open attempt is resumed, whatever the new draw.
    let again = new_attempt(learner, "c", "quiz", at + Duration::seconds(5));
    match store.start_attempt(again, 2).await.unwrap() {
        StartOutcome::Resumed(open) => assert_eq!(open, first),
        other => panic!("{other:?}"),
    }
    let close = |a: &AttemptRecord| Some(closing(a, AttemptStatus::Submitted, at));
    assert!(
        store
            .close_attempt(first.id, &close)
            .await
            .unwrap()
            .is_some()
    );
    let second = created(
        store
            .start_attempt(
                new_attempt(learner, "c", "quiz", at + Duration::seconds(9)),
                2,
            )
            .await
            .unwrap(),
    );
    store.close_attempt(second.id, &close).await.unwrap();
    assert_eq!(
        store
            .start_attempt(new_attempt(learner, "c", "quiz", at), 2)
            .await
            .unwrap(),
        StartOutcome::Exhausted { used: 2 }
    );
    // Another assessment has its own count; 0 is unlimited.
    created(
        store
            .start_attempt(new_attempt(learner, "c", "exam", at), 0)
            .await
            .unwrap(),
    );
    let listed: Vec<(String, Uuid)> = store
        .attempts(learner, "c")
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.assessment_id, a.id))
        .collect();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].0, "quiz", "newest first");
    assert_eq!(listed[0].1, second.id);
    assert_eq!(listed[2].1, first.id);
    assert!(store.attempts(learner, "other").await.unwrap().is_empty());
    assert_eq!(store.attempt(Uuid::now_v7()).await.unwrap(), None);
}

async fn concurrent_starts_make_one_attempt(db: &TestDatabase) {
    let replicas: Vec<Arc<dyn Store>> = vec![db.open().await, db.open().await];
    let learner = setup(&*replicas[0], &["c"]).await;
    let at = t0();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = Arc::clone(&replicas[i % 2]);
            let new = new_attempt(learner, "c", "quiz", at);
            tokio::spawn(async move { store.start_attempt(new, 1).await.unwrap() })
        })
        .collect();
    let mut created = 0;
    let mut ids = HashSet::new();
    for task in tasks {
        match task.await.unwrap() {
            StartOutcome::Created(a) => {
                created += 1;
                ids.insert(a.id);
            }
            StartOutcome::Resumed(a) => {
                ids.insert(a.id);
            }
            StartOutcome::Exhausted { .. } => panic!("the limit counts attempts, not starts"),
        }
    }
    assert_eq!((created, ids.len()), (1, 1));
}

async fn answers_are_saved_until_the_deadline(db: &TestDatabase) {
    let store = db.open().await;
    let learner = setup(&*store, &["c"]).await;
    let at = t0();
    let mut new = new_attempt(learner, "c", "exam", at);
    let deadline = at + Duration::minutes(30);
    new.deadline = Some(deadline);
    let attempt = created(store.start_attempt(new, 0).await.unwrap());
    let yes = Response::TrueFalse { value: true };
    let no = Response::TrueFalse { value: false };
    let later = at + Duration::minutes(3);
    let save = |q: &'static str, r: Response, now: OffsetDateTime, cutoff: OffsetDateTime| {
        let store = Arc::clone(&store);
        async move {
            store
                .save_answer(attempt.id, q, &r, now, cutoff)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        save("q1", no.clone(), later, later).await,
        SaveOutcome::Saved
    );
    assert_eq!(
        save("q1", yes.clone(), later, later).await,
        SaveOutcome::Saved
    );
    assert_eq!(
        save("q2", no.clone(), at + Duration::minutes(1), at).await,
        SaveOutcome::Saved,
        "last activity never moves back"
    );
    let stored = store.attempt(attempt.id).await.unwrap().unwrap();
    assert_eq!(
        stored.answers,
        BTreeMap::from([
            ("q1".to_owned(), yes.clone()),
            ("q2".to_owned(), no.clone())
        ])
    );
    assert_eq!(stored.last_activity, later);

    // A deadline before the cut-off (now minus the grace period) refuses the answer.
    let cutoff = deadline + Duration::seconds(1);
    assert_eq!(
        save("q3", yes.clone(), cutoff, cutoff).await,
        SaveOutcome::Closed
    );
    assert_eq!(
        save("q3", yes.clone(), cutoff, deadline).await,
        SaveOutcome::Saved,
        "the deadline itself is in time"
    );
    assert_eq!(
        store
            .save_answer(Uuid::now_v7(), "q1", &yes, at, at)
            .await
            .unwrap(),
        SaveOutcome::NotFound
    );
    let close = |a: &AttemptRecord| Some(closing(a, AttemptStatus::Submitted, at));
    store.close_attempt(attempt.id, &close).await.unwrap();
    assert_eq!(save("q3", no, at, at).await, SaveOutcome::Closed);
}

async fn an_attempt_closes_exactly_once_with_its_evidence(db: &TestDatabase) {
    let replicas: Vec<Arc<dyn Store>> = vec![db.open().await, db.open().await];
    let store = Arc::clone(&replicas[0]);
    let learner = setup(&*store, &["c"]).await;
    let at = t0();
    let attempt = created(
        store
            .start_attempt(new_attempt(learner, "c", "quiz", at), 0)
            .await
            .unwrap(),
    );
    for (q, value) in [("q1", true), ("q2", false)] {
        let r = Response::TrueFalse { value };
        store.save_answer(attempt.id, q, &r, at, at).await.unwrap();
    }

    // Declining leaves it open and writes nothing.
    let decline = |_: &AttemptRecord| None;
    assert!(
        store
            .close_attempt(attempt.id, &decline)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.attempt(attempt.id).await.unwrap().unwrap().status,
        AttemptStatus::Open
    );
    assert!(store.mastery(learner, "c").await.unwrap().is_none());

    let finished = at + Duration::minutes(7);
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let store = Arc::clone(&replicas[i % 2]);
            let id = attempt.id;
            tokio::spawn(async move {
                let close =
                    |a: &AttemptRecord| Some(closing(a, AttemptStatus::Submitted, finished));
                store.close_attempt(id, &close).await.unwrap()
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap().is_some());
    }
    assert_eq!(winners, 1, "exactly one closer grades");

    let closed = store.attempt(attempt.id).await.unwrap().unwrap();
    assert_eq!(closed.status, AttemptStatus::Submitted);
    assert_eq!(closed.finished_at, Some(finished));
    let result = closed.result.expect("result stored");
    assert_eq!(closed.score_percent, Some(result.score_percent));
    assert_eq!(closed.passed, Some(false), "1 of 3 is below 50%");
    assert_eq!((result.points, result.max_points), (1.0, 3));
    assert_eq!(result.finished_at, finished);

    // Evidence applied once: two answers, one card each, scheduled at the closing time.
    let mastery = store.mastery(learner, "c").await.unwrap().unwrap();
    assert_eq!(mastery.answers, 2);
    assert_eq!(mastery.mastery.domains["d"].evidence_count, 2);
    assert_eq!(mastery.mastery.skills["s"].evidence_count, 2);
    let cards = store.review_cards(learner, "c").await.unwrap();
    assert_eq!(cards.len(), 2);
    assert_eq!(cards["q1"], schedule(None, Rating::Good, finished));
    assert_eq!(cards["q2"], schedule(None, Rating::Again, finished));
    assert_eq!(
        store.attempts(learner, "c").await.unwrap()[0].status,
        AttemptStatus::Submitted
    );
}

async fn overdue_attempts_are_found(db: &TestDatabase) {
    let store = db.open().await;
    let learner = setup(&*store, &["a", "b", "c", "d", "e"]).await;
    let at = t0();
    let start = |course: &'static str, deadline: Option<OffsetDateTime>| {
        let store = Arc::clone(&store);
        async move {
            let mut new = new_attempt(learner, course, "x", at);
            new.deadline = deadline;
            created(store.start_attempt(new, 0).await.unwrap()).id
        }
    };
    let timed_late = start("a", Some(at + Duration::minutes(10))).await;
    let _timed_running = start("b", Some(at + Duration::hours(3))).await;
    let untimed_idle = start("c", None).await;
    let untimed_active = start("d", None).await;
    let closed_late = start("e", Some(at + Duration::minutes(5))).await;
    store
        .save_answer(
            untimed_active,
            "q1",
            &Response::TrueFalse { value: true },
            at + Duration::hours(3),
            at,
        )
        .await
        .unwrap();
    let close = |a: &AttemptRecord| Some(closing(a, AttemptStatus::Submitted, at));
    store.close_attempt(closed_late, &close).await.unwrap();

    let now = at + Duration::hours(2);
    let overdue = store
        .overdue_attempts(now - Duration::seconds(5), now - Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(overdue, [timed_late, untimed_idle]);
    // Strictly before: a deadline equal to the cut-off is not overdue yet.
    let exact = store
        .overdue_attempts(at + Duration::minutes(10), at - Duration::hours(1))
        .await
        .unwrap();
    assert!(exact.is_empty(), "{exact:?}");
}

async fn review_queue_and_review_answers(db: &TestDatabase) {
    let store = db.open().await;
    let learner = setup(&*store, &["c", "other", "left"]).await;
    let at = t0();
    // Cards come from closed attempts: q1 right (Good), q2 wrong (Again), per course.
    for course in ["c", "other", "left"] {
        let attempt = created(
            store
                .start_attempt(new_attempt(learner, course, "quiz", at), 0)
                .await
                .unwrap(),
        );
        for (q, value) in [("q1", true), ("q2", false)] {
            let r = Response::TrueFalse { value };
            store.save_answer(attempt.id, q, &r, at, at).await.unwrap();
        }
        let close = |a: &AttemptRecord| Some(closing(a, AttemptStatus::Submitted, at));
        store.close_attempt(attempt.id, &close).await.unwrap();
    }
    store.unenroll(learner, "left").await.unwrap();
    let again = schedule(None, Rating::Again, at);
    let good = schedule(None, Rating::Good, at);

    assert_eq!(
        store.due_cards(learner, None, at, 20).await.unwrap(),
        (0, vec![])
    );
    assert!(
        store
            .review_due_counts(learner, at)
            .await
            .unwrap()
            .is_empty()
    );
    let (due, cards) = store.due_cards(learner, None, again.due, 20).await.unwrap();
    assert_eq!(due, 2, "courses the learner left do not count");
    let names: Vec<(&str, &str)> = cards
        .iter()
        .map(|c| (c.course_id.as_str(), c.question_id.as_str()))
        .collect();
    assert_eq!(names, [("c", "q2"), ("other", "q2")]);
    assert_eq!(cards[0].card, again);

    let (due, cards) = store.due_cards(learner, None, good.due, 3).await.unwrap();
    assert_eq!(
        (due, cards.len()),
        (4, 3),
        "the limit caps items, not the count"
    );
    assert_eq!(cards[0].question_id, "q2", "most overdue first");
    let (due, cards) = store
        .due_cards(learner, Some("other"), good.due, 20)
        .await
        .unwrap();
    assert_eq!(due, 2);
    assert!(cards.iter().all(|c| c.course_id == "other"));
    let counts = store.review_due_counts(learner, good.due).await.unwrap();
    assert_eq!(counts.len(), 2);
    assert_eq!((counts["c"], counts["other"]), (2, 2));

    // A review answer reschedules the card and adds evidence, in one go.
    let q = question("q2");
    let graded = grade(&q, &Response::TrueFalse { value: true });
    let evidence = Evidence {
        rating: Rating::from_graded(&graded, true),
        question: q,
        graded,
    };
    let reviewed_at = again.due + Duration::minutes(1);
    let card = store
        .record_review(learner, "c", &evidence, reviewed_at)
        .await
        .unwrap()
        .expect("a card");
    assert_eq!(card, schedule(Some(&again), Rating::Easy, reviewed_at));
    assert_eq!(store.review_cards(learner, "c").await.unwrap()["q2"], card);
    let mastery = store.mastery(learner, "c").await.unwrap().unwrap();
    assert_eq!(mastery.answers, 3);

    // No card, no change.
    let unknown = Evidence {
        question: question("never-answered"),
        ..evidence.clone()
    };
    assert_eq!(
        store
            .record_review(learner, "c", &unknown, reviewed_at)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.mastery(learner, "c").await.unwrap().unwrap().answers,
        3
    );
    let fresh = user(&*store, "fresh@example.com", Role::Learner).await;
    assert_eq!(
        store
            .record_review(fresh, "c", &evidence, reviewed_at)
            .await
            .unwrap(),
        None
    );
    assert!(store.mastery(fresh, "c").await.unwrap().is_none());
}

async fn passed_assessments_and_completed_lessons(db: &TestDatabase) {
    let store = db.open().await;
    let learner = setup(&*store, &["c"]).await;
    let at = t0();
    assert!(
        store
            .passed_assessments(learner, "c")
            .await
            .unwrap()
            .is_empty()
    );
    for (assessment, value) in [("quiz-b", true), ("quiz-a", true), ("mock", false)] {
        let attempt = created(
            store
                .start_attempt(new_attempt(learner, "c", assessment, at), 0)
                .await
                .unwrap(),
        );
        for q in ["q1", "q2"] {
            let r = Response::TrueFalse { value };
            store.save_answer(attempt.id, q, &r, at, at).await.unwrap();
        }
        let close = |a: &AttemptRecord| Some(closing(a, AttemptStatus::Submitted, at));
        store.close_attempt(attempt.id, &close).await.unwrap();
    }
    // A second, failed attempt does not undo a pass.
    let retry = created(
        store
            .start_attempt(new_attempt(learner, "c", "quiz-a", at), 0)
            .await
            .unwrap(),
    );
    let close = |a: &AttemptRecord| Some(closing(a, AttemptStatus::Expired, at));
    store.close_attempt(retry.id, &close).await.unwrap();
    assert_eq!(
        store.passed_assessments(learner, "c").await.unwrap(),
        ["quiz-a", "quiz-b"]
    );

    assert!(
        store
            .completed_lessons(learner, "c")
            .await
            .unwrap()
            .is_empty()
    );
    for (lesson, status) in [
        ("l2", cloudmaster_core::api::LessonStatus::Completed),
        ("l1", cloudmaster_core::api::LessonStatus::Started),
    ] {
        store
            .record_lesson_progress(learner, "c", lesson, status, None, at)
            .await
            .unwrap();
    }
    assert_eq!(store.completed_lessons(learner, "c").await.unwrap(), ["l2"]);
}
