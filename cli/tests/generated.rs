//! `completions/` and `man/` are generated from the clap definitions and committed; this
//! test regenerates them into a temporary folder and fails when the committed copies differ.

// The committed files describe the full build; a client-only build skips this test.
#![cfg(feature = "server")]

use std::collections::BTreeMap;
use std::path::Path;

const REGENERATE: &str = "cargo run -p cloudmaster -- generate-docs --out .";

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_file() {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                found.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    found
}

#[test]
fn completions_and_man_pages_are_up_to_date() {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cloudmaster"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CLOUDMASTER_") {
            cmd.env_remove(name);
        }
    }
    let status = cmd
        .args(["generate-docs", "--out"])
        .arg(out.path())
        .env("HOME", out.path())
        .env("XDG_DATA_HOME", out.path().join("data"))
        .status()
        .unwrap();
    assert!(status.success());

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut problems = Vec::new();
    for dir in ["completions", "man"] {
        let fresh = files(&out.path().join(dir));
        let committed = files(&root.join(dir));
        assert!(!fresh.is_empty(), "nothing generated in {dir}/");
        for (name, content) in &fresh {
            match committed.get(name) {
                None => problems.push(format!("{dir}/{name} is missing")),
                Some(old) if old != content => {
                    problems.push(format!("{dir}/{name} is out of date"));
                }
                Some(_) => {}
            }
        }
        for name in committed.keys().filter(|n| !fresh.contains_key(*n)) {
            problems.push(format!("{dir}/{name} is no longer generated"));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\nregenerate with `{REGENERATE}` (from the repository root)",
        problems.join("\n")
    );
}
