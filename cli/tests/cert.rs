//! `cloudmaster cert`: a learner completes a course, exports the signed certificate,
//! verifies it offline with the issuer key file and online (trusting the server's key on
//! first use), sees any altered byte rejected, and sees a revoked certificate fail.

// Needs the server feature (the test server runs in-process, see util); a client-only
// `cargo test --no-default-features` skips this file.
#![cfg(feature = "server")]

mod util;

use cloudmaster_core::api::Role;
use cloudmaster_core::cert::ob3;
use cloudmaster_core::course::{Completion, Requirement, load_course, scaffold_course};
use cloudmaster_server::certificates::{award_if_complete, issuer_keys};
use util::{Home, TestServer};

const PASSWORD: &str = "correct horse battery";

/// Publishes a scaffolded course `id` whose only completion rule is reading every lesson.
fn publish_course(server: &TestServer, id: &str) {
    let teacher = server.create_user("teacher@example.com", PASSWORD, Role::Instructor);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(id);
    scaffold_course(&path, id).unwrap();
    let (mut course, _) = load_course(&path).unwrap();
    course.completion = Completion {
        lessons: Requirement::All,
        quizzes: Requirement::None,
        labs: 0,
        mock_exam: false,
    };
    server
        .block_on(server.state.publish(&teacher, course, false))
        .unwrap();
}

/// A learner in `home` completes every lesson of `course` and is awarded its certificate.
fn earn_certificate(server: &TestServer, home: &Home, course: &str) -> String {
    home.register("learner@example.com", PASSWORD);
    home.ok(&["enroll", course]);
    home.ok(&["lesson", "done", &format!("{course}/welcome")]);
    home.ok(&["lesson", "done", &format!("{course}/first-steps")]);
    let learner = server
        .block_on(server.state.user_by_email("learner@example.com"))
        .unwrap()
        .unwrap();
    server
        .block_on(award_if_complete(&server.state, learner.id, course))
        .unwrap()
        .expect("the course is complete")
        .to_string()
}

/// The server's `/.well-known/cloudmaster/issuer.json`, saved as `issuer.json` in `home`.
fn save_issuer_file(server: &TestServer, home: &Home) -> String {
    let keys = server.block_on(issuer_keys(&server.state)).unwrap();
    let path = home.path().join("issuer.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&keys).unwrap()).unwrap();
    path.display().to_string()
}

#[test]
fn export_verify_offline_and_online_detects_alteration_and_revocation() {
    let server = TestServer::start();
    publish_course(&server, "cert-course");
    let home = Home::new(&server.url);
    let id = earn_certificate(&server, &home, "cert-course");

    let listed = home.json(&["cert", "list"]);
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["course_id"], "cert-course");
    let table = home.ok(&["cert", "list"]);
    assert!(table.contains(&id) && table.contains("valid"), "{table}");

    // Export writes the signed file byte for byte, to a file or to stdout.
    let out = home.ok(&["cert", "export", &id, "--out", "cert.json"]);
    assert!(
        out.contains(&format!("Saved certificate {id} to cert.json.")),
        "{out}"
    );
    let file = std::fs::read(home.path().join("cert.json")).unwrap();
    let stdout = home.ok(&["cert", "export", &id]);
    assert_eq!(stdout.as_bytes(), file.as_slice());
    assert!(file.ends_with(b"}\n"));

    // Offline, with the issuer key file: valid.
    let key = save_issuer_file(&server, &home);
    let out = home.ok(&["cert", "verify", "cert.json", "--key", &key, "--offline"]);
    assert!(out.starts_with("VALID  cert.json"), "{out}");
    assert!(out.contains("not checked (--offline)"), "{out}");
    let verdict = home.json(&["cert", "verify", "cert.json", "--key", &key, "--offline"]);
    assert_eq!(verdict["valid"], true);
    assert_eq!(verdict["certificate"]["id"], id.as_str());
    assert_eq!(verdict["revocation_checked"], false);

    // One changed byte (a letter of the learner's name) fails, and the output says why.
    let mut altered = file.clone();
    let at = find(&altered, b"\"learner_name\":\"Learner\"") + 17;
    assert_eq!(altered[at], b'e');
    altered[at] ^= 0x01;
    std::fs::write(home.path().join("altered.json"), &altered).unwrap();
    let (code, out, err) =
        home.run(&["cert", "verify", "altered.json", "--key", &key, "--offline"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.starts_with("INVALID  altered.json"), "{out}");
    assert!(out.contains("the signature does not match"), "{out}");
    assert!(
        err.contains("altered.json is not a valid certificate"),
        "{err}"
    );
    // Whitespace added anywhere: not the canonical form the issuer wrote.
    let mut spaced = file.clone();
    spaced.insert(1, b' ');
    std::fs::write(home.path().join("spaced.json"), &spaced).unwrap();
    let (code, out, _) = home.run(&["cert", "verify", "spaced.json", "--key", &key, "--offline"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the file was altered: it is not in the canonical form"),
        "{out}"
    );

    // Offline without a key file and nothing saved yet: refused with a hint.
    let (code, _, err) = home.run(&["cert", "verify", "cert.json", "--offline"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--key"), "{err}");

    // Online without --key: the server's key is fetched, saved and used (trust on first use).
    let (code, out, err) = home.run(&["cert", "verify", "cert.json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("VALID"), "{out}");
    assert!(out.contains("not revoked"), "{out}");
    assert!(err.contains("trusting the issuer key"), "{err}");
    let known = home.path().join("config/cloudmaster/known_issuers.json");
    assert!(known.exists());
    // Now offline works with the saved key.
    home.ok(&["cert", "verify", "cert.json", "--offline"]);

    // The Open Badges export carries a proof by the issuer's did:key.
    home.ok(&[
        "cert",
        "export",
        &id,
        "--format",
        "ob3",
        "--out",
        "badge.json",
    ]);
    let badge: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.path().join("badge.json")).unwrap()).unwrap();
    let signer = ob3::verify_proof(&badge).expect("the badge proof verifies");
    let published = server.block_on(issuer_keys(&server.state)).unwrap();
    assert_eq!(signer.key_id(), published.keys[0].key_id);

    // An admin revokes it: online verification fails, offline still checks the signature.
    server.create_user("admin@example.com", PASSWORD, Role::Admin);
    let admin = Home::new(&server.url);
    admin.login("admin@example.com", PASSWORD, &[]);
    let (code, _, err) = home.run(&["cert", "revoke", &id, "--reason", "mine"]);
    assert_eq!(code, 3, "a learner may not revoke: {err}");
    let out = admin.ok(&["cert", "revoke", &id, "--reason", "plagiarised lab work"]);
    assert!(out.contains(&format!("Revoked certificate {id}")), "{out}");

    let (code, out, err) = home.run(&["cert", "verify", "cert.json"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.starts_with("REVOKED  cert.json"), "{out}");
    assert!(out.contains("plagiarised lab work"), "{out}");
    let (code, out, _) = home.run(&["cert", "verify", "cert.json", "-o", "json"]);
    assert_eq!(code, 1);
    let verdict: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(verdict["verdict"], "revoked");
    assert_eq!(verdict["valid"], false);
    home.ok(&["cert", "verify", "cert.json", "--offline"]);

    let shown = home.ok(&["cert", "show", &id]);
    assert!(
        shown.contains("revoked on") && shown.contains("plagiarised lab work"),
        "{shown}"
    );
    let shown = home.json(&["cert", "show", &id]);
    assert_eq!(shown["status"]["valid"], false);
    assert_eq!(shown["certificate"]["course_id"], "cert-course");
}

#[test]
fn a_certificate_signed_by_another_issuer_is_refused() {
    // Two servers, two keys: a certificate of one does not verify with the other's key.
    let first = TestServer::start();
    publish_course(&first, "cert-course");
    let home = Home::new(&first.url);
    let id = earn_certificate(&first, &home, "cert-course");
    home.ok(&["cert", "export", &id, "--out", "cert.json"]);

    let second = TestServer::start();
    let other = Home::new(&second.url);
    let key = save_issuer_file(&second, &other);
    let (code, out, _) = home.run(&["cert", "verify", "cert.json", "--key", &key, "--offline"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not with the issuer key given"), "{out}");
    let (code, _, err) = home.run(&["cert", "show", "00000000-0000-0000-0000-000000000000"]);
    assert_eq!(code, 5, "{err}");
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("present")
}

#[test]
fn saved_issuer_keys_follow_a_key_rotation_but_not_a_replacement() {
    let server = TestServer::start();
    publish_course(&server, "cert-before");
    let home = Home::new(&server.url);
    let old = earn_certificate(&server, &home, "cert-before");
    home.ok(&["cert", "export", &old, "--out", "old.json"]);
    home.ok(&["cert", "verify", "old.json"]); // saves the key (trust on first use)

    // The server rotates its certificate key; a certificate signed with the new key.
    let dir = cloudmaster_server::keys::KeyDir::new(server.state.config().key_dir());
    cloudmaster_server::keys::rotate(
        &dir,
        &[cloudmaster_server::keys::KeyKind::Certificate],
        time::OffsetDateTime::now_utc(),
    )
    .unwrap();
    server.state.keys().reload().unwrap();
    let teacher = server
        .block_on(server.state.user_by_email("teacher@example.com"))
        .unwrap()
        .unwrap();
    let scaffold = tempfile::tempdir().unwrap();
    let path = scaffold.path().join("cert-after");
    scaffold_course(&path, "cert-after").unwrap();
    let (mut course, _) = load_course(&path).unwrap();
    course.completion.quizzes = Requirement::None;
    course.completion.labs = 0;
    course.completion.mock_exam = false;
    server
        .block_on(server.state.publish(&teacher, course, false))
        .unwrap();
    home.ok(&["enroll", "cert-after"]);
    home.ok(&["lesson", "done", "cert-after/welcome"]);
    home.ok(&["lesson", "done", "cert-after/first-steps"]);
    let learner = server
        .block_on(server.state.user_by_email("learner@example.com"))
        .unwrap()
        .unwrap();
    let new = server
        .block_on(award_if_complete(&server.state, learner.id, "cert-after"))
        .unwrap()
        .unwrap()
        .to_string();
    home.ok(&["cert", "export", &new, "--out", "new.json"]);

    // Offline, only the saved key: the new certificate cannot be checked yet.
    let (code, out, _) = home.run(&["cert", "verify", "new.json", "--offline"]);
    assert_eq!(code, 1, "{out}");
    // Online, the server publishes the new key next to the saved one: trusted and saved.
    let (code, out, err) = home.run(&["cert", "verify", "new.json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("a key rotation"), "{err}");
    home.ok(&["cert", "verify", "new.json", "--offline"]);
    home.ok(&["cert", "verify", "old.json", "--offline"]);

    // A saved key the server does not publish (it replaced its keys): the saved keys
    // decide, and nothing new is saved.
    let known = home.path().join("config/cloudmaster/known_issuers.json");
    let mut saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&known).unwrap()).unwrap();
    let other = cloudmaster_core::cert::CertificateSigner::from_secret(&[5u8; 32])
        .unwrap()
        .public_key();
    for entry in saved["servers"].as_object_mut().unwrap().values_mut() {
        entry["keys"] = serde_json::json!([{
            "key_id": other.key_id(),
            "algorithm": "Ed25519",
            "public_key": other.to_base64url(),
        }]);
    }
    std::fs::write(&known, serde_json::to_vec(&saved).unwrap()).unwrap();
    let before = std::fs::read(&known).unwrap();
    let (code, out, err) = home.run(&["cert", "verify", "new.json"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!err.contains("a key rotation"), "{err}");
    assert_eq!(std::fs::read(&known).unwrap(), before);
}
