//! Login back-off counts, known devices, password re-hashes and the audit log.

use cloudmaster_core::api::Role;
use cloudmaster_server::auth::records::NewAuditEntry;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::fixtures::user;
use crate::support::TestDatabase;

backend_tests!(
    login_failures_count_forget_and_clear,
    devices_belong_to_the_account_that_first_used_them,
    password_hashes_are_replaced,
    audit_log_pages_newest_first,
);

/// A whole second, so values survive both backends' microsecond precision unchanged.
fn t0() -> OffsetDateTime {
    OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
}

async fn login_failures_count_forget_and_clear(db: &TestDatabase) {
    let store = db.open().await;
    let t = t0();
    let forget = |at: OffsetDateTime| at - Duration::days(1);
    assert_eq!(store.login_failures("ip:10.0.0.1").await.unwrap(), None);
    for n in 1..=3 {
        let at = t + Duration::seconds(n);
        let state = store
            .record_login_failure("ip:10.0.0.1", at, forget(at))
            .await
            .unwrap();
        assert_eq!((state.failures, state.last_failure_at), (n as u32, at));
    }
    let read = store.login_failures("ip:10.0.0.1").await.unwrap().unwrap();
    assert_eq!(read.failures, 3);
    // Other subjects are separate.
    assert_eq!(store.login_failures("ip:10.0.0.2").await.unwrap(), None);

    // A failure long after the last one starts the count again.
    let later = t + Duration::days(2);
    let state = store
        .record_login_failure("ip:10.0.0.1", later, forget(later))
        .await
        .unwrap();
    assert_eq!(state.failures, 1);

    store.clear_login_failures("ip:10.0.0.1").await.unwrap();
    assert_eq!(store.login_failures("ip:10.0.0.1").await.unwrap(), None);

    // Pruning forgets old counts only.
    store
        .record_login_failure("old", t, forget(t))
        .await
        .unwrap();
    store
        .record_login_failure("new", later, forget(later))
        .await
        .unwrap();
    store
        .prune_login_state(t + Duration::hours(1), t)
        .await
        .unwrap();
    assert_eq!(store.login_failures("old").await.unwrap(), None);
    assert!(store.login_failures("new").await.unwrap().is_some());
}

async fn devices_belong_to_the_account_that_first_used_them(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Learner).await;
    let bob = user(&*store, "bob@example.com", Role::Learner).await;
    let t = t0();
    assert!(!store.is_known_device(ada, b"laptop").await.unwrap());
    store.remember_device(ada, b"laptop", t).await.unwrap();
    store
        .remember_device(ada, b"laptop", t + Duration::hours(1))
        .await
        .unwrap();
    assert!(store.is_known_device(ada, b"laptop").await.unwrap());
    // Bob presenting Ada's device token neither gets nor takes it.
    store.remember_device(bob, b"laptop", t).await.unwrap();
    assert!(!store.is_known_device(bob, b"laptop").await.unwrap());
    assert!(store.is_known_device(ada, b"laptop").await.unwrap());
}

async fn password_hashes_are_replaced(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Learner).await;
    store.set_password_hash(ada, "$argon2id$new").await.unwrap();
    let stored = store.user_by_id(ada).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, "$argon2id$new");
    assert!(store.set_password_hash(Uuid::new_v4(), "x").await.is_err());
}

async fn audit_log_pages_newest_first(db: &TestDatabase) {
    let store = db.open().await;
    let t = t0();
    let ada = Uuid::new_v4();
    for n in 0..5 {
        store
            .append_audit(NewAuditEntry {
                at: t + Duration::seconds(n),
                actor_id: None,
                action: format!("test.action{n}"),
                subject_id: Some(ada),
                client_ip: Some("192.0.2.1".into()),
                detail: serde_json::json!({ "n": n }),
            })
            .await
            .unwrap();
    }
    let page = store.audit_log(2, None).await.unwrap();
    let actions: Vec<&str> = page.iter().map(|e| e.entry.action.as_str()).collect();
    assert_eq!(actions, ["test.action4", "test.action3"]);
    assert_eq!(page[0].entry.detail, serde_json::json!({ "n": 4 }));
    assert_eq!(page[0].entry.at, t + Duration::seconds(4));
    assert_eq!(page[0].entry.subject_id, Some(ada));
    let next = store.audit_log(10, Some(page[1].id)).await.unwrap();
    assert_eq!(next.len(), 3);
    assert_eq!(next[0].entry.action, "test.action2");
}
