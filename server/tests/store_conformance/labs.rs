//! Lab sessions: start and resume, locked updates, lab passes, overdue sessions, and
//! concurrent starts and updates from two stores (replicas) on one database.

use std::collections::BTreeMap;
use std::sync::Arc;

use cloudmaster_core::api::{LabSessionStatus, Role};
use cloudmaster_server::labs::records::{LabSessionRecord, NewLabSession, StepRecord};
use cloudmaster_server::store::Store;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::fixtures::{CourseSpec, publish, user};
use crate::support::TestDatabase;

backend_tests!(
    sessions_start_resume_and_list,
    updates_store_only_what_the_edit_changed,
    passing_records_the_first_pass,
    overdue_sessions_are_found_and_ended,
    concurrent_starts_make_one_session,
    concurrent_updates_lose_nothing,
);

const IDLE: Duration = Duration::minutes(30);

/// A whole second, so values survive both backends' microsecond precision unchanged.
fn t0() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap()
}

fn new_session(user_id: Uuid, lab: &str, at: OffsetDateTime) -> NewLabSession {
    NewLabSession {
        id: Uuid::now_v7(),
        user_id,
        course_id: "course".into(),
        course_version: 1,
        lab_id: lab.into(),
        lab_version: 3,
        started_at: at,
        expires_at: at + Duration::minutes(60),
        steps: [
            ("one", StepRecord::default()),
            ("two", StepRecord::default()),
        ]
        .into_iter()
        .map(|(id, s)| (id.to_owned(), s))
        .collect::<BTreeMap<_, _>>(),
    }
}

/// A store with a published course and a learner.
async fn setup(db: &TestDatabase) -> (Arc<dyn Store>, Uuid) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Instructor).await;
    let bob = user(&*store, "bob@example.com", Role::Learner).await;
    publish(&*store, &CourseSpec::default(), ada).await;
    (store, bob)
}

async fn sessions_start_resume_and_list(db: &TestDatabase) {
    let (store, bob) = setup(db).await;
    let at = t0();
    let new = new_session(bob, "lab-a", at);
    let (first, created) = store.start_lab_session(new.clone(), IDLE).await.unwrap();
    assert!(created);
    assert_eq!(first.id, new.id);
    assert_eq!(
        (first.status, first.started_at, first.last_activity),
        (LabSessionStatus::Active, at, at)
    );
    assert_eq!((first.expires_at, first.ended_at), (new.expires_at, None));
    assert_eq!((first.course_version, first.lab_version), (1, 3));
    assert_eq!(first.steps, new.steps);
    assert_eq!(first.submissions, 0);
    assert_eq!(
        store.lab_session(first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.lab_session(Uuid::new_v4()).await.unwrap(), None);

    // Starting the same lab again resumes; another lab is another session.
    let (resumed, created) = store
        .start_lab_session(new_session(bob, "lab-a", at + Duration::minutes(1)), IDLE)
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(resumed, first);
    let (other, created) = store
        .start_lab_session(new_session(bob, "lab-b", at + Duration::minutes(2)), IDLE)
        .await
        .unwrap();
    assert!(created);

    // Newest first; filtered by course and by status.
    let ids =
        |sessions: Vec<LabSessionRecord>| sessions.into_iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.lab_sessions(bob, None, false).await.unwrap()),
        [other.id, first.id]
    );
    assert_eq!(
        ids(store.lab_sessions(bob, Some("course"), true).await.unwrap()),
        [other.id, first.id]
    );
    assert!(
        store
            .lab_sessions(bob, Some("elsewhere"), false)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .update_lab_session(other.id, &mut |s| {
            s.status = LabSessionStatus::Abandoned;
            s.ended_at = Some(at + Duration::minutes(3));
            true
        })
        .await
        .unwrap();
    assert_eq!(
        ids(store.lab_sessions(bob, None, true).await.unwrap()),
        [first.id]
    );
    assert_eq!(store.lab_sessions(bob, None, false).await.unwrap().len(), 2);

    // A session for a course that does not exist is refused.
    let mut nowhere = new_session(bob, "lab-a", at);
    nowhere.course_id = "no-such-course".into();
    assert!(store.start_lab_session(nowhere, IDLE).await.is_err());
}

async fn updates_store_only_what_the_edit_changed(db: &TestDatabase) {
    let (store, bob) = setup(db).await;
    let at = t0();
    let (session, _) = store
        .start_lab_session(new_session(bob, "lab-a", at), IDLE)
        .await
        .unwrap();

    // An edit that reports no change stores nothing, whatever it did to its copy.
    let unchanged = store
        .update_lab_session(session.id, &mut |s| {
            s.submissions = 99;
            false
        })
        .await
        .unwrap();
    assert_eq!(unchanged.as_ref(), Some(&session));
    assert_eq!(
        store.lab_session(session.id).await.unwrap(),
        Some(session.clone())
    );

    let later = at + Duration::minutes(7);
    let result = serde_json::json!({"passed": false, "steps": []});
    let updated = store
        .update_lab_session(session.id, &mut |s| {
            s.last_activity = later;
            s.submissions += 1;
            let step = s.steps.get_mut("two").unwrap();
            step.failed_checks = 2;
            step.hints_shown = 1;
            step.skipped = true;
            s.result = Some(result.clone());
            // Not mutable: ignored.
            s.lab_id = "renamed".into();
            s.expires_at = at;
            true
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.last_activity, later);
    assert_eq!(updated.submissions, 1);
    assert_eq!(
        updated.steps["two"],
        StepRecord {
            passed: false,
            skipped: true,
            failed_checks: 2,
            hints_shown: 1
        }
    );
    assert_eq!(updated.result, Some(result));
    assert_eq!(
        (updated.lab_id.as_str(), updated.expires_at),
        ("lab-a", session.expires_at)
    );
    assert_eq!(store.lab_session(session.id).await.unwrap(), Some(updated));

    let mut ran = false;
    let missing = store
        .update_lab_session(Uuid::new_v4(), &mut |_| {
            ran = true;
            true
        })
        .await
        .unwrap();
    assert!(missing.is_none() && !ran);
}

async fn passing_records_the_first_pass(db: &TestDatabase) {
    let (store, bob) = setup(db).await;
    let at = t0();
    assert!(store.lab_passes(bob, "course").await.unwrap().is_empty());
    let pass = |ended: OffsetDateTime| {
        move |s: &mut LabSessionRecord| {
            s.status = LabSessionStatus::Passed;
            s.ended_at = Some(ended);
            true
        }
    };
    let (first, _) = store
        .start_lab_session(new_session(bob, "lab-a", at), IDLE)
        .await
        .unwrap();
    store
        .update_lab_session(first.id, &mut pass(at + Duration::minutes(5)))
        .await
        .unwrap();
    let (other_lab, _) = store
        .start_lab_session(new_session(bob, "lab-b", at), IDLE)
        .await
        .unwrap();
    store
        .update_lab_session(other_lab.id, &mut pass(at + Duration::minutes(9)))
        .await
        .unwrap();
    // Passing the same lab again later keeps the first pass.
    let (second, created) = store
        .start_lab_session(new_session(bob, "lab-a", at + Duration::minutes(10)), IDLE)
        .await
        .unwrap();
    assert!(created, "a passed session is not resumed");
    store
        .update_lab_session(second.id, &mut pass(at + Duration::minutes(20)))
        .await
        .unwrap();
    assert_eq!(
        store.lab_passes(bob, "course").await.unwrap(),
        [
            ("lab-a".to_owned(), at + Duration::minutes(5)),
            ("lab-b".to_owned(), at + Duration::minutes(9)),
        ]
    );
    assert!(store.lab_passes(bob, "other").await.unwrap().is_empty());
    let carol = user(&*store, "carol@example.com", Role::Learner).await;
    assert!(store.lab_passes(carol, "course").await.unwrap().is_empty());
}

async fn overdue_sessions_are_found_and_ended(db: &TestDatabase) {
    let (store, bob) = setup(db).await;
    let at = t0();
    let (idle, _) = store
        .start_lab_session(new_session(bob, "idle", at), IDLE)
        .await
        .unwrap();
    let (busy, _) = store
        .start_lab_session(new_session(bob, "busy", at), IDLE)
        .await
        .unwrap();
    store
        .update_lab_session(busy.id, &mut |s| {
            s.last_activity = at + Duration::minutes(25);
            s.submissions = 1;
            true
        })
        .await
        .unwrap();

    // At the idle deadline exactly, the idle session is overdue; the busy one is not.
    let when = at + IDLE;
    assert!(
        store
            .overdue_lab_sessions(when - Duration::seconds(1), IDLE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.overdue_lab_sessions(when, IDLE, 10).await.unwrap(),
        [idle.id]
    );
    // Past the time limit both are, whatever the activity; `limit` caps the batch.
    let late = at + Duration::minutes(60);
    assert_eq!(
        store
            .overdue_lab_sessions(late, IDLE, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store
            .overdue_lab_sessions(late, IDLE, 1)
            .await
            .unwrap()
            .len(),
        1
    );

    for id in [idle.id, busy.id] {
        let ended = store
            .update_lab_session(id, &mut |s| s.end_if_overdue(late, IDLE))
            .await
            .unwrap()
            .unwrap();
        assert!(ended.ended_at.is_some());
    }
    let idle = store.lab_session(idle.id).await.unwrap().unwrap();
    assert_eq!(idle.status, LabSessionStatus::Expired);
    assert_eq!(idle.ended_at, Some(at + IDLE));
    let busy = store.lab_session(busy.id).await.unwrap().unwrap();
    assert_eq!(busy.status, LabSessionStatus::Failed, "it had a submission");
    assert_eq!(busy.ended_at, Some(at + Duration::minutes(55)));
    assert!(
        store
            .overdue_lab_sessions(late, IDLE, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Starting a lab whose active session is overdue ends that one and starts anew.
    let (stale, _) = store
        .start_lab_session(new_session(bob, "stale", at), IDLE)
        .await
        .unwrap();
    let (fresh, created) = store
        .start_lab_session(new_session(bob, "stale", late), IDLE)
        .await
        .unwrap();
    assert!(created && fresh.id != stale.id);
    let stale = store.lab_session(stale.id).await.unwrap().unwrap();
    assert_eq!(stale.status, LabSessionStatus::Expired);
}

async fn concurrent_starts_make_one_session(db: &TestDatabase) {
    let (a, bob) = setup(db).await;
    let b = db.open().await;
    let at = t0();
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let store = if i % 2 == 0 {
                Arc::clone(&a)
            } else {
                Arc::clone(&b)
            };
            let new = new_session(bob, "lab-a", at);
            tokio::spawn(async move { store.start_lab_session(new, IDLE).await.unwrap() })
        })
        .collect();
    let mut ids = Vec::new();
    let mut created = 0;
    for task in tasks {
        let (session, new) = task.await.unwrap();
        ids.push(session.id);
        created += usize::from(new);
    }
    assert_eq!(created, 1);
    ids.dedup();
    assert_eq!(ids.len(), 1, "every start got the same session");
    assert_eq!(a.lab_sessions(bob, None, false).await.unwrap().len(), 1);
}

async fn concurrent_updates_lose_nothing(db: &TestDatabase) {
    let (a, bob) = setup(db).await;
    let b = db.open().await;
    let (session, _) = a
        .start_lab_session(new_session(bob, "lab-a", t0()), IDLE)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let store = if i % 2 == 0 {
                Arc::clone(&a)
            } else {
                Arc::clone(&b)
            };
            tokio::spawn(async move {
                store
                    .update_lab_session(session.id, &mut |s| {
                        s.steps.get_mut("one").unwrap().failed_checks += 1;
                        true
                    })
                    .await
                    .unwrap()
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let stored = a.lab_session(session.id).await.unwrap().unwrap();
    assert_eq!(stored.steps["one"].failed_checks, 30);
}
