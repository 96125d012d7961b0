//! The learning loop through the `cloudmaster` binary against a real server on port 0:
//! reading lessons (`learn`, `lesson show`), quizzes and the mock exam from answers files,
//! attempts, review, mastery, readiness and progress.
//!
//! Every command runs in its own temporary home; see `util`. Stdin is never a terminal here,
//! so these are the scripted paths (`--answers FILE`) and the plain, unpaged output.

mod util;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cloudmaster_core::api::Role;
use cloudmaster_core::course::{has_errors, load_course};
use cloudmaster_server::{AppState, Clock, ServerConfig};
use time::OffsetDateTime;
use util::Home;

const PASSWORD: &str = "correct horse battery";
const COURSE: &str = "cert-prep";

const COURSE_YAML: &str = r"format: 1
id: cert-prep
title: Cert prep
summary: A small course that prepares for an exam.
level: beginner
provider: general
tags: [testing]
estimated_hours: 1
exam:
  name: Example Certification
  pass_mark: 70
  domains:
    - { id: secure, title: Secure design, weight: 50 }
    - { id: resilient, title: Resilient design, weight: 50 }
mock_exam:
  id: practice-exam
  title: Practice exam
  questions: 4
  time_limit_minutes: 30
  pass_mark: 70
modules:
  - id: basics
    title: Basics
    lessons:
      - id: reading
        title: Reading lessons
        file: lessons/reading.md
        minutes: 5
        video: https://videos.example.com/reading.mp4
        transcript: lessons/reading.transcript.md
        resources:
          - title: CommonMark help
            url: https://commonmark.org/help/
      - id: second
        title: Second lesson
        file: lessons/second.md
        minutes: 5
    quiz:
      id: basics-quiz
      title: Basics check
      questions: 4
      pass_mark: 70
";

const READING_MD: &str = "# Reading lessons

Lessons are *Markdown*, with [links](https://example.com/guide).

- first point
- second point

```sh
aws s3 ls
```

| class | durability |
|---|---|
| Standard | 11 nines |
";

const QUESTIONS_YAML: &str = r#"questions:
  - id: s1
    type: single_choice
    domain: secure
    prompt: Which grants an application access without keys?
    options:
      - { id: a, text: An access key in the code }
      - { id: b, text: An IAM role }
    answer: b
    explanation: Roles give temporary credentials.
  - id: s2
    type: multiple_response
    domain: secure
    prompt: Which are encryption options?
    options:
      - { id: a, text: SSE-S3 }
      - { id: b, text: Public buckets }
      - { id: c, text: SSE-KMS }
    answer: [a, c]
    explanation: SSE-S3 and SSE-KMS encrypt at rest.
  - id: s3
    type: true_false
    domain: secure
    prompt: Least privilege means granting only what is needed.
    answer: true
    explanation: That is the definition.
  - id: r1
    type: numeric
    domain: resilient
    prompt: What availability in percent does a 99.9 SLA promise?
    answer: 99.9
    tolerance: 0.05
    explanation: The SLA says 99.9%.
  - id: r2
    type: short_text
    domain: resilient
    prompt: Name the RDS option that keeps a standby in another zone.
    accept: [multi-az]
    explanation: Multi-AZ keeps a synchronous standby.
  - id: r3
    type: ordering
    domain: resilient
    prompt: Order the recovery steps.
    options:
      - { id: x, text: Detect }
      - { id: y, text: Fail over }
      - { id: z, text: Restore }
    answer: [x, y, z]
    explanation: Detect, fail over, then restore.
"#;

const CORRECT: &str = "s1: b\ns2: [a, c]\ns3: true\nr1: 99.9\nr2: Multi-AZ\nr3: [x, y, z]\n";
const WRONG: &str = "s1: a\ns2: [b]\ns3: false\nr1: 1\nr2: nope\nr3: [z, y, x]\n";

/// Writes the course to `dir/cert-prep` and returns its folder.
fn write_course(dir: &Path) -> PathBuf {
    let root = dir.join(COURSE);
    let files = [
        ("course.yaml", COURSE_YAML),
        ("lessons/reading.md", READING_MD),
        (
            "lessons/reading.transcript.md",
            "Hello, and welcome to the transcript.\n",
        ),
        ("lessons/second.md", "# Second lesson\n\nMore text.\n"),
        ("questions/bank.yaml", QUESTIONS_YAML),
    ];
    for (rel, text) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    root
}

/// A server like `util::TestServer` whose clock the test can move forward (review items
/// come due, attempts run out of time).
struct Server {
    url: String,
    state: AppState,
    clock: Arc<ShiftedClock>,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

/// The system clock plus a shift.
#[derive(Default)]
struct ShiftedClock(Mutex<time::Duration>);

impl Clock for ShiftedClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + *self.0.lock().unwrap()
    }
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let clock = Arc::new(ShiftedClock::default());
        let (state, url) = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let config = ServerConfig {
                listen: addr,
                data_dir: dir.path().to_owned(),
                database_url: None,
                ..ServerConfig::default()
            };
            let store = cloudmaster_server::store::open(&config.database_url(), config.pool_size)
                .await
                .unwrap();
            let state = AppState::with_store(&config, store, clock.clone())
                .await
                .unwrap();
            tokio::spawn(cloudmaster_server::serve(
                listener,
                state.clone(),
                std::future::pending(),
            ));
            (state, format!("http://{addr}/"))
        });
        Server {
            url,
            state,
            clock,
            runtime,
            _dir: dir,
        }
    }

    /// Moves the server's clock forward.
    fn advance(&self, by: time::Duration) {
        *self.clock.0.lock().unwrap() += by;
    }
}

/// A server with the course published and a learner logged in and enrolled.
fn enrolled() -> (Server, Home) {
    let server = Server::start();
    let teacher = server
        .runtime
        .block_on(server.state.create_user(
            "teacher@example.com",
            "Teacher",
            PASSWORD,
            Role::Instructor,
        ))
        .unwrap();
    let home = Home::new(&server.url);
    let (course, diagnostics) = load_course(&write_course(home.path())).unwrap();
    assert!(!has_errors(&diagnostics), "{diagnostics:?}");
    server
        .runtime
        .block_on(server.state.publish(&teacher, course, false))
        .unwrap();
    home.register("learner@example.com", PASSWORD);
    home.ok(&["enroll", COURSE]);
    (server, home)
}

/// [`enrolled`], with every lesson completed (the module quiz unlocks).
fn ready_for_the_quiz() -> (Server, Home) {
    let (server, home) = enrolled();
    home.ok(&["lesson", "done", "cert-prep/reading"]);
    home.ok(&["lesson", "done", "cert-prep/second"]);
    (server, home)
}

fn write(home: &Home, name: &str, text: &str) -> String {
    std::fs::write(home.path().join(name), text).unwrap();
    name.to_owned()
}

// ---------------------------------------------------------------------------------------
// Lessons

#[test]
fn lesson_show_is_plain_text_in_a_pipe() {
    let (_server, home) = enrolled();
    let out = home.ok(&["lesson", "show", "cert-prep/reading"]);
    assert!(!out.contains('\u{1b}'), "no escapes in a pipe: {out:?}");
    assert!(
        out.starts_with("Reading lessons\n━━━━━━━━━━━━━━━\n"),
        "{out}"
    );
    assert!(out.contains("• first point\n• second point\n"), "{out}");
    assert!(out.contains("┌─ sh\n│ aws s3 ls\n└─\n"), "{out}");
    assert!(out.contains("Standard │ 11 nines"), "{out}");
    assert!(out.contains("links (https://example.com/guide)"), "{out}");
    assert!(
        out.contains("Video: https://videos.example.com/reading.mp4"),
        "{out}"
    );
    assert!(
        out.contains("• CommonMark help (https://commonmark.org/help/)"),
        "{out}"
    );
    // --plain is the same in a pipe; -o json is the API's lesson.
    assert_eq!(
        home.ok(&["lesson", "show", "cert-prep/reading", "--plain"]),
        out
    );
    let lesson = home.json(&["lesson", "show", "cert-prep/reading"]);
    assert_eq!(lesson["id"], "reading");
    assert!(lesson["body"].as_str().unwrap().contains("```sh"));

    let transcript = home.ok(&["lesson", "show", "cert-prep/reading", "--transcript"]);
    assert!(
        transcript.contains("Hello, and welcome to the transcript."),
        "{transcript}"
    );
    let (code, _, err) = home.run(&["lesson", "show", "cert-prep/second", "--transcript"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("has no transcript"), "{err}");

    let url = home.ok(&["lesson", "video", "cert-prep/reading", "--print"]);
    assert_eq!(url, "https://videos.example.com/reading.mp4\n");
    let (code, _, err) = home.run(&["lesson", "video", "cert-prep/second", "--print"]);
    assert_eq!(code, 5, "{err}");
}

#[test]
fn learn_opens_the_resume_lesson_and_records_it_started() {
    let (_server, home) = enrolled();
    let out = home.ok(&["learn", COURSE]);
    assert!(out.starts_with("Reading lessons\n"), "{out}");
    assert!(
        out.contains(
            "Done? `cloudmaster lesson done cert-prep/reading`; next: cert-prep/second \
             (Second lesson)"
        ),
        "{out}"
    );
    let progress = home.json(&["progress", COURSE]);
    assert_eq!(progress["lessons"][0]["lesson_id"], "reading");
    assert_eq!(progress["lessons"][0]["status"], "started");

    home.ok(&["lesson", "done", "cert-prep/reading"]);
    let out = home.ok(&["learn", COURSE]);
    assert!(out.starts_with("Second lesson\n"), "{out}");
    assert!(
        out.contains("next: the module quiz, `cloudmaster quiz start cert-prep/basics-quiz`"),
        "{out}"
    );

    home.ok(&["lesson", "done", "cert-prep/second"]);
    let out = home.ok(&["learn", COURSE]);
    assert!(
        out.contains("Every lesson of Cert prep is complete (2/2)."),
        "{out}"
    );
    assert!(out.contains("`cloudmaster quiz list cert-prep`"), "{out}");
    assert!(out.contains("`cloudmaster readiness cert-prep`"), "{out}");

    let (code, _, err) = home.run(&["learn", "no-such-course"]);
    assert_eq!(code, 5, "{err}");
}

// ---------------------------------------------------------------------------------------
// Quizzes, the mock exam and attempts

#[test]
fn quiz_from_an_answers_file_passes_or_fails_by_exit_code() {
    let (_server, home) = ready_for_the_quiz();
    let list = home.json(&["quiz", "list", COURSE]);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], "basics-quiz");
    assert_eq!(list[0]["attempts_used"], 0);
    let table = home.ok(&["quiz", "list", COURSE]);
    assert!(table.starts_with("ID "), "{table}");
    assert!(table.contains("basics-quiz"), "{table}");
    assert!(table.contains("Mock exam: Practice exam"), "{table}");

    let correct = write(&home, "correct.yaml", CORRECT);
    let out = home.ok(&[
        "quiz",
        "start",
        "cert-prep/basics-quiz",
        "--answers",
        &correct,
    ]);
    assert!(
        out.contains("Basics check: passed, 100% (pass mark 70%)"),
        "{out}"
    );
    assert!(out.contains("DOMAIN"), "per-domain table: {out}");
    assert!(out.contains("✓ 1. "), "{out}");
    assert!(out.contains("your answer:"), "{out}");
    assert!(!out.contains("✗"), "{out}");

    let wrong = write(&home, "wrong.json", &yaml_to_json(WRONG));
    let output = home
        .cmd()
        .args([
            "quiz",
            "start",
            "cert-prep/basics-quiz",
            "--answers",
            &wrong,
        ])
        .args(["-o", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("not passed, 0% is below the pass mark of 70%"),
        "{stderr}"
    );
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["passed"], false);
    assert_eq!(result["score_percent"], 0.0);
    let questions = result["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 4);
    assert!(questions.iter().all(|q| q["correct"] == false), "{result}");

    // --brief keeps only the summary; attempts lists both, newest first.
    let attempts = home.json(&["attempts", COURSE]);
    let rows = attempts.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{attempts}");
    assert_eq!(rows[0]["passed"], false);
    assert_eq!(rows[1]["passed"], true);
    assert_eq!(rows[0]["course_id"], COURSE);
    let id = rows[1]["id"].as_str().unwrap();
    let shown = home.ok(&["attempts", "show", id]);
    assert!(shown.contains("Basics check: passed, 100%"), "{shown}");
    assert!(shown.contains("correct:"), "{shown}");
    let brief = home.ok(&["attempts", "show", id, "--brief"]);
    assert!(!brief.contains("correct:"), "{brief}");
    let all = home.ok(&["attempts"]);
    assert!(all.contains(id), "{all}");
    let (code, _, err) = home.run(&["attempts", "show", "not-a-uuid"]);
    assert_eq!(code, 2, "{err}");

    let list = home.json(&["quiz", "list", COURSE]);
    assert_eq!(list[0]["attempts_used"], 2);
    assert_eq!(list[0]["passed"], true);
    assert_eq!(list[0]["best_score"], 100.0);
}

#[test]
fn bad_answers_files_are_usage_errors_and_submit_nothing() {
    let (_server, home) = ready_for_the_quiz();
    let broken = write(&home, "broken.yaml", "s1: [b\ns2: a\n");
    let (code, _, err) = home.run(&[
        "quiz",
        "start",
        "cert-prep/basics-quiz",
        "--answers",
        &broken,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("broken.yaml"), "{err}");
    assert!(err.contains("invalid YAML at line"), "{err}");

    // Every question of the bank has the wrong form, so whichever are drawn, it fails.
    let wrong_form = write(
        &home,
        "form.yaml",
        "s1: [a, b]\ns2: 3\ns3: maybe\nr1: many\nr2: [a]\nr3: x\n",
    );
    let (code, _, err) = home.run(&[
        "quiz",
        "start",
        "cert-prep/basics-quiz",
        "--answers",
        &wrong_form,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("form.yaml: question `"), "{err}");

    let missing = home.run(&[
        "quiz",
        "start",
        "cert-prep/basics-quiz",
        "--answers",
        "nowhere.yaml",
    ]);
    assert_eq!(missing.0, 5, "{}", missing.2);

    // Without a terminal and without --answers there is no way to answer.
    let (code, _, err) = home.run(&["quiz", "start", "cert-prep/basics-quiz"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--answers FILE"), "{err}");

    // Nothing was submitted.
    let attempts = home.json(&["attempts", COURSE]);
    assert!(
        attempts
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["status"] == "open"),
        "{attempts}"
    );
    let (code, _, err) = home.run(&[
        "quiz",
        "start",
        "cert-prep/no-such-quiz",
        "--answers",
        "form.yaml",
    ]);
    assert_eq!(code, 5, "{err}");
}

#[test]
fn mock_exam_from_an_answers_file() {
    let (_server, home) = enrolled();
    let correct = write(&home, "correct.yaml", CORRECT);
    let output = home
        .cmd()
        .args(["exam", "start", COURSE, "--answers", &correct])
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(0), "{out}{err}");
    assert!(
        err.contains("Practice exam: 4 questions, time limit 30 min, pass mark 70%"),
        "{err}"
    );
    assert!(err.contains("Deadline: "), "{err}");
    assert!(out.contains("Practice exam: passed, 100%"), "{out}");
    assert!(out.contains("secure"), "{out}");
    assert!(out.contains("resilient"), "{out}");

    let result = home.json(&["attempts", COURSE]);
    assert_eq!(result[0]["kind"], "mock_exam");
}

// ---------------------------------------------------------------------------------------
// Mastery, readiness, review, progress

#[test]
fn readiness_needs_evidence_first_and_mastery_moves_with_answers() {
    let (_server, home) = ready_for_the_quiz();
    let out = home.ok(&["readiness", COURSE]);
    assert!(out.contains("Readiness for Example Certification"), "{out}");
    assert!(out.contains("Not enough evidence yet: 0 of "), "{out}");
    assert!(!out.contains("Pass probability"), "{out}");
    let report = home.json(&["readiness", COURSE]);
    assert_eq!(report["readiness"]["sufficient_evidence"], false);

    let mastery = home.json(&["mastery", COURSE]);
    assert_eq!(mastery["answers"], 0);
    assert_eq!(mastery["domains"][0]["id"], "secure");
    let out = home.ok(&["mastery", COURSE]);
    assert!(out.contains("DOMAIN"), "{out}");
    assert!(out.contains('░'), "bars: {out}");

    let correct = write(&home, "correct.yaml", CORRECT);
    home.ok(&[
        "quiz",
        "start",
        "cert-prep/basics-quiz",
        "--answers",
        &correct,
    ]);
    let mastery = home.json(&["mastery", COURSE]);
    assert_eq!(mastery["answers"], 4);

    // Enough right answers in every domain: a number with its band.
    for _ in 0..5 {
        home.ok(&["exam", "start", COURSE, "--answers", &correct]);
    }
    let report = home.json(&["readiness", COURSE]);
    assert_eq!(report["readiness"]["sufficient_evidence"], true, "{report}");
    let out = home.ok(&["readiness", COURSE]);
    let line = out
        .lines()
        .find(|l| l.starts_with("Pass probability: "))
        .unwrap_or_else(|| panic!("{out}"));
    let band = line.trim_start_matches("Pass probability: ");
    assert!(
        band.ends_with("%)") && band.contains("% (") && band.contains('–'),
        "{line}"
    );
    assert!(out.contains("Expected score:   "), "{out}");
    assert!(out.contains("pass mark 70%"), "{out}");
    assert!(out.contains("WEIGHT"), "{out}");
    let out = home.ok(&["mastery", COURSE]);
    assert!(out.contains('█'), "bars: {out}");
}

#[test]
fn a_locked_quiz_says_what_to_finish() {
    let (_server, home) = enrolled();
    let correct = write(&home, "correct.yaml", CORRECT);
    let (code, _, err) = home.run(&[
        "quiz",
        "start",
        "cert-prep/basics-quiz",
        "--answers",
        &correct,
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("is locked: finish module `basics`"), "{err}");
    assert!(
        err.contains("hint: `cloudmaster progress cert-prep`"),
        "{err}"
    );
}

#[test]
fn review_and_progress() {
    let (server, home) = ready_for_the_quiz();
    let out = home.ok(&["review"]);
    assert_eq!(
        out.trim(),
        "Nothing due. Next review items come due as you answer questions."
    );
    assert_eq!(home.json(&["review"]), serde_json::json!([]));

    let progress = home.json(&["progress", COURSE]);
    let out = home.ok(&["progress", COURSE]);
    assert!(out.contains("review: nothing due"), "{out}");
    assert!(out.contains("certificate: not yet"), "{out}");
    assert!(progress["certificate"].is_null(), "{progress}");
    let out = home.ok(&["progress"]);
    assert!(out.lines().next().unwrap().contains("REVIEW"), "{out}");

    // Every question answered in the quiz becomes a review item, due days later.
    let wrong = write(&home, "wrong.yaml", WRONG);
    let (code, _, err) = home.run(&[
        "quiz",
        "start",
        "cert-prep/basics-quiz",
        "--answers",
        &wrong,
    ]);
    assert_eq!(code, 1, "{err}");
    server.advance(time::Duration::days(20));
    let correct = write(&home, "correct.yaml", CORRECT);
    let out = home.ok(&["review", "--course", COURSE, "--answers", &correct]);
    assert!(
        out.contains("Reviewed 4 items: 4 correct. Still due: 0."),
        "{out}"
    );
    assert!(out.contains("✓ Correct"), "{out}");
    assert!(out.contains("comes back "), "{out}");
    assert_eq!(home.json(&["review"]), serde_json::json!([]));

    // Answer the quiz again to have more due; answers missing from the file are skipped.
    home.ok(&[
        "quiz",
        "start",
        "cert-prep/basics-quiz",
        "--answers",
        &correct,
    ]);
    server.advance(time::Duration::days(200));
    let partial = write(&home, "partial.yaml", "s1: b\n");
    let out = home.ok(&["review", "--answers", &partial, "--limit", "50"]);
    // Between 4 and 6 questions were drawn over the two quizzes; only s1 is answered.
    let summary = out.lines().last().unwrap();
    let numbers: Vec<usize> = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let [reviewed, correct, skipped, still_due] = numbers[..] else {
        panic!("{out}");
    };
    assert!(reviewed <= 1 && correct == reviewed, "{out}");
    assert!((3..=6).contains(&skipped) && still_due == skipped, "{out}");
    assert_eq!(
        out.lines()
            .any(|l| l.starts_with("s1 — Which grants an application")),
        reviewed == 1,
        "{out}"
    );
}

#[test]
fn an_exam_whose_time_ran_out_shows_as_closed() {
    let (server, home) = enrolled();
    // A file of the wrong form leaves the attempt open with nothing submitted.
    let form = write(
        &home,
        "form.yaml",
        "s1: [a, b]\ns2: 3\ns3: maybe\nr1: many\nr2: [a]\nr3: x\n",
    );
    let (code, _, err) = home.run(&["exam", "start", COURSE, "--answers", &form]);
    assert_eq!(code, 2, "{err}");
    let attempts = home.json(&["attempts", COURSE]);
    assert_eq!(attempts[0]["status"], "open", "{attempts}");
    let id = attempts[0]["id"].as_str().unwrap().to_owned();
    let open = home.ok(&["attempts", "show", &id]);
    assert!(
        open.contains("0 of 4 questions answered; deadline "),
        "{open}"
    );
    assert!(
        open.contains("`cloudmaster exam start cert-prep`"),
        "{open}"
    );

    server.advance(time::Duration::minutes(31));
    let out = home.ok(&["attempts", "show", &id]);
    assert!(out.contains("Practice exam: not passed, 0%"), "{out}");
    assert!(out.contains("closed when the time ran out"), "{out}");
    assert!(out.contains("(not answered)"), "{out}");
    let view = home.json(&["attempts", "show", &id]);
    assert_eq!(view["status"], "expired");
}

// ---------------------------------------------------------------------------------------
// At a terminal: util-linux `script` gives the binary a pseudo-terminal on stdin and stdout.

/// Runs `cloudmaster ARGS` on a pseudo-terminal, typing `input`; returns the exit code and
/// everything the terminal showed (stdout and stderr, and the typed input echoed).
#[cfg(target_os = "linux")]
fn at_terminal(home: &Home, args: &[&str], input: &str) -> (i32, String) {
    let mut all = vec!["--no-color"];
    all.extend(args);
    paged_at_terminal(home, &all, input, "cat")
}

/// [`at_terminal`] with `PAGER` set to `pager` and colour allowed.
#[cfg(target_os = "linux")]
fn paged_at_terminal(home: &Home, args: &[&str], input: &str, pager: &str) -> (i32, String) {
    let inner = home.std_cmd();
    let mut line = format!("'{}'", env!("CARGO_BIN_EXE_cloudmaster"));
    for arg in args {
        line.push_str(&format!(" '{arg}'"));
    }
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"])
        .current_dir(inner.get_current_dir().unwrap())
        .env("PAGER", pager);
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs the CLI on a pseudo-terminal");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).replace("\r\n", "\n");
    (output.status.code().unwrap_or(-1), text)
}

/// How to type the right answer to each question of the bank.
fn typed(question_id: &str) -> &'static str {
    match question_id {
        "s1" => "b",
        "s2" => "a,c",
        "s3" => "t",
        "r1" => "99.9",
        "r2" => "multi-az",
        "r3" => "x y z",
        other => panic!("unknown question {other}"),
    }
}

/// Opens an attempt without submitting anything (an answers file of the wrong form) and
/// returns its id and question ids in the order the runner asks them.
fn open_attempt(home: &Home, args: &[&str]) -> (String, Vec<String>) {
    let form = write(
        home,
        "form.yaml",
        "s1: [a, b]\ns2: 3\ns3: maybe\nr1: many\nr2: [a]\nr3: x\n",
    );
    let mut all = args.to_vec();
    all.extend(["--answers", &form]);
    let (code, _, err) = home.run(&all);
    assert_eq!(code, 2, "{err}");
    let id = home.json(&["attempts", COURSE])[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let view = home.json(&["attempts", "show", &id]);
    let order = view["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect();
    (id, order)
}

#[cfg(target_os = "linux")]
#[test]
fn a_quiz_at_the_terminal_skips_comes_back_and_submits() {
    let (_server, home) = ready_for_the_quiz();
    let (id, order) = open_attempt(&home, &["quiz", "start", "cert-prep/basics-quiz"]);
    // Skip the first, answer the others; go back; a typo is asked again; submit.
    let mut input = String::from("s\n");
    for question in &order[1..] {
        input.push_str(&format!("{}\n", typed(question)));
    }
    input.push_str("y\n");
    if order[0] != "r2" {
        input.push_str("%%%\n");
    }
    input.push_str(&format!("{}\ny\n", typed(&order[0])));
    let (code, screen) = at_terminal(&home, &["quiz", "start", "cert-prep/basics-quiz"], &input);
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Resuming your attempt"), "{screen}");
    assert!(screen.contains("Question 1 of 4 · "), "{screen}");
    assert!(screen.contains("(s to skip): "), "{screen}");
    assert!(
        screen.contains("1 question skipped. Go back to them? [Y/n]"),
        "{screen}"
    );
    if order[0] != "r2" {
        assert!(
            screen.contains("expected ") || screen.contains("`%%%` is not one of the options"),
            "the typo is explained: {screen}"
        );
    }
    assert!(
        screen.contains("All questions answered. Submit now? [Y/n]"),
        "{screen}"
    );
    assert!(screen.contains("Basics check: passed, 100%"), "{screen}");
    let view = home.json(&["attempts", "show", &id]);
    assert_eq!(view["status"], "submitted");
}

#[cfg(target_os = "linux")]
#[test]
fn an_exam_at_the_terminal_saves_each_answer_and_may_wait() {
    let (_server, home) = enrolled();
    let (code, screen) = at_terminal(&home, &["exam", "start", COURSE], "n\n");
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("Practice exam: 4 questions, time limit 30 min, pass mark 70%"),
        "{screen}"
    );
    assert!(
        screen.contains("Starting now, the deadline is "),
        "{screen}"
    );
    assert!(screen.contains("Not started."), "{screen}");
    assert!(
        home.json(&["attempts", COURSE])
            .as_array()
            .unwrap()
            .is_empty()
    );

    let (id, order) = open_attempt(&home, &["exam", "start", COURSE]);
    // Continue, answer the first question, skip the rest, do not go back, do not submit.
    let input = format!("y\n{}\ns\ns\ns\nn\nn\n", typed(&order[0]));
    let (code, screen) = at_terminal(&home, &["exam", "start", COURSE], &input);
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("You have an open attempt"), "{screen}");
    assert!(screen.contains(" left"), "time left is shown: {screen}");
    assert!(
        screen.contains("3 questions unanswered. Submit now?"),
        "{screen}"
    );
    assert!(
        screen.contains("Not submitted. Your answers are saved"),
        "{screen}"
    );
    let view = home.json(&["attempts", "show", &id]);
    assert_eq!(view["status"], "open");
    assert_eq!(view["answers"].as_object().unwrap().len(), 1, "{view}");
    assert!(view["answers"].get(&order[0]).is_some(), "{view}");
}

#[cfg(target_os = "linux")]
#[test]
fn lesson_show_at_the_terminal_goes_through_the_pager() {
    let (_server, home) = enrolled();
    let pager = "sed s/^/paged:/";
    let (code, screen) =
        paged_at_terminal(&home, &["lesson", "show", "cert-prep/reading"], "", pager);
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("paged:"), "{screen}");
    // Styled: the h1 is bold yellow, code cyan.
    assert!(
        screen.contains("\u{1b}[1;33mReading lessons\u{1b}[0m"),
        "{screen:?}"
    );
    assert!(
        screen.contains("\u{1b}[36maws s3 ls\u{1b}[0m"),
        "{screen:?}"
    );
    // --plain: no styles and no pager, even on a terminal.
    let (code, screen) = paged_at_terminal(
        &home,
        &["lesson", "show", "cert-prep/reading", "--plain"],
        "",
        pager,
    );
    assert_eq!(code, 0, "{screen}");
    assert!(
        !screen.contains("paged:") && !screen.contains('\u{1b}'),
        "{screen:?}"
    );
    assert!(screen.contains("┌─ sh\n│ aws s3 ls\n"), "{screen}");
    // A pager that cannot start: the lesson is printed directly.
    let (code, screen) = paged_at_terminal(
        &home,
        &["lesson", "show", "cert-prep/reading", "--no-color"],
        "",
        "no-such-pager-program",
    );
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("┌─ sh\n│ aws s3 ls\n"), "{screen}");
}

#[cfg(target_os = "linux")]
#[test]
fn review_at_the_terminal_shows_each_outcome() {
    let (server, home) = ready_for_the_quiz();
    let wrong = write(&home, "wrong.yaml", WRONG);
    let (code, _, err) = home.run(&[
        "quiz",
        "start",
        "cert-prep/basics-quiz",
        "--answers",
        &wrong,
    ]);
    assert_eq!(code, 1, "{err}");
    server.advance(time::Duration::days(20));
    // The due items in the order the runner asks them, read with the learner's session.
    home.ok(&["whoami"]);
    let (access, _) = home.stored_pair();
    let client = cloudmaster_core::Client::new(
        server.url.parse().unwrap(),
        Some(cloudmaster_core::credentials::Credential::token(access)),
    )
    .unwrap();
    let queue = server
        .runtime
        .block_on(client.review_queue(Some(COURSE), None))
        .unwrap();
    assert_eq!(queue.items.len(), 4);
    // The first one wrong, then skip one, the rest right.
    let first = &queue.items[0].question;
    let wrong_answer = match first.question_type {
        cloudmaster_core::assess::QuestionType::TrueFalse => "f",
        cloudmaster_core::assess::QuestionType::Numeric => "1",
        _ => "wrong-text",
    };
    let mut input = match first.question_type {
        cloudmaster_core::assess::QuestionType::SingleChoice => "a\n".to_owned(),
        cloudmaster_core::assess::QuestionType::MultipleResponse => "b\n".to_owned(),
        cloudmaster_core::assess::QuestionType::Ordering => "z y x\n".to_owned(),
        _ => format!("{wrong_answer}\n"),
    };
    input.push_str("s\n");
    for item in &queue.items[2..] {
        input.push_str(&format!("{}\n", typed(&item.question.id)));
    }
    let (code, screen) = at_terminal(&home, &["review"], &input);
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Review 1 of 4 · cert-prep"), "{screen}");
    assert!(screen.contains("✗ Incorrect"), "{screen}");
    assert!(screen.contains("   correct: "), "{screen}");
    assert_eq!(screen.matches("✓ Correct").count(), 2, "{screen}");
    assert_eq!(screen.matches("comes back ").count(), 3, "{screen}");
    assert!(
        screen.contains("Reviewed 3 items: 2 correct, 1 skipped. Still due: 1."),
        "{screen}"
    );
}

/// The answers file as JSON (for the JSON path).
fn yaml_to_json(yaml: &str) -> String {
    let mut map = serde_json::Map::new();
    for line in yaml.lines() {
        let (key, value) = line.split_once(": ").unwrap();
        let value = match value {
            "true" | "false" => serde_json::Value::Bool(value == "true"),
            v if v.starts_with('[') => serde_json::Value::Array(
                v.trim_matches(['[', ']'])
                    .split(", ")
                    .map(|s| serde_json::Value::String(s.to_owned()))
                    .collect(),
            ),
            v => v.parse::<f64>().map_or_else(
                |_| serde_json::Value::String(v.to_owned()),
                |n| serde_json::json!(n),
            ),
        };
        map.insert(key.to_owned(), value);
    }
    serde_json::Value::Object(map).to_string()
}
