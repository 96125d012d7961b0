//! The learning commands at a terminal: util-linux `script` gives the binary a
//! pseudo-terminal on stdin and stdout, and the tests type their answers into it. The
//! interactive quiz and exam runners, the pager, and review.

// Needs the server feature (the test server runs in-process, see util); a client-only
// `cargo test --no-default-features` skips this file.
#![cfg(feature = "server")]

mod util;

use util::Home;
use util::learning::*;

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

/// Opens an attempt without submitting anything and returns its id, its question ids in the
/// order the runner asks them, and how to type the right answer to each (by the letters the
/// attempt shows), by question id.
fn open_with_answers(
    home: &Home,
    start: &[&str],
) -> (
    String,
    Vec<String>,
    std::collections::HashMap<String, String>,
) {
    let view = open_attempt(home, start);
    let questions = view["questions"].as_array().unwrap();
    let order = questions
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect();
    let answers = lettered(home, questions, CORRECT)
        .lines()
        .map(|line| (line.split_once(": ").unwrap().0.to_owned(), typed(line)))
        .collect();
    (view["id"].as_str().unwrap().to_owned(), order, answers)
}

#[cfg(target_os = "linux")]
#[test]
fn a_quiz_at_the_terminal_skips_comes_back_and_submits() {
    let (_server, home) = ready_for_the_quiz();
    let (id, order, typed) = open_with_answers(&home, &["quiz", "start", "cert-prep/basics-quiz"]);
    // Skip the first, answer the others; go back; a typo is asked again; submit.
    let mut input = String::from("s\n");
    for question in &order[1..] {
        input.push_str(&format!("{}\n", typed[question]));
    }
    input.push_str("y\n");
    if order[0] != "r2" {
        input.push_str("%%%\n");
    }
    input.push_str(&format!("{}\ny\n", typed[&order[0]]));
    let (code, screen) = at_terminal(&home, &["quiz", "start", "cert-prep/basics-quiz"], &input);
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Resuming your attempt"), "{screen}");
    assert!(screen.contains("Question 1 of 4 · "), "{screen}");
    assert!(screen.contains("(s to skip): "), "{screen}");
    // Options one a line under the letters a, b, c in the order shown; an ordering says
    // how to type its answer.
    assert!(
        screen.contains("\n  a) ") && screen.contains("\n  b) "),
        "{screen}"
    );
    if order.iter().any(|q| q == "r3") {
        assert!(
            screen.contains("type all 3 letters in order, first to last, such as c b a"),
            "{screen}"
        );
    }
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

    let (id, order, typed) = open_with_answers(&home, &["exam", "start", COURSE]);
    // Continue, answer the first question, skip the rest, do not go back, do not submit.
    let input = format!("y\n{}\ns\ns\ns\nn\nn\n", typed[&order[0]]);
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
fn ctrl_c_in_an_exam_says_how_to_resume_and_when_it_closes() {
    use std::io::{Read as _, Write as _};

    let (_server, home) = enrolled();
    let (id, order, typed) = open_with_answers(&home, &["exam", "start", COURSE]);
    let inner = home.std_cmd();
    let line = format!(
        "'{}' --no-color exam start '{COURSE}'",
        env!("CARGO_BIN_EXE_cloudmaster")
    );
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"])
        .current_dir(inner.get_current_dir().unwrap());
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs the CLI on a pseudo-terminal");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut screen = String::new();
    let wait_for = |needle: &str, screen: &mut String| {
        let limit = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !screen.contains(needle) {
            let left = limit.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(bytes) => screen.push_str(&String::from_utf8_lossy(&bytes)),
                Err(_) => return false,
            }
        }
        true
    };
    // Continue the open attempt, answer the first question, then press Ctrl-C at the second.
    stdin.write_all(b"y\n").unwrap();
    assert!(wait_for("Question 1 of", &mut screen), "{screen}");
    stdin
        .write_all(format!("{}\n", typed[&order[0]]).as_bytes())
        .unwrap();
    assert!(wait_for("Question 2 of", &mut screen), "{screen}");
    assert!(wait_for("to skip", &mut screen), "{screen}");
    stdin.write_all(b"\x03").unwrap();
    wait_for("graded on its saved answers.", &mut screen);
    let status = child.wait().unwrap();
    let screen = screen.replace("\r\n", "\n");
    assert_eq!(status.code(), Some(130), "{screen}");
    assert!(
        screen.contains("Interrupted. The answers you gave are saved."),
        "{screen}"
    );
    assert!(
        screen.contains(&format!("Run `cloudmaster exam start {COURSE}` to resume.")),
        "{screen}"
    );
    assert!(screen.contains("The attempt closes at "), "{screen}");
    let view = home.json(&["attempts", "show", &id]);
    assert_eq!(view["status"], "open");
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
    let quiz = ["quiz", "start", "cert-prep/basics-quiz"];
    let wrong = answers_for(&home, &quiz, WRONG, "wrong.yaml");
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
        .block_on(client.review_queue(Some(COURSE), None))
        .unwrap();
    assert_eq!(queue.items.len(), 4);
    // The first one wrong, then skip one, the rest right, by the letters each item shows.
    let questions: Vec<serde_json::Value> = queue
        .items
        .iter()
        .map(|item| serde_json::to_value(&item.question).unwrap())
        .collect();
    let answer = |authored: &str, id: &str| {
        let lines = lettered(&home, &questions, authored);
        let line = lines.lines().find(|l| l.starts_with(&format!("{id}: ")));
        typed(line.unwrap())
    };
    let mut input = format!("{}\ns\n", answer(WRONG, &queue.items[0].question.id));
    for item in &queue.items[2..] {
        input.push_str(&format!("{}\n", answer(CORRECT, &item.question.id)));
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
