//! SSH public keys linked to accounts over HTTP: adding (keys made by OpenSSH's `ssh-keygen`
//! in a temporary folder, fingerprints compared with what `ssh-keygen -lf` prints), listing,
//! removing, a key linking one account only, the input refused and what each refusal says,
//! the per-account limit, who may do what, and the look-up by fingerprint that signs a key
//! in.

use std::path::{Path, PathBuf};
use std::process::Command;

use cloudmaster_core::api::{MAX_SSH_KEYS_PER_ACCOUNT, Role};
use serde_json::{Value, json};
use time::Duration;

use crate::api_support::{ManualClock, TestApp, TestDatabase};

backend_tests!(
    keys_are_added_listed_and_removed,
    a_key_links_one_account_and_says_so_neutrally,
    bad_keys_are_refused_saying_what_to_add,
    an_account_links_at_most_twenty_keys,
    only_the_owner_with_a_session_manages_keys,
    a_linked_key_is_found_by_its_fingerprint_and_its_use_shows,
);

const KEYS: &str = "/api/v1/account/ssh-keys";

/// A key pair made by `ssh-keygen` in a temporary folder.
struct Generated {
    _dir: tempfile::TempDir,
    private: PathBuf,
}

impl Generated {
    /// `ssh-keygen -t TYPE ... -C COMMENT` with `extra` arguments (such as `-b 1024`).
    fn new(kind: &str, comment: &str, extra: &[&str]) -> Generated {
        let dir = tempfile::tempdir().expect("temporary folder");
        let private = dir.path().join("id");
        keygen(
            &[&["-q", "-t", kind, "-N", "", "-C", comment], extra, &["-f"]].concat(),
            &private,
        );
        Generated { _dir: dir, private }
    }

    fn ed25519(comment: &str) -> Generated {
        Generated::new("ed25519", comment, &[])
    }

    fn public_path(&self) -> PathBuf {
        self.private.with_extension("pub")
    }

    /// The `.pub` file: one line and a line break.
    fn public(&self) -> String {
        std::fs::read_to_string(self.public_path()).expect("read the .pub file")
    }

    fn private_key(&self) -> String {
        std::fs::read_to_string(&self.private).expect("read the private key")
    }

    /// The fingerprint as `ssh-keygen -lf` prints it (`256 SHA256:... comment (ED25519)`).
    fn fingerprint(&self) -> String {
        fingerprint_of(&self.public_path())
    }

    /// `ssh-keygen -s`: a certificate of this key signed by a new CA key; its contents.
    fn certificate(&self) -> String {
        let ca = Generated::ed25519("ca");
        keygen(
            &[
                "-q",
                "-s",
                ca.private.to_str().unwrap(),
                "-I",
                "id",
                "-n",
                "ada",
            ],
            &self.public_path(),
        );
        let path = self.private.with_file_name("id-cert.pub");
        std::fs::read_to_string(path).expect("read the certificate")
    }
}

/// Runs `ssh-keygen ARGS PATH`.
fn keygen(args: &[&str], path: &Path) {
    let out = Command::new("ssh-keygen")
        .args(args)
        .arg(path)
        .output()
        .expect("run ssh-keygen (OpenSSH's client tools must be installed)");
    assert!(
        out.status.success(),
        "ssh-keygen {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn fingerprint_of(public: &Path) -> String {
    let out = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(public)
        .output()
        .expect("run ssh-keygen -lf");
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("no fingerprint in {line:?}"))
        .to_owned()
}

fn add_body(public_key: &str, name: Option<&str>) -> Value {
    match name {
        Some(name) => json!({"public_key": public_key, "name": name}),
        None => json!({"public_key": public_key}),
    }
}

async fn keys_are_added_listed_and_removed(db: &TestDatabase) {
    let app = TestApp::builder(db).clock(ManualClock::new()).spawn().await;
    let ada = app.user("ada@example.com", Role::Learner).await;
    assert_eq!(app.get(KEYS, ada.t()).await.expect(200).body, json!([]));

    let ed = Generated::ed25519("ada@laptop");
    let added = app
        .post(
            KEYS,
            ada.t(),
            &add_body(&ed.public(), Some("  Work laptop ")),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(added["name"], "Work laptop");
    assert_eq!(added["algorithm"], "ssh-ed25519");
    assert_eq!(added["fingerprint"], ed.fingerprint());
    assert!(
        added["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("SHA256:")
    );
    let created_at = time::OffsetDateTime::parse(
        added["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(created_at, app.now(), "stamped by the server's clock");
    assert_eq!(added["last_used_at"], Value::Null);
    assert!(added.get("public_key").is_none(), "{added}");

    // Without a name: the comment names the key, else the fingerprint.
    app.clock().advance(Duration::seconds(1));
    let ecdsa = Generated::new("ecdsa", "ada@desktop", &["-b", "384"]);
    let by_comment = app
        .post(KEYS, ada.t(), &add_body(&ecdsa.public(), None))
        .await
        .expect(201)
        .body;
    assert_eq!(by_comment["name"], "ada@desktop");
    assert_eq!(by_comment["algorithm"], "ecdsa-sha2-nistp384");
    assert_eq!(by_comment["fingerprint"], ecdsa.fingerprint());
    app.clock().advance(Duration::seconds(1));
    let rsa = Generated::new("rsa", "", &["-b", "2048"]);
    let anonymous = app
        .post(KEYS, ada.t(), &add_body(&rsa.public(), None))
        .await
        .expect(201)
        .body;
    assert_eq!(anonymous["algorithm"], "ssh-rsa");
    assert_eq!(anonymous["fingerprint"], rsa.fingerprint());
    assert_eq!(anonymous["name"], anonymous["fingerprint"]);

    let listed = app.get(KEYS, ada.t()).await.expect(200).body;
    assert_eq!(
        listed,
        json!([added, by_comment, anonymous]),
        "oldest first"
    );

    let path = format!("{KEYS}/{}", by_comment["id"].as_str().unwrap());
    app.delete(&path, ada.t()).await.expect(204);
    let listed = app.get(KEYS, ada.t()).await.expect(200).body;
    assert_eq!(listed, json!([added, anonymous]));
    let again = app
        .delete(&path, ada.t())
        .await
        .expect_error(404, "not_found");
    assert!(
        again.message().starts_with("you have no SSH key "),
        "{}",
        again.text
    );
    // What is not a UUID names no key, as an unknown one.
    app.delete(&format!("{KEYS}/not-a-uuid"), ada.t())
        .await
        .expect_error(404, "not_found");

    // Linking and unlinking are in the audit log.
    let audit = app.state.store().audit_log(10, None).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.entry.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "auth.ssh_key_removed",
            "auth.ssh_key_added",
            "auth.ssh_key_added",
            "auth.ssh_key_added"
        ]
    );
    assert_eq!(audit[0].entry.detail["fingerprint"], ecdsa.fingerprint());
    assert_eq!(audit[0].entry.actor_id, Some(ada.user.id));
}

async fn a_key_links_one_account_and_says_so_neutrally(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let ada = app.user("ada@example.com", Role::Learner).await;
    let bob = app.user("bob@example.com", Role::Learner).await;
    let key = Generated::ed25519("shared");
    app.post(KEYS, ada.t(), &add_body(&key.public(), None))
        .await
        .expect(201);
    // The same key again, as sent or under another name: by its owner, then by someone
    // else, who learns nothing of whose it is.
    for (who, name) in [(&ada, None), (&ada, Some("again")), (&bob, None)] {
        let refused = app
            .post(KEYS, who.t(), &add_body(&key.public(), name))
            .await
            .expect_error(409, "conflict");
        assert!(
            refused
                .message()
                .starts_with("this key is already linked to an account"),
            "{}",
            refused.text
        );
        assert!(!refused.text.contains("ada"), "{}", refused.text);
    }
    assert_eq!(app.get(KEYS, bob.t()).await.expect(200).body, json!([]));
    assert_eq!(
        app.get(KEYS, ada.t()).await.expect(200).body[0]["name"],
        "shared"
    );
}

async fn bad_keys_are_refused_saying_what_to_add(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let ada = app.user("ada@example.com", Role::Learner).await;
    let ed = Generated::ed25519("ada@laptop");
    let small_rsa = Generated::new("rsa", "old", &["-b", "1024"]);
    let dsa = Generated::new("dsa", "older", &[]);
    let long_name = "n".repeat(101);
    let cases: Vec<(&str, String, Option<&str>, &str)> = vec![
        (
            "a private key",
            ed.private_key(),
            None,
            "that is a private key; add the .pub file",
        ),
        ("empty", " \n".into(), None, "the public key is empty"),
        (
            "two keys",
            format!("{}{}", ed.public(), small_rsa.public()),
            None,
            "the public key must be one line, not 2",
        ),
        (
            "over 16 KiB",
            format!("{} {}", ed.public().trim(), "x".repeat(16 * 1024)),
            None,
            "the public key is 16",
        ),
        (
            "RSA under 2048 bits",
            small_rsa.public(),
            None,
            "this RSA key has 1024 bits; at least 2048 are accepted",
        ),
        (
            "DSA",
            dsa.public(),
            None,
            "DSA keys (ssh-dss) are not accepted",
        ),
        (
            "a certificate",
            ed.certificate(),
            None,
            "that is an SSH certificate (ssh-ed25519-cert-v01@openssh.com)",
        ),
        (
            "not a key",
            "ssh-ed25519 bm90IGEga2V5".into(),
            None,
            "that is not an OpenSSH public key",
        ),
        (
            "a blank name",
            ed.public(),
            Some("   "),
            "the key name must be 1 to 100 characters",
        ),
        (
            "a long name",
            ed.public(),
            Some(&long_name),
            "the key name must be 1 to 100 characters",
        ),
    ];
    for (what, public_key, name, message) in &cases {
        let refused = app
            .post(KEYS, ada.t(), &add_body(public_key, *name))
            .await
            .expect_error(422, "validation_failed");
        assert!(
            refused.message().starts_with(message),
            "{what}: {}",
            refused.text
        );
    }
    // What each says to do instead.
    let dsa_message = app
        .post(KEYS, ada.t(), &add_body(&dsa.public(), None))
        .await
        .expect(422);
    assert!(
        dsa_message.message().contains("ssh-keygen -t ed25519"),
        "{}",
        dsa_message.text
    );
    // A body without the key is malformed.
    app.post(KEYS, ada.t(), &json!({"name": "x"}))
        .await
        .expect_error(400, "bad_request");
    assert_eq!(app.get(KEYS, ada.t()).await.expect(200).body, json!([]));
}

async fn an_account_links_at_most_twenty_keys(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let ada = app.user("ada@example.com", Role::Learner).await;
    let mut ids = Vec::new();
    for n in 0..MAX_SSH_KEYS_PER_ACCOUNT {
        let key = Generated::ed25519(&format!("key {n}"));
        let added = app
            .post(KEYS, ada.t(), &add_body(&key.public(), None))
            .await
            .expect(201);
        ids.push(added.body["id"].as_str().unwrap().to_owned());
    }
    let one_more = Generated::ed25519("one more");
    let refused = app
        .post(KEYS, ada.t(), &add_body(&one_more.public(), None))
        .await
        .expect_error(409, "conflict");
    assert!(
        refused
            .message()
            .starts_with("your account has 20 SSH keys, the most it may have: remove one"),
        "{}",
        refused.text
    );
    // Another account is not affected; removing one makes room.
    let bob = app.user("bob@example.com", Role::Learner).await;
    app.post(KEYS, bob.t(), &add_body(&one_more.public(), None))
        .await
        .expect(201);
    app.delete(&format!("{KEYS}/{}", ids[0]), ada.t())
        .await
        .expect(204);
    let other = Generated::ed25519("other");
    app.post(KEYS, ada.t(), &add_body(&other.public(), None))
        .await
        .expect(201);
    assert_eq!(
        app.get(KEYS, ada.t())
            .await
            .expect(200)
            .body
            .as_array()
            .unwrap()
            .len(),
        20
    );
}

async fn only_the_owner_with_a_session_manages_keys(db: &TestDatabase) {
    let app = TestApp::spawn(db).await;
    let ada = app.user("ada@example.com", Role::Learner).await;
    let bob = app.user("bob@example.com", Role::Learner).await;
    let key = Generated::ed25519("ada");
    let added = app
        .post(KEYS, ada.t(), &add_body(&key.public(), None))
        .await
        .expect(201);
    let path = format!("{KEYS}/{}", added.body["id"].as_str().unwrap());

    // Without a credential: 401 everywhere.
    app.get(KEYS, None)
        .await
        .expect_error(401, "unauthenticated");
    app.post(KEYS, None, &add_body(&key.public(), None))
        .await
        .expect_error(401, "unauthenticated");
    app.delete(&path, None)
        .await
        .expect_error(401, "unauthenticated");

    // Bob neither sees nor removes Ada's key: to him it does not exist.
    assert_eq!(app.get(KEYS, bob.t()).await.expect(200).body, json!([]));
    app.delete(&path, bob.t())
        .await
        .expect_error(404, "not_found");

    // An API token with the `learn` scope lists and removes, but cannot add a way in.
    let token = app.api_token(&ada, "script", &["learn"]).await;
    assert_eq!(
        app.get(KEYS, Some(&token)).await.expect(200).body[0]["id"],
        added.body["id"]
    );
    let other = Generated::ed25519("from a token");
    let refused = app
        .post(KEYS, Some(&token), &add_body(&other.public(), None))
        .await
        .expect_error(403, "forbidden");
    assert!(
        refused.message().contains("login session"),
        "{}",
        refused.text
    );

    // A token without `learn` does none of it.
    let teacher = app.user("teacher@example.com", Role::Instructor).await;
    let publish_only = app.api_token(&teacher, "ci", &["publish"]).await;
    app.get(KEYS, Some(&publish_only))
        .await
        .expect_error(403, "forbidden");

    app.delete(&path, Some(&token)).await.expect(204);
    assert_eq!(app.get(KEYS, ada.t()).await.expect(200).body, json!([]));
}

async fn a_linked_key_is_found_by_its_fingerprint_and_its_use_shows(db: &TestDatabase) {
    let app = TestApp::builder(db).clock(ManualClock::new()).spawn().await;
    let ada = app.user("ada@example.com", Role::Learner).await;
    let key = Generated::ed25519("ada@laptop");
    app.post(KEYS, ada.t(), &add_body(&key.public(), None))
        .await
        .expect(201);
    let store = app.state.store();
    let linked = store
        .ssh_key_by_fingerprint(&key.fingerprint())
        .await
        .unwrap()
        .expect("found by the fingerprint ssh-keygen prints");
    assert_eq!(linked.user_id, ada.user.id);
    // The canonical line: the .pub file's type and key, without the comment.
    let public = key.public();
    let mut fields = public.split_whitespace();
    let canonical = format!("{} {}", fields.next().unwrap(), fields.next().unwrap());
    assert_eq!(linked.public_key, canonical);

    app.clock().advance(Duration::minutes(5));
    store.touch_ssh_key(linked.key.id, app.now()).await.unwrap();
    let listed = app.get(KEYS, ada.t()).await.expect(200).body;
    let last_used = time::OffsetDateTime::parse(
        listed[0]["last_used_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(last_used, app.now());

    // Once unlinked, the key signs in nobody.
    app.delete(&format!("{KEYS}/{}", linked.key.id), ada.t())
        .await
        .expect(204);
    assert!(
        store
            .ssh_key_by_fingerprint(&key.fingerprint())
            .await
            .unwrap()
            .is_none()
    );
}
