//! The learning loop through the `cloudmaster` binary against a real server on port 0:
//! reading lessons (`learn`, `lesson show`), quizzes and the mock exam from answers files,
//! attempts, review, mastery, readiness and progress.
//!
//! Every command runs in its own temporary home; see `util`. Stdin is never a terminal here,
//! so these are the scripted paths (`--answers FILE`) and the plain, unpaged output; the
//! interactive ones are in `learning_terminal.rs`.

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
    let wrong = write(&home, "wrong.yaml", WRONG);
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
