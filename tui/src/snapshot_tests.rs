//! Whole screens at 80x24, as the user sees them (text only; styles are covered by the
//! unit tests), with the fake backend's data. Review changes with `cargo insta review` or
//! `INSTA_UPDATE=always cargo test -p cloudmaster-tui` and reading the `.snap` diff.

use ratatui::crossterm::event::KeyCode;

use crate::backend::BackendError;
use crate::test_support::Harness;

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
