//! `cloudmaster tutor` against a real server on port 0 with no model provider configured, so
//! the tutor answers retrieval only (the best passages, cited): asking (for people and as
//! JSON), a chat from piped lines, the conversations kept and forgotten, `--speak` without a
//! text-to-speech program, a course the learner is not enrolled in, and a question asked
//! from a lab workspace whose last check failed.
//!
//! Every command runs in its own temporary home; see `util`.

// Needs the server feature (the test server runs in-process, see util); a client-only
// `cargo test --no-default-features` skips this file.
#![cfg(feature = "server")]

mod util;

use util::Home;
use util::labs::run_in;
use util::learning::{COURSE, PASSWORD, enrolled};

const QUESTION: &str = "How durable is the Standard storage class?";

#[test]
fn retrieval_only_answers_cite_the_lessons_and_say_how_to_open_them() {
    let (_server, home) = enrolled();
    let (code, out, err) = home.run(&["tutor", "ask", QUESTION, "--course", COURSE]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("Retrieval only"), "{out}");
    assert!(
        out.contains("(Retrieval only: this server has no tutor model"),
        "{out}"
    );
    assert!(out.contains("\nSources:\n[1] cert-prep/"), "{out}");
    let cited = out
        .lines()
        .find(|l| l.starts_with("[1] cert-prep/reading"))
        .unwrap_or_else(|| panic!("the lesson about storage classes is cited first: {out}"));
    assert!(cited.contains(" — Reading lessons"), "{cited}");
    assert!(
        out.contains("Open a cited lesson with `cloudmaster lesson show cert-prep/reading`."),
        "{out}"
    );
    assert!(
        out.contains("Follow up with `cloudmaster tutor ask --conversation "),
        "{out}"
    );
    // The command it suggests works.
    home.ok(&["lesson", "show", "cert-prep/reading"]);
}

#[test]
fn json_is_one_object_at_the_end_and_history_keeps_it_until_forgotten() {
    let (_server, home) = enrolled();
    let answer = home.json(&["tutor", "ask", QUESTION, "--course", COURSE]);
    let conversation = answer["conversation"].as_str().unwrap().to_owned();
    assert_eq!(answer["mode"], "retrieval", "{answer}");
    assert_eq!(answer["finish"], "stop", "{answer}");
    assert!(
        answer["answer"]
            .as_str()
            .unwrap()
            .starts_with("Retrieval only"),
        "{answer}"
    );
    assert_eq!(answer["usage"]["prompt_tokens"], 0, "{answer}");
    let citations = answer["citations"].as_array().unwrap();
    assert!(!citations.is_empty(), "{answer}");
    assert_eq!(citations[0]["number"], 1);
    assert!(
        citations[0]["reference"]
            .as_str()
            .unwrap()
            .starts_with("cert-prep/"),
        "{answer}"
    );
    let mut keys: Vec<&String> = answer.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "answer",
            "citations",
            "conversation",
            "finish",
            "mode",
            "usage"
        ]
    );

    // A follow-up in the same conversation.
    let again = home.json(&[
        "tutor",
        "ask",
        "And the other classes?",
        "--conversation",
        &conversation,
    ]);
    assert_eq!(again["conversation"], conversation.as_str());

    let listed = home.json(&["tutor", "history"]);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], conversation.as_str());
    assert_eq!(listed[0]["course"], COURSE);
    assert_eq!(listed[0]["message_count"], 4);
    let table = home.ok(&["tutor", "history"]);
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table.contains(&conversation) && table.contains(QUESTION),
        "{table}"
    );

    let (code, _, err) = home.run(&["tutor", "forget", "--all"]);
    assert_eq!(code, 2, "asks first, and stdin is no terminal: {err}");
    assert!(err.contains("--yes"), "{err}");
    assert_eq!(
        home.json(&["tutor", "history"]).as_array().unwrap().len(),
        1
    );
    home.ok(&["tutor", "forget", "--all", "--yes"]);
    assert_eq!(home.json(&["tutor", "history"]), serde_json::json!([]));
    let empty = home.ok(&["tutor", "history"]);
    assert!(
        empty.starts_with("No conversations with the tutor yet."),
        "{empty}"
    );
    let (code, _, err) = home.run(&["tutor", "forget", &conversation]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn history_shows_a_conversations_messages_and_citations() {
    let (_server, home) = enrolled();
    let answer = home.json(&["tutor", "ask", QUESTION, "--course", COURSE]);
    let conversation = answer["conversation"].as_str().unwrap();
    let shown = home.ok(&["tutor", "history", conversation]);
    assert!(shown.starts_with(QUESTION), "the title first: {shown}");
    assert!(shown.contains("\nyou: "), "{shown}");
    assert!(shown.contains(&format!("\n{QUESTION}\n")), "{shown}");
    assert!(shown.contains("\ntutor: "), "{shown}");
    assert!(shown.contains("\nRetrieval only"), "{shown}");
    assert!(shown.contains("\n  [1] cert-prep/"), "{shown}");
    let json = home.json(&["tutor", "history", conversation]);
    assert_eq!(json["id"], conversation);
    assert_eq!(json["messages"].as_array().unwrap().len(), 2, "{json}");
    assert_eq!(json["messages"][0]["role"], "learner");
    assert_eq!(json["messages"][1]["citations"], answer["citations"]);
}

#[test]
fn forget_deletes_one_conversation() {
    let (_server, home) = enrolled();
    let first = home.json(&["tutor", "ask", QUESTION, "--course", COURSE]);
    let second = home.json(&["tutor", "ask", "What is in the second lesson?"]);
    let first = first["conversation"].as_str().unwrap();
    let out = home.ok(&["tutor", "forget", first]);
    assert_eq!(out, format!("Deleted conversation {first}.\n"));
    let left = home.json(&["tutor", "history"]);
    assert_eq!(left.as_array().unwrap().len(), 1, "{left}");
    assert_eq!(left[0]["id"], second["conversation"]);
}

#[test]
fn a_chat_keeps_one_conversation_until_the_input_ends() {
    let (_server, home) = enrolled();
    let output = home
        .cmd()
        .args(["tutor", "chat", "--course", COURSE, "-o", "json"])
        .write_stdin(format!("{QUESTION}\n\nWhat about the second lesson?\n"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(answers.len(), 2, "an empty line asks nothing: {stdout}");
    assert_eq!(answers[0]["conversation"], answers[1]["conversation"]);
    let listed = home.json(&["tutor", "history"]);
    assert_eq!(listed[0]["message_count"], 4, "{listed}");

    // `/quit` ends it before the next line.
    let out = home
        .cmd()
        .args(["tutor", "chat", "--course", COURSE])
        .write_stdin(format!("{QUESTION}\n/quit\nnever asked\n"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("Sources:").count(), 1, "{text}");
}

#[test]
fn speak_without_a_text_to_speech_program_says_what_to_install() {
    let (_server, home) = enrolled();
    let empty = tempfile::tempdir().unwrap();
    let output = home
        .cmd()
        .args(["tutor", "ask", QUESTION, "--course", COURSE, "--speak"])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(
        err.contains(
            "no text-to-speech program found: install espeak-ng (Debian: apt-get install espeak-ng)"
        ),
        "{err}"
    );
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        out.contains("Sources:"),
        "the answer is printed all the same: {out}"
    );
}

#[test]
fn a_course_you_are_not_enrolled_in_is_refused() {
    let (server, _enrolled) = enrolled();
    let home = Home::new(&server.url);
    home.register("newcomer@example.com", PASSWORD);
    let (code, out, err) = home.run(&["tutor", "ask", QUESTION, "--course", COURSE]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains(
            "you are not enrolled in `cert-prep`: run `cloudmaster enroll cert-prep` first"
        ),
        "{err}"
    );
    // Without a course: every course enrolled in, and there is none.
    let (code, _, err) = home.run(&["tutor", "ask", QUESTION]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not enrolled in any course yet"), "{err}");
    // A lesson needs its course.
    let (code, _, err) = home.run(&["tutor", "ask", QUESTION, "--lesson", "reading"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--lesson COURSE/reading"), "{err}");
}

#[test]
fn a_question_from_a_lab_workspace_carries_the_last_failed_check() {
    let (_server, home) = util::labs::learner();
    home.ok(&["lab", "start", "cloud-foundations/cidr-plan"]);
    let workspace = home.path().join("cloud-foundations-cidr-plan");
    let (code, out, err) = run_in(&home, &workspace, &["lab", "check", "--yes"]);
    assert_eq!(code, 1, "the starter files fail: {out}{err}");
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace.join(".cloudmaster/lab.json")).unwrap(),
    )
    .unwrap();
    let failure = state["steps"][0]["last_failure"].as_str().unwrap();
    assert!(
        failure.contains("vpc-cidr: Set vpc.cidr to the quoted string"),
        "{failure}"
    );

    // From inside the workspace: the lab's session and course go with the question.
    let sub = workspace.join("notes");
    std::fs::create_dir(&sub).unwrap();
    let (code, out, err) = run_in(
        &home,
        &sub,
        &["tutor", "ask", "How do I pick the VPC block?", "-o", "json"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("Asking about lab cloud-foundations/cidr-plan (step `vpc-block`)"),
        "{err}"
    );
    let answer: serde_json::Value = serde_json::from_str(&out).unwrap();
    let history = home.json(&["tutor", "history"]);
    assert_eq!(history[0]["id"], answer["conversation"]);
    assert_eq!(history[0]["course"], "cloud-foundations", "{history}");

    // Named with --lab from elsewhere; it must be the course asked about.
    home.ok(&[
        "tutor",
        "ask",
        "What is a subnet?",
        "--lab",
        "cloud-foundations-cidr-plan",
    ]);
    let (code, _, err) = home.run(&[
        "tutor",
        "ask",
        "What is a subnet?",
        "--lab",
        "cloud-foundations-cidr-plan",
        "--course",
        "aws-saa",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("is for course `cloud-foundations`, not `aws-saa`"),
        "{err}"
    );
}
