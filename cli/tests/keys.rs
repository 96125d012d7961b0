//! `cloudmaster keys` against a real server on port 0, with keys made by OpenSSH's
//! `ssh-keygen` in the test's home: adding a `.pub` file (and one from stdin), the
//! fingerprint printed as `ssh-keygen -lf` prints it, listing, removing, and private keys
//! refused before they are read.
//!
//! Every command runs in its own temporary home; see `util`.

// Needs the server feature (the test server runs in-process, see util); a client-only
// `cargo test --no-default-features` skips this file.
#![cfg(feature = "server")]

mod util;

use std::path::{Path, PathBuf};
use std::process::Command;

use cloudmaster_core::api::Role;
use util::{Home, TestServer};

const PASSWORD: &str = "correct horse battery";

/// A learner logged in on a fresh server.
fn logged_in() -> (TestServer, Home) {
    let server = TestServer::start();
    server.create_user("ada@example.com", PASSWORD, Role::Learner);
    let home = Home::new(&server.url);
    home.login("ada@example.com", PASSWORD, &[]);
    (server, home)
}

/// `ssh-keygen -t TYPE -C COMMENT` with `extra` arguments (such as `-b 1024`) into
/// `dir/NAME` (and `NAME.pub`); returns the private key's path.
fn keygen(dir: &Path, name: &str, kind: &str, comment: &str, extra: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", "", "-C", comment])
        .args(extra)
        .arg("-f")
        .arg(&path)
        .output()
        .expect("run ssh-keygen (OpenSSH's client tools must be installed)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

fn public_of(private: &Path) -> PathBuf {
    private.with_extension("pub")
}

/// The fingerprint `ssh-keygen -lf` prints for a key file.
fn fingerprint(public: &Path) -> String {
    let out = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(public)
        .output()
        .expect("run ssh-keygen -lf");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned()
}

#[test]
fn keys_are_added_listed_and_removed() {
    let (_server, home) = logged_in();
    let laptop = keygen(home.path(), "id_ed25519", "ed25519", "ada@laptop", &[]);
    let laptop_pub = public_of(&laptop);
    let out = home.ok(&[
        "keys",
        "add",
        laptop_pub.to_str().unwrap(),
        "--name",
        "Work laptop",
    ]);
    let laptop_fingerprint = fingerprint(&laptop_pub);
    assert!(
        out.contains(&format!("Fingerprint: {laptop_fingerprint}\n")),
        "{out}"
    );
    assert!(
        out.contains("Key:         Work laptop (ssh-ed25519)\n"),
        "{out}"
    );
    assert!(
        out.ends_with(
            "Linked. Connect to the server's SSH address with this key to use the TUI.\n"
        ),
        "{out}"
    );

    // From stdin, named by its comment; `-o json` is the key as the API returns it.
    let desktop = keygen(home.path(), "id_ecdsa", "ecdsa", "ada@desktop", &[]);
    let desktop_pub = public_of(&desktop);
    let output = home
        .cmd()
        .args(["keys", "add", "-", "-o", "json"])
        .write_stdin(std::fs::read(&desktop_pub).unwrap())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let added: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(added["name"], "ada@desktop");
    assert_eq!(added["algorithm"], "ecdsa-sha2-nistp256");
    assert_eq!(added["fingerprint"], fingerprint(&desktop_pub));

    let table = home.ok(&["keys", "list"]);
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table.contains("Work laptop") && table.contains(&laptop_fingerprint),
        "{table}"
    );
    assert!(table.contains("ada@desktop"), "{table}");
    let listed = home.json(&["keys", "list"]);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0]["name"], "Work laptop", "oldest first");
    assert_eq!(listed[1], added);

    // The same key again is a conflict.
    let (code, _, err) = home.run(&["keys", "add", laptop_pub.to_str().unwrap()]);
    assert_eq!(code, 6, "{err}");
    assert!(
        err.contains("this key is already linked to an account"),
        "{err}"
    );

    let id = added["id"].as_str().unwrap();
    let out = home.ok(&["keys", "remove", id]);
    assert_eq!(
        out,
        format!("Removed SSH key {id}; it no longer signs in.\n")
    );
    assert_eq!(home.json(&["keys", "list"]).as_array().unwrap().len(), 1);
    let (code, _, err) = home.run(&["keys", "remove", id]);
    assert_eq!(code, 5, "{err}");

    let laptop_id = listed[0]["id"].as_str().unwrap();
    home.ok(&["keys", "remove", laptop_id]);
    let empty = home.ok(&["keys", "list"]);
    assert!(empty.starts_with("No SSH keys."), "{empty}");
}

#[test]
fn private_keys_are_refused_naming_the_pub_file() {
    let (_server, home) = logged_in();
    let private = keygen(home.path(), "id_ed25519", "ed25519", "ada@laptop", &[]);
    let (code, out, err) = home.run(&["keys", "add", private.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("is a private key"), "{err}");
    assert!(
        err.contains(&format!(
            "hint: pass its public key instead: cloudmaster keys add {}",
            public_of(&private).display()
        )),
        "{err}"
    );

    // Without the .pub beside it: how to write one.
    std::fs::remove_file(public_of(&private)).unwrap();
    let (code, _, err) = home.run(&["keys", "add", private.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("ssh-keygen -y -f"), "{err}");

    // From stdin too.
    let output = home
        .cmd()
        .args(["keys", "add", "-"])
        .write_stdin(std::fs::read(&private).unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8(output.stderr).unwrap();
    assert!(err.contains("stdin is a private key"), "{err}");

    // What the server refuses, it says why.
    let small = keygen(home.path(), "id_rsa_small", "rsa", "old", &["-b", "1024"]);
    let (code, _, err) = home.run(&["keys", "add", public_of(&small).to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("this RSA key has 1024 bits"), "{err}");
    // A missing file is not found.
    let (code, _, err) = home.run(&["keys", "add", "nowhere.pub"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("no file `nowhere.pub`"), "{err}");

    // Nothing was linked; an RSA key of ssh-keygen's default size is fine.
    assert_eq!(home.json(&["keys", "list"]), serde_json::json!([]));
    let rsa = keygen(home.path(), "id_rsa", "rsa", "rsa@host", &[]);
    home.ok(&["keys", "add", public_of(&rsa).to_str().unwrap()]);
}
