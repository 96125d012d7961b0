//! End-to-end tests of `cloudmaster lab`: authoring (`lab test`, the publish gate) with no
//! server, and a learner working through bundled labs against a real server on port 0
//! (watch mode: `lab_watch.rs`).
//!
//! Every command runs in its own temporary home; see `util`.

// Needs the server feature (the test server runs in-process, see util); a client-only
// `cargo test --no-default-features` skips this file.
#![cfg(feature = "server")]

mod util;

use cloudmaster_core::course::load_course;
use util::labs::{PASSWORD, copy_solution, courses_dir, lab_dir, learner, run_in};
use util::{Home, TestServer};

// ---------------------------------------------------------------------------------------
// Authoring

#[test]
fn lab_test_passes_for_every_bundled_lab() {
    let home = Home::offline();
    let courses = courses_dir();
    let output = home
        .cmd()
        .args(["lab", "test", courses.to_str().unwrap(), "-o", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["passed"], true);
    let tested: Vec<String> = report["labs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            assert_eq!(l["passed"], true, "{l}");
            format!(
                "{}/{}",
                l["course_id"].as_str().unwrap(),
                l["lab_id"].as_str().unwrap()
            )
        })
        .collect();
    // Every lab folder on disk was tested.
    let mut on_disk = Vec::new();
    for course in std::fs::read_dir(&courses).unwrap() {
        let course = course.unwrap().path();
        let Ok(labs) = std::fs::read_dir(course.join("labs")) else {
            continue;
        };
        for lab in labs {
            let name = lab.unwrap().file_name().into_string().unwrap();
            on_disk.push(format!(
                "{}/{name}",
                course.file_name().unwrap().to_str().unwrap()
            ));
        }
    }
    on_disk.sort();
    let mut sorted = tested.clone();
    sorted.sort();
    assert_eq!(sorted, on_disk);
    assert!(tested.len() >= 8, "{tested:?}");

    // One lab folder, for people.
    let dir = lab_dir("cloud-foundations", "cidr-plan");
    let out = home.ok(&["lab", "test", dir.to_str().unwrap()]);
    assert!(
        out.contains("✓ cloud-foundations/cidr-plan (3 steps)"),
        "{out}"
    );
    assert!(
        out.contains("vpc-block        ✓                 ✓"),
        "{out}"
    );
    assert!(out.trim_end().ends_with("Tested 1 lab: all pass."), "{out}");
}

#[test]
fn lab_test_and_publish_refuse_a_lab_whose_solution_does_not_pass() {
    let home = Home::offline();
    home.ok(&["course", "new", "broken"]);
    let solution = home
        .path()
        .join("broken/labs/hello-file/solution/create-hello/hello.txt");
    std::fs::write(&solution, "goodbye\n").unwrap();

    let (code, out, err) = home.run(&["lab", "test", "broken"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("✗ broken/hello-file (1 step)"), "{out}");
    assert!(
        out.contains(
            "error: step create-hello: condition `greets` does not pass after the solution is \
             applied: hello.txt should say hello."
        ),
        "{out}"
    );
    assert!(
        err.contains("the lab fails `lab test`: broken/hello-file"),
        "{err}"
    );

    let output = home
        .cmd()
        .args(["lab", "test", "broken/labs/hello-file", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["passed"], false);
    assert_eq!(report["labs"][0]["steps"][0]["after"][1]["id"], "greets");
    assert_eq!(
        report["labs"][0]["steps"][0]["after"][1]["status"],
        "failed"
    );

    // A step whose checks pass on the starter files is refused too.
    std::fs::write(&solution, "hello\n").unwrap();
    std::fs::write(
        home.path().join("broken/labs/hello-file/starter/hello.txt"),
        "hello\n",
    )
    .unwrap();
    let (code, out, _) = home.run(&["lab", "test", "broken"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("passes before its solution is applied"),
        "{out}"
    );

    // publish tests the labs before contacting the server (nothing listens there).
    let (code, out, err) = home.run(&["publish", "broken"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("lab broken/hello-file fails `lab test`:"),
        "{err}"
    );
    assert!(err.contains("--skip-lab-tests"), "{err}");
    assert!(out.is_empty(), "{out}");
    // Skipping the tests goes on to the server: here, not logged in.
    let (code, _, err) = home.run(&["publish", "broken", "--skip-lab-tests"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("warning: --skip-lab-tests: the labs were not tested"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// Learning

#[test]
fn a_learner_checks_fixes_submits_and_passes_a_lab() {
    let (_server, home) = learner();
    let listed = home.json(&["lab", "list", "cloud-foundations"]);
    let cidr = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "cidr-plan")
        .unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(cidr["passed"], false);
    assert_eq!(cidr["steps"], 3);
    assert_eq!(cidr["missing_tools"], serde_json::json!([]));

    // A folder with other files in it is refused before any session starts.
    std::fs::create_dir(home.path().join("busy")).unwrap();
    std::fs::write(home.path().join("busy/notes.txt"), "mine").unwrap();
    let (code, _, err) = home.run(&[
        "lab",
        "start",
        "cloud-foundations/cidr-plan",
        "--dir",
        "busy",
    ]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("busy is not empty"), "{err}");
    assert!(err.contains("--force"), "{err}");

    let out = home.ok(&["lab", "start", "cloud-foundations/cidr-plan"]);
    assert!(
        out.contains("lab session") && out.contains("cloud-foundations/cidr-plan"),
        "{out}"
    );
    assert!(
        out.contains("Step 1 of 3: Choose the VPC block (vpc-block)"),
        "{out}"
    );
    assert!(out.contains("cloudmaster lab check"), "{out}");
    let workspace = home.path().join("cloud-foundations-cidr-plan");
    assert!(workspace.join("subnets.yaml").is_file());
    assert!(workspace.join(".cloudmaster/lab.json").is_file());
    // No hint text reaches the machine before it is revealed.
    let (course, _) = load_course(&courses_dir().join("cloud-foundations")).unwrap();
    let authored = course.labs.iter().find(|l| l.id == "cidr-plan").unwrap();
    let second_hint = authored.steps[0].hints[1].text.clone();
    let stored = std::fs::read_to_string(workspace.join(".cloudmaster/lab.json")).unwrap();
    for hint in authored.steps.iter().flat_map(|s| &s.hints) {
        assert!(!stored.contains(&hint.text), "{}", hint.text);
    }

    // Starting again from the same folder resumes and keeps the files.
    std::fs::write(workspace.join("notes.md"), "my notes").unwrap();
    let again = home.json(&["lab", "start", "cloud-foundations/cidr-plan"]);
    assert_eq!(again["resumed"], true, "{again}");
    assert_eq!(again["files_written"], serde_json::json!([]));
    std::fs::remove_file(workspace.join("notes.md")).unwrap();

    // The lab's checks run a script from the course on this machine: without a terminal to
    // ask and without --yes nothing runs, and the listing says what would.
    for args in [&["lab", "check"][..], &["lab", "submit"][..]] {
        let (code, out, err) = run_in(&home, &workspace, args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            err.contains("run 1 program from the course on this machine"),
            "{err}"
        );
        assert!(
            err.contains(
                "step `private-subnets`, condition `no-overlap` runs `sh checks/no-overlap.sh`"
            ),
            "{err}"
        );
        assert!(err.contains("| #!/bin/sh"), "{err}");
        assert!(err.contains("nothing was run"), "{err}");
        assert!(err.contains("rerun with --yes"), "{err}");
    }
    let session = home.json(&["lab", "status", "--dir", workspace.to_str().unwrap()]);
    assert_eq!(session["submissions"], 0, "nothing was submitted");
    assert_eq!(
        session["steps"][0]["failed_checks"], 0,
        "nothing was checked"
    );

    // --yes allows them, once for this version of the lab.
    let (code, out, err) = run_in(
        &home,
        &workspace,
        &["lab", "check", "--yes", "--step", "public-subnets"],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("--yes: the 1 program of"), "{err}");
    assert!(
        home.path()
            .join("data/cloudmaster/lab-consent.json")
            .is_file(),
        "consent is remembered in the data folder"
    );

    // The starter files fail the first step, with the author's messages (never the value a
    // condition expects: that is the answer); consent holds.
    let (code, out, err) = run_in(&home, &workspace, &["lab", "check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("✗ vpc-cidr: Set vpc.cidr to the quoted string \"10.20.0.0/16\"."),
        "{out}"
    );
    assert!(
        out.contains("✗ vpc-total-addresses: vpc.total_addresses should be"),
        "{out}"
    );
    assert!(
        out.contains("`subnets.yaml` has 0 (an integer) at `/vpc/total_addresses`"),
        "{out}"
    );
    assert!(!out.contains("65536") && !out.contains("expected"), "{out}");
    assert!(
        !err.contains("not recorded"),
        "the server took the report: {err}"
    );
    // Runs on the files as `lab start` wrote them are no attempts: nothing counts yet.
    let status = home.json(&["lab", "status", "--dir", workspace.to_str().unwrap()]);
    assert_eq!(status["steps"][0]["failed_checks"], 0, "{status}");

    // A failing run on new content counts once; the same content checked again does not.
    let sub = workspace.join("sub");
    std::fs::create_dir(&sub).unwrap();
    let subnets = workspace.join("subnets.yaml");
    let starter = std::fs::read_to_string(&subnets).unwrap();
    std::fs::write(
        &subnets,
        starter.replace("total_addresses: 0", "total_addresses: 256"),
    )
    .unwrap();
    for _ in 0..2 {
        let (code, out, err) = run_in(&home, &workspace, &["lab", "check"]);
        assert_eq!(code, 1, "{out}{err}");
        assert!(!out.contains("Hint 2"), "{out}");
    }
    let status = home.json(&["lab", "status", "--dir", workspace.to_str().unwrap()]);
    assert_eq!(status["steps"][0]["failed_checks"], 1, "{status}");

    // The second failure on distinct content reaches the `after_failures: 2` hint: it and
    // the one before it show.
    std::fs::write(
        &subnets,
        starter.replace("total_addresses: 0", "total_addresses: 512"),
    )
    .unwrap();
    let run = {
        let output = home
            .cmd()
            .current_dir(&sub)
            .args(["lab", "check", "-o", "json"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    assert_eq!(run["step"], "vpc-block");
    assert_eq!(run["passed"], false);
    assert_eq!(run["reported"], true);
    let hints: Vec<u64> = run["hints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["number"].as_u64().unwrap())
        .collect();
    assert_eq!(hints, [1, 2], "{run}");

    let status = home.json(&["lab", "status", "--dir", workspace.to_str().unwrap()]);
    assert_eq!(status["status"], "active");
    assert_eq!(status["current_step"], "vpc-block");
    assert_eq!(status["steps"][0]["failed_checks"], 2);
    assert_eq!(status["steps"][0]["hints_shown"], 2);
    assert_eq!(status["steps"][0]["hints"], authored.steps[0].hints.len());
    assert_eq!(run["hints"][1]["text"], second_hint.as_str());
    // The revealed hints are kept in the workspace: `lab status` shows them again.
    let shown = home.ok(&["lab", "status", "--dir", workspace.to_str().unwrap()]);
    assert!(
        shown.contains(&format!("Hint 2 of 3: {second_hint}")),
        "{shown}"
    );

    // Not passed yet: no solution without --skip.
    let (code, _, err) = run_in(&home, &workspace, &["lab", "solution"]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("--skip"), "{err}");

    copy_solution("cloud-foundations", "cidr-plan", "vpc-block", &workspace);
    let (code, out, err) = run_in(&home, &workspace, &["lab", "check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("✓ vpc-cidr"), "{out}");
    assert!(out.contains("Step `vpc-block` passes."), "{out}");
    assert!(
        out.contains("Step 2 of 3: Add two public subnets in different zones (public-subnets)"),
        "{out}"
    );

    // The last step's solution holds every step's work: the rest passes in one go.
    copy_solution(
        "cloud-foundations",
        "cidr-plan",
        "private-subnets",
        &workspace,
    );
    let (code, out, err) = run_in(&home, &workspace, &["lab", "check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Step `public-subnets` passes."), "{out}");
    assert!(
        out.contains("Step `private-subnets` passes too: its work was already done."),
        "{out}"
    );
    assert!(
        out.contains("All steps pass locally: run `cloudmaster lab submit`."),
        "{out}"
    );

    let (code, out, err) = run_in(&home, &workspace, &["lab", "submit"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("✓ vpc-block"), "{out}");
    assert!(out.contains("no-overlap"), "{out}");
    assert!(out.contains("(self-reported"), "{out}");
    assert!(
        out.contains("Lab passed: cloud-foundations/cidr-plan is recorded as complete."),
        "{out}"
    );

    let status = home.json(&["lab", "status", "--dir", workspace.to_str().unwrap()]);
    assert_eq!(status["status"], "passed", "{status}");
    let listed = home.json(&["lab", "list", "cloud-foundations"]);
    let cidr = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "cidr-plan")
        .unwrap();
    assert_eq!(cidr["passed"], true, "{listed}");
    let progress = home.json(&["progress", "cloud-foundations"]);
    let labs = progress["labs"].as_array().cloned().unwrap_or_default();
    if labs.is_empty() {
        eprintln!("note: CourseProgress.labs is empty; lab standing checked through `lab list`");
    } else {
        let lab = labs.iter().find(|l| l["lab_id"] == "cidr-plan").unwrap();
        assert_eq!(lab["passed"], true, "{progress}");
    }
}

#[test]
fn a_workspace_follows_its_server_to_a_new_port() {
    let (server, home) = learner();
    home.ok(&["lab", "start", "cloud-foundations/cidr-plan"]);
    let workspace = home.path().join("cloud-foundations-cidr-plan");
    let stored = || {
        let text = std::fs::read_to_string(workspace.join(".cloudmaster/lab.json")).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    };
    let server_id = stored()["server_id"].as_str().unwrap().to_owned();
    assert_eq!(server_id.len(), 32, "{server_id}");

    // The same server, restarted on another port: the workspace follows it there.
    let moved = server.listen_again();
    home.login("learner@example.com", PASSWORD, &["--server", &moved]);
    let (code, out, err) = run_in(&home, &workspace, &["lab", "status", "--server", &moved]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("active"), "{out}");
    assert_eq!(stored()["server"], moved.as_str());
    assert_eq!(stored()["server_id"], server_id.as_str());
    let again = home.json(&[
        "lab",
        "start",
        "cloud-foundations/cidr-plan",
        "--server",
        &moved,
    ]);
    assert_eq!(again["resumed"], true, "{again}");

    // Another server is still refused.
    let other = TestServer::start();
    let (code, _, err) = run_in(
        &home,
        &workspace,
        &["lab", "status", "--server", &other.url],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("lives on"), "{err}");
}

#[test]
fn hints_solutions_reset_and_abandon() {
    let (server, home) = learner();
    // A learner who has not finished the modules before the lab's own is told what to read.
    let newcomer = Home::new(&server.url);
    newcomer.register("newcomer@example.com", PASSWORD);
    newcomer.ok(&["enroll", "cloud-foundations"]);
    let (code, _, err) = newcomer.run(&["lab", "start", "cloud-foundations/fix-dockerfile"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("lab `fix-dockerfile` (module `core-services`) is locked"),
        "{err}"
    );
    assert!(
        err.contains("cloudmaster progress cloud-foundations"),
        "{err}"
    );

    home.ok(&[
        "lab",
        "start",
        "cloud-foundations/fix-dockerfile",
        "--dir",
        "docker",
    ]);
    let workspace = home.path().join("docker");
    let starter = std::fs::read_to_string(workspace.join("Dockerfile")).unwrap();

    let out = run_in(&home, &workspace, &["lab", "hint"]).1;
    assert!(out.contains("Hint 1 of 3 (step pin-base-image):"), "{out}");
    let hint = home.json(&["lab", "hint", "--dir", "docker"]);
    assert_eq!(hint["number"], 2);
    let out = run_in(&home, &workspace, &["lab", "hint"]).1;
    assert!(out.contains("Hint 3 of 3"), "{out}");
    assert!(out.contains("That was the last hint."), "{out}");
    let (code, _, err) = run_in(&home, &workspace, &["lab", "hint"]);
    assert_eq!(code, 5, "{err}");
    assert!(
        err.contains("no more hints for step `pin-base-image`"),
        "{err}"
    );

    // Skipping needs a confirmation, then writes the solution and moves on.
    let (code, _, err) = run_in(&home, &workspace, &["lab", "solution", "--skip"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no credit") && err.contains("--yes"), "{err}");
    let (code, out, err) = run_in(&home, &workspace, &["lab", "solution", "--skip", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Wrote the solution of step `pin-base-image`"),
        "{out}"
    );
    assert!(out.contains("no credit"), "{out}");
    assert!(
        out.contains("Step 2 of 3: Run as an unprivileged user"),
        "{out}"
    );
    let solved = std::fs::read_to_string(workspace.join("Dockerfile")).unwrap();
    assert_ne!(solved, starter);
    let status = home.json(&["lab", "status", "--dir", "docker"]);
    assert_eq!(status["steps"][0]["skipped"], true);
    assert_eq!(status["current_step"], "non-root-user");

    // Resetting the current step starts from the earlier step's solution.
    std::fs::write(workspace.join("Dockerfile"), "FROM scratch\n").unwrap();
    std::fs::write(workspace.join("notes.md"), "mine").unwrap();
    let (code, out, err) = run_in(&home, &workspace, &["lab", "reset", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Reset step `non-root-user`"), "{out}");
    assert!(out.contains("Restored: "), "{out}");
    assert_eq!(
        std::fs::read_to_string(workspace.join("Dockerfile")).unwrap(),
        solved
    );
    // Everything back to the starter files; the learner's own files and the state stay.
    let (code, _, err) = run_in(&home, &workspace, &["lab", "reset", "--all"]);
    assert_eq!(code, 2, "needs --yes without a terminal: {err}");
    run_in(&home, &workspace, &["lab", "reset", "--all", "--yes"]);
    assert_eq!(
        std::fs::read_to_string(workspace.join("Dockerfile")).unwrap(),
        starter
    );
    assert!(workspace.join("notes.md").is_file());
    assert!(workspace.join(".cloudmaster/lab.json").is_file());

    let (code, out, err) = run_in(&home, &workspace, &["lab", "abandon", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Abandoned lab session"), "{out}");
    assert!(workspace.join("Dockerfile").is_file(), "files are kept");
    let status = home.json(&["lab", "status", "--dir", "docker"]);
    assert_eq!(status["status"], "abandoned");
    // Checking still works locally; the run is just not recorded.
    let (code, out, err) = run_in(&home, &workspace, &["lab", "check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("✗ pinned-slim-tag"), "{out}");
    assert!(
        err.contains("abandoned") && err.contains("not recorded"),
        "{err}"
    );
    // Starting again in that folder needs --force.
    let (code, _, err) = home.run(&[
        "lab",
        "start",
        "cloud-foundations/fix-dockerfile",
        "--dir",
        "docker",
    ]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("earlier session"), "{err}");
    home.ok(&[
        "lab",
        "start",
        "cloud-foundations/fix-dockerfile",
        "--dir",
        "docker",
        "--force",
    ]);
    let status = home.json(&["lab", "status", "--dir", "docker"]);
    assert_eq!(status["status"], "active");
}

#[test]
fn check_works_offline_and_says_the_run_was_not_recorded() {
    let (server, home) = learner();
    home.ok(&["lab", "start", "cloud-foundations/cidr-plan"]);
    let workspace = home.path().join("cloud-foundations-cidr-plan");
    drop(server);
    copy_solution("cloud-foundations", "cidr-plan", "vpc-block", &workspace);
    let (code, out, err) = run_in(&home, &workspace, &["lab", "check", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Step `vpc-block` passes."), "{out}");
    assert!(
        err.contains("not recorded (the server could not be reached)"),
        "{err}"
    );
    let (code, out, _) = run_in(&home, &workspace, &["lab", "check"]);
    assert_eq!(code, 1, "the workspace moved on to step 2: {out}");
    assert!(out.contains("Step 2 of 3"), "{out}");
}

#[test]
fn check_scripts_never_see_the_learners_credentials() {
    let home = Home::offline();
    home.ok(&["course", "new", "envcheck"]);
    let lab = home.path().join("envcheck/labs/hello-file");
    let seen = home.path().join("seen-env.txt");
    std::fs::create_dir_all(lab.join("checks")).unwrap();
    std::fs::write(
        lab.join("checks/env.sh"),
        format!("env > '{}'\ntest -f hello.txt\n", seen.display()),
    )
    .unwrap();
    let yaml = std::fs::read_to_string(lab.join("lab.yaml")).unwrap();
    let yaml = yaml.replacen(
        "    hints:\n",
        "      - id: env\n        check: script\n        script: checks/env.sh\n        \
         message: The script fails.\n    hints:\n",
        1,
    );
    std::fs::write(lab.join("lab.yaml"), yaml).unwrap();

    // The command line runs with a token and credentials in its environment (and the
    // isolated home's XDG folders); the script runs the same code `lab check` uses.
    let output = home
        .cmd()
        .args(["lab", "test", "envcheck"])
        .env("CLOUDMASTER_TOKEN", "cm-token-do-not-leak")
        .env("CLOUDMASTER_PROFILE", "leaky-profile")
        .env("AWS_SECRET_ACCESS_KEY", "aws-secret-do-not-leak")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let env = std::fs::read_to_string(&seen).expect("the script ran");
    for secret in [
        "cm-token-do-not-leak",
        "leaky-profile",
        "aws-secret-do-not-leak",
        "CLOUDMASTER_",
        "XDG_",
    ] {
        assert!(!env.contains(secret), "{secret} reached the script:\n{env}");
    }
    let learner_home = format!("HOME={}\n", home.path().display());
    assert!(!env.contains(&learner_home), "{env}");
    assert!(env.lines().any(|l| l.starts_with("HOME=")), "{env}");
}
