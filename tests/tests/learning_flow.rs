//! A scripted learner, through the CLI only, against a real `cloudmaster-server` process on a
//! temporary SQLite database: enrolls in the bundled cloud-foundations course, reads every
//! lesson, passes every module quiz and the mock exam from `--answers` files, does a lab,
//! watches mastery and readiness rise, receives a certificate and verifies it, and sees
//! verification fail once a single byte of the certificate changes.
//!
//! The answers files are written from the course's own answer keys, as an instructor
//! rehearsing a course in CI would, in the letters each attempt shows the options under.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use cloudmaster_core::course::{Course, load_course};
use cloudmaster_e2e::ServerProcess;
use serde_json::Value;

const COURSE: &str = "cloud-foundations";
const LAB: &str = "cidr-plan";

struct Env {
    server: ServerProcess,
    work: tempfile::TempDir,
}

impl Env {
    fn start() -> Env {
        let work = tempfile::tempdir().unwrap();
        let mut server = Command::new(assert_cmd::cargo::cargo_bin("cloudmaster-server"));
        server.arg("--data-dir").arg(work.path().join("server"));
        Env {
            server: ServerProcess::start(server, work.path(), "server"),
            work,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    /// A `cloudmaster` command with this test's own config and credentials.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("cloudmaster"));
        cmd.args(args)
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_STATE_HOME", self.path("state"))
            .env("XDG_CACHE_HOME", self.path("cache"))
            .env("CLOUDMASTER_CREDENTIALS", "file")
            .env("CLOUDMASTER_SERVER", &self.server.url)
            .env("NO_COLOR", "1")
            .env_remove("CLOUDMASTER_TOKEN")
            .stdin(Stdio::null());
        cmd
    }

    fn cm(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run cloudmaster")
    }

    /// Runs `cloudmaster args` and insists on success.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.cm(args);
        assert!(
            out.status.success(),
            "cloudmaster {args:?} failed\n{}",
            show(&out)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let text = self.ok(&all);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}\n{text}"))
    }

    fn with_password(&self, args: &[&str], password: &str) {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "cloudmaster {args:?}\n{}", show(&out));
    }

    fn server_admin(&self, email: &str, role: &str, password: &str) {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("cloudmaster-server"))
            .arg("--data-dir")
            .arg(self.path("server"))
            .args([
                "create-user",
                "--email",
                email,
                "--name",
                role,
                "--role",
                role,
            ])
            .arg("--password-stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "create-user\n{}", show(&out));
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

fn courses_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../courses")
}

impl Env {
    /// Opens the attempt `start` begins (or resumes) without answering it, as a learner does
    /// to see its questions, and writes the right answers to them, in the letters it shows,
    /// to a file. Returns the file's path.
    fn answers_for(&self, course: &Course, start: &[&str]) -> String {
        let none = self.path("none.json");
        std::fs::write(&none, common::NO_ANSWERS).unwrap();
        let mut args = start.to_vec();
        args.extend(["--answers", none.to_str().unwrap()]);
        let out = self.cm(&args);
        assert_eq!(out.status.code(), Some(2), "{}", show(&out));
        let attempt = common::attempt_in_hint(&String::from_utf8_lossy(&out.stderr));
        let view = self.json(&["attempts", "show", &attempt]);
        let answers = self.path(&format!("answers-{attempt}.json"));
        let questions = view["questions"].as_array().unwrap();
        std::fs::write(&answers, common::answers_file(course, questions)).unwrap();
        answers.to_str().unwrap().to_owned()
    }
}

fn mean_domain_mastery(report: &Value) -> f64 {
    let domains = report["domains"].as_array().expect("domains");
    assert!(!domains.is_empty());
    domains
        .iter()
        .map(|d| d["p_known"].as_f64().unwrap())
        .sum::<f64>()
        / domains.len() as f64
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_scripted_learner_earns_a_verifiable_certificate() {
    let env = Env::start();
    let (course, _warnings) =
        load_course(&courses_dir().join(COURSE)).expect("bundled course loads");

    // An instructor publishes the bundled catalog.
    env.server_admin("author@example.test", "instructor", "author-password-1");
    env.with_password(
        &[
            "login",
            "--email",
            "author@example.test",
            "--password-stdin",
        ],
        "author-password-1",
    );
    env.ok(&["publish", courses_dir().to_str().unwrap(), "--yes"]);
    env.ok(&["logout"]);

    // The learner.
    env.with_password(
        &[
            "register",
            "--email",
            "learner@example.test",
            "--name",
            "Ada Learner",
            "--password-stdin",
        ],
        "learner-password-1",
    );
    env.ok(&["enroll", COURSE]);
    let mastery_before = mean_domain_mastery(&env.json(&["mastery", COURSE]));
    let readiness_before = env.json(&["readiness", COURSE]);
    assert_eq!(
        readiness_before["readiness"]["sufficient_evidence"], false,
        "{readiness_before}"
    );
    let expected_before = readiness_before["readiness"]["expected_score"]
        .as_f64()
        .unwrap();

    // A module quiz is locked until its lessons are read.
    let first_quiz = course.modules[0]
        .quiz
        .as_ref()
        .expect("module quiz")
        .id
        .clone();
    let none = env.path("none.json");
    std::fs::write(&none, common::NO_ANSWERS).unwrap();
    let locked = env.cm(&[
        "quiz",
        "start",
        &format!("{COURSE}/{first_quiz}"),
        "--answers",
        none.to_str().unwrap(),
    ]);
    assert!(!locked.status.success(), "{}", show(&locked));
    assert!(
        String::from_utf8_lossy(&locked.stderr).contains("lesson"),
        "{}",
        show(&locked)
    );

    // Reads every lesson, in order, starting from where `learn` says.
    let first = env.ok(&["learn", COURSE]);
    assert!(
        first.contains(&course.modules[0].lessons[0].title),
        "{first}"
    );
    for lesson in course.lessons() {
        let text = env.ok(&["lesson", "show", &format!("{COURSE}/{}", lesson.id)]);
        assert!(!text.contains('\u{1b}'), "piped output has escape codes");
        env.ok(&["lesson", "done", &format!("{COURSE}/{}", lesson.id)]);
    }

    // Passes every module quiz and the mock exam.
    for module in &course.modules {
        if let Some(quiz) = &module.quiz {
            let start = ["quiz", "start", &format!("{COURSE}/{}", quiz.id)];
            let answers = env.answers_for(&course, &start);
            env.ok(&[start[0], start[1], start[2], "--answers", &answers]);
        }
    }
    let answers = env.answers_for(&course, &["exam", "start", COURSE]);
    let exam = env.json(&["exam", "start", COURSE, "--answers", &answers]);
    assert_eq!(exam["passed"], true, "{exam}");
    let attempts = env.json(&["attempts", COURSE]);
    assert!(attempts.as_array().unwrap().len() >= 2, "{attempts}");

    let mastery_after = mean_domain_mastery(&env.json(&["mastery", COURSE]));
    assert!(
        mastery_after > mastery_before,
        "{mastery_before} -> {mastery_after}"
    );
    let readiness_after = env.json(&["readiness", COURSE]);
    let expected_after = readiness_after["readiness"]["expected_score"]
        .as_f64()
        .unwrap();
    assert!(
        expected_after > expected_before,
        "{expected_before} -> {expected_after}"
    );
    assert!(
        readiness_after["readiness"]["probability"]
            .as_f64()
            .unwrap()
            > readiness_before["readiness"]["probability"]
                .as_f64()
                .unwrap(),
        "{readiness_before}\n{readiness_after}"
    );

    // No certificate before the lab that completion requires.
    let progress = env.json(&["progress", COURSE]);
    assert!(progress["certificate"].is_null(), "{progress}");
    assert!(progress["review_due"].is_u64(), "{progress}");

    // The lab: failing checks first, then the solution, then a submission.
    let workspace = env.path("lab");
    env.ok(&[
        "lab",
        "start",
        &format!("{COURSE}/{LAB}"),
        "--dir",
        workspace.to_str().unwrap(),
    ]);
    let in_lab = |args: &[&str]| {
        env.command(args)
            .current_dir(&workspace)
            .output()
            .expect("run cloudmaster in the lab workspace")
    };
    // The lab's checks run a script from the course: allowed once, with --yes.
    let failing = in_lab(&["lab", "check", "--yes"]);
    assert_eq!(failing.status.code(), Some(1), "{}", show(&failing));
    let first_step = &course.lab(LAB).unwrap().steps[0];
    assert!(
        String::from_utf8_lossy(&failing.stdout).contains(&first_step.conditions[0].message),
        "{}",
        show(&failing)
    );
    let lab_dir = courses_dir().join(COURSE).join("labs").join(LAB);
    for step in &course.lab(LAB).unwrap().steps {
        copy_dir(&lab_dir.join(&step.solution), &workspace);
        let passing = in_lab(&["lab", "check"]);
        assert!(
            passing.status.success(),
            "step {}\n{}",
            step.id,
            show(&passing)
        );
    }
    let submitted = in_lab(&["lab", "submit"]);
    assert!(submitted.status.success(), "{}", show(&submitted));

    // Completion: the certificate is issued and verifies.
    let progress = env.json(&["progress", COURSE]);
    assert!(
        progress["labs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["lab_id"] == LAB && l["passed"] == true),
        "{progress}"
    );
    let certificate = progress["certificate"]
        .as_str()
        .unwrap_or_else(|| panic!("no certificate: {progress}"))
        .to_owned();
    let listed = env.json(&["cert", "list"]);
    assert!(listed.to_string().contains(&certificate), "{listed}");

    let file = env.path("certificate.json");
    let file_arg = file.to_str().unwrap();
    env.ok(&["cert", "export", &certificate, "--out", file_arg]);
    env.ok(&["cert", "verify", file_arg]);
    env.ok(&["cert", "verify", file_arg, "--offline"]);

    // One flipped byte anywhere makes verification fail.
    let original = std::fs::read(&file).unwrap();
    for position in [original.len() / 3, original.len() / 2, original.len() - 10] {
        let mut tampered = original.clone();
        tampered[position] ^= 0x01;
        std::fs::write(&file, &tampered).unwrap();
        let out = env.cm(&["cert", "verify", file_arg, "--offline"]);
        assert!(
            !out.status.success(),
            "byte {position} flipped\n{}",
            show(&out)
        );
    }
}
