//! The first minutes of a new user, as the README tells them: quickstart from a clone, its
//! "try in another terminal" lines pasted into a fresh shell, quickstart run again while it
//! serves, the CLI installed on `PATH`, then every command of the README's "Learning in the
//! terminal" block, in order, read from the README itself so the two cannot drift apart.
//!
//! Everything runs with a cleared environment (a fresh shell: only `PATH`, `HOME` and the
//! XDG folders of this test). Being a script, the walk answers confirmations with
//! `CLOUDMASTER_YES` and questions from an answers file (`--answers`), as the README says
//! scripts do, written for the questions each attempt or review shows, in its letters;
//! `cloudmaster tui` has no terminal here, so it must fail clearly instead.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cloudmaster_core::course::{Course, load_course};
use serde_json::Value;

const COURSE: &str = "cloud-foundations";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn binary() -> PathBuf {
    std::fs::canonicalize(assert_cmd::cargo::cargo_bin("cloudmaster")).unwrap()
}

/// A user's machine: a home, XDG folders, and a `bin` folder to install into.
struct Machine {
    work: tempfile::TempDir,
}

impl Machine {
    fn new() -> Machine {
        let machine = Machine {
            work: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(machine.bin()).unwrap();
        machine
    }

    fn path(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    fn bin(&self) -> PathBuf {
        self.path("bin")
    }

    /// What `cargo install --path cli` does, for this test: the built binary in a folder
    /// on `PATH`.
    fn install(&self) {
        std::os::unix::fs::symlink(binary(), self.bin().join("cloudmaster")).unwrap();
    }

    /// A fresh shell's command: nothing of this process's environment.
    fn shell(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        let path = format!("{}:/usr/local/bin:/usr/bin:/bin", self.bin().display());
        cmd.env_clear()
            .env("PATH", path)
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_STATE_HOME", self.path("state"))
            .env("CLOUDMASTER_CREDENTIALS", "file")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        cmd
    }

    fn quickstart(&self) -> Command {
        let mut cmd = self.shell(binary());
        cmd.args(["quickstart", "--listen", "127.0.0.1:0", "--no-tui"])
            .arg("--data-dir")
            .arg(self.path("quickstart"))
            .current_dir(repo());
        cmd
    }
}

/// The quickstart serving in the background; stopped (SIGTERM, as Ctrl-C) when dropped.
struct Quickstart {
    child: Child,
    /// Its stderr, line by line.
    lines: mpsc::Receiver<String>,
}

impl Quickstart {
    fn start(machine: &Machine) -> (Quickstart, String) {
        let mut child = machine
            .quickstart()
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start quickstart");
        let (tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut quickstart = Quickstart { child, lines };
        let welcome = quickstart.read_until("Press Ctrl-C to stop.");
        (quickstart, welcome)
    }

    /// Its stderr up to the line containing `end`.
    fn read_until(&mut self, end: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut text = String::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    text.push_str(&line);
                    text.push('\n');
                    if line.contains(end) {
                        return text;
                    }
                }
                Err(_) => panic!("quickstart did not print `{end}`; so far:\n{text}"),
            }
        }
    }

    fn stop(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().unwrap()
    }
}

impl Drop for Quickstart {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn show(out: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The lines quickstart suggests under "Try, in another terminal:".
fn suggestions(welcome: &str) -> Vec<String> {
    welcome
        .lines()
        .skip_while(|l| !l.starts_with("Try, in another terminal:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.trim().to_owned())
        .collect()
}

/// The commands of the README's "Learning in the terminal" block, comments removed.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = readme
        .split_once("## Learning in the terminal")
        .expect("the README has the section")
        .1;
    let block = section
        .split_once("```sh\n")
        .expect("the section has a sh block")
        .1
        .split_once("```")
        .unwrap()
        .0;
    block
        .lines()
        .map(|line| line.split_once(" #").map_or(line, |(command, _)| command))
        .map(|line| line.trim().to_owned())
        .filter(|line| !line.is_empty())
        .collect()
}

/// The right answers to what `command` (`quiz start …`, `exam start …` or `review`) is about
/// to ask, in the letters it shows, written to a file whose path is returned. An attempt is
/// first opened with a file that answers nothing and read back with `attempts show`; review
/// items are listed with `review --list`.
fn answers_for(machine: &Machine, url: &str, course: &Course, command: &[&str]) -> PathBuf {
    let run = |args: &[&str]| {
        let mut cmd = machine.shell("cloudmaster");
        cmd.args(args)
            .env("CLOUDMASTER_SERVER", url)
            .env("CLOUDMASTER_YES", "true");
        cmd.output().unwrap()
    };
    let json = |args: &[&str]| -> Value {
        let out = run(args);
        assert!(out.status.success(), "{args:?}\n{}", show(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let questions: Vec<Value> = if command[0] == "review" {
        let queue = json(&["review", "--list", "--limit", "100", "-o", "json"]);
        let items = queue["items"].as_array().unwrap();
        items.iter().map(|item| item["question"].clone()).collect()
    } else {
        let none = machine.path("none.json");
        std::fs::write(&none, common::NO_ANSWERS).unwrap();
        let mut args = command.to_vec();
        args.extend(["--answers", none.to_str().unwrap()]);
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{command:?}\n{}", show(&out));
        let attempt = common::attempt_in_hint(&String::from_utf8_lossy(&out.stderr));
        let view = json(&["attempts", "show", &attempt, "-o", "json"]);
        view["questions"].as_array().unwrap().clone()
    };
    let answers = machine.path("answers.json");
    std::fs::write(&answers, common::answers_file(course, &questions)).unwrap();
    answers
}

fn assert_needs_a_terminal(out: &Output, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}\n{}", show(out));
    assert!(err.contains("needs a terminal"), "{what}\n{}", show(out));
}

#[test]
fn a_new_user_follows_the_readme_from_a_fresh_clone() {
    let machine = Machine::new();
    let (course, _) = load_course(&repo().join("courses").join(COURSE)).unwrap();

    // Before `cargo install`: quickstart's suggestions call the binary by its full path, and
    // name the server (port 0 is not the default), so they work as printed in a new shell.
    let (mut quickstart, welcome) = Quickstart::start(&machine);
    let url = welcome
        .lines()
        .find_map(|l| l.strip_prefix("cloudmaster is running at "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no URL in\n{welcome}"))
        .to_owned();
    let lines = suggestions(&welcome);
    assert!(lines.len() >= 5, "{welcome}");
    let full_path = binary().display().to_string();
    for line in &lines {
        assert!(
            line.starts_with(&format!("{full_path} --server {url} ")),
            "{line}"
        );
        let out = machine
            .shell("sh")
            .args(["-c", line])
            .output()
            .expect("run sh");
        if line.ends_with(" tui") {
            assert_needs_a_terminal(&out, line);
        } else {
            assert!(out.status.success(), "{line}\n{}", show(&out));
        }
    }

    // Installed, and quickstart run again while the first one serves: it attaches to that
    // server (no second server, no "port taken"), and its suggestions say `cloudmaster`.
    machine.install();
    let again = machine.quickstart().output().unwrap();
    let text = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{}", show(&again));
    assert!(
        text.contains(&format!("cloudmaster is already running at {url}")),
        "{text}"
    );
    assert!(
        suggestions(&text)
            .iter()
            .all(|l| l.starts_with(&format!("cloudmaster --server {url} "))),
        "{text}"
    );

    // The README's walk, in order, with `cloudmaster` from PATH.
    let mut cwd = machine.path("walk");
    std::fs::create_dir_all(&cwd).unwrap();
    let commands = readme_commands();
    assert!(commands.len() >= 15, "{commands:?}");
    for line in &commands {
        for part in line.split("&&").map(str::trim) {
            if let Some(dir) = part.strip_prefix("cd ") {
                cwd = cwd.join(dir.trim());
                assert!(cwd.is_dir(), "`{line}`: no folder {}", cwd.display());
                continue;
            }
            let words: Vec<&str> = part.split_whitespace().collect();
            assert_eq!(words[0], "cloudmaster", "README line `{line}`");
            let mut cmd = machine.shell("cloudmaster");
            cmd.args(&words[1..])
                .current_dir(&cwd)
                .env("CLOUDMASTER_SERVER", &url)
                .env("CLOUDMASTER_YES", "true");
            let asks_questions = matches!(
                words[1..],
                ["quiz", "start", ..] | ["exam", "start", ..] | ["review", ..]
            );
            if asks_questions {
                cmd.arg("--answers")
                    .arg(answers_for(&machine, &url, &course, &words[1..]));
            }
            match words[1..] {
                ["tui"] => assert_needs_a_terminal(&cmd.output().unwrap(), line),
                ["lab", "check", "--watch"] => watch_until_solved(cmd, &cwd, &course, line),
                _ => {
                    let out = cmd.output().unwrap();
                    assert!(out.status.success(), "README line `{line}`\n{}", show(&out));
                }
            }
        }
    }

    // Ctrl-C (SIGTERM) stops the server, and the next quickstart starts its own.
    let status = quickstart.stop();
    assert!(status.success(), "{status}");
    assert!(!machine.path("quickstart/quickstart.json").exists());
}

/// `lab check --watch` as a learner uses it: it reports the failing first step and waits;
/// the learner writes the solution; it re-checks and ends once every step passes.
fn watch_until_solved(mut cmd: Command, workspace: &Path, course: &Course, line: &str) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !seen.contains("Watching") {
        let mut next = String::new();
        if stdout.read_line(&mut next).unwrap() == 0 || Instant::now() > deadline {
            let _ = child.kill();
            panic!("`{line}` stopped before watching:\n{seen}");
        }
        seen.push_str(&next);
    }
    let lab_id = workspace
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix(&format!("{COURSE}-")))
        .expect("the workspace is named COURSE-LAB");
    let lab = course.lab(lab_id).unwrap();
    for step in &lab.steps {
        cloudmaster_core::lab::apply_solution(lab, &step.id, workspace).unwrap();
    }
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut rest = String::new();
            stdout.read_to_string(&mut rest).unwrap();
            assert!(status.success(), "`{line}`\n{seen}{rest}");
            return;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("`{line}` did not finish after the solution was written:\n{seen}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
