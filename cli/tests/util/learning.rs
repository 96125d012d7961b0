//! The course of the learning tests (`cert-prep`: two lessons, a module quiz over every
//! question type, a mock exam), published on a [`TestServer`] with a learner enrolled, and answers
//! written as a learner writes them: options named by the letters the attempt (or review
//! item) shows them under.

use std::path::{Path, PathBuf};

use cloudmaster_core::api::Role;
use cloudmaster_core::course::{has_errors, load_course};

use super::{Home, TestServer};

pub const PASSWORD: &str = "correct horse battery";
pub const COURSE: &str = "cert-prep";

pub const COURSE_YAML: &str = r"format: 1
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

pub const READING_MD: &str = "# Reading lessons

Lessons are *Markdown*, with [links](https://example.com/guide).

The full reference is at https://docs.example.com/reference/storage/classes/durability-and-availability-tables.html today.

- first point
- second point

```sh
aws s3 ls
```

| class | durability |
|---|---|
| Standard | 11 nines |
";

pub const QUESTIONS_YAML: &str = r#"questions:
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

/// Right answers to the whole bank, options by their ids in the bank: [`lettered`] turns
/// them into what a learner types for one attempt.
pub const CORRECT: &str = "s1: b\ns2: [a, c]\ns3: true\nr1: 99.9\nr2: Multi-AZ\nr3: [x, y, z]\n";
/// Answers to the whole bank that earn nothing, options by their ids in the bank.
pub const WRONG: &str = "s1: a\ns2: [b]\ns3: false\nr1: 1\nr2: nope\nr3: [z, y, x]\n";

/// Writes the course to `dir/cert-prep` and returns its folder.
pub fn write_course(dir: &Path) -> PathBuf {
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

/// A server with the course published and a learner logged in and enrolled.
pub fn enrolled() -> (TestServer, Home) {
    let server = TestServer::start();
    let teacher = server
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
        .block_on(server.state.publish(&teacher, course, false))
        .unwrap();
    home.register("learner@example.com", PASSWORD);
    home.ok(&["enroll", COURSE]);
    (server, home)
}

/// [`enrolled`], with every lesson completed (the module quiz unlocks).
pub fn ready_for_the_quiz() -> (TestServer, Home) {
    let (server, home) = enrolled();
    home.ok(&["lesson", "done", "cert-prep/reading"]);
    home.ok(&["lesson", "done", "cert-prep/second"]);
    (server, home)
}

pub fn write(home: &Home, name: &str, text: &str) -> String {
    std::fs::write(home.path().join(name), text).unwrap();
    name.to_owned()
}

/// `authored` (answers as [`CORRECT`]: one `question: value` a line, options by their ids
/// in the bank) for `questions` (public questions as JSON): each option id becomes the
/// letter its question shows it under, found by its text; answers to questions not among
/// `questions` are left out.
pub fn lettered(home: &Home, questions: &[serde_json::Value], authored: &str) -> String {
    let (course, _) = load_course(&home.path().join(COURSE)).unwrap();
    let mut out = String::new();
    for line in authored.lines() {
        let (id, value) = line.split_once(": ").unwrap();
        let Some(shown) = questions.iter().find(|q| q["id"] == id) else {
            continue;
        };
        let options = course
            .question(id)
            .unwrap()
            .kind
            .options()
            .unwrap_or_default();
        let letter = |option: &str| -> String {
            let text = &options.iter().find(|o| o.id == option).unwrap().text;
            let shown = shown["options"].as_array().unwrap();
            let found = shown.iter().find(|o| o["text"] == text.as_str()).unwrap();
            found["id"].as_str().unwrap().to_owned()
        };
        let value = match value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            _ if options.is_empty() => value.to_owned(),
            Some(list) => {
                let letters: Vec<String> = list.split(", ").map(letter).collect();
                format!("[{}]", letters.join(", "))
            }
            None => letter(value),
        };
        out.push_str(&format!("{id}: {value}\n"));
    }
    out
}

/// What a learner types at the prompt for the answer `line` of [`lettered`]'s output gives.
pub fn typed(lettered_line: &str) -> String {
    let (_, value) = lettered_line.split_once(": ").unwrap();
    value.trim_matches(['[', ']']).to_owned()
}

/// Starts (or resumes) an attempt with `start` (`["quiz", "start", "cert-prep/basics-quiz"]`)
/// without answering anything, as a learner does to see its questions: through an answers
/// file that answers none of them (the command fails with a hint naming `cloudmaster
/// attempts show ID`). Returns the attempt as `attempts show ID -o json` prints it.
pub fn open_attempt(home: &Home, start: &[&str]) -> serde_json::Value {
    let none = write(home, "none.yaml", "not-in-the-bank: a\n");
    let mut args = start.to_vec();
    args.extend(["--answers", &none]);
    let (code, _, err) = home.run(&args);
    assert_eq!(code, 2, "{err}");
    let (_, after) = err
        .split_once("`cloudmaster attempts show ")
        .unwrap_or_else(|| panic!("no hint: {err}"));
    let id = after.split('`').next().unwrap();
    home.json(&["attempts", "show", id])
}

/// [`open_attempt`], then `authored` in the letters that attempt shows, written to `name`.
/// Returns `name`.
pub fn answers_for(home: &Home, start: &[&str], authored: &str, name: &str) -> String {
    let view = open_attempt(home, start);
    let questions = view["questions"].as_array().unwrap();
    write(home, name, &lettered(home, questions, authored))
}

/// `authored` in the letters of the review items due now (`review --list`), written to
/// `name`. Returns `name`.
pub fn review_answers(home: &Home, authored: &str, name: &str) -> String {
    let queue = home.json(&["review", "--list", "--limit", "100"]);
    let questions: Vec<serde_json::Value> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["question"].clone())
        .collect();
    write(home, name, &lettered(home, &questions, authored))
}
