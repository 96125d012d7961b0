//! End-to-end tests of the account commands against a real server on port 0: passwords
//! (change, forgot, reset), administering accounts (roles, suspension, reset codes, export
//! and erasure) and a learner's own export and deletion.
//!
//! Every command runs in its own temporary home; see `util`.

// Needs the server feature (the test server runs in-process, see util); a client-only
// `cargo test --no-default-features` skips this file.
#![cfg(feature = "server")]

mod util;

use cloudmaster_core::api::Role;
use util::{Home, TestServer};

const PASSWORD: &str = "correct horse battery";

#[test]
fn an_admin_lists_promotes_suspends_and_restores_accounts() {
    let server = TestServer::start();
    server.create_user("admin@example.com", PASSWORD, Role::Admin);
    let ada = server.create_user("ada@example.com", PASSWORD, Role::Learner);
    let admin = Home::new(&server.url);
    admin.login("admin@example.com", PASSWORD, &[]);
    let learner = Home::new(&server.url);
    learner.login("ada@example.com", PASSWORD, &[]);

    let listed = admin.ok(&["admin", "users", "list"]);
    assert!(listed.contains("ada@example.com"), "{listed}");
    assert!(listed.contains("SUSPENDED"), "{listed}");

    // By email (in any case) or by id.
    let out = admin.ok(&["admin", "users", "role", "ADA@example.com", "instructor"]);
    assert_eq!(out.trim(), "ada@example.com is now instructor.");
    let out = admin.ok(&["admin", "users", "suspend", &ada.id.to_string()]);
    assert!(out.starts_with("Suspended ada@example.com"), "{out}");

    let (code, _, err) = learner.run(&["whoami"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("suspended"), "{err}");
    let accounts = admin.json(&["admin", "users", "list"]);
    let ada_listed = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == "ada@example.com")
        .expect("listed");
    assert_eq!(ada_listed["suspended"], true);
    assert_eq!(ada_listed["role"], "instructor");

    let out = admin.ok(&["admin", "users", "unsuspend", "ada@example.com"]);
    assert_eq!(out.trim(), "Lifted the suspension of ada@example.com.");
    let me = learner.json(&["whoami"]);
    assert_eq!(me["user"]["role"], "instructor");

    // An unknown email says where the emails are; learners cannot administer.
    let (code, _, err) = admin.run(&["admin", "users", "suspend", "nobody@example.com"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("admin users list"), "{err}");
    let (code, _, err) = learner.run(&["admin", "users", "list"]);
    assert_eq!(code, 3, "{err}");
}

#[test]
fn a_forgotten_password_is_reset_with_a_code_and_a_password_changed() {
    let server = TestServer::start();
    server.create_user("admin@example.com", PASSWORD, Role::Admin);
    server.create_user("ada@example.com", PASSWORD, Role::Learner);
    let admin = Home::new(&server.url);
    admin.login("admin@example.com", PASSWORD, &[]);
    let ada = Home::new(&server.url);
    ada.login("ada@example.com", PASSWORD, &[]);

    // This server sends no mail: asking says who can help.
    let (code, _, err) = ada.run(&["password", "forgot", "ada@example.com"]);
    assert_ne!(code, 0);
    assert!(err.contains("ask an administrator"), "{err}");

    let code = admin.ok(&[
        "admin",
        "users",
        "reset-password",
        "ADA@example.com",
        "--quiet",
    ]);
    let code = code.trim();
    assert!(code.starts_with("cm_reset_"), "{code}");
    let shown = admin.ok(&["admin", "users", "reset-password", "ada@example.com"]);
    assert!(shown.contains("cloudmaster password reset"), "{shown}");

    // Secrets come from a prompt or from stdin with --stdin, never from a pipe unasked.
    let (status, _, err) = ada.run(&["password", "reset"]);
    assert_eq!(status, 2, "{err}");
    assert!(err.contains("--stdin"), "{err}");

    let new_password = "a brand new passphrase";
    let out = ada
        .cmd()
        .args(["password", "reset", "--stdin"])
        .write_stdin(format!("{code}\n{new_password}\n"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Password reset"), "{stdout}");
    // The reset ended the session this home had.
    let (status, _, err) = ada.run(&["whoami"]);
    assert_eq!(status, 3, "{err}");

    ada.login("ada@example.com", new_password, &[]);
    let newer = "an even newer passphrase";
    let out = ada
        .cmd()
        .args(["password", "change", "--stdin"])
        .write_stdin(format!("{new_password}\n{newer}\n"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Password changed."
    );
    ada.login("ada@example.com", newer, &[]);
}

#[test]
fn an_admin_exports_and_erases_an_account() {
    let server = TestServer::start();
    server.create_user("admin@example.com", PASSWORD, Role::Admin);
    server.create_user("ada@example.com", PASSWORD, Role::Learner);
    let admin = Home::new(&server.url);
    admin.login("admin@example.com", PASSWORD, &[]);

    let export = admin.json(&["admin", "users", "export", "ada@example.com"]);
    assert_eq!(export["account"]["email"], "ada@example.com");
    let file = admin.path().join("ada.json");
    let file_arg = file.to_str().unwrap();
    admin.ok(&[
        "admin",
        "users",
        "export",
        "ada@example.com",
        "--out",
        file_arg,
    ]);
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(written["account"]["email"], "ada@example.com");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "an export holds personal data");
    }

    // Erasing asks first; without a terminal, --yes answers.
    let (code, _, err) = admin.run(&["admin", "users", "delete", "ada@example.com"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--yes"), "{err}");
    let out = admin.ok(&["admin", "users", "delete", "ada@example.com", "--yes"]);
    assert!(out.starts_with("Erased ada@example.com"), "{out}");
    let (code, _, err) = admin.run(&["admin", "users", "export", "ada@example.com"]);
    assert_eq!(code, 5, "the email names no account any more: {err}");
}

#[test]
fn a_learner_downloads_their_data_and_deletes_their_account() {
    let server = TestServer::start();
    let home = Home::new(&server.url);
    home.register("ada@example.com", PASSWORD);
    let export = home.json(&["account", "export"]);
    assert_eq!(export["account"]["email"], "ada@example.com");

    // A wrong password deletes nothing; the right one and --yes do.
    let output = home
        .cmd()
        .args(["account", "delete", "--password-stdin", "--yes"])
        .write_stdin("not my password at all\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    home.json(&["whoami"]);
    let output = home
        .cmd()
        .args(["account", "delete", "--password-stdin", "--yes"])
        .write_stdin(format!("{PASSWORD}\n"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("Your account was deleted"), "{stdout}");
    // The stored session went with it.
    let (code, _, err) = home.run(&["whoami"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("not logged in"), "{err}");
}
