//! Enrollment, lesson progress, resume points, and SQLite durability.

use std::collections::HashSet;
use std::sync::Arc;

use cloudmaster_core::api::{LessonStatus, Role};
use cloudmaster_server::store::StoreError;
use time::{Duration, OffsetDateTime};

use crate::fixtures::{CourseSpec, LessonSpec, publish, user};
use crate::support::TestDatabase;

backend_tests!(
    enrollment_is_idempotent,
    progress_is_sticky_and_resumes,
    progress_of_removed_lessons_stops_counting,
    all_progress_covers_every_enrolled_course,
    progress_writes_are_concurrency_safe,
    concurrent_writes_each_get_their_own_answer,
    concurrent_writes_to_distinct_rows_each_get_their_own_answer,
);

// --- enrollment and progress ------------------------------------------------------------

async fn enrollment_is_idempotent(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Instructor).await;
    let bob = user(&*store, "bob@example.com", Role::Learner).await;
    for id in ["a", "b"] {
        publish(
            &*store,
            &CourseSpec {
                id,
                title: id,
                ..CourseSpec::default()
            },
            ada,
        )
        .await;
    }
    assert!(!store.is_enrolled(bob, "a").await.unwrap());
    let first = store
        .enroll(bob, "a", time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert!(first.created);
    let first = first.enrollment;
    assert_eq!(
        (first.course_id.as_str(), first.course_title.as_str()),
        ("a", "a")
    );
    let again = store
        .enroll(bob, "a", time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert!(!again.created, "enrolling twice creates nothing");
    assert_eq!(
        again.enrollment, first,
        "enrolling twice returns the first enrollment"
    );
    assert!(store.is_enrolled(bob, "a").await.unwrap());
    store
        .enroll(bob, "b", time::OffsetDateTime::now_utc())
        .await
        .unwrap();

    let listed: Vec<String> = store
        .enrollments(bob)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.course_id)
        .collect();
    assert_eq!(listed, vec!["a", "b"]);
    assert!(store.enrollments(ada).await.unwrap().is_empty());

    assert!(store.unenroll(bob, "a").await.unwrap());
    assert!(!store.unenroll(bob, "a").await.unwrap());
    assert!(!store.is_enrolled(bob, "a").await.unwrap());
    assert_eq!(store.enrollments(bob).await.unwrap().len(), 1);

    let missing = store
        .enroll(bob, "nope", time::OffsetDateTime::now_utc())
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );

    // Concurrent enrollments of one user in one course make one enrollment.
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .enroll(ada, "b", time::OffsetDateTime::now_utc())
                    .await
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut created = 0;
    for task in tasks {
        let enrolled = task.await.unwrap().unwrap();
        created += usize::from(enrolled.created);
        seen.insert(enrolled.enrollment.enrolled_at);
    }
    assert_eq!(seen.len(), 1);
    assert_eq!(
        created, 1,
        "exactly one concurrent enroll reports creating the row"
    );
}

async fn progress_is_sticky_and_resumes(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Instructor).await;
    let bob = user(&*store, "bob@example.com", Role::Learner).await;
    publish(
        &*store,
        &CourseSpec {
            id: "c",
            title: "Course",
            lessons: &[
                ("m1", "l1", "One", "1"),
                ("m1", "l2", "Two", "2"),
                ("m2", "l3", "Three", "3"),
            ],
            ..CourseSpec::default()
        },
        ada,
    )
    .await;
    store
        .enroll(bob, "c", time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let t0 = OffsetDateTime::now_utc();

    let fresh = store.course_progress(bob, "c").await.unwrap().unwrap();
    assert_eq!(
        (fresh.completed_lessons, fresh.total_lessons, fresh.percent),
        (0, 3, 0)
    );
    assert_eq!(
        fresh.resume.as_ref().map(|r| r.lesson_id.as_str()),
        Some("l1")
    );
    assert!(fresh.lessons.is_empty());

    let started = store
        .record_lesson_progress(bob, "c", "l1", LessonStatus::Started, Some(12), t0)
        .await
        .unwrap();
    assert_eq!(started.status, LessonStatus::Started);
    assert_eq!(started.position, Some(12));
    assert_eq!(started.completed_at, None);

    let done = store
        .record_lesson_progress(
            bob,
            "c",
            "l1",
            LessonStatus::Completed,
            None,
            t0 + Duration::seconds(1),
        )
        .await
        .unwrap();
    assert_eq!(done.status, LessonStatus::Completed);
    assert_eq!(
        done.position,
        Some(12),
        "a missing position keeps the last one"
    );
    let completed_at = done.completed_at.expect("completion time");

    // Completion is sticky and keeps its first time, even when replayed or "un-done".
    let replay = store
        .record_lesson_progress(
            bob,
            "c",
            "l1",
            LessonStatus::Started,
            Some(3),
            t0 + Duration::seconds(2),
        )
        .await
        .unwrap();
    assert_eq!(replay.status, LessonStatus::Completed);
    assert_eq!(replay.completed_at, Some(completed_at));
    assert_eq!(replay.position, Some(3));
    let replay = store
        .record_lesson_progress(
            bob,
            "c",
            "l1",
            LessonStatus::Completed,
            None,
            t0 + Duration::seconds(3),
        )
        .await
        .unwrap();
    assert_eq!(replay.completed_at, Some(completed_at));

    // An old update arriving late (offline queue) does not move updated_at back.
    let late = store
        .record_lesson_progress(
            bob,
            "c",
            "l1",
            LessonStatus::Started,
            None,
            t0 - Duration::hours(1),
        )
        .await
        .unwrap();
    assert_eq!(late.updated_at, replay.updated_at);

    // Resume: the most recently touched started lesson, at its position.
    store
        .record_lesson_progress(
            bob,
            "c",
            "l3",
            LessonStatus::Started,
            Some(40),
            t0 + Duration::seconds(4),
        )
        .await
        .unwrap();
    store
        .record_lesson_progress(
            bob,
            "c",
            "l2",
            LessonStatus::Started,
            Some(7),
            t0 + Duration::seconds(5),
        )
        .await
        .unwrap();
    let p = store.course_progress(bob, "c").await.unwrap().unwrap();
    assert_eq!(
        (p.completed_lessons, p.total_lessons, p.percent),
        (1, 3, 33)
    );
    let resume = p.resume.clone().unwrap();
    assert_eq!(
        (
            resume.module_id.as_str(),
            resume.lesson_id.as_str(),
            resume.lesson_title.as_str()
        ),
        ("m1", "l2", "Two")
    );
    assert_eq!(resume.position, Some(7));
    assert_eq!(
        p.lessons
            .iter()
            .map(|l| l.lesson_id.as_str())
            .collect::<Vec<_>>(),
        vec!["l1", "l2", "l3"],
        "progress in course order"
    );
    assert_eq!(p.course_title, "Course");

    // Lessons not in the course are refused.
    for (course, lesson) in [("c", "nope"), ("nope", "l1")] {
        let err = store
            .record_lesson_progress(bob, course, lesson, LessonStatus::Started, None, t0)
            .await;
        assert!(
            matches!(err, Err(StoreError::NotFound(_))),
            "{course}/{lesson}: {err:?}"
        );
    }
    assert!(store.course_progress(bob, "nope").await.unwrap().is_none());

    assert!(store.completed_courses(bob).await.unwrap().is_empty());
    for l in ["l2", "l3"] {
        store
            .record_lesson_progress(
                bob,
                "c",
                l,
                LessonStatus::Completed,
                None,
                t0 + Duration::seconds(6),
            )
            .await
            .unwrap();
    }
    let p = store.course_progress(bob, "c").await.unwrap().unwrap();
    assert_eq!((p.completed_lessons, p.percent, p.resume), (3, 100, None));
    assert_eq!(store.completed_courses(bob).await.unwrap(), vec!["c"]);
    assert!(store.completed_courses(ada).await.unwrap().is_empty());

    // Progress survives unenrolling.
    store.unenroll(bob, "c").await.unwrap();
    assert!(store.all_progress(bob).await.unwrap().is_empty());
    store
        .enroll(bob, "c", time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(store.all_progress(bob).await.unwrap()[0].percent, 100);
}

async fn progress_of_removed_lessons_stops_counting(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Instructor).await;
    let bob = user(&*store, "bob@example.com", Role::Learner).await;
    let v1 = CourseSpec {
        id: "c",
        lessons: &[("m", "keep", "Keep", "k"), ("m", "drop", "Drop", "d")],
        ..CourseSpec::default()
    };
    publish(&*store, &v1, ada).await;
    store
        .enroll(bob, "c", time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let now = OffsetDateTime::now_utc();
    for l in ["keep", "drop"] {
        store
            .record_lesson_progress(bob, "c", l, LessonStatus::Completed, None, now)
            .await
            .unwrap();
    }
    assert_eq!(store.completed_courses(bob).await.unwrap(), vec!["c"]);

    let v2 = CourseSpec {
        id: "c",
        lessons: &[("m", "keep", "Keep", "k"), ("m", "new", "New", "n")],
        ..CourseSpec::default()
    };
    publish(&*store, &v2, ada).await;
    let p = store.course_progress(bob, "c").await.unwrap().unwrap();
    assert_eq!(
        (p.completed_lessons, p.total_lessons, p.percent),
        (1, 2, 50)
    );
    assert_eq!(p.resume.map(|r| r.lesson_id), Some("new".into()));
    assert_eq!(
        p.lessons.len(),
        1,
        "the removed lesson's progress is not shown"
    );
    assert!(store.completed_courses(bob).await.unwrap().is_empty());
    let err = store
        .record_lesson_progress(bob, "c", "drop", LessonStatus::Started, None, now)
        .await;
    assert!(matches!(err, Err(StoreError::NotFound(_))), "{err:?}");

    // Restoring the lesson restores its progress (ids are stable across versions).
    publish(&*store, &v1, ada).await;
    let p = store.course_progress(bob, "c").await.unwrap().unwrap();
    assert_eq!(
        (p.completed_lessons, p.total_lessons, p.percent),
        (2, 2, 100)
    );
}

async fn all_progress_covers_every_enrolled_course(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Instructor).await;
    let bob = user(&*store, "bob@example.com", Role::Learner).await;
    let now = OffsetDateTime::now_utc();
    let lesson_ids: Vec<String> = (0..12).map(|i| format!("l{i:02}")).collect();
    let lessons: Vec<LessonSpec<'_>> = lesson_ids
        .iter()
        .map(|id| ("m", id.as_str(), "Lesson", "Body"))
        .collect();
    let course_ids: Vec<String> = (0..5).map(|i| format!("c{i}")).collect();
    for (i, id) in course_ids.iter().enumerate() {
        publish(
            &*store,
            &CourseSpec {
                id,
                title: id,
                lessons: &lessons,
                ..CourseSpec::default()
            },
            ada,
        )
        .await;
        if i != 4 {
            store
                .enroll(bob, id, time::OffsetDateTime::now_utc())
                .await
                .unwrap();
        }
        // Course ci gets i completed lessons.
        for l in lesson_ids.iter().take(i) {
            store
                .record_lesson_progress(bob, id, l, LessonStatus::Completed, None, now)
                .await
                .unwrap();
        }
    }
    let all = store.all_progress(bob).await.unwrap();
    let summary: Vec<(&str, u32, u32, u32)> = all
        .iter()
        .map(|p| {
            (
                p.course_id.as_str(),
                p.completed_lessons,
                p.total_lessons,
                p.percent,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("c0", 0, 12, 0),
            ("c1", 1, 12, 8),
            ("c2", 2, 12, 16),
            ("c3", 3, 12, 25)
        ],
        "enrolled courses only, in enrollment order"
    );
    for p in &all {
        let single = store
            .course_progress(bob, &p.course_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&single, p);
    }
    assert!(store.all_progress(ada).await.unwrap().is_empty());
}

async fn progress_writes_are_concurrency_safe(db: &TestDatabase) {
    let a = db.open().await;
    let b = db.open().await;
    let ada = user(&*a, "ada@example.com", Role::Instructor).await;
    let bob = user(&*a, "bob@example.com", Role::Learner).await;
    publish(&*a, &CourseSpec::default(), ada).await;
    a.enroll(bob, "course", time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let now = OffsetDateTime::now_utc();
    let tasks: Vec<_> = (0..40i64)
        .map(|i| {
            let store = if i % 2 == 0 {
                Arc::clone(&a)
            } else {
                Arc::clone(&b)
            };
            let status = if i == 17 {
                LessonStatus::Completed
            } else {
                LessonStatus::Started
            };
            tokio::spawn(async move {
                store
                    .record_lesson_progress(
                        bob,
                        "course",
                        "l1",
                        status,
                        Some(i as u32),
                        now + Duration::milliseconds(i),
                    )
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let p = b.course_progress(bob, "course").await.unwrap().unwrap();
    assert_eq!(p.lessons.len(), 1);
    assert_eq!(
        p.lessons[0].status,
        LessonStatus::Completed,
        "completion is never lost"
    );
    assert_eq!(p.completed_lessons, 1);
}

/// Writes committed together (SQLite groups the writes waiting at one moment) still answer
/// each caller with its own row, and a write to a lesson that does not exist fails alone.
async fn concurrent_writes_each_get_their_own_answer(db: &TestDatabase) {
    // 48 writes to 24 rows: groups with the same row twice.
    concurrent_writes(db, |i| i as usize % 8, |i| i as usize % 3, 48).await;
}

async fn concurrent_writes_to_distinct_rows_each_get_their_own_answer(db: &TestDatabase) {
    // 24 writes, each to a row of its own: groups written as one statement.
    concurrent_writes(db, |i| i as usize % 8, |i| i as usize / 8, 24).await;
}

async fn concurrent_writes(
    db: &TestDatabase,
    learner_of: fn(u32) -> usize,
    lesson_of: fn(u32) -> usize,
    writes: u32,
) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Instructor).await;
    let spec = CourseSpec {
        lessons: &[
            ("m1", "l1", "First lesson", "Body one."),
            ("m1", "l2", "Second lesson", "Body two."),
        ],
        ..CourseSpec::default()
    };
    publish(&*store, &spec, ada).await;
    let mut learners = Vec::new();
    for i in 0..8 {
        let learner = user(&*store, &format!("l{i}@example.com"), Role::Learner).await;
        store
            .enroll(learner, "course", OffsetDateTime::now_utc())
            .await
            .unwrap();
        learners.push(learner);
    }
    let now = OffsetDateTime::now_utc();
    let tasks: Vec<_> = (0..writes)
        .map(|i| {
            let store = Arc::clone(&store);
            let learner = learners[learner_of(i)];
            let lesson = ["l1", "l2", "missing"][lesson_of(i)];
            tokio::spawn(async move {
                let written = store
                    .record_lesson_progress(
                        learner,
                        "course",
                        lesson,
                        LessonStatus::Started,
                        Some(i),
                        now,
                    )
                    .await;
                (lesson, i, written)
            })
        })
        .collect();
    for task in tasks {
        match task.await.unwrap() {
            ("missing", _, written) => assert!(
                matches!(written, Err(StoreError::NotFound(_))),
                "{written:?}"
            ),
            (lesson, i, written) => {
                let row = written.unwrap();
                assert_eq!(row.lesson_id, lesson);
                assert_eq!(row.position, Some(i), "each write gets its own row back");
            }
        }
    }
}

// --- SQLite only ------------------------------------------------------------------------

/// Acknowledged writes survive a crash: the files as they are on disk while the store is
/// still open (a kill -9 leaves exactly that) open with every write in them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_acknowledged_writes_survive_a_crash() {
    let db = TestDatabase::sqlite();
    let path = db.sqlite_path().unwrap();
    let store = db.open().await;
    for i in 0..1000 {
        user(&*store, &format!("user{i}@example.com"), Role::Learner).await;
    }

    // Snapshot the database and its write-ahead log without closing anything.
    let crash = tempfile::tempdir().unwrap();
    let copy = crash.path().join("crashed.db");
    std::fs::copy(&path, &copy).unwrap();
    let wal = path.with_extension("db-wal");
    if wal.exists() {
        std::fs::copy(&wal, crash.path().join("crashed.db-wal")).unwrap();
    }
    let recovered = cloudmaster_server::store::open(&format!("sqlite://{}", copy.display()), 2)
        .await
        .unwrap();
    assert_eq!(recovered.list_users().await.unwrap().len(), 1000);

    // And dropping the store without closing it loses nothing either.
    drop(store);
    let reopened = db.open().await;
    assert_eq!(reopened.list_users().await.unwrap().len(), 1000);
}

/// Commits do not checkpoint (the writer runs with `wal_autocheckpoint=0`); the store's
/// checkpoint task copies the WAL into the database file on its own connection. Shown by
/// the database file alone, without its WAL, coming to hold the writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_checkpoints_run_beside_the_writer() {
    let db = TestDatabase::sqlite();
    let path = db.sqlite_path().unwrap();
    let store = db.open().await;
    for i in 0..50 {
        user(&*store, &format!("user{i}@example.com"), Role::Learner).await;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let copy = tempfile::tempdir().unwrap();
        let main_file = copy.path().join("main-only.db");
        std::fs::copy(&path, &main_file).unwrap();
        let url = format!("sqlite://{}", main_file.display());
        // A copy taken while the checkpoint writes may be torn: that is "not yet".
        let users = match cloudmaster_server::store::open(&url, 1).await {
            Ok(copied) => copied.list_users().await.map_or(0, |u| u.len()),
            Err(_) => 0,
        };
        if users == 50 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the database file never received the writes (found {users} users)"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn sqlite_in_memory_works_with_one_connection() {
    let store = cloudmaster_server::store::open("sqlite::memory:", 4)
        .await
        .unwrap();
    let ada = user(&*store, "ada@example.com", Role::Instructor).await;
    publish(&*store, &CourseSpec::default(), ada).await;
    store
        .enroll(ada, "course", time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(store.all_progress(ada).await.unwrap().len(), 1);
    assert_eq!(store.backend(), "sqlite");
    store.ping().await.unwrap();
}
