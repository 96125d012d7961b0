//! Runs `tests/scripts/foundation.sh`: the foundation flow through the CLI only, against a
//! real server process on a temporary SQLite database.

use std::path::Path;
use std::process::Command;

#[test]
fn foundation_flow_through_the_cli_only() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("bash")
        .arg(root.join("scripts/foundation.sh"))
        .arg(assert_cmd::cargo::cargo_bin("cloudmaster"))
        .arg(assert_cmd::cargo::cargo_bin("cloudmaster-server"))
        .arg(root.join("../courses"))
        .output()
        .expect("run foundation.sh");
    assert!(
        output.status.success(),
        "foundation.sh failed\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
