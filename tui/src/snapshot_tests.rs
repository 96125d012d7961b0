//! Whole screens at 80x24, as the user sees them (text only; styles are covered by the
//! unit tests), with the fake backend's data. Review changes with `cargo insta review` or
//! `INSTA_UPDATE=always cargo test -p cloudmaster-tui` and reading the `.snap` diff.

use cloudmaster_core::api::{LessonProgressUpdate, LessonStatus};
use ratatui::crossterm::event::KeyCode;

use crate::action::Action;
use crate::backend::fake::quiz::COURSE;
use crate::backend::{Backend, BackendError};
use crate::test_support::Harness;

/// A harness with the module quiz unlocked and open at its first question.
async fn quiz_started() -> Harness {
    let mut h = Harness::start().await;
    let done = LessonProgressUpdate {
        status: LessonStatus::Completed,
        position: None,
    };
    h.backend
        .record_lesson_progress(COURSE, "regions-azs", &done)
        .await
        .unwrap();
    h.type_keys("oj").await;
    h.press(KeyCode::Enter).await;
    h
}

#[tokio::test]
async fn dashboard() {
    let h = Harness::start().await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn catalog() {
    let mut h = Harness::start().await;
    h.type_keys("2").await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn catalog_with_search_hits() {
    let mut h = Harness::start().await;
    h.type_keys("2/cloud").await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn course_outline() {
    let mut h = Harness::start().await;
    h.type_keys("o").await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn lesson_reader_with_code_block_and_table() {
    let mut h = Harness::start().await;
    // Continue: the resume lesson opens at its saved position, the code block.
    h.press(KeyCode::Enter).await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn lesson_reader_narrow() {
    let mut h = Harness::start_sized(60, 20).await;
    h.press(KeyCode::Enter).await;
    h.type_keys("g").await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn help_popup() {
    let mut h = Harness::start().await;
    h.press(KeyCode::Enter).await;
    h.type_keys("?").await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn error_popup() {
    let mut h = Harness::start().await;
    h.backend.fail_with(BackendError::new(
        "could not reach the cloudmaster server at http://127.0.0.1:8080/ (connection failed)",
    ));
    h.type_keys("r").await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn quiz_question_with_choices() {
    let mut h = quiz_started().await;
    // A choice made, and the cursor moved on from it.
    h.type_keys("jj kk j").await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn quiz_multiple_response_question() {
    let mut h = quiz_started().await;
    h.type_keys("n jj ").await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn quiz_ordering_question() {
    let mut h = quiz_started().await;
    h.type_keys("nnn").await;
    h.press(KeyCode::Enter).await;
    h.press(KeyCode::Enter).await;
    h.type_keys("jJ").await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn mock_exam_with_a_scenario_and_a_countdown() {
    let mut h = Harness::start().await;
    h.type_keys("oG").await;
    h.press(KeyCode::Enter).await;
    h.type_keys("nn").await;
    h.type_keys("3").await;
    let deadline = h
        .app
        .quiz
        .as_ref()
        .unwrap()
        .runner()
        .unwrap()
        .attempt
        .deadline;
    let now = deadline.unwrap() - time::Duration::seconds(4 * 60 + 7);
    h.dispatch(Action::Tick(now)).await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn quiz_submit_confirmation() {
    let mut h = quiz_started().await;
    h.type_keys(" s").await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn quiz_result() {
    let mut h = quiz_started().await;
    // Right, right, right, wrong, skipped, left as shown.
    h.type_keys(" nj jj n n3").await;
    h.press(KeyCode::Enter).await;
    h.press(KeyCode::Enter).await;
    h.type_keys("sy").await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn quiz_help() {
    let mut h = quiz_started().await;
    h.type_keys("?").await;
    insta::assert_snapshot!(h.render());
}
