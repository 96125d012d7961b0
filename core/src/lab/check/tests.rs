use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::lab::testutil::{condition, file};

fn run(ws: &Path, check: Check) -> ConditionResult {
    run_with(ws, &[], check, 10, &RunOptions::LOCAL)
}

/// [`run`] as the author's `lab test` runs it: failures say what was expected.
fn run_author(ws: &Path, check: Check) -> ConditionResult {
    run_with(ws, &[], check, 10, &RunOptions::AUTHOR)
}

fn run_with(
    ws: &Path,
    files: &[LabFile],
    check: Check,
    timeout_seconds: u32,
    opts: &RunOptions,
) -> ConditionResult {
    let mut c = condition("c", check);
    c.timeout_seconds = timeout_seconds;
    run_condition(ws, files, &c, opts)
}

fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = ws.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    ws
}

/// The failure's message and detail.
fn failure(result: &ConditionResult) -> (String, String) {
    match &result.outcome {
        Outcome::Failed { message, detail } => {
            (message.clone(), detail.clone().unwrap_or_default())
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn path_check(kind: &str, path: &str) -> Check {
    let path = path.to_owned();
    match kind {
        "file_exists" => Check::FileExists { path },
        "file_contains" => Check::FileContains {
            path,
            text: "root".into(),
        },
        "file_matches" => Check::FileMatches {
            path,
            pattern: "root".into(),
        },
        "valid_json" => Check::ValidJson { path },
        "valid_yaml" => Check::ValidYaml { path },
        "yaml_exists" => Check::YamlExists {
            path,
            pointer: "".into(),
        },
        _ => unreachable!(),
    }
}

#[test]
fn file_exists() {
    let ws = workspace(&[("a/b.txt", "x")]);
    assert!(
        run(
            ws.path(),
            Check::FileExists {
                path: "a/b.txt".into()
            }
        )
        .passed()
    );
    assert!(run(ws.path(), Check::FileExists { path: "./a".into() }).passed());
    let r = run(
        ws.path(),
        Check::FileExists {
            path: "nope.txt".into(),
        },
    );
    assert_eq!(
        failure(&r),
        ("c failed".into(), "`nope.txt` does not exist".into())
    );
}

#[test]
fn file_contains_and_matches_search_anywhere() {
    let ws = workspace(&[("f.txt", "first line\nFROM python:3.13-slim\nlast\n")]);
    let contains = |text: &str| Check::FileContains {
        path: "f.txt".into(),
        text: text.into(),
    };
    let matches = |p: &str| Check::FileMatches {
        path: "f.txt".into(),
        pattern: p.into(),
    };
    assert!(run(ws.path(), contains("python:3.13")).passed());
    assert!(!run(ws.path(), contains("latest")).passed());
    // Search semantics: the pattern may match anywhere, no anchors implied.
    assert!(run(ws.path(), matches(r"python:3\.\d+")).passed());
    assert!(run(ws.path(), matches(r"(?m)^FROM\s")).passed());
    assert!(!run(ws.path(), matches(r"^FROM")).passed());
    let (_, detail) = failure(&run(ws.path(), matches("(")));
    assert!(
        detail.starts_with("the check's pattern is invalid"),
        "{detail}"
    );
    let (message, detail) = failure(&run(ws.path(), contains("nope")));
    assert_eq!(message, "c failed");
    assert_eq!(detail, "`f.txt` does not contain the expected text");
    let (_, detail) = failure(&run(ws.path(), matches("^nope")));
    assert_eq!(detail, "`f.txt` does not match the expected pattern");
    // The author sees the comparison.
    let (_, detail) = failure(&run_author(ws.path(), contains("nope")));
    assert_eq!(detail, "`f.txt` does not contain \"nope\"");
    let (_, detail) = failure(&run_author(ws.path(), matches("^nope")));
    assert_eq!(detail, "no match for /^nope/ in `f.txt`");
}

#[test]
fn valid_json_and_yaml() {
    let ws = workspace(&[
        ("ok.json", r#"{"a": [1, 2]}"#),
        ("bad.json", "{\n  \"a\": 1,\n}"),
        ("ok.yaml", "a:\n  - 1\n"),
        ("bad.yaml", "a: [1,\nb: 2\n"),
    ]);
    assert!(
        run(
            ws.path(),
            Check::ValidJson {
                path: "ok.json".into()
            }
        )
        .passed()
    );
    assert!(
        run(
            ws.path(),
            Check::ValidYaml {
                path: "ok.yaml".into()
            }
        )
        .passed()
    );
    let (_, detail) = failure(&run(
        ws.path(),
        Check::ValidJson {
            path: "bad.json".into(),
        },
    ));
    assert!(
        detail.starts_with("`bad.json`: invalid JSON") && detail.contains("line 3"),
        "{detail}"
    );
    let (_, detail) = failure(&run(
        ws.path(),
        Check::ValidYaml {
            path: "bad.yaml".into(),
        },
    ));
    assert!(
        detail.starts_with("`bad.yaml`: invalid YAML at line"),
        "{detail}"
    );
    assert!(
        !run(
            ws.path(),
            Check::ValidYaml {
                path: "missing.yaml".into()
            }
        )
        .passed()
    );
}

#[test]
fn pointers_exist() {
    let ws = workspace(&[
        ("p.json", r#"{"Statement": [{"Effect": "Allow"}]}"#),
        ("d.yaml", "spec:\n  ports:\n    - port: 80\n"),
    ]);
    let json = |p: &str| Check::JsonExists {
        path: "p.json".into(),
        pointer: p.into(),
    };
    let yaml = |p: &str| Check::YamlExists {
        path: "d.yaml".into(),
        pointer: p.into(),
    };
    assert!(run(ws.path(), json("/Statement/0/Effect")).passed());
    assert!(run(ws.path(), yaml("/spec/ports/0/port")).passed());
    let (_, detail) = failure(&run(ws.path(), yaml("/spec/ports/0/targetPort")));
    assert_eq!(
        detail,
        "`d.yaml`: nothing at `/spec/ports/0/targetPort`: `/spec/ports/0` has no key `targetPort`"
    );
    assert!(!run(ws.path(), json("/Statement/1")).passed());
}

#[test]
fn equality_is_type_strict() {
    let ws = workspace(&[
        ("p.json", r#"{"Version": "2012-10-17", "n": 80.0}"#),
        (
            "c.yaml",
            "data:\n  TTL: \"300\"\n  BARE: 300\n  port: 8080\n",
        ),
    ]);
    let json = |p: &str, v| Check::JsonEquals {
        path: "p.json".into(),
        pointer: p.into(),
        value: v,
    };
    let yaml = |p: &str, v| Check::YamlEquals {
        path: "c.yaml".into(),
        pointer: p.into(),
        value: v,
    };
    assert!(run(ws.path(), json("/Version", json!("2012-10-17"))).passed());
    assert!(
        run(ws.path(), json("/n", json!(80))).passed(),
        "integer equals float"
    );
    assert!(run(ws.path(), yaml("/data/TTL", json!("300"))).passed());
    assert!(!run(ws.path(), yaml("/data/BARE", json!("300"))).passed());
    let (message, detail) = failure(&run(ws.path(), yaml("/data/port", json!("8080"))));
    assert_eq!(message, "c failed");
    assert_eq!(detail, "`c.yaml` has 8080 (an integer) at `/data/port`");
    let (_, detail) = failure(&run_author(ws.path(), yaml("/data/port", json!("8080"))));
    assert_eq!(
        detail,
        "`c.yaml` has 8080 (an integer) at `/data/port`, expected \"8080\" (a string)"
    );
}

#[test]
fn command_checks_exit_code_and_output() {
    let ws = workspace(&[("marker", "")]);
    let cmd =
        |script: &str, exit_code, contains: Option<&str>, matches: Option<&str>| Check::Command {
            run: vec!["sh".into(), "-c".into(), script.into()],
            exit_code,
            stdout_contains: contains.map(str::to_owned),
            stdout_matches: matches.map(str::to_owned),
        };
    assert!(
        run(
            ws.path(),
            cmd(
                "test -f marker && echo hello",
                0,
                Some("hell"),
                Some("(?m)^h.*o$")
            )
        )
        .passed()
    );
    assert!(run(ws.path(), cmd("exit 3", 3, None, None)).passed());
    let (message, detail) = failure(&run(ws.path(), cmd("echo oops >&2; exit 1", 0, None, None)));
    assert_eq!(message, "c failed");
    assert!(
        detail.contains("exited with code 1;") && detail.ends_with("oops"),
        "{detail}"
    );
    let (_, detail) = failure(&run(ws.path(), cmd("echo hi", 0, Some("bye"), None)));
    assert_eq!(detail, "the output does not contain the expected text");
    let (_, detail) = failure(&run(ws.path(), cmd("echo hi", 0, None, Some("^bye"))));
    assert_eq!(detail, "the output does not match the expected pattern");
    let (_, detail) = failure(&run_author(
        ws.path(),
        cmd("echo oops >&2; exit 1", 0, None, None),
    ));
    assert!(
        detail.contains("exited with code 1, expected exit code 0") && detail.ends_with("oops"),
        "{detail}"
    );
    let (_, detail) = failure(&run_author(ws.path(), cmd("echo hi", 0, Some("bye"), None)));
    assert_eq!(detail, "the output does not contain \"bye\"");
    let (_, detail) = failure(&run_author(
        ws.path(),
        cmd("echo hi", 0, None, Some("^bye")),
    ));
    assert_eq!(detail, "no match for /^bye/ in the output");
    let missing = Check::Command {
        run: vec!["cloudmaster-no-such-program".into()],
        exit_code: 0,
        stdout_contains: None,
        stdout_matches: None,
    };
    let (_, detail) = failure(&run(ws.path(), missing));
    assert!(detail.contains("was not found on PATH"), "{detail}");
}

fn script_lab(body: &str) -> Vec<LabFile> {
    vec![file("checks/check.sh", body)]
}

fn script() -> Check {
    Check::Script {
        script: "./checks/check.sh".into(),
    }
}

#[test]
fn script_exit_zero_passes_and_fail_line_replaces_the_message() {
    let ws = workspace(&[("policy.json", "{}")]);
    let pass = script_lab("test -f policy.json\n");
    assert!(run_with(ws.path(), &pass, script(), 10, &RunOptions::LOCAL).passed());

    let plain = script_lab("echo working; exit 1\n");
    let (message, detail) = failure(&run_with(
        ws.path(),
        &plain,
        script(),
        10,
        &RunOptions::LOCAL,
    ));
    assert_eq!(
        message, "c failed",
        "no FAIL: line keeps the author's message"
    );
    assert_eq!(detail, "`./checks/check.sh` exited with code 1");

    let with_fail = script_lab("echo checking\necho 'FAIL: NotAction is not allowed.'\nexit 1\n");
    let (message, _) = failure(&run_with(
        ws.path(),
        &with_fail,
        script(),
        10,
        &RunOptions::LOCAL,
    ));
    assert_eq!(message, "NotAction is not allowed.");

    let missing = run_with(ws.path(), &[], script(), 10, &RunOptions::LOCAL);
    assert_eq!(
        failure(&missing).1,
        "the lab has no script `./checks/check.sh`"
    );
}

#[test]
fn script_lives_outside_the_workspace_and_runs_in_it() {
    let ws = workspace(&[]);
    let files = script_lab("echo \"FAIL: $0|$(pwd -P)|$HOME\"; exit 1\n");
    let (message, _) = failure(&run_with(
        ws.path(),
        &files,
        script(),
        10,
        &RunOptions::LOCAL,
    ));
    let parts: Vec<&str> = message.split('|').collect();
    let real = ws.path().canonicalize().unwrap();
    assert!(
        !Path::new(parts[0]).starts_with(&real),
        "script at {}",
        parts[0]
    );
    assert!(parts[0].ends_with("check.sh"));
    assert_eq!(Path::new(parts[1]), real);
    assert_eq!(Path::new(parts[2]), ws.path());
}

#[test]
fn script_timeout_kills_it_quickly() {
    let ws = workspace(&[]);
    let files = script_lab("sleep 600\n");
    let start = Instant::now();
    let r = run_with(ws.path(), &files, script(), 1, &RunOptions::LOCAL);
    // A bound far above the 1 s timeout, however slow the machine, and far below the
    // script's 600 s: only a check that waited for the script out takes that long.
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_secs(300), "took {elapsed:?}");
    let (message, detail) = failure(&r);
    assert_eq!(
        message,
        "the check timed out after 1 s; it and the processes it started were stopped"
    );
    assert!(detail.is_empty());
}

#[test]
fn environment_is_cleared() {
    let ws = workspace(&[]);
    // The names of every variable the script sees, as its FAIL: message.
    let files = script_lab("echo \"FAIL: $(env | cut -d= -f1 | sort | tr '\\n' ' ')\"; exit 1\n");
    let (message, _) = failure(&run_with(
        ws.path(),
        &files,
        script(),
        10,
        &RunOptions::LOCAL,
    ));
    let names: Vec<&str> = message
        .split_whitespace()
        // Set by `sh` itself, not inherited.
        .filter(|n| !["PWD", "OLDPWD", "SHLVL", "_"].contains(n))
        .collect();
    assert_eq!(names, ["HOME", "LANG", "PATH", "TERM"]);
}

#[test]
fn without_exec_commands_and_scripts_are_skipped() {
    let ws = workspace(&[("a", "x")]);
    let files = script_lab("exit 0\n");
    let skipped = run_with(ws.path(), &files, script(), 10, &RunOptions::SERVER);
    assert_eq!(
        skipped.outcome,
        Outcome::Skipped {
            reason: "runs on the learner's machine only".into()
        }
    );
    let cmd = Check::Command {
        run: vec!["true".into()],
        exit_code: 0,
        stdout_contains: None,
        stdout_matches: None,
    };
    assert!(run_with(ws.path(), &[], cmd, 10, &RunOptions::SERVER).skipped());
    let declarative = Check::FileExists { path: "a".into() };
    assert!(run_with(ws.path(), &[], declarative, 10, &RunOptions::SERVER).passed());
}

#[cfg(unix)]
#[test]
fn paths_may_not_escape_the_workspace() {
    let ws = workspace(&[]);
    std::os::unix::fs::symlink("/etc/passwd", ws.path().join("policy.json")).unwrap();
    std::os::unix::fs::symlink("/etc", ws.path().join("etc")).unwrap();
    for kind in [
        "file_exists",
        "file_contains",
        "file_matches",
        "valid_json",
        "valid_yaml",
        "yaml_exists",
    ] {
        for (path, shown) in [
            ("policy.json", "policy.json"),
            ("etc/passwd", "etc/passwd"),
            ("/etc/passwd", "/etc/passwd"),
            ("../../../../etc/passwd", "../../../../etc/passwd"),
        ] {
            let r = run(ws.path(), path_check(kind, path));
            let (message, detail) = failure(&r);
            assert_eq!(
                message,
                format!("`{shown}`: path escapes the workspace"),
                "{kind}"
            );
            assert!(detail.is_empty());
        }
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_is_not_read() {
    let ws = workspace(&[]);
    let fifo = ws.path().join("pipe.json");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let (_, detail) = failure(&run(
        ws.path(),
        Check::ValidJson {
            path: "pipe.json".into(),
        },
    ));
    assert_eq!(detail, "`pipe.json` is not a regular file");
}

#[test]
fn results_serialize_with_a_status() {
    let ws = workspace(&[]);
    let r = run(ws.path(), Check::FileExists { path: "x".into() });
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["id"], "c");
    assert_eq!(v["status"], "failed");
    assert_eq!(v["message"], "c failed");
    assert!(v["duration_ms"].is_u64());
    let back: ConditionResult = serde_json::from_value(v).unwrap();
    assert_eq!(back.outcome, r.outcome);
}
