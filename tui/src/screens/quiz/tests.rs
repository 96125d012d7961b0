//! The quiz runner driven through `update` against the fake backend, whose quiz has one
//! question of every type and whose mock exam is timed.

use cloudmaster_core::api::{AttemptStatus, LessonProgressUpdate, LessonStatus};
use cloudmaster_core::assess::Response;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Phase, ResultView, Runner};
use crate::action::{Action, Command, Request, TICK};
use crate::app::ScreenId;
use crate::backend::Backend;
use crate::backend::fake::quiz::COURSE;
use crate::keymap::Context;
use crate::test_support::Harness;

/// Completes the last lesson of the quiz's module, which unlocks the quiz.
async fn unlock_quiz(h: &Harness) {
    let done = LessonProgressUpdate {
        status: LessonStatus::Completed,
        position: None,
    };
    h.backend
        .record_lesson_progress(COURSE, "regions-azs", &done)
        .await
        .unwrap();
}

/// From the dashboard: the outline, then Enter on the quiz (right below the resume lesson).
async fn open_quiz(h: &mut Harness) {
    h.type_keys("oj").await;
    h.press(KeyCode::Enter).await;
}

/// From the dashboard: the outline, then Enter on the mock exam (its last entry), and `y`
/// when asked whether to start the clock (a new timed attempt).
async fn open_exam(h: &mut Harness) {
    h.type_keys("oG").await;
    h.press(KeyCode::Enter).await;
    if h.app.confirm.is_some() {
        h.type_keys("y").await;
    }
}

#[tokio::test]
async fn a_timed_exam_starts_only_once_confirmed() {
    let mut h = Harness::start().await;
    h.type_keys("oG").await;
    h.press(KeyCode::Enter).await;
    let popup = h
        .app
        .confirm
        .clone()
        .expect("asked before the clock starts");
    assert!(popup.message.contains("time limit"), "{popup:?}");
    assert!(h.app.quiz.is_none(), "nothing started yet");
    // Declining starts nothing; confirming starts the attempt.
    h.press(KeyCode::Esc).await;
    assert!(h.app.confirm.is_none() && h.app.quiz.is_none());
    h.press(KeyCode::Enter).await;
    h.type_keys("y").await;
    assert!(runner(&h).attempt.deadline.is_some());
    // Back to the outline and in again: the open attempt resumes without asking.
    h.type_keys("o").await;
    h.press(KeyCode::Enter).await;
    assert!(h.app.confirm.is_none());
}

fn runner(h: &Harness) -> &Runner {
    h.app
        .quiz
        .as_ref()
        .and_then(|q| q.runner())
        .expect("an attempt is being answered")
}

fn result(h: &Harness) -> &ResultView {
    match &h.app.quiz.as_ref().expect("a quiz").phase {
        Phase::Finished(view) => view,
        other => panic!("no result yet: {other:?}"),
    }
}

/// Moves the cursor to the choice shown at `row`.
async fn cursor_to(h: &mut Harness, row: usize) {
    while runner(h).cursor() > 0 {
        h.type_keys("k").await;
    }
    for _ in 0..row {
        h.type_keys("j").await;
    }
}

/// The row of the option with `text` of the question shown.
fn row_of(h: &Harness, text: &str) -> usize {
    let question = runner(h).question();
    question
        .options
        .iter()
        .position(|o| o.text == text)
        .unwrap_or_else(|| panic!("no option {text:?}"))
}

/// The letter the question shown shows the option with `text` under.
fn letter_of(h: &Harness, text: &str) -> String {
    runner(h).question().options[row_of(h, text)].id.clone()
}

async fn choose(h: &mut Harness, text: &str) {
    let row = row_of(h, text);
    cursor_to(h, row).await;
    h.type_keys(" ").await;
}

const SAAS: &str = "Software as a Service (SaaS)";
const PAAS: &str = "Platform as a Service (PaaS)";
const IAAS: &str = "Infrastructure as a Service (IaaS)";
const FIXED_TO_VARIABLE: &str = "Trade fixed expense for variable expense";
const ZERO_DOWNTIME: &str = "Guaranteed zero downtime";
const GO_GLOBAL: &str = "Go global in minutes";
const NO_SECURITY: &str = "No responsibility for security";

/// Puts the items of the ordering shown in the order of their texts with J/K.
async fn arrange(h: &mut Harness, order: &[&str]) {
    for (place, text) in order.iter().enumerate() {
        let index = row_of(h, text);
        let super::draft::Draft::Order { order: now, .. } = runner(h).draft() else {
            panic!("not an ordering");
        };
        let row = now.iter().position(|i| *i == index).unwrap();
        cursor_to(h, row).await;
        for _ in place..row {
            h.type_keys("K").await;
        }
    }
}

fn saved(h: &Harness) -> std::collections::BTreeMap<String, Response> {
    h.backend.saved_answers(runner(h).attempt.id)
}

fn ticks(commands: &[Command]) -> Vec<std::time::Duration> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Tick { delay } => Some(*delay),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_locked_quiz_shows_the_server_s_message() {
    let mut h = Harness::start().await;
    open_quiz(&mut h).await;
    let error = h.app.errors.front().expect("an error popup");
    assert_eq!(error.title, "Could not start the attempt");
    assert!(
        error
            .message
            .contains("is locked: finish module `cloud-concepts`"),
        "{}",
        error.message
    );
    assert!(h.app.quiz.is_none());
    assert_eq!(h.app.screen, ScreenId::Course);
}

#[tokio::test]
async fn every_question_type_is_answered_saved_and_graded() {
    let mut h = Harness::start().await;
    unlock_quiz(&h).await;
    open_quiz(&mut h).await;
    assert_eq!(h.app.screen, ScreenId::Quiz);
    assert_eq!(runner(&h).question().id, "service-models");
    // No clock for an untimed quiz.
    assert!(ticks(&h.commands).is_empty());

    // Options are lettered a, b, c in the order shown, whatever the shuffle.
    let letters: Vec<&str> = runner(&h)
        .question()
        .options
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(letters, ["a", "b", "c"]);
    // Single choice: Space picks one; moving on saves it, by the letter shown.
    choose(&mut h, SAAS).await;
    choose(&mut h, IAAS).await;
    let iaas = letter_of(&h, IAAS);
    h.type_keys("n").await;
    assert_eq!(
        saved(&h)["service-models"],
        Response::SingleChoice { choice: iaas }
    );

    // Multiple response: Space toggles.
    choose(&mut h, FIXED_TO_VARIABLE).await;
    choose(&mut h, ZERO_DOWNTIME).await;
    choose(&mut h, GO_GLOBAL).await;
    choose(&mut h, ZERO_DOWNTIME).await;
    let mut right = vec![letter_of(&h, FIXED_TO_VARIABLE), letter_of(&h, GO_GLOBAL)];
    right.sort();
    h.press(KeyCode::Right).await;
    let Response::MultipleResponse { choices } = &saved(&h)["cloud-benefits"] else {
        panic!("not a multiple response");
    };
    let mut choices = choices.clone();
    choices.sort();
    assert_eq!(choices, right);

    // True/false: True is first.
    cursor_to(&mut h, 0).await;
    h.press(KeyCode::Enter).await;
    h.type_keys("n").await;
    assert_eq!(
        saved(&h)["az-isolation"],
        Response::TrueFalse { value: true }
    );

    // Numeric: the answer box takes the keys at once, letters and digits alike.
    assert_eq!(h.app.key_context(), Context::AnswerInput);
    h.type_keys("2n").await;
    h.press(KeyCode::Enter).await;
    assert_eq!(runner(&h).question().id, "az-minimum");
    assert!(h.app.status.as_deref().unwrap().contains("not a number"));
    h.press(KeyCode::Backspace).await;
    h.press(KeyCode::Enter).await;
    assert_eq!(saved(&h)["az-minimum"], Response::Numeric { value: 2.0 });

    // Short text, trimmed.
    assert_eq!(runner(&h).question().id, "pricing-model");
    h.type_keys(" Pay as you go ").await;
    h.press(KeyCode::Enter).await;
    assert_eq!(
        saved(&h)["pricing-model"],
        Response::ShortText {
            text: "Pay as you go".into()
        }
    );

    // Ordering: J/K move the highlighted item.
    assert_eq!(runner(&h).question().id, "launch-steps");
    assert_eq!(h.app.key_context(), Context::Screen(ScreenId::Quiz));
    arrange(
        &mut h,
        &[
            "Choose an AMI",
            "Choose an instance type",
            "Launch the instance",
            "Connect to it",
        ],
    )
    .await;
    assert_eq!(runner(&h).unanswered(), 0);

    // All answered: `s` submits without asking.
    h.type_keys("s").await;
    assert!(h.app.confirm.is_none());
    let view = result(&h);
    assert_eq!(view.result.score_percent, 100.0);
    assert!(view.result.passed);
    assert_eq!(view.result.domains.len(), 2);
    assert_eq!(h.app.key_context(), Context::QuizResult);
    assert!(h.app.dashboard.stale);
    // The outline was reloaded with the best score.
    let course = h.app.course.as_ref().unwrap();
    let info = &course.data.data.as_ref().unwrap().assessments[0];
    assert_eq!((info.best_score, info.passed), (Some(100.0), true));
}

#[tokio::test]
async fn the_result_scrolls_and_explains_every_question() {
    let mut h = Harness::start().await;
    unlock_quiz(&h).await;
    open_quiz(&mut h).await;
    choose(&mut h, PAAS).await;
    let (paas, iaas) = (letter_of(&h, PAAS), letter_of(&h, IAAS));
    let shown: Vec<String> = runner(&h)
        .question()
        .options
        .iter()
        .map(|o| format!("{}) {}", o.id, o.text))
        .collect();
    h.type_keys("s").await;
    // Five unanswered: asked first; `n` keeps answering.
    let confirm = h.app.confirm.as_ref().expect("a confirmation");
    assert!(
        confirm
            .message
            .starts_with("5 of 6 questions are not answered")
    );
    h.type_keys("n").await;
    assert!(h.app.confirm.is_none());
    assert!(runner(&h).attempt.result.is_none());
    h.type_keys("sy").await;
    let view = result(&h);
    assert_eq!(view.result.score_percent, 0.0);
    let text: Vec<String> = view.wrapped.lines.iter().map(|l| l.to_string()).collect();
    let all = text.join("\n");
    assert!(
        all.contains("✗ not passed with 0% (pass mark 80%)"),
        "{all}"
    );
    // The options in the order and under the letters of the question as shown.
    let listed = shown
        .iter()
        .map(|o| format!("     {o}"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(all.contains(&listed), "{listed}\nin {all}");
    assert!(
        all.contains(&format!("Your answer: {paas}) {PAAS}")),
        "{all}"
    );
    assert!(
        all.contains(&format!("Correct:     {iaas}) {IAAS}")),
        "{all}"
    );
    // The one answer comes back for review: wrong, after the relearning step.
    assert!(
        all.contains("The questions you answered come back for review"),
        "{all}"
    );
    assert!(all.contains("(not answered)"));
    assert!(all.contains("Two AZs survive the loss of one."));
    h.type_keys("G").await;
    assert!(result(&h).scroll > 0);
    h.type_keys("g").await;
    assert_eq!(result(&h).scroll, 0);
    // Esc goes back to the outline, with the quiz selected.
    h.press(KeyCode::Esc).await;
    assert_eq!(h.app.screen, ScreenId::Course);
    let course = h.app.course.as_ref().unwrap();
    assert!(matches!(
        course.selected(),
        Some(crate::screens::course::Entry::Quiz(..))
    ));
}

#[tokio::test]
async fn moving_back_keeps_answers_and_leaving_saves_the_one_shown() {
    let mut h = Harness::start().await;
    unlock_quiz(&h).await;
    open_quiz(&mut h).await;
    choose(&mut h, IAAS).await;
    h.type_keys("n").await;
    choose(&mut h, NO_SECURITY).await;
    h.type_keys("p").await;
    assert_eq!(runner(&h).question().id, "service-models");
    assert!(runner(&h).answered(0) && runner(&h).answered(1));
    h.type_keys("p").await;
    assert_eq!(h.app.status.as_deref(), Some("This is the first question"));
    // Leaving the screen saves the answer shown; coming back resumes the same attempt.
    h.type_keys("n").await;
    choose(&mut h, FIXED_TO_VARIABLE).await;
    h.press(KeyCode::Esc).await;
    assert_eq!(h.app.screen, ScreenId::Course);
    let attempt = h.app.quiz.as_ref().unwrap().runner().unwrap().attempt.id;
    let answers = h.backend.saved_answers(attempt);
    let Response::MultipleResponse { choices } = &answers["cloud-benefits"] else {
        panic!("not a multiple response");
    };
    assert_eq!(choices.len(), 2);
    h.press(KeyCode::Enter).await;
    assert_eq!(h.app.screen, ScreenId::Quiz);
    assert_eq!(runner(&h).attempt.id, attempt);
    // Quitting saves too.
    h.type_keys("j ").await;
    h.type_keys("q").await;
    assert!(h.app.should_quit);
    let Response::MultipleResponse { choices } =
        &h.backend.saved_answers(attempt)["cloud-benefits"]
    else {
        panic!("not a multiple response");
    };
    assert_eq!(choices.len(), 3);
}

#[tokio::test]
async fn a_saved_answer_cannot_be_cleared() {
    let mut h = Harness::start().await;
    unlock_quiz(&h).await;
    open_quiz(&mut h).await;
    h.type_keys("nnn").await;
    h.type_keys("7").await;
    h.press(KeyCode::Enter).await;
    h.press(KeyCode::Esc).await;
    h.type_keys("p").await;
    assert_eq!(runner(&h).question().id, "az-minimum");
    h.dispatch(Action::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )))
    .await;
    h.press(KeyCode::Enter).await;
    assert!(
        h.app
            .status
            .as_deref()
            .unwrap()
            .contains("cannot be taken back")
    );
    assert!(runner(&h).answered(3));
}

#[tokio::test]
async fn the_countdown_ticks_only_on_screen_and_submits_when_time_is_up() {
    let mut h = Harness::start().await;
    open_exam(&mut h).await;
    assert_eq!(ticks(&h.commands), [std::time::Duration::ZERO]);
    let deadline = runner(&h).attempt.deadline.expect("a timed attempt");
    let at = |seconds: i64| deadline - time::Duration::seconds(seconds);

    h.commands.clear();
    h.dispatch(Action::Tick(at(65))).await;
    assert!(h.render().contains("1:05 left"));
    assert_eq!(ticks(&h.commands), [TICK]);
    h.dispatch(Action::Tick(at(64))).await;
    assert!(h.render().contains("1:04 left"));

    // Off screen the clock stops after the tick on its way; back on screen it reads the
    // time at once.
    h.press(KeyCode::Esc).await;
    h.commands.clear();
    h.dispatch(Action::Tick(at(63))).await;
    assert!(ticks(&h.commands).is_empty());
    h.type_keys("5").await;
    assert_eq!(ticks(&h.commands), [std::time::Duration::ZERO]);

    choose(&mut h, IAAS).await;
    let iaas = letter_of(&h, IAAS);
    h.commands.clear();
    h.dispatch(Action::Tick(at(0))).await;
    // What was answered is submitted; the fake's clock is still within the time.
    let submit = h.commands.iter().find_map(|c| match c {
        Command::Fetch(Request::SubmitAttempt { answers, .. }) => Some(answers.clone()),
        _ => None,
    });
    assert_eq!(
        submit.unwrap()["service-models"],
        Response::SingleChoice { choice: iaas }
    );
    assert_eq!(result(&h).result.score_percent, 25.0);
    assert!(ticks(&h.commands).is_empty());
}

#[tokio::test]
async fn an_attempt_closed_by_the_server_shows_why_and_the_result() {
    let mut h = Harness::start().await;
    open_exam(&mut h).await;
    choose(&mut h, IAAS).await;
    h.type_keys("n").await;
    h.press(KeyCode::Enter).await;
    h.backend.expire_open_attempts();
    h.type_keys("n").await;
    let error = h.app.errors.front().expect("an error popup");
    assert_eq!(error.title, "The attempt is closed");
    assert!(error.message.contains("time limit"), "{}", error.message);
    // Graded on what was saved in time: the first answer, not the one refused.
    let view = result(&h);
    assert_eq!(view.result.closed_by, AttemptStatus::Expired);
    assert_eq!(view.result.score_percent, 25.0);
}

#[tokio::test]
async fn attempt_limits_are_the_server_s_to_enforce() {
    let mut h = Harness::start().await;
    for _ in 0..2 {
        open_exam(&mut h).await;
        h.type_keys("sy").await;
        result(&h);
        h.press(KeyCode::Esc).await;
        h.type_keys("1").await;
    }
    open_exam(&mut h).await;
    let error = h.app.errors.front().expect("an error popup");
    assert!(
        error.message.contains("you have used all 2 attempts"),
        "{}",
        error.message
    );
    assert_eq!(h.app.screen, ScreenId::Course);
}

#[tokio::test]
async fn the_dashboard_shows_readiness_once_there_is_enough_evidence() {
    let mut h = Harness::start().await;
    let asked: Vec<&Request> = h
        .commands
        .iter()
        .filter_map(|c| match c {
            Command::Fetch(r @ Request::Readiness { .. }) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(asked.len(), 2);
    assert!(
        h.render()
            .contains("Readiness 72% to pass (58%–84%) · 3 reviews due")
    );

    h.backend.set_earlier_answers(3);
    h.type_keys("r").await;
    assert!(
        h.render()
            .contains("Readiness not enough answers yet (3 of 10)")
    );
    // Wrong answers come up for review, graded ones count as evidence.
    open_exam(&mut h).await;
    choose(&mut h, SAAS).await;
    h.type_keys("sy").await;
    h.type_keys("1").await;
    let screen = h.render();
    assert!(screen.contains("(4 of 10) · 4 reviews due"), "{screen}");
}
