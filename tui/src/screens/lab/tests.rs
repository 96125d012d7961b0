//! The lab runner driven through `update` against the fake backend, with a real workspace in
//! the harness's temporary folder: checks run with core's runner on real files.

use std::path::PathBuf;

use cloudmaster_core::api::LabSessionStatus;
use cloudmaster_core::lab::watch::snapshot_blocking;
use cloudmaster_core::lab::{IfNotEmpty, LabState, LabWorkspace};
use ratatui::crossterm::event::KeyCode;

use super::{OpenLab, minutes_left};
use crate::action::{Action, Command, LabJob, LabResult, Request};
use crate::app::ScreenId;
use crate::backend::Backend;
use crate::backend::fake::lab::{LAB, lab};
use crate::backend::fake::quiz::COURSE;
use crate::keymap::Context;
use crate::popups::confirm::ConfirmAction;
use crate::test_support::Harness;

const POLICY: &str = r#"{"Statement": [{"Effect": "Deny", "Principal": "*"}]}"#;

fn workspace_dir(h: &Harness) -> PathBuf {
    h.lab_dir.path().join(format!("{COURSE}-{LAB}"))
}

fn open(h: &Harness) -> &OpenLab {
    h.app
        .lab
        .as_ref()
        .and_then(|l| l.open.as_deref())
        .expect("the lab is open")
}

fn messages(h: &Harness, step: &str) -> Vec<(String, Option<String>)> {
    open(h).results[step]
        .conditions
        .iter()
        .map(|c| (c.id.clone(), c.message().map(str::to_owned)))
        .collect()
}

/// Tells the app that the workspace changed, as the watch does.
async fn files_changed(h: &mut Harness) {
    let root = open(h).workspace.root.clone();
    let snapshot = snapshot_blocking(&root);
    h.dispatch(Action::LabFilesChanged { root, snapshot }).await;
}

fn lab_jobs(h: &Harness) -> Vec<LabJob> {
    h.commands
        .iter()
        .filter_map(|c| match c {
            Command::Fetch(Request::Lab { job, .. }) => Some(job.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn opening_a_lab_writes_the_workspace_and_shows_the_failing_conditions() {
    let mut h = Harness::start().await;
    h.open_lab().await;
    assert_eq!(h.app.screen, ScreenId::Lab);
    let dir = workspace_dir(&h);
    assert!(dir.join("README.md").is_file(), "the starter files");
    assert_eq!(open(&h).workspace.root, dir);
    assert!(
        h.commands
            .contains(&Command::WatchLab { root: dir.clone() })
    );
    assert_eq!(
        messages(&h, "policy"),
        [
            (
                "policy-file".to_owned(),
                Some("Create policy.json in the workspace".to_owned())
            ),
            (
                "denies-public-read".to_owned(),
                Some("The first statement must deny access (\"Effect\": \"Deny\")".to_owned())
            ),
        ]
    );
    // The run is reported like `cloudmaster lab check` does, and the state file is the one
    // the command line reads. A run on the files as they were set up is no attempt.
    let reports = h.backend.lab_reports();
    assert_eq!(reports.len(), 1);
    assert!(!reports[0].passed);
    assert!(!reports[0].new_content);
    let saved = LabWorkspace::open(&dir).unwrap().expect("a state file");
    assert_eq!(saved.state.local("policy").unwrap().failed_checks, 0);
    assert_eq!(saved.state.current_step.as_deref(), Some("policy"));
}

#[tokio::test]
async fn saving_the_solution_re_checks_and_moves_on() {
    let mut h = Harness::start().await;
    h.open_lab().await;
    std::fs::write(workspace_dir(&h).join("policy.json"), POLICY).unwrap();
    files_changed(&mut h).await;

    let state = &open(&h).workspace.state;
    assert_eq!(state.current_step.as_deref(), Some("tags"));
    assert_eq!(
        h.app.status.as_deref(),
        Some("Step passed ✓: on to the next one")
    );
    assert!(state.local("policy").unwrap().passed);
    assert!(open(&h).results["policy"].passed());
    // The next step is checked too, but its failure is not counted: it was not started.
    assert_eq!(
        messages(&h, "tags"),
        [(
            "team-tag".to_owned(),
            Some("tags.yaml needs a `team:` tag".to_owned())
        )]
    );
    let reports = h.backend.lab_reports();
    assert_eq!(reports.len(), 2);
    assert!(reports[1].passed && reports[1].step == "policy");

    // A change notice that only repeats what the last run saw does not run the checks.
    let runs = lab_jobs(&h).len();
    files_changed(&mut h).await;
    assert_eq!(lab_jobs(&h).len(), runs);
}

#[tokio::test]
async fn c_checks_now_and_a_change_during_a_run_checks_again_after_it() {
    let mut h = Harness::start().await;
    h.open_lab().await;
    h.type_keys("c").await;
    assert_eq!(h.backend.lab_reports().len(), 2);

    // A run in flight: a change noticed meanwhile waits for it, then runs once.
    let commands = crate::app::update(&mut h.app, Action::Cmd(crate::action::Cmd::Check));
    assert_eq!(commands.len(), 1);
    let root = open(&h).workspace.root.clone();
    std::fs::write(root.join("policy.json"), POLICY).unwrap();
    let snapshot = snapshot_blocking(&root);
    let during = crate::app::update(&mut h.app, Action::LabFilesChanged { root, snapshot });
    assert!(during.is_empty(), "{during:?}");
    assert!(open(&h).recheck);
    let Command::Fetch(request) = commands.into_iter().next().unwrap() else {
        panic!("a lab job");
    };
    let loaded = crate::tasks::perform(h.backend.as_ref(), request).await;
    h.dispatch(Action::Loaded(Box::new(loaded))).await;
    assert_eq!(
        open(&h).workspace.state.current_step.as_deref(),
        Some("tags")
    );
    assert!(!open(&h).recheck);
}

#[tokio::test]
async fn h_reveals_the_hints_one_at_a_time() {
    let mut h = Harness::start().await;
    h.open_lab().await;
    h.type_keys("h").await;
    assert_eq!(
        open(&h)
            .workspace
            .state
            .local("policy")
            .unwrap()
            .hints_shown,
        1
    );
    assert!(
        h.render()
            .contains("Hint 1 of 2: A bucket policy is a JSON object")
    );
    h.type_keys("hh").await;
    let error = h.app.errors.front().expect("no third hint");
    assert!(error.message.contains("all 2 are shown"), "{error:?}");
    let saved = LabWorkspace::open(&workspace_dir(&h)).unwrap().unwrap();
    assert_eq!(saved.state.local("policy").unwrap().hints_shown, 2);
}

#[tokio::test]
async fn the_third_failure_on_new_content_reveals_the_first_hint_by_itself() {
    let mut h = Harness::start().await;
    h.open_lab().await;
    let failed_checks = |h: &Harness| {
        let local = open(h).workspace.state.local("policy").unwrap().clone();
        (local.failed_checks, local.hints_shown)
    };
    // Checking the same content again is no attempt.
    h.type_keys("cc").await;
    assert_eq!(failed_checks(&h), (0, 0));
    let notes = workspace_dir(&h).join("notes.md");
    for (n, attempt) in ["one", "two"].into_iter().enumerate() {
        std::fs::write(&notes, attempt).unwrap();
        h.type_keys("cc").await;
        assert_eq!(failed_checks(&h), (n as u32 + 1, 0));
    }
    std::fs::write(&notes, "three").unwrap();
    h.type_keys("c").await;
    assert_eq!(
        open(&h)
            .workspace
            .state
            .local("policy")
            .unwrap()
            .hints_shown,
        1
    );
    assert_eq!(h.app.status.as_deref(), Some("Hint 1 is shown below"));
    assert!(h.render().contains("Hint 1 of 2: A bucket policy"));
}

#[tokio::test]
async fn submitting_asks_first_and_shows_the_verdict_per_step() {
    let mut h = Harness::start().await;
    h.open_lab().await;
    h.type_keys("S").await;
    assert!(h.app.confirm.is_some());
    h.type_keys("y").await;
    assert!(h.app.errors.is_empty(), "{:?}", h.app.errors);
    let verdict = open(&h).verdict.clone().expect("a verdict");
    assert!(!verdict.passed);
    assert!(h.render().contains("Create policy.json in the workspace"));

    let dir = workspace_dir(&h);
    std::fs::write(dir.join("policy.json"), POLICY).unwrap();
    std::fs::write(dir.join("tags.yaml"), "team: storage\n").unwrap();
    h.type_keys("Sy").await;
    assert!(h.app.errors.is_empty(), "{:?}", h.app.errors);
    let verdict = open(&h).verdict.clone().expect("a verdict");
    assert!(verdict.passed, "{verdict:?}");
    assert!(verdict.steps.iter().all(|s| s.passed));
    assert_eq!(
        h.app.status.as_deref(),
        Some("Lab passed: it is recorded as complete")
    );

    // Opened again later from the outline, the passed lab shows its result, read from the
    // server: no new session, no checks.
    let passed_session = open(&h).workspace.state.session_id;
    h.app.lab = None;
    let reports = h.backend.lab_reports().len();
    // The outline, reloaded, knows the lab is passed.
    h.type_keys("3r").await;
    h.open_lab().await;
    assert!(h.app.errors.is_empty(), "{:?}", h.app.errors);
    let result = shown_result(&h);
    assert_eq!(result.session.id, passed_session);
    assert_eq!(result.session.status, LabSessionStatus::Passed);
    assert!(result.workspace_here);
    assert_eq!(
        h.backend.lab_reports().len(),
        reports,
        "nothing was checked"
    );
    assert_eq!(h.app.key_context(), Context::LabResult);
}

fn shown_result(h: &Harness) -> &LabResult {
    h.app
        .lab
        .as_ref()
        .and_then(|l| l.result.as_deref())
        .expect("a result is shown")
}

/// The lab open with every step passed and submitted.
async fn passed_lab() -> Harness {
    let mut h = Harness::start().await;
    h.open_lab().await;
    let dir = workspace_dir(&h);
    std::fs::write(dir.join("policy.json"), POLICY).unwrap();
    std::fs::write(dir.join("tags.yaml"), "team: storage\n").unwrap();
    h.type_keys("cSy").await;
    assert!(open(&h).verdict.as_ref().is_some_and(|v| v.passed));
    h
}

#[tokio::test]
async fn a_passed_lab_opens_on_its_result_and_n_starts_it_again() {
    let mut h = passed_lab().await;
    let passed_session = open(&h).workspace.state.session_id;
    let dir = workspace_dir(&h);
    // Even with its workspace gone, the result comes from the server.
    std::fs::remove_dir_all(&dir).unwrap();
    h.app.lab = None;
    h.type_keys("3r").await;
    h.open_lab().await;
    assert!(h.app.errors.is_empty(), "{:?}", h.app.errors);
    assert!(!shown_result(&h).workspace_here);
    let screen = h.render();
    assert!(screen.contains("Passed on "), "{screen}");
    assert!(screen.contains("✓ 1 Write a bucket policy"), "{screen}");
    assert!(screen.contains("workspace is not in"), "{screen}");
    // Lab keys do nothing here; `N` asks, and only `y` starts again.
    h.type_keys("cRXA").await;
    assert!(h.app.confirm.is_none());
    h.type_keys("N").await;
    let confirm = h.app.confirm.clone().expect("N asks first");
    assert_eq!(confirm.action, ConfirmAction::StartLabAgain);
    h.type_keys("n").await;
    assert!(shown_result(&h).session.id == passed_session);
    h.type_keys("Ny").await;
    assert!(h.app.errors.is_empty(), "{:?}", h.app.errors);
    let state = &open(&h).workspace.state;
    assert_ne!(state.session_id, passed_session);
    assert_eq!(state.status, LabSessionStatus::Active);
    assert!(dir.join("README.md").is_file(), "the starter files");
    let saved = LabWorkspace::open(&dir).unwrap().unwrap();
    assert_eq!(saved.state.session_id, state.session_id);
}

#[tokio::test]
async fn starting_again_writes_over_the_ended_sessions_workspace_keeping_other_files() {
    let mut h = passed_lab().await;
    let dir = workspace_dir(&h);
    std::fs::write(dir.join("README.md"), "my notes on the lab").unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    h.app.lab = None;
    h.type_keys("3r").await;
    h.open_lab().await;
    assert!(shown_result(&h).workspace_here);
    h.type_keys("Ny").await;
    assert!(h.app.errors.is_empty(), "{:?}", h.app.errors);
    assert_eq!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        "# S3 bucket policy\n",
        "a starter file is written again"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(open(&h).workspace.state.status, LabSessionStatus::Active);
}

#[tokio::test]
async fn reset_asks_first_then_puts_the_step_back_with_the_earlier_solutions() {
    let mut h = Harness::start().await;
    h.open_lab().await;
    let dir = workspace_dir(&h);
    std::fs::write(dir.join("policy.json"), POLICY).unwrap();
    std::fs::write(dir.join("tags.yaml"), "owner: me\n").unwrap();
    files_changed(&mut h).await;
    assert_eq!(
        open(&h).workspace.state.current_step.as_deref(),
        Some("tags")
    );

    h.type_keys("R").await;
    let confirm = h.app.confirm.clone().expect("R asks first");
    assert_eq!(
        confirm.action,
        ConfirmAction::ResetLabStep {
            step: "tags".to_owned()
        }
    );
    assert!(
        confirm.message.contains("Your other files stay"),
        "{confirm:?}"
    );
    h.type_keys("n").await;
    assert_eq!(
        std::fs::read_to_string(dir.join("policy.json")).unwrap(),
        POLICY
    );

    h.type_keys("Ry").await;
    assert!(h.app.errors.is_empty(), "{:?}", h.app.errors);
    // The step starts from the solution of the step before it, asked from the server.
    let solution = &lab().files[0];
    assert_eq!(solution.path, "solution/policy/policy.json");
    let written = std::fs::read_to_string(dir.join("policy.json")).unwrap();
    assert_eq!(Some(written.as_str()), solution.text());
    assert_eq!(
        std::fs::read_to_string(dir.join("tags.yaml")).unwrap(),
        "owner: me\n",
        "a file the lab does not know stays"
    );
    let state = &open(&h).workspace.state;
    assert_eq!(state.current_step.as_deref(), Some("tags"));
    assert!(state.local("policy").unwrap().passed);
    assert!(!state.local("tags").unwrap().passed);
    assert_eq!(
        h.app.status.as_deref(),
        Some("Reset step 2: 2 files written, 0 files removed")
    );
    // Checked at once, as it is now.
    assert!(open(&h).results["tags"].failed());
    let saved = LabWorkspace::open(&dir).unwrap().unwrap();
    assert!(
        saved
            .state
            .lab
            .files_under("solution/policy")
            .next()
            .is_some()
    );

    // The whole lab: the starter files, and the solution files the lab knows removed.
    std::fs::write(dir.join("README.md"), "changed").unwrap();
    h.type_keys("X").await;
    assert_eq!(
        h.app.confirm.as_ref().map(|c| &c.action),
        Some(&ConfirmAction::ResetLab)
    );
    h.type_keys("y").await;
    assert!(h.app.errors.is_empty(), "{:?}", h.app.errors);
    assert_eq!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        "# S3 bucket policy\n"
    );
    assert!(!dir.join("policy.json").exists());
    let state = &open(&h).workspace.state;
    assert_eq!(state.current_step.as_deref(), Some("policy"));
    assert!(state.steps.iter().all(|s| !s.passed));
    assert_eq!(
        h.app.status.as_deref(),
        Some("Reset the whole lab: 1 file written, 1 file removed")
    );
}

#[tokio::test]
async fn a_step_reset_without_the_server_points_to_the_whole_lab_reset() {
    let mut h = Harness::start().await;
    h.open_lab().await;
    std::fs::write(workspace_dir(&h).join("policy.json"), POLICY).unwrap();
    files_changed(&mut h).await;
    h.backend
        .fail_with(crate::backend::BackendError::new("the server is down"));
    h.type_keys("Ry").await;
    let error = h.app.errors.front().expect("an error popup");
    assert_eq!(error.title, "Could not reset the lab");
    assert!(
        error
            .message
            .contains("needs the solution of the earlier step `policy`"),
        "{error:?}"
    );
    assert!(
        error.message.contains("X resets the whole lab"),
        "{error:?}"
    );
}

#[tokio::test]
async fn abandoning_asks_first_ends_the_session_and_shows_it() {
    let mut h = Harness::start().await;
    h.open_lab().await;
    let session = open(&h).workspace.state.session_id;
    let dir = workspace_dir(&h);
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    h.type_keys("A").await;
    assert_eq!(
        h.app.confirm.as_ref().map(|c| &c.action),
        Some(&ConfirmAction::AbandonLab)
    );
    h.type_keys("y").await;
    assert!(h.app.errors.is_empty(), "{:?}", h.app.errors);
    assert_eq!(
        h.backend.lab_session(session).await.unwrap().status,
        LabSessionStatus::Abandoned
    );
    let result = shown_result(&h);
    assert_eq!(result.session.status, LabSessionStatus::Abandoned);
    assert!(h.commands.contains(&Command::UnwatchLab));
    assert!(h.render().contains("Abandoned on "));
    let saved = LabWorkspace::open(&dir).unwrap().unwrap();
    assert_eq!(saved.state.status, LabSessionStatus::Abandoned);
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );
    // Opened again from the outline, the result stays; N starts a new session there.
    h.press(KeyCode::Esc).await;
    h.open_lab().await;
    assert_eq!(shown_result(&h).session.id, session);
    h.type_keys("Ny").await;
    assert!(h.app.errors.is_empty(), "{:?}", h.app.errors);
    assert_ne!(open(&h).workspace.state.session_id, session);
}

#[tokio::test]
async fn an_ended_session_cannot_be_reset_or_abandoned() {
    let mut h = passed_lab().await;
    for keys in ["R", "X", "A"] {
        h.type_keys(keys).await;
        assert!(h.app.confirm.is_none(), "{keys}");
        assert_eq!(
            h.app
                .status
                .as_deref()
                .map(|s| s.starts_with("This lab session is passed")),
            Some(true),
            "{keys}"
        );
    }
}

#[tokio::test]
async fn leaving_the_lab_stops_watching_and_coming_back_resumes_the_workspace() {
    let mut h = Harness::start().await;
    h.open_lab().await;
    let dir = workspace_dir(&h);
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    h.press(KeyCode::Esc).await;
    assert_eq!(h.app.screen, ScreenId::Course);
    assert!(h.commands.contains(&Command::UnwatchLab));

    // Opened afresh: the session is resumed and the folder reused, the learner's files kept.
    h.app.lab = None;
    h.open_lab().await;
    assert!(h.app.errors.is_empty(), "{:?}", h.app.errors);
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[tokio::test]
async fn a_folder_of_another_session_is_left_alone() {
    let mut h = Harness::start().await;
    let other = h.backend.start_lab(COURSE, LAB).await.unwrap();
    let mut session = other.session.clone();
    session.id = uuid::Uuid::new_v4();
    let state = LabState::new("http://elsewhere/", "default", COURSE, &session, lab());
    LabWorkspace::create(&workspace_dir(&h), state, IfNotEmpty::Refuse).unwrap();

    h.open_lab().await;
    let error = h.app.errors.front().expect("an error popup");
    assert!(
        error
            .message
            .contains("is the workspace of another lab session"),
        "{error:?}"
    );
    assert!(h.app.lab.is_none());
    assert_eq!(h.app.screen, ScreenId::Course);
}

#[tokio::test]
async fn a_folder_with_other_files_is_not_written_into() {
    let mut h = Harness::start().await;
    let dir = workspace_dir(&h);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("main.tf"), "keep me").unwrap();
    h.open_lab().await;
    let error = h.app.errors.front().expect("an error popup");
    assert!(error.message.contains("is not empty"), "{error:?}");
    assert!(!dir.join("README.md").exists());
}

#[test]
fn minutes_left_reads_like_the_command_line() {
    let now = time::macros::datetime!(2026-03-01 10:00 UTC);
    let at = |s: i64| now + time::Duration::seconds(s);
    assert_eq!(minutes_left(at(42 * 60 + 30), now), "42 min left");
    assert_eq!(minutes_left(at(65 * 60), now), "1 h 05 min left");
    assert_eq!(minutes_left(at(0), now), "time is up");
}

#[tokio::test]
async fn the_lab_draws_on_small_and_large_terminals() {
    for (width, height) in [(40, 12), (60, 20), (160, 50)] {
        let mut h = Harness::start_sized(width, height).await;
        h.open_lab().await;
        h.type_keys("hG").await;
        let frame = h.render();
        assert!(frame.contains("Lab"), "{width}x{height}:\n{frame}");
    }
}

#[tokio::test]
async fn a_lab_that_runs_programs_asks_first_and_y_allows_them() {
    use crate::backend::fake::FakeBackend;
    let mut h = Harness::start_with(FakeBackend::with_scripted_lab(), 100, 30).await;
    h.open_lab().await;
    assert!(matches!(open(&h).consent, super::Consent::Asking(_)));
    assert!(lab_jobs(&h).is_empty(), "nothing runs before the answer");
    let screen = h.render();
    assert!(
        screen.contains("Allow this course's programs to run?"),
        "{screen}"
    );
    assert!(
        screen.contains("condition `policy-script` runs `sh checks/policy.sh`"),
        "{screen}"
    );
    assert!(screen.contains("| test -f policy.json"), "{screen}");
    // Keys of the lab screen do nothing else while it asks; `y` allows.
    h.type_keys("y").await;
    assert_eq!(open(&h).consent, super::Consent::Allowed);
    assert!(
        matches!(lab_jobs(&h)[..], [LabJob::Allow { .. }]),
        "{:?}",
        lab_jobs(&h)
    );
    let ran = &open(&h).results["policy"];
    let script = ran
        .conditions
        .iter()
        .find(|c| c.id == "policy-script")
        .unwrap();
    assert!(script.failed(), "the script ran: {script:?}");
    // Remembered, for exactly these programs.
    use cloudmaster_core::lab::consent::{self, ConsentKey};
    let store = h.app.lab_consent.clone().unwrap();
    let state = &open(&h).workspace.state;
    let key = ConsentKey {
        server: state.server.clone(),
        course_id: state.course_id.clone(),
        lab_id: state.lab_id.clone(),
        lab_version: state.lab.version,
    };
    assert!(store.granted(&key, &consent::digest(&consent::programs(&state.lab))));
}

#[tokio::test]
async fn declining_the_programs_runs_the_declarative_checks_only() {
    use crate::backend::fake::FakeBackend;
    let mut h = Harness::start_with(FakeBackend::with_scripted_lab(), 100, 30).await;
    h.open_lab().await;
    h.type_keys("x").await;
    assert_eq!(open(&h).consent, super::Consent::Declined);
    let ran = &open(&h).results["policy"];
    let script = ran
        .conditions
        .iter()
        .find(|c| c.id == "policy-script")
        .unwrap();
    assert_eq!(
        script.outcome,
        cloudmaster_core::lab::Outcome::Skipped {
            reason: cloudmaster_core::lab::SKIPPED_DECLINED.to_owned()
        }
    );
    assert!(
        ran.conditions
            .iter()
            .any(|c| c.id == "policy-file" && c.failed())
    );
    assert!(h.render().contains("may not run here"));
    assert!(!h.app.lab_consent.clone().unwrap().path().exists());
}

#[tokio::test]
async fn hint_texts_arrive_from_the_server_and_stay_in_the_workspace() {
    let mut h = Harness::start().await;
    h.open_lab().await;
    let stored = std::fs::read_to_string(workspace_dir(&h).join(".cloudmaster/lab.json")).unwrap();
    for hint in lab().steps.iter().flat_map(|s| &s.hints) {
        assert!(
            !stored.contains(&hint.text),
            "{} reached the workspace",
            hint.text
        );
    }
    h.type_keys("h").await;
    let saved = LabWorkspace::open(&workspace_dir(&h)).unwrap().unwrap();
    let hints = &saved.state.step("policy").unwrap().hints;
    assert_eq!(hints[0].text, lab().steps[0].hints[0].text);
    assert!(
        hints[1].text.is_empty(),
        "the second hint is not revealed yet"
    );
}

/// A TUI served over SSH: the lab shows its standing and sets nothing up on the server.
async fn open_served(h: &mut Harness) {
    h.app.served = true;
    h.open_lab().await;
}

#[tokio::test]
async fn a_served_lab_shows_its_standing_and_sets_nothing_up() {
    let mut h = Harness::start().await;
    open_served(&mut h).await;
    assert_eq!(h.app.screen, ScreenId::Lab);
    assert_eq!(h.app.key_context(), Context::ServedLab);
    assert!(!workspace_dir(&h).exists(), "no workspace on the server");
    assert!(h.backend.lab_sessions(false).await.unwrap().is_empty());
    let screen = h.render();
    assert!(screen.contains("not started"), "{screen}");
    assert!(
        screen.contains(&format!("cloudmaster lab start {COURSE} {LAB}")),
        "{screen}"
    );

    // `c` says where checks run, and runs none.
    h.type_keys("c").await;
    assert!(
        h.app
            .status
            .as_deref()
            .is_some_and(|s| s.contains("cloudmaster lab check")),
        "{:?}",
        h.app.status
    );
    assert!(lab_jobs(&h).is_empty());
    assert!(
        !h.commands
            .iter()
            .any(|c| matches!(c, Command::WatchLab { .. }))
    );
}

#[tokio::test]
async fn a_served_lab_follows_a_session_started_elsewhere() {
    let mut h = Harness::start().await;
    open_served(&mut h).await;
    // The learner starts the lab on their own machine, then reloads here.
    h.backend.start_lab(COURSE, LAB).await.unwrap();
    h.type_keys("r").await;
    let served = h
        .app
        .lab
        .as_ref()
        .and_then(|l| l.served.as_deref())
        .unwrap();
    let session = served
        .session
        .as_ref()
        .expect("the session started elsewhere");
    assert_eq!(session.status, LabSessionStatus::Active);
    let screen = h.render();
    assert!(screen.contains("Session open since"), "{screen}");
    assert!(screen.contains("○ 1"), "{screen}");
}

#[tokio::test]
async fn a_served_lab_that_fails_to_reload_stays_and_one_that_never_arrived_leaves() {
    let mut h = Harness::start().await;
    open_served(&mut h).await;
    let failed = || {
        Action::Loaded(Box::new(crate::action::Loaded::ServedLab {
            course: COURSE.to_owned(),
            lab: LAB.to_owned(),
            result: Err(crate::backend::BackendError::new("connection refused")),
        }))
    };

    // A failed reload: the standing shown stands, and the error says what failed.
    h.dispatch(failed()).await;
    assert_eq!(h.app.screen, ScreenId::Lab);
    assert!(h.app.lab.as_ref().is_some_and(|l| l.served.is_some()));
    assert_eq!(h.app.errors.len(), 1);

    // Nothing shown yet: the screen gives way, as a lab that could not open does.
    h.app.lab.as_mut().unwrap().served = None;
    h.dispatch(failed()).await;
    assert!(h.app.lab.is_none());
    assert_ne!(h.app.screen, ScreenId::Lab);
}
