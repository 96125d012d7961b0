//! Secrets at rest: an owner-only data directory, database and key directory; signing keys
//! moved out of the database; rotation that keeps what old keys signed valid for as long
//! as it should be.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use cloudmaster_core::api::{IssuerKeys, Role};
use cloudmaster_core::cert::{self, CertificateClaims, CertificateSigner, PublicKey};
use cloudmaster_server::error::error_chain;
use cloudmaster_server::keys::{self, KeyDir, KeyKind};
use cloudmaster_server::{AppState, ServerConfig};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::api_support::{TestApp, TestDatabase, config};

backend_tests!(
    database_keys_move_to_the_key_directory,
    rotation_keeps_tokens_until_their_key_is_deleted,
    readable_key_files_are_refused,
    a_database_key_found_next_to_existing_keys_is_kept_retired,
    a_read_only_key_directory_with_every_key_is_used,
);

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn token_kid(token: &str) -> String {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap();
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    let header: serde_json::Value = serde_json::from_slice(&json).unwrap();
    header["kid"].as_str().expect("kid in header").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_directory_database_and_keys_are_owner_only() {
    let root = tempfile::tempdir().unwrap();
    let data_dir = root.path().join("server");
    std::fs::create_dir(&data_dir).unwrap();
    set_mode(&data_dir, 0o755);
    let config = ServerConfig {
        data_dir: data_dir.clone(),
        database_url: None,
        ..ServerConfig::default()
    };
    let state = AppState::open(&config).await.expect("open");
    assert_eq!(
        mode(&data_dir),
        0o700,
        "an open data directory is tightened"
    );
    let db = data_dir.join("cloudmaster.db");
    assert_eq!(mode(&db), 0o600);
    for companion in ["cloudmaster.db-wal", "cloudmaster.db-shm"] {
        let path = data_dir.join(companion);
        assert!(path.exists(), "{companion} exists in WAL mode");
        assert_eq!(mode(&path), 0o600, "{companion}");
    }
    let key_dir = data_dir.join("keys");
    assert_eq!(mode(&key_dir), 0o700);
    let files: Vec<_> = std::fs::read_dir(&key_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(files.iter().any(|p| p.ends_with("keys.json")), "{files:?}");
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    drop(state);

    // A database file others could read is tightened at the next start.
    set_mode(&db, 0o644);
    let _again = AppState::open(&config).await.expect("reopen");
    assert_eq!(mode(&db), 0o600);
}

async fn readable_key_files_are_refused(db: &TestDatabase) {
    let _first = TestApp::spawn(db).await;
    let key_dir = config(db).key_dir();
    let manifest = key_dir.join("keys.json");
    set_mode(&manifest, 0o644);
    let Err(err) = AppState::open(&config(db)).await else {
        panic!("a key manifest others may read is refused");
    };
    let message = error_chain(&err);
    assert!(
        message.contains(&manifest.display().to_string())
            && message.contains("644")
            && message.contains("chmod 600"),
        "{message}"
    );
}

async fn database_keys_move_to_the_key_directory(db: &TestDatabase) {
    // A database as servers before the key directory left it.
    let store = cloudmaster_server::store::open(&db.url, 2).await.unwrap();
    let jwt_secret = [7u8; 64];
    let cert_secret = [9u8; 32];
    db.put_legacy_secret("jwt", &jwt_secret).await;
    db.put_legacy_secret("certificate_signing_key", &cert_secret)
        .await;
    let old_signer = CertificateSigner::from_secret(&cert_secret).unwrap();
    let old_certificate = old_signer
        .sign(CertificateClaims {
            id: Uuid::now_v7(),
            course_id: "old-course".into(),
            course_title: "Old course".into(),
            course_version: 1,
            learner_id: Uuid::now_v7(),
            learner_name: "Ada".into(),
            issued_at: OffsetDateTime::now_utc().replace_nanosecond(0).unwrap(),
            issuer: "cloudmaster".into(),
            key_id: String::new(),
            labs: Vec::new(),
        })
        .unwrap();

    let app = TestApp::spawn(db).await;
    assert_eq!(store.secret("jwt").await.unwrap(), None, "deleted");
    assert_eq!(store.secret("certificate_signing_key").await.unwrap(), None);
    let listed = keys::list(&KeyDir::new(config(db).key_dir())).unwrap();
    let current = |kind| {
        listed
            .iter()
            .find(|k| k.kind == kind && k.retired_at.is_none())
            .unwrap()
            .kid
            .clone()
    };
    assert_eq!(current(KeyKind::Certificate), old_signer.key_id());

    // Tokens are now signed with the imported key, under its new id.
    let learner = app.user("ada@example.com", Role::Learner).await;
    let kid = token_kid(&learner.token);
    assert_eq!(kid, current(KeyKind::Jwt));
    let forged = forge_token(&learner.token, &kid, &jwt_secret);
    app.get("/api/v1/me", Some(&forged)).await.expect(200);

    // Certificates signed before the move verify with the published keys.
    let published = issuer_keys(&app).await;
    assert!(cert::verify_with_keys(old_certificate.as_bytes(), &published).is_ok());

    // A second start finds nothing left to move and keeps the keys.
    let again = TestApp::spawn(db).await;
    again.get("/api/v1/me", learner.t()).await.expect(200);
    assert_eq!(
        keys::list(&KeyDir::new(config(db).key_dir())).unwrap(),
        listed
    );
}

/// `token` re-signed with `secret` under `kid`: proves which key the server verified with.
fn forge_token(token: &str, kid: &str, secret: &[u8]) -> String {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let claims: serde_json::Value = jsonwebtoken::dangerous::insecure_decode_claims(token).unwrap();
    let header = Header {
        kid: Some(kid.to_owned()),
        ..Header::new(Algorithm::HS256)
    };
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret)).unwrap()
}

async fn issuer_keys(app: &TestApp) -> Vec<PublicKey> {
    let reply = app
        .get("/.well-known/cloudmaster/issuer.json", None)
        .await
        .expect(200);
    let keys: IssuerKeys = serde_json::from_value(reply.body).unwrap();
    keys.keys
        .iter()
        .map(|k| PublicKey::from_base64url(&k.public_key).unwrap())
        .collect()
}

async fn rotation_keeps_tokens_until_their_key_is_deleted(db: &TestDatabase) {
    let a = TestApp::spawn(db).await;
    let dir = KeyDir::new(config(db).key_dir());
    let before = a.user("ada@example.com", Role::Learner).await;
    let old_kid = token_kid(&before.token);

    let now = OffsetDateTime::now_utc();
    let made = keys::rotate(&dir, &[KeyKind::Jwt], now).unwrap();
    assert_eq!(made.len(), 1);
    let new_kid = made[0].kid.clone();
    assert_ne!(new_kid, old_kid);

    // A replica started after the rotation signs with the new key and still accepts
    // tokens of the old one.
    let b = TestApp::spawn(db).await;
    b.get("/api/v1/me", before.t()).await.expect(200);
    let after = b.login("ada@example.com").await;
    assert_eq!(token_kid(&after.token), new_kid);
    // A replica started before it reloads when a token names a key it does not hold yet,
    // and from then on signs with the new key too.
    a.get("/api/v1/me", after.t()).await.expect(200);
    assert_eq!(token_kid(&a.login("ada@example.com").await.token), new_kid);
    a.get("/api/v1/me", before.t()).await.expect(200);

    // Once the old key's tokens have all expired, the next rotation deletes it; tokens it
    // signed are refused from then on.
    let later = now + keys::JWT_RETENTION + time::Duration::seconds(1);
    keys::rotate(&dir, &[KeyKind::Jwt], later).unwrap();
    let listed = keys::list(&dir).unwrap();
    assert!(listed.iter().all(|k| k.kid != old_kid), "{listed:?}");
    assert!(listed.iter().any(|k| k.kid == new_kid), "{listed:?}");
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains(&old_kid)),
        "the key file is gone"
    );
    a.state.keys().reload().unwrap();
    a.get("/api/v1/me", before.t())
        .await
        .expect_error(401, "unauthenticated");
    let c = TestApp::spawn(db).await;
    c.get("/api/v1/me", before.t())
        .await
        .expect_error(401, "unauthenticated");
    c.get("/api/v1/me", after.t()).await.expect(200);
}

async fn a_database_key_found_next_to_existing_keys_is_kept_retired(db: &TestDatabase) {
    let first = TestApp::spawn(db).await;
    let current = issuer_keys(&first).await;
    assert_eq!(current.len(), 1);
    // A key left in the database (say, by an old replica) next to a key directory that
    // already has keys: it must not replace them, but what it signed stays verifiable.
    let cert_secret = [3u8; 32];
    db.put_legacy_secret("certificate_signing_key", &cert_secret)
        .await;
    db.put_legacy_secret("jwt", &[4u8; 64]).await;
    let second = TestApp::spawn(db).await;
    let published = issuer_keys(&second).await;
    let old = CertificateSigner::from_secret(&cert_secret)
        .unwrap()
        .key_id();
    assert_eq!(
        published.iter().map(PublicKey::key_id).collect::<Vec<_>>(),
        [current[0].key_id(), old],
        "the current key stays current"
    );
    let listed = keys::list(&KeyDir::new(config(db).key_dir())).unwrap();
    let jwt: Vec<_> = listed.iter().filter(|k| k.kind == KeyKind::Jwt).collect();
    assert_eq!(jwt.len(), 2);
    assert_eq!(jwt.iter().filter(|k| k.retired_at.is_none()).count(), 1);
    let store = cloudmaster_server::store::open(&db.url, 2).await.unwrap();
    assert_eq!(store.secret("jwt").await.unwrap(), None);
}

#[test]
fn keys_rotate_and_list_commands() {
    let dir = tempfile::tempdir().unwrap();
    let key_dir = dir.path().join("keys");
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cloudmaster-server"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("CLOUDMASTER_") {
                cmd.env_remove(name);
            }
        }
        let out = cmd
            .args(args)
            .arg("--key-dir")
            .arg(&key_dir)
            .arg("--data-dir")
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let made = run(&["keys", "rotate"]);
    assert_eq!(made.lines().count(), 2, "{made}");
    assert!(made.contains("new current jwt key") && made.contains("new current certificate key"));
    let made = run(&["keys", "rotate", "--jwt"]);
    assert_eq!(made.lines().count(), 1, "{made}");

    let listed = run(&["keys", "list"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 3, "{listed}");
    assert_eq!(
        lines.iter().filter(|l| l.ends_with("current")).count(),
        2,
        "{listed}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("jwt") && l.contains("deleted after")),
        "{listed}"
    );
    // No secret is ever printed.
    for entry in std::fs::read_dir(&key_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "key") {
            let secret = std::fs::read_to_string(&path).unwrap();
            assert!(!listed.contains(secret.trim()), "{listed}");
        }
    }
}

async fn a_read_only_key_directory_with_every_key_is_used(db: &TestDatabase) {
    let first = TestApp::spawn(db).await;
    let session = first.user("ada@example.com", Role::Learner).await;
    let key_dir = config(db).key_dir();
    set_mode(&key_dir, 0o500);
    if std::fs::write(key_dir.join("probe"), b"").is_ok() {
        // Running as root: permissions do not stop writes, so there is nothing to test.
        println!("skipped: the key directory stays writable for this user");
        set_mode(&key_dir, 0o700);
        return;
    }
    let replica = TestApp::spawn(db).await;
    replica.get("/api/v1/me", session.t()).await.expect(200);

    db.put_legacy_secret("jwt", &[1u8; 64]).await;
    let Err(err) = AppState::open(&config(db)).await else {
        panic!("a key left in the database cannot be moved to a read-only directory");
    };
    let message = error_chain(&err);
    assert!(message.contains("read-only"), "{message}");
    set_mode(&key_dir, 0o700);
}
