//! The preview backend on the bundled `cloud-foundations` course: through the [`Backend`]
//! trait, and through the app (keys in, frames out) as `cloudmaster course preview` runs it.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;

use cloudmaster_core::api::{CheckReport, LessonProgressUpdate, LessonStatus, SubmitAttempt};
use cloudmaster_core::assess::{PublicQuestion, Response};
use cloudmaster_core::course::{Course, QuestionKind, load_course};
use cloudmaster_core::lab::{ArchiveLimits, IfNotEmpty, pack_workspace};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::PreviewBackend;
use crate::action::{Action, Command};
use crate::app::{App, update};
use crate::backend::Backend;
use crate::tasks::perform;
use crate::ui::render;

const COURSE: &str = "cloud-foundations";

fn course() -> Course {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../courses/cloud-foundations");
    let (course, diagnostics) = load_course(&dir).expect("the bundled course loads");
    assert!(
        !cloudmaster_core::course::has_errors(&diagnostics),
        "{diagnostics:?}"
    );
    course
}

/// The right response to `question`, from the course's answer key.
/// The right answer to `shown` (a question as the attempt shows it), options named by the
/// letters it shows them under.
fn right_answer(course: &Course, shown: &PublicQuestion) -> Response {
    let question = course
        .question(&shown.id)
        .expect("a drawn question is in the bank");
    let letter = |id: &String| -> String {
        let options = question.kind.options().unwrap_or_default();
        let text = &options.iter().find(|o| &o.id == id).unwrap().text;
        let option = shown.options.iter().find(|o| &o.text == text).unwrap();
        option.id.clone()
    };
    match &question.kind {
        QuestionKind::SingleChoice { answer, .. } => Response::SingleChoice {
            choice: letter(answer),
        },
        QuestionKind::MultipleResponse { answer, .. } => Response::MultipleResponse {
            choices: answer.iter().map(letter).collect(),
        },
        QuestionKind::TrueFalse { answer } => Response::TrueFalse { value: *answer },
        QuestionKind::Numeric { answer, .. } => Response::Numeric { value: *answer },
        QuestionKind::ShortText { accept, .. } => Response::ShortText {
            text: accept[0].clone(),
        },
        QuestionKind::Ordering { answer, .. } => Response::Ordering {
            order: answer.iter().map(letter).collect(),
        },
    }
}

#[tokio::test]
async fn lessons_and_progress_need_no_server_and_nothing_is_locked() {
    let preview = PreviewBackend::new(vec![course()]);
    let enrolled = preview.enrollments().await.unwrap();
    assert_eq!(enrolled[0].course_id, COURSE);
    let detail = preview.course(COURSE).await.unwrap();
    assert_eq!(detail.modules[0].id, "cloud-concepts");
    // A lesson of the last module opens although nothing before it is done.
    let last = detail.modules.last().unwrap().lessons[0].id.clone();
    let lesson = preview.lesson(COURSE, &last).await.unwrap();
    assert!(lesson.body.contains('#'), "{}", lesson.body);

    let done = LessonProgressUpdate {
        status: LessonStatus::Completed,
        position: None,
    };
    preview
        .record_lesson_progress(COURSE, "what-is-cloud", &done)
        .await
        .unwrap();
    let progress = preview.course_progress(COURSE).await.unwrap();
    assert_eq!(progress.completed_lessons, 1);
    assert_eq!(progress.resume.unwrap().lesson_id, "service-models");

    let err = preview.lesson(COURSE, "no-such-lesson").await.unwrap_err();
    assert_eq!(err.code.as_deref(), Some("not_found"));
    let err = preview.course("no-such-course").await.unwrap_err();
    assert!(err.message.contains("cloud-foundations"), "{err}");

    let hits = preview.search("availability zone", 10).await.unwrap();
    assert!(hits.iter().any(|h| h.lesson_id.is_some()), "{hits:?}");
    for hit in &hits {
        assert!(!hit.snippet.contains("**"), "{}", hit.snippet);
        assert!(
            hit.snippet.to_lowercase().contains("[availability zone"),
            "{}",
            hit.snippet
        );
    }
}

#[tokio::test]
async fn quizzes_are_graded_locally_with_explanations() {
    let course = course();
    let preview = PreviewBackend::new(vec![course.clone()]);
    let infos = preview.assessments(COURSE).await.unwrap();
    assert!(infos.iter().all(|i| !i.locked));
    assert!(infos.iter().any(|i| i.id == "foundations-mock"));

    let attempt = preview
        .start_attempt(COURSE, "cloud-concepts-quiz")
        .await
        .unwrap();
    assert_eq!(attempt.questions.len(), 6);
    // Starting again resumes the open attempt.
    let again = preview
        .start_attempt(COURSE, "cloud-concepts-quiz")
        .await
        .unwrap();
    assert_eq!(again.id, attempt.id);

    // All right but the first, which is left unanswered.
    let answers: BTreeMap<String, Response> = attempt.questions[1..]
        .iter()
        .map(|q| (q.id.clone(), right_answer(&course, q)))
        .collect();
    let result = preview
        .submit_attempt(attempt.id, &SubmitAttempt { answers })
        .await
        .unwrap();
    assert_eq!(result.max_points, 6);
    assert_eq!(result.points, 5.0);
    assert!(result.passed, "5 of 6 passes a 70% mark");
    let missed = &result.questions[0];
    assert!(!missed.correct && missed.response.is_none());
    let asked = course.question(&missed.question_id).unwrap();
    assert_eq!(missed.explanation, asked.explanation);
    assert!(!missed.correct_answer.is_empty());

    let infos = preview.assessments(COURSE).await.unwrap();
    let quiz = infos
        .iter()
        .find(|i| i.id == "cloud-concepts-quiz")
        .unwrap();
    assert_eq!((quiz.attempts_used, quiz.passed), (1, true));
    let err = preview
        .save_answer(
            attempt.id,
            &attempt.questions[0].id,
            &right_answer(&course, &attempt.questions[0]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("attempt_closed"));

    // The graded answers are evidence for readiness.
    let report = preview.readiness(COURSE).await.unwrap();
    let readiness = report.readiness.expect("the course prepares for an exam");
    assert!(readiness.domains.iter().map(|d| d.answers).sum::<u32>() >= 5);
}

#[tokio::test]
async fn labs_run_their_checks_and_submissions_are_verified() {
    let course = course();
    let preview = PreviewBackend::new(vec![course.clone()]);
    let labs = preview.labs(COURSE).await.unwrap();
    assert!(labs.iter().any(|l| l.id == "cidr-plan" && !l.locked));

    let started = preview.start_lab(COURSE, "cidr-plan").await.unwrap();
    assert!(
        started
            .lab
            .files
            .iter()
            .all(|f| !f.path.starts_with("solution/")),
        "no solutions are handed out"
    );
    let session = started.session.id;
    let step = started.lab.steps[0].id.clone();
    let failed = CheckReport {
        step: step.clone(),
        passed: false,
        conditions: Vec::new(),
        new_content: true,
    };
    let after = preview.report_check(session, &failed).await.unwrap();
    assert_eq!(after.steps[0].failed_checks, 1);

    // The starter files do not pass; the solution does.
    let lab = course.lab("cidr-plan").unwrap();
    let dir = tempfile::tempdir().unwrap();
    cloudmaster_core::lab::materialize_starter(lab, dir.path(), IfNotEmpty::Refuse).unwrap();
    let starter = pack_workspace(dir.path(), &ArchiveLimits::default(), |_| {}).unwrap();
    let verdict = preview
        .submit_lab(session, starter.bytes, &[])
        .await
        .unwrap();
    assert!(!verdict.passed);
    for step in &lab.steps {
        cloudmaster_core::lab::apply_solution(lab, &step.id, dir.path()).unwrap();
    }
    let reported = cloudmaster_core::lab::self_report(
        dir.path(),
        lab,
        &cloudmaster_core::lab::RunOptions::LOCAL,
    )
    .0;
    let solved = pack_workspace(dir.path(), &ArchiveLimits::default(), |_| {}).unwrap();
    let verdict = preview
        .submit_lab(session, solved.bytes, &reported)
        .await
        .unwrap();
    assert!(verdict.passed, "{verdict:?}");
    assert!(
        preview
            .labs(COURSE)
            .await
            .unwrap()
            .iter()
            .any(|l| l.id == "cidr-plan" && l.passed)
    );
}

#[tokio::test]
async fn a_preview_lab_reveals_passed_solutions_and_can_be_abandoned() {
    let course = course();
    let preview = PreviewBackend::new(vec![course.clone()]);
    let started = preview.start_lab(COURSE, "cidr-plan").await.unwrap();
    let session = started.session.id;
    let step = started.lab.steps[0].id.clone();
    // A reset needs the solutions of the steps passed before: not of one still open.
    let refused = preview.step_solution(session, &step).await.unwrap_err();
    assert_eq!(refused.code.as_deref(), Some("conflict"));
    let passed = CheckReport {
        step: step.clone(),
        passed: true,
        conditions: Vec::new(),
        new_content: true,
    };
    preview.report_check(session, &passed).await.unwrap();
    let solution = preview.step_solution(session, &step).await.unwrap();
    let lab = course.lab("cidr-plan").unwrap();
    let folder = format!("{}/", lab.steps[0].solution.trim_matches('/'));
    let authored: Vec<&str> = lab
        .files
        .iter()
        .filter_map(|f| f.path.strip_prefix(&folder))
        .collect();
    let revealed: Vec<&str> = solution.files.iter().map(|f| f.path.as_str()).collect();
    assert!(!revealed.is_empty());
    assert_eq!(revealed, authored, "paths relative to the workspace");

    assert_eq!(preview.lab_sessions(true).await.unwrap().len(), 1);
    preview.abandon_lab(session).await.unwrap();
    preview.abandon_lab(session).await.expect("again is fine");
    assert!(preview.lab_sessions(true).await.unwrap().is_empty());
    let all = preview.lab_sessions(false).await.unwrap();
    assert_eq!(
        all[0].status,
        cloudmaster_core::api::LabSessionStatus::Abandoned
    );
    let closed = preview.report_check(session, &passed).await.unwrap_err();
    assert_eq!(closed.code.as_deref(), Some("session_closed"));
}

#[tokio::test]
async fn a_preview_has_nothing_due_for_review() {
    let preview = PreviewBackend::new(vec![course()]);
    let queue = preview.review_queue(Some(COURSE), None).await.unwrap();
    assert_eq!((queue.due, queue.items.len()), (0, 0));
    assert!(preview.review_queue(Some("nope"), None).await.is_err());
}

#[tokio::test]
async fn the_tutor_needs_a_server() {
    let preview = PreviewBackend::new(vec![course()]);
    let question = cloudmaster_core::api::TutorQuestion {
        question: "What is a Region?".to_owned(),
        course: Some(COURSE.to_owned()),
        ..Default::default()
    };
    let Err(err) = preview.ask_tutor(&question).await else {
        panic!("a preview has no tutor");
    };
    assert!(err.message.contains("course preview"), "{err}");
}

/// Drives the app on a preview as the runtime does, every request answered at once.
async fn dispatch(app: &mut App, backend: &PreviewBackend, action: Action) {
    let mut queue = VecDeque::from([action]);
    while let Some(action) = queue.pop_front() {
        for command in update(app, action) {
            match command {
                Command::Fetch(request) => {
                    let loaded = perform(backend, request).await;
                    queue.push_back(Action::Loaded(Box::new(loaded)));
                }
                Command::Debounce { seq, .. } => queue.push_back(Action::SearchDue(seq)),
                // The preview has no tutor (`the_tutor_needs_a_server`).
                Command::Tick { .. }
                | Command::ReadClock { .. }
                | Command::WatchLab { .. }
                | Command::UnwatchLab
                | Command::AskTutor { .. }
                | Command::CancelTutor => {}
            }
        }
    }
}

fn screen(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(app.width, app.height)).unwrap();
    terminal.draw(|frame| render(app, frame)).unwrap();
    terminal.backend().to_string()
}

#[tokio::test]
async fn the_tui_shows_a_preview_like_a_server() {
    let backend = PreviewBackend::new(vec![course()]);
    let lab_dir = tempfile::tempdir().unwrap();
    let mut app = App::new();
    app.lab_dir = lab_dir.path().to_owned();
    dispatch(
        &mut app,
        &backend,
        Action::Resize {
            width: 100,
            height: 30,
        },
    )
    .await;
    dispatch(&mut app, &backend, Action::Start).await;
    let dashboard = screen(&app);
    assert!(dashboard.contains("Cloud foundations"), "{dashboard}");
    assert!(dashboard.contains("Course preview"), "{dashboard}");

    // Continue opens the first lesson, rendered.
    dispatch(
        &mut app,
        &backend,
        Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    )
    .await;
    let lesson = screen(&app);
    assert!(lesson.contains("What cloud computing is"), "{lesson}");
}
