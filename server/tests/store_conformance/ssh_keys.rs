//! SSH public keys linked to accounts: linking, listing, unlinking, the per-account limit
//! (also under concurrent adds from replicas), and the look-up by fingerprint that signs a
//! key in, with its last use.

use cloudmaster_core::api::Role;
use cloudmaster_server::store::{NewSshKey, SshKeyAdded, Store, StoreError};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::fixtures::user;
use crate::support::TestDatabase;

backend_tests!(
    keys_are_linked_listed_oldest_first_and_unlinked,
    a_fingerprint_links_one_account,
    an_account_holds_up_to_the_limit,
    concurrent_adds_on_replicas_never_pass_the_limit,
    a_key_is_found_by_fingerprint_and_its_use_recorded,
);

/// A whole second, so values survive both backends' microsecond precision unchanged.
fn t0() -> OffsetDateTime {
    OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
}

/// A key of `user_id` whose fingerprint is made from `n` (the store does not parse keys).
fn key(user_id: Uuid, n: u32) -> NewSshKey {
    NewSshKey {
        id: Uuid::now_v7(),
        user_id,
        fingerprint: format!("SHA256:fingerprint{n}"),
        algorithm: "ssh-ed25519".into(),
        public_key: format!("ssh-ed25519 AAAAkey{n}"),
        name: format!("key {n}"),
    }
}

async fn add(store: &dyn Store, new: NewSshKey, at: OffsetDateTime) -> SshKeyAdded {
    store.add_ssh_key(new, 20, at).await.expect("add key")
}

async fn keys_are_linked_listed_oldest_first_and_unlinked(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Learner).await;
    let bob = user(&*store, "bob@example.com", Role::Learner).await;
    let t = t0();
    assert!(store.ssh_keys(ada).await.unwrap().is_empty());
    // Added out of order: listed by when they were added.
    let SshKeyAdded::Added(second) = add(&*store, key(ada, 2), t + Duration::seconds(1)).await
    else {
        panic!("not added")
    };
    let SshKeyAdded::Added(first) = add(&*store, key(ada, 1), t).await else {
        panic!("not added")
    };
    assert_eq!(first.name, "key 1");
    assert_eq!(first.fingerprint, "SHA256:fingerprint1");
    assert_eq!(first.algorithm, "ssh-ed25519");
    assert_eq!(first.created_at, t);
    assert_eq!(first.last_used_at, None);
    assert_eq!(
        store.ssh_keys(ada).await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    assert!(store.ssh_keys(bob).await.unwrap().is_empty());

    // Bob cannot unlink Ada's key; an unknown id is not found either.
    for (user_id, id) in [(bob, first.id), (ada, Uuid::new_v4())] {
        let err = store.remove_ssh_key(user_id, id).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    }
    assert_eq!(store.remove_ssh_key(ada, first.id).await.unwrap(), first);
    assert_eq!(store.ssh_keys(ada).await.unwrap(), vec![second]);
    let err = store.remove_ssh_key(ada, first.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");

    // An account that does not exist links nothing.
    let err = store
        .add_ssh_key(key(Uuid::new_v4(), 9), 20, t)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
}

async fn a_fingerprint_links_one_account(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Learner).await;
    let bob = user(&*store, "bob@example.com", Role::Learner).await;
    let t = t0();
    add(&*store, key(ada, 1), t).await;
    for user_id in [ada, bob] {
        let err = store.add_ssh_key(key(user_id, 1), 20, t).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    }
    assert!(store.ssh_keys(bob).await.unwrap().is_empty());
    // Once unlinked, the key may be linked again, by anyone.
    let id = store.ssh_keys(ada).await.unwrap()[0].id;
    store.remove_ssh_key(ada, id).await.unwrap();
    assert!(matches!(
        add(&*store, key(bob, 1), t).await,
        SshKeyAdded::Added(_)
    ));
}

async fn an_account_holds_up_to_the_limit(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Learner).await;
    let bob = user(&*store, "bob@example.com", Role::Learner).await;
    let t = t0();
    for n in 0..3 {
        let added = store.add_ssh_key(key(ada, n), 3, t).await.unwrap();
        assert!(matches!(added, SshKeyAdded::Added(_)), "{n}: {added:?}");
    }
    let full = store.add_ssh_key(key(ada, 3), 3, t).await.unwrap();
    assert_eq!(full, SshKeyAdded::LimitReached);
    // A key already linked is a conflict, full account or not.
    let err = store.add_ssh_key(key(ada, 0), 3, t).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(store.ssh_keys(ada).await.unwrap().len(), 3);
    // The limit is per account.
    assert!(matches!(
        store.add_ssh_key(key(bob, 3), 3, t).await.unwrap(),
        SshKeyAdded::Added(_)
    ));
}

async fn concurrent_adds_on_replicas_never_pass_the_limit(db: &TestDatabase) {
    let (a, b) = tokio::join!(db.open(), db.open());
    let ada = user(&*a, "ada@example.com", Role::Learner).await;
    let t = t0();
    add(&*a, key(ada, 0), t).await;
    let adds = (1..=6).map(|n| {
        let store = if n % 2 == 0 { a.clone() } else { b.clone() };
        async move { store.add_ssh_key(key(ada, n), 3, t).await.unwrap() }
    });
    let outcomes = futures_util::future::join_all(adds).await;
    let added = outcomes
        .iter()
        .filter(|o| matches!(o, SshKeyAdded::Added(_)))
        .count();
    assert_eq!(added, 2, "{outcomes:?}");
    assert_eq!(a.ssh_keys(ada).await.unwrap().len(), 3);
}

async fn a_key_is_found_by_fingerprint_and_its_use_recorded(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Learner).await;
    let t = t0();
    assert_eq!(
        store
            .ssh_key_by_fingerprint("SHA256:fingerprint1")
            .await
            .unwrap(),
        None
    );
    let SshKeyAdded::Added(linked) = add(&*store, key(ada, 1), t).await else {
        panic!("not added")
    };
    let found = store
        .ssh_key_by_fingerprint("SHA256:fingerprint1")
        .await
        .unwrap()
        .expect("found");
    assert_eq!(found.user_id, ada);
    assert_eq!(found.public_key, "ssh-ed25519 AAAAkey1");
    assert_eq!(found.key, linked);
    // Fingerprints are compared exactly: base64 is case-sensitive.
    assert_eq!(
        store
            .ssh_key_by_fingerprint("SHA256:FINGERPRINT1")
            .await
            .unwrap(),
        None
    );

    let used = t + Duration::hours(1);
    store.touch_ssh_key(linked.id, used).await.unwrap();
    // A report of an earlier use (from a replica that was slower) does not move it back.
    store
        .touch_ssh_key(linked.id, t + Duration::minutes(1))
        .await
        .unwrap();
    let found = store
        .ssh_key_by_fingerprint("SHA256:fingerprint1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.key.last_used_at, Some(used));
    assert_eq!(
        store.ssh_keys(ada).await.unwrap()[0].last_used_at,
        Some(used)
    );
    // Touching a key unlinked meanwhile is no error.
    store.remove_ssh_key(ada, linked.id).await.unwrap();
    store.touch_ssh_key(linked.id, used).await.unwrap();
}
