//! The learning loop through the `cloudmaster` binary against a real server on port 0:
//! reading lessons (`learn`, `lesson show`), quizzes and the mock exam from answers files,
//! attempts, review, mastery, readiness and progress.
//!
//! Every command runs in its own temporary home; see `util`. Stdin is never a terminal here,
//! so these are the scripted paths (`--answers FILE`) and the plain, unpaged output; the
//! interactive ones are in `learning_terminal.rs`.

// Needs the server feature (the test server runs in-process, see util); a client-only
// `cargo test --no-default-features` skips this file.
#![cfg(feature = "server")]

mod util;

use util::learning::*;

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
    // A URL longer than the width is never split: it gets a line of its own.
    assert!(
        out.contains(
            "\nhttps://docs.example.com/reference/storage/classes/durability-and-availability-tables.html\n"
        ),
        "{out}"
    );
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

    let quiz = ["quiz", "start", "cert-prep/basics-quiz"];
    let correct = answers_for(&home, &quiz, CORRECT, "correct.yaml");
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

    let view = open_attempt(&home, &quiz);
    let wrong = lettered(&home, view["questions"].as_array().unwrap(), WRONG);
    let wrong = write(&home, "wrong.json", &yaml_to_json(&wrong));
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

    // A file that answers none of the questions drawn submits nothing.
    let unrelated = write(&home, "unrelated.yaml", "other-question: a\n");
    let (code, out, err) = home.run(&[
        "quiz",
        "start",
        "cert-prep/basics-quiz",
        "--answers",
        &unrelated,
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("unrelated.yaml answers none of the") && err.contains("nothing was submitted"),
        "{err}"
    );
    assert!(err.contains("the attempt stays open"), "{err}");
    assert!(out.is_empty(), "{out}");
    // The hint names the command that shows the questions drawn, lettered as shown.
    assert!(err.contains("`cloudmaster attempts show "), "{err}");
    let view = open_attempt(&home, &["quiz", "start", "cert-prep/basics-quiz"]);
    let shown = home.ok(&["attempts", "show", view["id"].as_str().unwrap()]);
    for question in view["questions"].as_array().unwrap() {
        assert!(shown.contains(question["id"].as_str().unwrap()), "{shown}");
        for (at, option) in question["options"].as_array().unwrap().iter().enumerate() {
            let letter = char::from(b'a' + u8::try_from(at).unwrap()).to_string();
            assert_eq!(option["id"], letter.as_str(), "{question}");
            let line = format!("  {letter}) {}\n", option["text"].as_str().unwrap());
            assert!(shown.contains(&line), "{line:?} in {shown}");
        }
    }
    assert!(
        shown.contains("An answers file names options by these letters"),
        "{shown}"
    );

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
fn answers_and_results_use_the_letters_of_the_screen() {
    let (_server, home) = ready_for_the_quiz();
    let quiz = ["quiz", "start", "cert-prep/basics-quiz"];
    let view = open_attempt(&home, &quiz);
    let questions = view["questions"].as_array().unwrap();
    let answers = lettered(&home, questions, WRONG);
    let file = write(&home, "wrong.yaml", &answers);
    let (code, out, err) =
        home.run(&["quiz", "start", "cert-prep/basics-quiz", "--answers", &file]);
    assert_eq!(code, 1, "{err}");
    // Each question's options are listed in the order and under the letters of the attempt,
    // and the answers read in those letters.
    for question in questions {
        let id = question["id"].as_str().unwrap();
        let block = out
            .split(&format!(". {id}"))
            .nth(1)
            .unwrap_or_else(|| panic!("{id} in {out}"));
        let end = ["\n✗ ", "\n✓ "]
            .iter()
            .filter_map(|next| block.find(next))
            .min()
            .unwrap_or(block.len());
        let block = &block[..end];
        let option = |letter: &str| {
            let options = question["options"].as_array().unwrap();
            let found = options.iter().find(|o| o["id"] == letter).unwrap();
            format!("{letter}) {}", found["text"].as_str().unwrap())
        };
        let given = answers
            .lines()
            .find(|l| l.starts_with(&format!("{id}: ")))
            .map(typed)
            .unwrap();
        match question["type"].as_str().unwrap() {
            "single_choice" | "multiple_response" => {
                let mut at = 0;
                for o in question["options"].as_array().unwrap() {
                    let line = format!("     {}\n", option(o["id"].as_str().unwrap()));
                    let found = block[at..].find(&line).unwrap_or_else(|| {
                        panic!("{line:?} after the options before it in {block}")
                    });
                    at += found + line.len();
                }
                let first = given.split(", ").next().unwrap();
                assert!(
                    block.contains(&format!("your answer: {}", option(first))),
                    "{block}"
                );
            }
            "ordering" => {
                let letters: Vec<&str> = given.split(", ").collect();
                let mut expected = format!("   your order:  1. {}\n", option(letters[0]));
                for (n, letter) in letters.iter().enumerate().skip(1) {
                    expected.push_str(&format!("                {}. {}\n", n + 1, option(letter)));
                }
                assert!(block.contains(&expected), "{expected}in {block}");
                let right = lettered(&home, questions, "r3: [x, y, z]\n");
                let first = typed(right.trim_end())
                    .split(", ")
                    .next()
                    .unwrap()
                    .to_owned();
                assert!(
                    block.contains(&format!("   correct:     1. {}\n", option(&first))),
                    "{block}"
                );
            }
            _ => {}
        }
    }
    // The same in the result as JSON and on a later read.
    let attempts = home.json(&["attempts", COURSE]);
    let id = attempts[0]["id"].as_str().unwrap();
    let closed = home.json(&["attempts", "show", id]);
    assert_eq!(closed["questions"], view["questions"]);
    for (result, shown) in closed["result"]["questions"]
        .as_array()
        .unwrap()
        .iter()
        .zip(questions)
    {
        assert_eq!(result["question_id"], shown["id"]);
        assert_eq!(result["options"], shown["options"]);
    }
    let again = home.ok(&["attempts", "show", id]);
    assert!(out.starts_with(&again), "{again}\n---\n{out}");
}

#[test]
fn mock_exam_from_an_answers_file() {
    let (_server, home) = enrolled();
    let correct = answers_for(&home, &["exam", "start", COURSE], CORRECT, "correct.yaml");
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

    let quiz = ["quiz", "start", "cert-prep/basics-quiz"];
    let correct = answers_for(&home, &quiz, CORRECT, "correct.yaml");
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
        let exam = ["exam", "start", COURSE];
        let correct = answers_for(&home, &exam, CORRECT, "correct.yaml");
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
    let listed = home.ok(&["quiz", "list", "cert-prep"]);
    let row = listed.lines().find(|l| l.contains("basics-quiz")).unwrap();
    assert!(row.trim_end().ends_with("locked"), "{listed}");
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

    // Every question answered in the quiz becomes a review item, due days later; the
    // result says when the first comes due.
    let quiz = ["quiz", "start", "cert-prep/basics-quiz"];
    let wrong = answers_for(&home, &quiz, WRONG, "wrong.yaml");
    let (code, out, err) = home.run(&[
        "quiz",
        "start",
        "cert-prep/basics-quiz",
        "--answers",
        &wrong,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("come back for review") && out.contains("in `cloudmaster review`"),
        "{out}"
    );
    let attempts = home.json(&["attempts", COURSE]);
    let attempt = attempts[0]["id"].as_str().unwrap();
    assert!(home.json(&["attempts", "show", attempt])["result"]["first_review_due"].is_null());
    server.advance(time::Duration::days(20));
    let correct = review_answers(&home, CORRECT, "correct.yaml");
    let out = home.ok(&["review", "--course", COURSE, "--answers", &correct]);
    assert!(
        out.contains("Reviewed 4 items: 4 correct. Still due: 0."),
        "{out}"
    );
    assert!(out.contains("✓ Correct"), "{out}");
    assert!(out.contains("comes back "), "{out}");
    assert_eq!(home.json(&["review"]), serde_json::json!([]));

    // Answer the quiz again to have more due; answers missing from the file are skipped.
    let correct = answers_for(&home, &quiz, CORRECT, "correct.yaml");
    home.ok(&[
        "quiz",
        "start",
        "cert-prep/basics-quiz",
        "--answers",
        &correct,
    ]);
    server.advance(time::Duration::days(200));
    let partial = review_answers(&home, "s1: b\n", "partial.yaml");
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

// ---------------------------------------------------------------------------------------
// Search

#[test]
fn search_marks_lessons_still_locked() {
    let (server, home) = enrolled();
    // A course of two modules: the second opens once the first is read.
    let root = home.path().join("two-steps");
    let files = [
        (
            "course.yaml",
            r"format: 1
id: two-steps
title: Two steps
summary: A course read in order.
level: beginner
provider: general
tags: [testing]
estimated_hours: 1
modules:
  - id: basics
    title: Basics
    lessons:
      - { id: first, title: First, file: lessons/first.md, minutes: 5 }
  - id: advanced
    title: Advanced
    lessons:
      - { id: second, title: Second, file: lessons/second.md, minutes: 5 }
",
        ),
        (
            "lessons/first.md",
            "# First\n\nFlamingo care for beginners.\n",
        ),
        (
            "lessons/second.md",
            "# Second\n\nFlamingo feeding, advanced.\n",
        ),
    ];
    for (rel, text) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let teacher = server
        .block_on(server.state.user_by_email("teacher@example.com"))
        .unwrap()
        .unwrap();
    server.publish(&teacher, &root);

    let locked = |home: &util::Home| -> Vec<(String, bool)> {
        let hits = home.json(&["courses", "search", "flamingo"]);
        let mut lessons: Vec<(String, bool)> = hits
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|h| {
                let lesson = h["lesson_id"].as_str()?.to_owned();
                Some((lesson, h["locked"].as_bool().unwrap()))
            })
            .collect();
        lessons.sort();
        lessons
    };
    let first_open_second =
        |second: bool| vec![("first".to_owned(), false), ("second".to_owned(), second)];
    // Not enrolled, nothing is locked; enrolled, the second module's lesson is.
    assert_eq!(locked(&home), first_open_second(false));
    home.ok(&["enroll", "two-steps"]);
    assert_eq!(locked(&home), first_open_second(true));
    let out = home.ok(&["courses", "search", "flamingo"]);
    let row = out
        .lines()
        .find(|l| l.starts_with("two-steps/second"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(row.ends_with("(locked)"), "{out}");
    let first = out
        .lines()
        .find(|l| l.starts_with("two-steps/first"))
        .unwrap();
    assert!(!first.contains("locked"), "{out}");
    assert!(
        out.contains("`cloudmaster progress two-steps` shows what comes next"),
        "{out}"
    );
    // Without credentials search still works, and says nothing is locked.
    let anonymous = util::Home::new(&server.url);
    assert_eq!(locked(&anonymous), first_open_second(false));
    // Reading the first module opens the second.
    home.ok(&["lesson", "done", "two-steps/first"]);
    assert_eq!(locked(&home), first_open_second(false));
    let out = home.ok(&["courses", "search", "flamingo"]);
    assert!(!out.contains("locked"), "{out}");
}
