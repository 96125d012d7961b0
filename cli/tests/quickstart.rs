//! End-to-end test of `cloudmaster quickstart`: the embedded server on SQLite, the bundled
//! catalog published and the demo learner logged in, in a temporary home.

// `quickstart` exists only with the server feature (so does util); a client-only
// `cargo test --no-default-features` skips this file.
#![cfg(feature = "server")]

mod util;

use util::Home;

/// A child process killed when dropped, so a failing test leaves nothing running.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `quickstart` on a free port and returns the child, its URL and its stderr so far.
fn start_quickstart(home: &Home) -> (Running, String, String) {
    use std::io::BufRead;
    let mut child = Running(
        home.std_cmd()
            .args(["quickstart", "--listen", "127.0.0.1:0", "--no-tui"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = child.0.stderr.take().unwrap();
    let mut lines = std::io::BufReader::new(stderr).lines();
    let mut seen = String::new();
    let mut url = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if let Some(rest) = line.strip_prefix("cloudmaster is running at ") {
            url = Some(rest.split_whitespace().next().unwrap().to_owned());
        }
        if line == "Press Ctrl-C to stop." {
            // Keep draining so the child never writes into a closed pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return (child, url.unwrap(), seen);
        }
    }
    drop(child);
    panic!("quickstart ended early:\n{seen}");
}

#[test]
fn quickstart_serves_the_bundled_catalog_and_logs_in_the_demo_learner() {
    let home = Home::offline();
    let (child, url, stderr) = start_quickstart(&home);
    let run = |args: &[&str]| {
        let mut all = vec!["--server", url.as_str()];
        all.extend(args);
        home.json(&all)
    };
    let courses = run(&["courses", "list"]);
    let ids: Vec<&str> = courses
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"cloud-foundations"), "{ids:?}");
    let me = run(&["whoami"]);
    assert_eq!(me["user"]["email"], "demo@cloudmaster.local");
    let saved = home
        .path()
        .join("data/cloudmaster/quickstart/demo-credentials");
    let password = std::fs::read_to_string(&saved).unwrap();
    let password = password
        .lines()
        .find_map(|l| l.strip_prefix("password = "))
        .unwrap()
        .to_owned();
    assert!(
        stderr.contains(&password),
        "the password is printed: {stderr}"
    );
    assert!(stderr.contains("(published)"), "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    drop(child);

    // Again: the same data, nothing re-published, the same demo password.
    let (child, url, stderr) = start_quickstart(&home);
    assert!(
        !stderr.contains("(published)"),
        "re-publishing is a no-op: {stderr}"
    );
    assert!(stderr.contains(&password), "{stderr}");
    let me = home.json(&["--server", url.as_str(), "whoami"]);
    assert_eq!(me["user"]["email"], "demo@cloudmaster.local");
    drop(child);
}
