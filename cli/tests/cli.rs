//! End-to-end tests of the `cloudmaster` binary against a real server on port 0.
//!
//! Every command runs in its own temporary home (XDG folders, `CLOUDMASTER_CREDENTIALS=file`)
//! set on the child process; see `util`.

// Needs the server feature (the test server runs in-process, see util); a client-only
// `cargo test --no-default-features` skips this file.
#![cfg(feature = "server")]

mod util;

use cloudmaster_core::Client;
use cloudmaster_core::api::Role;
use cloudmaster_core::credentials::Credential;
use util::{ClosedPort, Home, TestServer};

const PASSWORD: &str = "correct horse battery";

/// Scaffolds `id` in `home` and returns its folder.
fn new_course(home: &Home, id: &str) -> std::path::PathBuf {
    home.ok(&["course", "new", id]);
    home.path().join(id)
}

// ---------------------------------------------------------------------------------------
// Authoring

#[test]
fn course_new_then_validate_is_clean() {
    let home = Home::offline();
    let out = home.ok(&["course", "new", "my-course"]);
    assert!(
        out.contains("Created course `my-course` in my-course."),
        "{out}"
    );
    let out = home.ok(&["course", "validate", "my-course"]);
    assert_eq!(out.trim(), "checked 1 course (my-course): no problems");
    // PATH defaults to the current folder.
    let out = home
        .cmd()
        .current_dir(home.path().join("my-course"))
        .args(["course", "validate"])
        .output()
        .unwrap();
    assert!(out.status.success());
    // A new course over existing files is refused.
    let (code, _, err) = home.run(&["course", "new", "my-course"]);
    assert_eq!(code, 1, "{err}");
}

#[test]
fn course_validate_reports_file_line_and_column() {
    let home = Home::offline();
    let dir = new_course(&home, "broken");
    let yaml = std::fs::read_to_string(dir.join("course.yaml")).unwrap();
    let line = yaml
        .lines()
        .position(|l| l == "        title: Welcome")
        .unwrap()
        + 1;
    std::fs::write(
        dir.join("course.yaml"),
        yaml.replace("        title: Welcome", "        titel: Welcome"),
    )
    .unwrap();

    let (code, out, err) = home.run(&["course", "validate", "broken"]);
    assert_eq!(code, 1, "{out}{err}");
    let location = format!("broken/course.yaml:{line}:9");
    assert!(out.contains(&format!("--> {location}")), "{out}");
    assert!(out.contains("error: unknown key `titel`"), "{out}");
    assert!(
        out.contains("titel: Welcome"),
        "the source line is shown: {out}"
    );
    assert!(out.contains("help: did you mean `title`?"), "{out}");
    assert!(err.contains("error: broken: "), "{err}");
    // No colour codes when stdout is not a terminal.
    assert!(!out.contains('\u{1b}'), "{out}");

    let output = home
        .cmd()
        .args(["course", "validate", "broken", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report["errors"].as_u64().unwrap() >= 1, "{report}");
    let first = &report["diagnostics"][0];
    assert_eq!(first["severity"], "error");
    assert_eq!(first["file"], "broken/course.yaml");
    assert_eq!(first["line"], line);
    assert_eq!(first["column"], 9);
    assert_eq!(report["courses"][0], "broken");
}

#[test]
fn course_preview_validates_first_and_needs_a_terminal() {
    let home = Home::offline();
    new_course(&home, "draft");
    // A valid course gets as far as the terminal, which a pipe is not.
    let (code, _, err) = home.run(&["course", "preview", "draft"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "`cloudmaster course preview` needs a terminal, and stdin and stdout are not one"
        ),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");

    // A broken one stops at its problems, like `publish`.
    let dir = home.path().join("draft");
    let yaml = std::fs::read_to_string(dir.join("course.yaml")).unwrap();
    std::fs::write(
        dir.join("course.yaml"),
        yaml.replace("        title: Welcome", "        titel: Welcome"),
    )
    .unwrap();
    let (code, _, err) = home.run(&["course", "preview", "draft"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("draft/course.yaml:"), "{err}");
    assert!(err.contains("unknown key `titel`"), "{err}");

    let (code, _, err) = home.run(&["course", "preview", "nowhere"]);
    assert_eq!(code, 5, "{err}");
}

#[test]
fn tui_checks_the_login_then_needs_a_terminal() {
    let server = TestServer::start();
    let home = Home::new(&server.url);
    let (code, _, err) = home.run(&["tui"]);
    assert_eq!(code, 3, "not logged in: {err}");
    assert!(err.contains("not logged in"), "{err}");

    home.register("tui@example.com", PASSWORD);
    let (code, _, err) = home.run(&["tui"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`cloudmaster tui` needs a terminal, and stdin and stdout are not one"),
        "{err}"
    );

    // A server that cannot be reached is reported before the terminal is taken over.
    let closed = ClosedPort::new();
    let output = home
        .cmd()
        .env("CLOUDMASTER_TOKEN", "cm_pat_not-a-real-token-at-all")
        .args(["--server", &closed.url, "tui"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{err}");
    assert!(err.contains("could not reach"), "{err}");
}

#[test]
fn validate_of_a_missing_path_is_not_found() {
    let home = Home::offline();
    let (code, _, err) = home.run(&["course", "validate", "nowhere"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("nowhere does not exist"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Accounts

#[test]
fn register_login_whoami_logout() {
    let server = TestServer::start();
    let home = Home::new(&server.url);
    home.register("ada@example.com", PASSWORD);

    let me = home.json(&["whoami"]);
    assert_eq!(me["user"]["email"], "ada@example.com");
    assert_eq!(me["user"]["role"], "learner");
    assert_eq!(me["credential"], "session");
    assert_eq!(me["scopes"], serde_json::json!(["learn"]));

    // The credentials file is private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.credentials_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Human output never shows whole tokens.
    let (access, refresh) = home.stored_pair();
    let out = home.ok(&["whoami"]);
    assert!(out.contains("role:       learner"), "{out}");
    assert!(!out.contains(&access) && !out.contains(&refresh), "{out}");

    home.login("ada@example.com", PASSWORD, &[]);
    let (_, refresh) = home.stored_pair();
    let out = home.ok(&["logout"]);
    assert_eq!(out.trim(), format!("Logged out of {}.", server.url));
    assert!(
        home.credentials()["credentials"]
            .as_object()
            .unwrap()
            .is_empty()
    );

    // The server revoked the session: its refresh token no longer works.
    let client = Client::new(
        server.url.parse().unwrap(),
        Some(Credential::session("x", refresh)),
    )
    .unwrap();
    let refused = server.block_on(client.refresh());
    assert!(
        matches!(
            refused,
            Err(cloudmaster_core::Error::Auth { status: 401, .. })
        ),
        "{refused:?}"
    );

    let (code, _, err) = home.run(&["whoami"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("not logged in"), "{err}");
    // Logging out twice is fine.
    assert!(home.ok(&["logout"]).contains("Not logged in"));

    // A wrong password is an auth error.
    let output = home
        .cmd()
        .args(["login", "--email", "ada@example.com", "--password-stdin"])
        .write_stdin("wrong password here\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
}

#[test]
fn an_expired_access_token_is_refreshed_and_saved() {
    let server = TestServer::start();
    let home = Home::new(&server.url);
    home.register("bob@example.com", PASSWORD);
    let (_, refresh) = home.stored_pair();

    // Replace the access token by one the server refuses, as an expired one would be.
    let path = home.credentials_file();
    let text = std::fs::read_to_string(&path).unwrap();
    let (access, _) = home.stored_pair();
    std::fs::write(&path, text.replace(&access, "expired-access-token")).unwrap();

    let me = home.json(&["whoami"]);
    assert_eq!(me["user"]["email"], "bob@example.com");
    let (new_access, new_refresh) = home.stored_pair();
    assert_ne!(new_access, "expired-access-token");
    assert_ne!(new_refresh, refresh, "the refresh token rotated");
    home.json(&["whoami"]);
}

#[test]
fn passwords_are_never_read_from_a_pipe_without_password_stdin() {
    let home = Home::offline();
    let (code, _, err) = home.run(&["login", "--email", "a@example.com"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--password-stdin"), "{err}");
    // There is no password flag at all.
    let (code, _, _) = home.run(&["login", "--email", "a@example.com", "--password", "x"]);
    assert_eq!(code, 2);
}

// ---------------------------------------------------------------------------------------
// Publishing

#[test]
fn token_with_publish_scope_publishes_a_scaffolded_course() {
    let server = TestServer::start();
    server.create_user("teacher@example.com", PASSWORD, Role::Instructor);
    let home = Home::new(&server.url);
    home.login("teacher@example.com", PASSWORD, &["--profile", "teach"]);

    let created = home.json(&[
        "--profile",
        "teach",
        "token",
        "create",
        "--name",
        "ci",
        "--scope",
        "publish",
    ]);
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("cm_pat_"), "{created}");
    let listed = home.json(&["--profile", "teach", "token", "list"]);
    assert_eq!(listed[0]["name"], "ci");
    assert!(!listed.to_string().contains(&token));

    new_course(&home, "ci-course");
    let publish = |args: &[&str]| {
        let output = home
            .cmd()
            .env("CLOUDMASTER_TOKEN", &token)
            .args(args)
            .output()
            .unwrap();
        let out = String::from_utf8(output.stdout).unwrap();
        let err = String::from_utf8(output.stderr).unwrap();
        assert!(output.status.success(), "{args:?}: {out}{err}");
        out
    };

    let out = publish(&["publish", "ci-course", "--dry-run"]);
    assert!(out.contains("ci-course (new course)"), "{out}");
    assert!(out.contains("  + lesson welcome"), "{out}");
    assert!(out.contains("  + lab hello-file"), "{out}");
    assert!(
        out.contains("dry run: would publish version 1; nothing was changed"),
        "{out}"
    );

    let out = publish(&["publish", "ci-course"]);
    assert!(out.contains("  + module getting-started"), "{out}");
    assert!(
        out.lines().any(|l| l == "ci-course: published version 1"),
        "{out}"
    );

    let out = publish(&["publish", "ci-course"]);
    assert_eq!(out.trim(), "ci-course: no changes; version 1 kept");

    let lesson = home.path().join("ci-course/lessons/welcome.md");
    let mut text = std::fs::read_to_string(&lesson).unwrap();
    text.push_str("\nOne more paragraph.\n");
    std::fs::write(&lesson, text).unwrap();
    let out = publish(&["publish", "ci-course"]);
    assert!(
        out.contains("ci-course: changes against version 1\n  ~ lesson welcome\n"),
        "{out}"
    );
    assert!(
        out.contains("ci-course: published version 2 (was 1)"),
        "{out}"
    );

    let versions = home.json(&["--profile", "teach", "course", "versions", "ci-course"]);
    assert_eq!(versions.as_array().unwrap().len(), 2);

    // Rollback needs confirmation without a terminal...
    let (code, _, err) = home.run(&[
        "--profile",
        "teach",
        "course",
        "rollback",
        "ci-course",
        "--to",
        "1",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--yes"), "{err}");
    let outcome = home.json(&[
        "--profile",
        "teach",
        "course",
        "rollback",
        "ci-course",
        "--to",
        "1",
        "--yes",
    ]);
    assert_eq!(outcome["version"], 3);
    assert_eq!(outcome["restored_from"], 1);

    // A learner may not publish.
    let learner = Home::new(&server.url);
    learner.register("lea@example.com", PASSWORD);
    std::fs::rename(
        home.path().join("ci-course"),
        learner.path().join("ci-course"),
    )
    .unwrap();
    let (code, _, err) = learner.run(&["publish", "ci-course"]);
    assert_eq!(code, 3, "{err}");
}

#[test]
fn publish_refuses_an_invalid_course_before_contacting_the_server() {
    let home = Home::offline();
    let dir = new_course(&home, "bad");
    std::fs::write(dir.join("lessons/welcome.md"), "").unwrap();
    std::fs::remove_file(dir.join("lessons/first-steps.md")).unwrap();
    let (code, out, err) = home.run(&["publish", "bad"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("bad/course.yaml:"), "{err}");
    assert!(out.is_empty(), "{out}");
}

// ---------------------------------------------------------------------------------------
// Learning

#[test]
fn catalog_enroll_lesson_done_and_progress() {
    let server = TestServer::start();
    let teacher = server.create_user("t@example.com", PASSWORD, Role::Instructor);
    let home = Home::new(&server.url);
    let dir = new_course(&home, "intro-course");
    server.publish(&teacher, &dir);

    let courses = home.json(&["courses", "list"]);
    assert_eq!(courses[0]["id"], "intro-course");
    assert_eq!(courses[0]["lesson_count"], 2);
    let out = home.ok(&["courses", "list"]);
    assert!(out.starts_with("ID "), "{out}");
    assert!(
        out.lines()
            .nth(1)
            .unwrap()
            .starts_with("intro-course  Intro course  beginner"),
        "{out}"
    );
    assert!(
        home.json(&["courses", "list", "--provider", "aws"])
            .as_array()
            .unwrap()
            .is_empty()
    );

    let hits = home.json(&["courses", "search", "Markdown"]);
    assert!(
        hits.as_array()
            .unwrap()
            .iter()
            .any(|h| h["course_id"] == "intro-course"),
        "{hits}"
    );
    let detail = home.json(&["courses", "show", "intro-course"]);
    assert_eq!(detail["modules"][0]["lessons"][0]["id"], "welcome");
    let yaml = home.ok(&["courses", "show", "intro-course", "-o", "yaml"]);
    assert!(yaml.contains("id: intro-course"), "{yaml}");

    home.register("learner@example.com", PASSWORD);
    let (code, _, _) = home.run(&["lesson", "done", "intro-course/welcome"]);
    assert_ne!(code, 0, "not enrolled yet");
    let enrollment = home.json(&["enroll", "intro-course"]);
    assert_eq!(enrollment["course_id"], "intro-course");

    let out = home.ok(&["lesson", "done", "intro-course/welcome"]);
    assert!(
        out.contains("Marked intro-course/welcome completed."),
        "{out}"
    );
    assert!(
        out.contains("1/2 lessons, 50%; next: intro-course/first-steps"),
        "{out}"
    );
    let body = home.ok(&["lesson", "show", "intro-course/first-steps"]);
    assert!(!body.is_empty());

    let progress = home.json(&["progress"]);
    assert_eq!(progress[0]["course_id"], "intro-course");
    assert_eq!(progress[0]["completed_lessons"], 1);
    assert_eq!(progress[0]["percent"], 50);
    let one = home.json(&["progress", "intro-course"]);
    assert_eq!(one["lessons"][0]["lesson_id"], "welcome");
    assert_eq!(one["lessons"][0]["status"], "completed");

    let (code, _, err) = home.run(&["lesson", "done", "intro-course"]);
    assert_eq!(code, 2, "{err}");
    home.ok(&["unenroll", "intro-course"]);
    assert!(home.json(&["progress"]).as_array().unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------
// Exit codes, configuration, completions

#[test]
fn exit_codes() {
    let server = TestServer::start();
    let home = Home::new(&server.url);

    let (code, _, err) = home.run(&["whoami"]);
    assert_eq!(code, 3, "not logged in: {err}");
    let (code, _, err) = home
        .cmd()
        .env("CLOUDMASTER_TOKEN", "cm_pat_not-a-real-token-at-all")
        .args(["whoami"])
        .output()
        .map(|o| {
            (
                o.status.code().unwrap(),
                (),
                String::from_utf8(o.stderr).unwrap(),
            )
        })
        .unwrap();
    assert_eq!(code, 3, "bad token: {err}");
    assert!(err.contains("CLOUDMASTER_TOKEN"), "{err}");

    let closed = ClosedPort::new();
    let (code, _, err) = home.run(&["--server", &closed.url, "courses", "list"]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains(&format!(
            "could not reach the cloudmaster server at {}",
            closed.url
        )),
        "{err}"
    );
    assert!(err.contains("cloudmaster doctor"), "{err}");
    // One line for the error, one for the hint: not the HTTP stack's chain of causes.
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(!err.contains("caused by"), "{err}");
    assert!(err.contains("(connection refused)"), "{err}");

    // A mistyped scheme is a usage error, not a host named `htp`.
    for typo in ["htp:/x", "http:/127.0.0.1:8080", "htp://x"] {
        let (code, _, err) = home.run(&["--server", typo, "courses", "list"]);
        assert_eq!(code, 2, "{typo}: {err}");
        assert!(err.contains("http://"), "{typo}: {err}");
    }
    let (code, _, err) = home
        .cmd()
        .env("CLOUDMASTER_SERVER", "htp:/x")
        .args(["courses", "list"])
        .output()
        .map(|o| {
            (
                o.status.code().unwrap(),
                (),
                String::from_utf8(o.stderr).unwrap(),
            )
        })
        .unwrap();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`htp:` is not followed by `//`"), "{err}");

    let (code, _, err) = home.run(&["courses", "show", "no-such-course"]);
    assert_eq!(code, 5, "{err}");

    let (code, _, _) = home.run(&["courses", "list", "--no-such-flag"]);
    assert_eq!(code, 2);
    let (code, _, _) = home.run(&["-o", "xml", "courses", "list"]);
    assert_eq!(code, 2);

    home.register("dup@example.com", PASSWORD);
    let output = home
        .cmd()
        .args([
            "register",
            "--email",
            "dup@example.com",
            "--name",
            "Again",
            "--password-stdin",
        ])
        .write_stdin(format!("{PASSWORD}\n"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(6),
        "an email registered twice is a conflict"
    );
}

#[test]
fn help_documents_exit_codes_and_docs_match() {
    let home = Home::offline();
    let help = home.ok(&["--help"]);
    assert!(help.contains("Exit codes:"), "{help}");
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/cli.md")).unwrap();
    let table: Vec<&str> = help
        .lines()
        .skip_while(|l| *l != "Exit codes:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(table.len(), 8, "{help}");
    for line in table {
        let (code, meaning) = line.trim().split_once("  ").unwrap();
        assert!(
            docs.contains(&format!("| {code} | {}", meaning.trim())),
            "docs/cli.md lacks exit code {code}: {meaning}"
        );
    }
}

#[test]
fn config_set_show_and_path_honour_xdg() {
    let home = Home::offline();
    let path = home.ok(&["config", "path"]);
    assert_eq!(
        path.trim(),
        home.path()
            .join("config/cloudmaster/config.toml")
            .display()
            .to_string()
    );

    home.ok(&["config", "set", "server", "cm.example:9000"]);
    home.ok(&["config", "set", "profiles.ci.output", "json"]);
    let text = std::fs::read_to_string(path.trim()).unwrap();
    assert!(
        text.contains("server = \"http://cm.example:9000/\""),
        "{text}"
    );

    // The file is below the environment, which is below flags.
    let mut cmd = home.cmd();
    cmd.env_remove("CLOUDMASTER_SERVER");
    let shown: serde_json::Value = serde_json::from_slice(
        &cmd.args(["config", "show", "-o", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(
        shown["settings"]["server"]["value"],
        "http://cm.example:9000/"
    );
    assert_eq!(shown["settings"]["server"]["origin"], "file");
    let shown = home.json(&["config", "show"]);
    assert_eq!(shown["settings"]["server"]["origin"], "env");
    let shown = home.json(&["config", "show", "--server", "http://flag.example/"]);
    assert_eq!(shown["settings"]["server"]["value"], "http://flag.example/");
    assert_eq!(shown["settings"]["server"]["origin"], "flag");
    // The ci profile prints JSON without -o.
    let out = home.ok(&["--profile", "ci", "config", "path"]);
    assert!(out.trim_start().starts_with('{'), "{out}");

    let (code, _, err) = home.run(&["config", "set", "colour", "red"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("unknown config key `colour`"), "{err}");
}

#[test]
fn completions_for_every_shell() {
    let home = Home::offline();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = home.ok(&["completions", shell]);
        assert!(out.contains("cloudmaster"), "{shell}");
    }
    let (code, _, _) = home.run(&["completions", "tcsh"]);
    assert_eq!(code, 2);
}

#[test]
fn doctor_reports_and_masks_tokens() {
    let server = TestServer::start();
    let home = Home::new(&server.url);
    home.register("doc@example.com", PASSWORD);
    let (access, _) = home.stored_pair();
    let report = home.json(&["doctor"]);
    assert_eq!(report["server"]["reachable"], true);
    assert_eq!(report["credentials"]["source"], "store");
    assert_eq!(
        report["credentials"]["user"],
        "Learner <doc@example.com> (learner)"
    );
    assert!(!report.to_string().contains(&access));
    assert_eq!(report["tools"].as_array().unwrap().len(), 5);

    let token = "cm_pat_abcdefghijklmnopqrstuvwxyz";
    let output = home
        .cmd()
        .env("CLOUDMASTER_TOKEN", token)
        .args(["doctor"])
        .output()
        .unwrap();
    let out = String::from_utf8(output.stdout).unwrap();
    assert!(
        out.contains("credential    CLOUDMASTER_TOKEN (cm_pat_abcd…)"),
        "{out}"
    );
    assert!(!out.contains(token));
    assert_eq!(output.status.code(), Some(1), "the token is refused: {out}");

    let closed = ClosedPort::new();
    let (code, out, _) = home.run(&["--server", &closed.url, "doctor"]);
    assert_eq!(code, 1);
    assert!(out.contains("✗ unreachable: connection refused"), "{out}");
}

#[test]
fn concurrent_requests_refresh_a_session_once() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let server = TestServer::start();
    let home = Home::new(&server.url);
    home.register("many@example.com", PASSWORD);
    let (_, refresh) = home.stored_pair();
    // An access token the server refuses, as an expired one would be.
    let client = Client::new(
        server.url.parse().unwrap(),
        Some(Credential::session("expired", refresh)),
    )
    .unwrap();
    let refreshes = Arc::new(AtomicUsize::new(0));
    let counter = refreshes.clone();
    client.on_refresh(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(())
    });
    let results = server.block_on(async {
        let calls = (0..6).map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.whoami().await })
        });
        let mut results = Vec::new();
        for call in calls.collect::<Vec<_>>() {
            results.push(call.await.unwrap());
        }
        results
    });
    // Presenting one refresh token twice would have revoked the session (reuse detection).
    for result in results {
        assert_eq!(result.unwrap().user.email, "many@example.com");
    }
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
}
