//! End-to-end tests of `cloudmaster lab check --watch`: a learner's watch reacts to the
//! workspace changing, through file notifications and by polling, against a real server on
//! port 0.
//!
//! Every command runs in its own temporary home; see `util`.

// Needs the server feature (the test server runs in-process, see util); a client-only
// `cargo test --no-default-features` skips this file.
#![cfg(feature = "server")]

mod util;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use util::Home;
use util::labs::{copy_solution, learner};

/// How long a watch test waits for what it expects before it fails: only a watch that
/// never reacts takes that long.
const PATIENCE: Duration = Duration::from_secs(60);

/// A child process killed when dropped, with its stdout lines arriving on a channel.
struct Watching {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: String,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Watching {
    fn spawn(home: &Home, dir: &Path, extra: &[&str]) -> Watching {
        let mut cmd = home.std_cmd();
        cmd.current_dir(dir)
            .args(["lab", "check", "--watch"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            text
        });
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watching {
            child,
            lines,
            seen: String::new(),
            stderr: Some(stderr),
        }
    }

    /// Waits until a line containing `needle` arrives. The limit only ends a test that
    /// hangs: it is generous, and waiting ends as soon as the line is there.
    fn wait_for(&mut self, needle: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push_str(&line);
                    self.seen.push('\n');
                    if line.contains(needle) {
                        return;
                    }
                }
                Err(_) => panic!(
                    "no line with `{needle}` within {PATIENCE:?}; output so far:\n{}",
                    self.seen
                ),
            }
        }
    }

    /// Waits for the process to end by itself (at most a generous limit).
    fn wait_exit(&mut self) -> i32 {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("still watching after {PATIENCE:?}; output:\n{}", self.seen);
    }

    /// Everything the process wrote to stderr (once it has ended).
    fn stderr(&mut self) -> String {
        self.stderr.take().unwrap().join().unwrap()
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn watch_reacts_to_the_solution(extra: &[&str]) {
    let (_server, home) = learner();
    home.ok(&["lab", "start", "cloud-foundations/cidr-plan"]);
    let workspace = home.path().join("cloud-foundations-cidr-plan");
    let extra = [extra, &["--yes"]].concat();
    let mut watching = Watching::spawn(&home, &workspace, &extra);
    watching.wait_for("✗ vpc-cidr");
    watching.wait_for("Watching");

    // The last step's solution: every step passes and the watch ends by itself.
    copy_solution(
        "cloud-foundations",
        "cidr-plan",
        "private-subnets",
        &workspace,
    );
    watching.wait_for("✓ vpc-cidr");
    watching.wait_for("All steps pass locally");
    assert_eq!(watching.wait_exit(), 0, "{}", watching.seen);
    let stderr = watching.stderr();
    if extra.is_empty() {
        // Notifications work on a local file system: no fallback to polling.
        assert!(!stderr.contains("notifications do not work"), "{stderr}");
    }
    let status = home.json(&["lab", "status", "--dir", workspace.to_str().unwrap()]);
    assert_eq!(status["current_step"], serde_json::Value::Null, "{status}");
}

#[test]
fn watch_reacts_to_a_change_with_notifications() {
    watch_reacts_to_the_solution(&[]);
}

#[test]
fn watch_reacts_to_a_change_by_polling() {
    watch_reacts_to_the_solution(&["--poll"]);
}
