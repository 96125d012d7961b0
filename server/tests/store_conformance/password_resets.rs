//! Password reset codes and the mail outbox: a code works once and before it expires, ends
//! the account's sessions and sets its password; the per-account quota holds under
//! concurrent requests from replicas; queued mail is claimed by one sender at a time,
//! retried, given up on, and pruned once done; erasing an account, which clears its codes
//! and mail with the rest of what is personal.

use cloudmaster_core::api::Role;
use cloudmaster_server::auth::records::{
    NewPasswordReset, PasswordResetRedeemed, ResetQuota, SessionEnd,
};
use cloudmaster_server::mail::NewMail;
use cloudmaster_server::store::StoreError;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::fixtures::{hash, refresh, user};
use crate::support::TestDatabase;

backend_tests!(
    a_code_works_once_and_ends_every_session,
    an_expired_code_does_nothing,
    the_quota_holds_across_replicas,
    a_reset_and_its_mail_are_one_write,
    mail_is_claimed_by_one_sender_and_retried,
    sent_and_abandoned_mail_is_done_and_pruned,
    an_erased_account_keeps_nothing_personal,
);

/// A whole second, so values survive both backends' microsecond precision unchanged.
fn t0() -> OffsetDateTime {
    OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
}

fn reset(user_id: Uuid, code: &str, at: OffsetDateTime) -> NewPasswordReset {
    NewPasswordReset {
        user_id,
        code_hash: hash(code),
        created_at: at,
        expires_at: at + Duration::minutes(30),
    }
}

fn mail(to: &str, at: OffsetDateTime) -> NewMail {
    NewMail::new(to, "Reset your password", format!("code for {to}"), at)
}

async fn a_code_works_once_and_ends_every_session(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Learner).await;
    let bob = user(&*store, "bob@example.com", Role::Learner).await;
    let t = t0();
    let (laptop, phone, gone, bobs) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );
    for (owner, family, secret) in [
        (ada, laptop, "r1"),
        (ada, phone, "r2"),
        (ada, gone, "r3"),
        (bob, bobs, "r4"),
    ] {
        store
            .insert_refresh_token(refresh(owner, family, secret, Duration::days(30)), t)
            .await
            .unwrap();
    }
    // A session logged out before the reset keeps its reason.
    store
        .revoke_refresh_family_of(&hash("r3"), t)
        .await
        .unwrap();

    let made = store
        .create_password_reset(reset(ada, "code-1", t), None, None)
        .await
        .unwrap();
    assert!(made);
    let later = store
        .create_password_reset(reset(ada, "code-2", t), None, None)
        .await
        .unwrap();
    assert!(later);

    let redeemed = store
        .redeem_password_reset(&hash("code-1"), "$argon2id$new", t + Duration::minutes(1))
        .await
        .unwrap();
    let mut expected = vec![laptop, phone];
    expected.sort();
    assert_eq!(
        redeemed,
        Some(PasswordResetRedeemed {
            user_id: ada,
            sessions_ended: expected,
        })
    );
    let account = store.user_by_id(ada).await.unwrap().unwrap();
    assert_eq!(account.password_hash, "$argon2id$new");
    assert_eq!(
        store.session_end(laptop).await.unwrap(),
        Some(SessionEnd::PasswordReset)
    );
    assert_eq!(
        store.session_end(phone).await.unwrap(),
        Some(SessionEnd::PasswordReset)
    );
    assert_eq!(
        store.session_end(gone).await.unwrap(),
        Some(SessionEnd::Logout)
    );
    assert_eq!(
        store.session_end(bobs).await.unwrap(),
        None,
        "another account is untouched"
    );
    assert_ne!(
        store.user_by_id(bob).await.unwrap().unwrap().password_hash,
        "$argon2id$new"
    );

    // Used once; and redeeming one code retired the account's other one.
    for code in ["code-1", "code-2"] {
        let again = store
            .redeem_password_reset(&hash(code), "$argon2id$other", t + Duration::minutes(2))
            .await
            .unwrap();
        assert_eq!(again, None, "{code}");
    }
    assert_eq!(
        store.user_by_id(ada).await.unwrap().unwrap().password_hash,
        "$argon2id$new"
    );
    let unknown = store
        .redeem_password_reset(&hash("never-made"), "$argon2id$x", t)
        .await
        .unwrap();
    assert_eq!(unknown, None);
    let nobody = store
        .create_password_reset(reset(Uuid::new_v4(), "code-3", t), None, None)
        .await;
    assert!(matches!(nobody, Err(StoreError::NotFound(_))), "{nobody:?}");
}

async fn an_expired_code_does_nothing(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Learner).await;
    let t = t0();
    store
        .create_password_reset(reset(ada, "code", t), None, None)
        .await
        .unwrap();
    let expired = store
        .redeem_password_reset(&hash("code"), "$argon2id$new", t + Duration::minutes(30))
        .await
        .unwrap();
    assert_eq!(expired, None);
    assert_eq!(
        store.user_by_id(ada).await.unwrap().unwrap().password_hash,
        "$argon2id$test"
    );
    // Pruning forgets codes that expired before the horizon, and only those.
    store
        .create_password_reset(reset(ada, "fresh", t + Duration::hours(1)), None, None)
        .await
        .unwrap();
    let pruned = store
        .prune_password_resets(t + Duration::minutes(31))
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    let fresh = store
        .redeem_password_reset(&hash("fresh"), "$argon2id$new", t + Duration::hours(1))
        .await
        .unwrap();
    assert!(fresh.is_some());
}

async fn the_quota_holds_across_replicas(db: &TestDatabase) {
    let (a, b) = tokio::join!(db.open(), db.open());
    let ada = user(&*a, "ada@example.com", Role::Learner).await;
    let t = t0();
    let quota = ResetQuota {
        max: 3,
        since: t - Duration::hours(1),
    };
    // A code made more than an hour ago does not count.
    a.create_password_reset(reset(ada, "old", t - Duration::hours(2)), None, Some(quota))
        .await
        .unwrap();
    let requests = (0..8).map(|n| {
        let store = if n % 2 == 0 { a.clone() } else { b.clone() };
        async move {
            store
                .create_password_reset(
                    reset(ada, &format!("code-{n}"), t),
                    Some(mail("ada@example.com", t)),
                    Some(quota),
                )
                .await
                .unwrap()
        }
    });
    let made = futures_util::future::join_all(requests).await;
    assert_eq!(made.iter().filter(|m| **m).count(), 3, "{made:?}");
    // One mail per code made, none for the refused requests.
    let claimed = a
        .claim_due_mail(t, t + Duration::minutes(2), 100)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
}

async fn a_reset_and_its_mail_are_one_write(db: &TestDatabase) {
    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Learner).await;
    let t = t0();
    let quota = ResetQuota {
        max: 1,
        since: t - Duration::hours(1),
    };
    let first = mail("ada@example.com", t);
    let first_id = first.id;
    assert!(
        store
            .create_password_reset(reset(ada, "a", t), Some(first), Some(quota))
            .await
            .unwrap()
    );
    // Refused by the quota: neither the code nor its mail is kept.
    assert!(
        !store
            .create_password_reset(
                reset(ada, "b", t),
                Some(mail("ada@example.com", t)),
                Some(quota)
            )
            .await
            .unwrap()
    );
    let claimed = store
        .claim_due_mail(t, t + Duration::minutes(2), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, first_id);
    assert_eq!(claimed[0].recipient, "ada@example.com");
    assert_eq!(claimed[0].subject, "Reset your password");
    assert_eq!(claimed[0].body, "code for ada@example.com");
    assert_eq!(claimed[0].attempts, 1);
    assert_eq!(claimed[0].created_at, t);
    assert!(
        store
            .redeem_password_reset(&hash("b"), "$argon2id$x", t)
            .await
            .unwrap()
            .is_none()
    );
}

async fn mail_is_claimed_by_one_sender_and_retried(db: &TestDatabase) {
    let (a, b) = tokio::join!(db.open(), db.open());
    let t = t0();
    for n in 0..5 {
        a.queue_mail(mail(
            &format!("user{n}@example.com"),
            t + Duration::seconds(n),
        ))
        .await
        .unwrap();
    }
    // Not due before it was queued.
    assert!(
        a.claim_due_mail(t - Duration::seconds(1), t, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let lease = t + Duration::seconds(10) + Duration::minutes(2);
    let now = t + Duration::seconds(10);
    let (mine, theirs) = tokio::join!(
        a.claim_due_mail(now, lease, 3),
        b.claim_due_mail(now, lease, 3)
    );
    let (mine, theirs) = (mine.unwrap(), theirs.unwrap());
    let mut all: Vec<String> = mine
        .iter()
        .chain(&theirs)
        .map(|m| m.recipient.clone())
        .collect();
    assert_eq!(all.len(), 5, "each message claimed once: {all:?}");
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 5);
    // Oldest first within a claim.
    let first = if mine.len() == 3 { &mine } else { &theirs };
    assert!(first.windows(2).all(|w| w[0].created_at <= w[1].created_at));
    // Held until the lease ends; then due again, with its attempt counted.
    assert!(
        a.claim_due_mail(now + Duration::minutes(1), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = a
        .claim_due_mail(lease, lease + Duration::minutes(2), 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 5);
    assert!(again.iter().all(|m| m.attempts == 2));
    // A failure with a retry time makes it due then, and not before.
    let retried = again[0].id;
    let retry_at = lease + Duration::minutes(5);
    a.mail_failed(retried, "421 try later", Some(retry_at), lease)
        .await
        .unwrap();
    for m in &again[1..] {
        a.mail_sent(m.id, lease).await.unwrap();
    }
    assert!(
        a.claim_due_mail(retry_at - Duration::seconds(1), retry_at, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let third = a
        .claim_due_mail(retry_at, retry_at + Duration::minutes(2), 10)
        .await
        .unwrap();
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].id, retried);
    assert_eq!(third[0].attempts, 3);
}

async fn sent_and_abandoned_mail_is_done_and_pruned(db: &TestDatabase) {
    let store = db.open().await;
    let t = t0();
    let (sent, abandoned, waiting) = (
        mail("a@example.com", t),
        mail("b@example.com", t),
        mail("c@example.com", t),
    );
    let (sent_id, abandoned_id) = (sent.id, abandoned.id);
    for m in [sent, abandoned, waiting] {
        store.queue_mail(m).await.unwrap();
    }
    let claimed = store
        .claim_due_mail(t, t + Duration::minutes(2), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    store.mail_sent(sent_id, t).await.unwrap();
    store
        .mail_failed(abandoned_id, "550 no such mailbox", None, t)
        .await
        .unwrap();
    // Neither is due again, whenever.
    let later = t + Duration::days(1);
    let due = store
        .claim_due_mail(later, later + Duration::minutes(2), 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].recipient, "c@example.com");
    // Pruning forgets what was sent or given up on before the horizon, not what waits.
    assert_eq!(store.prune_mail(t).await.unwrap(), 0);
    assert_eq!(store.prune_mail(t + Duration::seconds(1)).await.unwrap(), 2);
    let much_later = later + Duration::days(1);
    assert_eq!(
        store
            .claim_due_mail(much_later, much_later, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Erasing an account (here beside resets and mail, which it also clears): what is personal
/// goes, the account row stays anonymous, another account is untouched, and the email is
/// free again.
async fn an_erased_account_keeps_nothing_personal(db: &TestDatabase) {
    use cloudmaster_server::auth::records::{NewApiToken, RefreshOutcome};
    use cloudmaster_server::store::NewSshKey;

    let store = db.open().await;
    let ada = user(&*store, "ada@example.com", Role::Instructor).await;
    let bob = user(&*store, "bob@example.com", Role::Learner).await;
    let t = t0();
    crate::fixtures::publish(
        &*store,
        &crate::fixtures::CourseSpec {
            id: "c",
            title: "Course",
            ..crate::fixtures::CourseSpec::default()
        },
        ada,
    )
    .await;
    for who in [ada, bob] {
        store.enroll(who, "c", t).await.unwrap();
        let secret = format!("refresh-{who}");
        store
            .insert_refresh_token(refresh(who, Uuid::new_v4(), &secret, Duration::days(30)), t)
            .await
            .unwrap();
        store
            .create_api_token(
                NewApiToken {
                    id: Uuid::new_v4(),
                    user_id: who,
                    name: "ci".into(),
                    scopes: vec![cloudmaster_core::api::Scope::Learn],
                    prefix: "cm_pat_ab".into(),
                    token_hash: hash(&format!("token-{who}")),
                    expires_at: None,
                },
                t,
            )
            .await
            .unwrap();
        store
            .add_ssh_key(
                NewSshKey {
                    id: Uuid::new_v4(),
                    user_id: who,
                    fingerprint: format!("SHA256:{who}"),
                    algorithm: "ssh-ed25519".into(),
                    public_key: format!("ssh-ed25519 AAAA{who}"),
                    name: "laptop".into(),
                },
                20,
                t,
            )
            .await
            .unwrap();
    }
    store
        .create_password_reset(
            reset(ada, "code", t),
            Some(mail("ada@example.com", t)),
            None,
        )
        .await
        .unwrap();

    let erased = store
        .erase_user(ada, "deleted-ada@deleted.invalid")
        .await
        .unwrap();
    assert_eq!(erased.user_id, ada);
    assert_eq!(erased.payments_kept, 0);
    assert_eq!(erased.courses_kept, ["c"]);

    assert!(
        store
            .user_by_email("ada@example.com")
            .await
            .unwrap()
            .is_none()
    );
    let account = store.user_by_id(ada).await.unwrap().unwrap();
    assert_eq!(account.user.email, "deleted-ada@deleted.invalid");
    assert_eq!(account.user.name, "Deleted account");
    assert_eq!(account.user.role, Role::Learner);
    assert_eq!(account.password_hash, "!");
    assert!(account.suspended);
    assert!(store.enrollments(ada).await.unwrap().is_empty());
    assert!(store.list_api_tokens(ada).await.unwrap().is_empty());
    assert!(store.ssh_keys(ada).await.unwrap().is_empty());
    let refreshed = store
        .use_refresh_token(&hash(&format!("refresh-{ada}")), t)
        .await
        .unwrap();
    assert!(
        !matches!(refreshed, RefreshOutcome::Rotated { .. }),
        "{refreshed:?}"
    );
    assert!(
        store
            .redeem_password_reset(&hash("code"), "$argon2id$x", t)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store.claim_due_mail(t, t, 10).await.unwrap().is_empty(),
        "unsent mail to it is gone"
    );
    // The course stays, owned by the anonymous account.
    assert_eq!(store.owned_courses(ada).await.unwrap(), ["c"]);

    // Bob keeps everything.
    assert_eq!(store.enrollments(bob).await.unwrap().len(), 1);
    assert_eq!(store.list_api_tokens(bob).await.unwrap().len(), 1);
    assert_eq!(store.ssh_keys(bob).await.unwrap().len(), 1);
    let bobs = store
        .use_refresh_token(&hash(&format!("refresh-{bob}")), t)
        .await
        .unwrap();
    assert!(matches!(bobs, RefreshOutcome::Rotated { .. }), "{bobs:?}");

    // The email may register again; an unknown account is not found.
    user(&*store, "ada@example.com", Role::Learner).await;
    let nobody = store.erase_user(Uuid::new_v4(), "x@deleted.invalid").await;
    assert!(matches!(nobody, Err(StoreError::NotFound(_))), "{nobody:?}");
}
