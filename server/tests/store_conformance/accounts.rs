//! Start-up, accounts, sessions, API tokens and state shared between replicas.

use std::sync::Arc;

use cloudmaster_core::api::{Role, Scope, Tier};
use cloudmaster_server::auth::records::{NewApiToken, NewUser, RefreshOutcome, SessionEnd};
use cloudmaster_server::store::{RateCount, StateStore, StoreError};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::fixtures::{hash, refresh, user};
use crate::support::TestDatabase;

backend_tests!(
    replicas_starting_at_once_migrate_once,
    duplicate_email_is_a_conflict_whatever_the_case,
    users_are_found_listed_promoted_and_suspended,
    refresh_rotation_has_exactly_one_winner,
    refresh_reuse_revokes_the_family,
    refresh_expiry_and_logout,
    api_token_lifecycle,
    legacy_secrets_are_read_and_deleted,
    rate_usage_sums_across_stores,
    rate_usage_flushes_many_counters_at_once,
);

// --- start-up ---------------------------------------------------------------------------

async fn replicas_starting_at_once_migrate_once(db: &TestDatabase) {
    let (a, b, c) = tokio::join!(db.open(), db.open(), db.open());
    user(&*a, "ada@example.com", Role::Learner).await;
    assert_eq!(b.list_users().await.unwrap().len(), 1);
    assert_eq!(c.list_users().await.unwrap().len(), 1);
    // Opening an up-to-date database migrates nothing and keeps the data.
    let d = db.open().await;
    assert_eq!(d.list_users().await.unwrap().len(), 1);
    d.ping().await.unwrap();
}

// --- accounts ---------------------------------------------------------------------------

async fn duplicate_email_is_a_conflict_whatever_the_case(db: &TestDatabase) {
    let store = db.open().await;
    user(&*store, "Ada@Example.com", Role::Learner).await;
    for email in ["Ada@Example.com", "ada@example.com", "ADA@EXAMPLE.COM"] {
        let err = store
            .create_user(
                NewUser {
                    email: email.into(),
                    name: "Other".into(),
                    password_hash: "x".into(),
                    role: Role::Learner,
                    tier: Tier::Free,
                },
                time::OffsetDateTime::now_utc(),
            )
            .await
            .expect_err("duplicate email must fail");
        assert!(matches!(err, StoreError::Conflict(_)), "{email}: {err:?}");
    }
    // Unicode case folding is the same on both backends.
    user(&*store, "ÉLODIE@example.com", Role::Learner).await;
    let err = store
        .create_user(
            NewUser {
                email: "élodie@example.com".into(),
                name: "Other".into(),
                password_hash: "x".into(),
                role: Role::Learner,
                tier: Tier::Free,
            },
            time::OffsetDateTime::now_utc(),
        )
        .await
        .expect_err("duplicate unicode email must fail");
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

async fn users_are_found_listed_promoted_and_suspended(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "Ada@Example.com", Role::Learner).await;
    let bob = user(&*store, "bob@example.com", Role::Instructor).await;

    let found = store
        .user_by_email("ada@EXAMPLE.com")
        .await
        .unwrap()
        .expect("found by email, case-insensitively");
    assert_eq!(found.user.id, ada);
    assert_eq!(
        found.user.email, "Ada@Example.com",
        "the email is kept as given"
    );
    assert_eq!(found.password_hash, "$argon2id$test");
    assert!(!found.suspended);
    let by_id = store.user_by_id(ada).await.unwrap().expect("found by id");
    assert_eq!(by_id.user, found.user);
    assert!(
        store
            .user_by_email("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.user_by_id(Uuid::new_v4()).await.unwrap().is_none());

    let listed: Vec<Uuid> = store
        .list_users()
        .await
        .unwrap()
        .iter()
        .map(|u| u.user.id)
        .collect();
    assert_eq!(listed, vec![ada, bob], "users are listed oldest first");

    // Suspension: seen when the account is read, listed, and lifted again.
    let suspended = store.set_user_suspended(bob, true).await.unwrap();
    assert!(suspended.suspended);
    assert_eq!(suspended.user.id, bob);
    assert!(store.user_by_id(bob).await.unwrap().unwrap().suspended);
    let listed = store.list_users().await.unwrap();
    assert_eq!(
        listed.iter().map(|u| u.suspended).collect::<Vec<_>>(),
        vec![false, true]
    );
    assert!(
        !store
            .set_user_suspended(bob, false)
            .await
            .unwrap()
            .suspended
    );
    assert!(!store.user_by_id(bob).await.unwrap().unwrap().suspended);
    assert!(matches!(
        store.set_user_suspended(Uuid::new_v4(), true).await,
        Err(StoreError::NotFound(_))
    ));

    let promoted = store.set_user_role(ada, Role::Admin).await.unwrap();
    assert_eq!(promoted.role, Role::Admin);
    assert_eq!(promoted.created_at, found.user.created_at);
    assert_eq!(
        store.user_by_id(ada).await.unwrap().unwrap().user.role,
        Role::Admin
    );
    let missing = store.set_user_role(Uuid::new_v4(), Role::Admin).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

async fn refresh_rotation_has_exactly_one_winner(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Learner).await;
    let family = Uuid::new_v4();
    store
        .insert_refresh_token(
            refresh(ada, family, "t1", Duration::days(30)),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();

    let now = OffsetDateTime::now_utc();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.use_refresh_token(b"t1", now).await })
        })
        .collect();
    let mut rotated = 0;
    let mut reused = 0;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            RefreshOutcome::Rotated { user_id, family_id } => {
                assert_eq!((user_id, family_id), (ada, family));
                rotated += 1;
            }
            RefreshOutcome::Reused { user_id, family_id } => {
                assert_eq!((user_id, family_id), (ada, family));
                reused += 1;
            }
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!((rotated, reused), (1, 19));
}

async fn refresh_reuse_revokes_the_family(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Learner).await;
    let family = Uuid::new_v4();
    let now = OffsetDateTime::now_utc();
    store
        .insert_refresh_token(
            refresh(ada, family, "t1", Duration::days(30)),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(
        store.use_refresh_token(b"t1", now).await.unwrap(),
        RefreshOutcome::Rotated {
            user_id: ada,
            family_id: family
        }
    );
    store
        .insert_refresh_token(
            refresh(ada, family, "t2", Duration::days(30)),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();

    // Replaying t1 is theft: the family dies, including the live successor t2.
    let reused = RefreshOutcome::Reused {
        user_id: ada,
        family_id: family,
    };
    assert_eq!(store.use_refresh_token(b"t1", now).await.unwrap(), reused);
    assert_eq!(store.use_refresh_token(b"t2", now).await.unwrap(), reused);
    assert_eq!(
        store.session_end(family).await.unwrap(),
        Some(SessionEnd::Reuse)
    );

    // A successor issued into the revoked family (a rotation racing the reuse) is dead.
    store
        .insert_refresh_token(
            refresh(ada, family, "t3", Duration::days(30)),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(store.use_refresh_token(b"t3", now).await.unwrap(), reused);

    // Other families are untouched.
    let other = Uuid::new_v4();
    store
        .insert_refresh_token(
            refresh(ada, other, "o1", Duration::days(30)),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert!(matches!(
        store.use_refresh_token(b"o1", now).await.unwrap(),
        RefreshOutcome::Rotated { family_id, .. } if family_id == other
    ));
    assert_eq!(
        store.use_refresh_token(b"nope", now).await.unwrap(),
        RefreshOutcome::Unknown
    );
}

async fn refresh_expiry_and_logout(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Learner).await;
    let now = OffsetDateTime::now_utc();
    store
        .insert_refresh_token(
            refresh(ada, Uuid::new_v4(), "old", Duration::seconds(-1)),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(
        store.use_refresh_token(b"old", now).await.unwrap(),
        RefreshOutcome::Expired
    );

    // Expiry is judged at the `now` given.
    store
        .insert_refresh_token(
            refresh(ada, Uuid::new_v4(), "soon", Duration::hours(1)),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .use_refresh_token(b"soon", now + Duration::hours(2))
            .await
            .unwrap(),
        RefreshOutcome::Expired
    );

    // Logout revokes the family and ends the session; the token then says so.
    let family = Uuid::new_v4();
    store
        .insert_refresh_token(
            refresh(ada, family, "live", Duration::days(30)),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(store.session_end(family).await.unwrap(), None);
    assert_eq!(
        store.revoke_refresh_family_of(b"live", now).await.unwrap(),
        Some(family)
    );
    assert_eq!(
        store
            .revoke_refresh_family_of(b"unknown", now)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.session_end(family).await.unwrap(),
        Some(SessionEnd::Logout)
    );
    assert_eq!(
        store.use_refresh_token(b"live", now).await.unwrap(),
        RefreshOutcome::LoggedOut
    );
}

async fn api_token_lifecycle(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Instructor).await;
    let bob = user(&*store, "bob@example.com", Role::Learner).await;
    let now = OffsetDateTime::now_utc();

    let ci = store
        .create_api_token(
            NewApiToken {
                id: Uuid::new_v4(),
                user_id: ada,
                name: "ci".into(),
                scopes: vec![Scope::Publish, Scope::Learn],
                prefix: "cm_pat_ab".into(),
                token_hash: hash("ci-secret"),
                expires_at: None,
            },
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(ci.scopes, vec![Scope::Learn, Scope::Publish]);
    assert_eq!(ci.last_used_at, None);
    let short = store
        .create_api_token(
            NewApiToken {
                id: Uuid::new_v4(),
                user_id: ada,
                name: "short".into(),
                scopes: vec![Scope::Learn],
                prefix: "cm_pat_cd".into(),
                token_hash: hash("short-secret"),
                expires_at: Some(now + Duration::days(1)),
            },
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();

    let listed = store.list_api_tokens(ada).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].id, ci.id);
    assert_eq!(listed[0].created_at, ci.created_at);
    assert_eq!(listed[1].expires_at, short.expires_at);
    assert!(store.list_api_tokens(bob).await.unwrap().is_empty());

    let owner = store
        .api_token_owner(b"ci-secret", now)
        .await
        .unwrap()
        .expect("live token");
    assert_eq!(owner.token_id, ci.id);
    assert_eq!(owner.user.id, ada);
    assert_eq!(owner.scopes, vec![Scope::Learn, Scope::Publish]);
    assert!(
        store
            .api_token_owner(b"wrong", now)
            .await
            .unwrap()
            .is_none()
    );

    // Expiry is judged at the `now` given.
    assert!(
        store
            .api_token_owner(b"short-secret", now)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .api_token_owner(b"short-secret", now + Duration::days(2))
            .await
            .unwrap()
            .is_none()
    );

    // Uses are recorded in batches and never move backwards.
    let used = now + Duration::minutes(5);
    store
        .touch_api_tokens(&[(ci.id, used - Duration::minutes(1)), (ci.id, used)])
        .await
        .unwrap();
    store
        .touch_api_tokens(&[(ci.id, used - Duration::minutes(3))])
        .await
        .unwrap();
    store.touch_api_tokens(&[]).await.unwrap();
    let listed = store.list_api_tokens(ada).await.unwrap();
    let last = listed[0].last_used_at.expect("last use recorded");
    assert!(
        (last - used).abs() < Duration::milliseconds(1),
        "{last} vs {used}"
    );

    // Only the owner can revoke.
    assert!(
        !store
            .revoke_api_token(bob, ci.id, time::OffsetDateTime::now_utc())
            .await
            .unwrap()
    );
    assert!(
        !store
            .revoke_api_token(ada, Uuid::new_v4(), time::OffsetDateTime::now_utc())
            .await
            .unwrap()
    );
    assert!(
        store
            .api_token_owner(b"ci-secret", now)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .revoke_api_token(ada, ci.id, time::OffsetDateTime::now_utc())
            .await
            .unwrap()
    );
    assert!(
        store
            .api_token_owner(b"ci-secret", now)
            .await
            .unwrap()
            .is_none()
    );
    let listed = store.list_api_tokens(ada).await.unwrap();
    assert_eq!(
        listed.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![short.id]
    );
}

// --- shared state -----------------------------------------------------------------------

async fn legacy_secrets_are_read_and_deleted(db: &TestDatabase) {
    let store = db.open().await;
    assert_eq!(store.secret("jwt").await.unwrap(), None);
    assert!(!store.delete_secret("jwt").await.unwrap());
    db.put_legacy_secret("jwt", b"old key").await;
    db.put_legacy_secret("other", b"x").await;
    assert_eq!(
        store.secret("jwt").await.unwrap().as_deref(),
        Some(&b"old key"[..])
    );
    assert!(store.delete_secret("jwt").await.unwrap());
    assert_eq!(store.secret("jwt").await.unwrap(), None);
    assert_eq!(
        store.secret("other").await.unwrap().as_deref(),
        Some(&b"x"[..]),
        "only the named secret is deleted"
    );
}

async fn rate_usage_sums_across_stores(db: &TestDatabase) {
    let a = db.open().await;
    let b = db.open().await;
    let window = OffsetDateTime::now_utc().replace_second(0).unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = if i % 2 == 0 {
                Arc::clone(&a)
            } else {
                Arc::clone(&b)
            };
            tokio::spawn(async move { store.add_one("user:1", window, 3).await })
        })
        .collect();
    let mut totals = Vec::new();
    for task in tasks {
        totals.push(task.await.unwrap().unwrap());
    }
    totals.sort_unstable();
    assert_eq!(totals, (1..=20).map(|i| i * 3).collect::<Vec<i64>>());
    assert_eq!(a.add_one("user:1", window, 0).await.unwrap(), 60);
    assert_eq!(b.add_one("user:2", window, 1).await.unwrap(), 1);

    let earlier = window - Duration::hours(1);
    assert_eq!(a.add_one("user:1", earlier, 5).await.unwrap(), 5);
    assert_eq!(b.prune_rate_usage(window).await.unwrap(), 1);
    assert_eq!(a.add_one("user:1", earlier, 1).await.unwrap(), 1);
    assert_eq!(a.add_one("user:1", window, 1).await.unwrap(), 61);
}

async fn rate_usage_flushes_many_counters_at_once(db: &TestDatabase) {
    let a = db.open().await;
    let b = db.open().await;
    let window = OffsetDateTime::now_utc().replace_second(0).unwrap();
    let count = |key: &str, delta| RateCount {
        key: key.to_owned(),
        window_start: window,
        delta,
    };
    assert_eq!(a.add_one("user:b", window, 4).await.unwrap(), 4);
    // Keys out of order; the totals come back in the order asked.
    let flush = [count("user:c", 1), count("user:b", 2), count("user:a", 3)];
    assert_eq!(a.add_rate_usages(&flush).await.unwrap(), [1, 6, 3]);
    assert!(a.add_rate_usages(&[]).await.unwrap().is_empty());
    // Two replicas flushing the same keys at once: both commit, nothing is lost.
    let keys: Vec<RateCount> = (0..50).map(|i| count(&format!("ip:{i}"), 1)).collect();
    let reversed: Vec<RateCount> = keys.iter().rev().cloned().collect();
    let (x, y) = tokio::join!(a.add_rate_usages(&keys), b.add_rate_usages(&reversed));
    x.unwrap();
    y.unwrap();
    assert_eq!(a.add_one("ip:0", window, 0).await.unwrap(), 2);
    assert_eq!(b.add_one("ip:49", window, 0).await.unwrap(), 2);
}

/// One counter's total after adding `delta`.
#[async_trait::async_trait]
trait AddOne {
    async fn add_one(
        &self,
        key: &str,
        window: OffsetDateTime,
        delta: i64,
    ) -> Result<i64, StoreError>;
}

#[async_trait::async_trait]
impl<S: StateStore + ?Sized> AddOne for S {
    async fn add_one(
        &self,
        key: &str,
        window: OffsetDateTime,
        delta: i64,
    ) -> Result<i64, StoreError> {
        let count = RateCount {
            key: key.to_owned(),
            window_start: window,
            delta,
        };
        Ok(self.add_rate_usages(&[count]).await?[0])
    }
}
