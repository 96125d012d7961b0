//! The review screen driven through `update` against the fake backend, whose three seeded
//! items (a single choice, a true/false and a short text question of the AWS course) are
//! graded and rescheduled as on the server.

use cloudmaster_core::assess::Response;
use ratatui::crossterm::event::KeyCode;

use super::Mark;
use crate::action::{Action, Command, Request};
use crate::app::ScreenId;
use crate::backend::fake::quiz::COURSE;
use crate::keymap::Context;
use crate::test_support::Harness;

fn card(h: &Harness) -> &super::Card {
    h.app
        .review
        .as_ref()
        .and_then(|r| r.card.as_deref())
        .expect("an item is shown")
}

/// Moves the cursor to the option whose text contains `text`.
async fn highlight(h: &mut Harness, text: &str) {
    let index = card(h)
        .item
        .question
        .options
        .iter()
        .position(|o| o.text.contains(text))
        .expect("the option is shown");
    h.type_keys(&"j".repeat(index)).await;
}

fn queue_requests(h: &Harness) -> Vec<Option<String>> {
    h.commands
        .iter()
        .filter_map(|c| match c {
            Command::Fetch(Request::ReviewQueue { course }) => Some(course.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn v_on_the_dashboard_reviews_the_courses_items_until_none_is_due() {
    let mut h = Harness::start().await;
    assert!(h.render().contains("3 reviews due"));
    h.type_keys("v").await;
    assert_eq!(h.app.screen, ScreenId::Review);
    assert_eq!(queue_requests(&h), [Some(COURSE.to_owned())]);
    assert_eq!(card(&h).item.question.id, "service-models");
    assert!(h.render().contains("1 of 3 · 3 due"));

    // A single choice: Enter answers with the highlighted option.
    highlight(&mut h, "IaaS").await;
    h.press(KeyCode::Enter).await;
    let outcome = &card(&h).answered.as_ref().expect("graded").outcome;
    assert!(outcome.correct);
    assert_eq!(h.app.key_context(), Context::ReviewOutcome);
    let letter = card(&h)
        .item
        .question
        .options
        .iter()
        .find(|o| o.text.contains("IaaS"))
        .map(|o| o.id.clone())
        .unwrap();
    let answers = h.backend.review_answers();
    assert_eq!(answers[0].0, "service-models");
    assert_eq!(
        answers[0].1.response,
        Response::SingleChoice { choice: letter }
    );
    let screen = h.render();
    assert!(screen.contains("✓ Right"), "{screen}");
    assert!(screen.contains("Comes back"), "{screen}");
    assert!(screen.contains("rated good"), "{screen}");

    // True or false, answered wrong: the right answer and the explanation, back in 10 min.
    h.press(KeyCode::Enter).await;
    assert_eq!(card(&h).item.question.id, "az-isolation");
    h.type_keys("j").await;
    h.press(KeyCode::Enter).await;
    let screen = h.render();
    assert!(screen.contains("✗ Not right"), "{screen}");
    assert!(screen.contains("Your answer:  False"), "{screen}");
    assert!(screen.contains("Right answer: True"), "{screen}");
    assert!(screen.contains("Each AZ has its own power"), "{screen}");
    assert!(screen.contains("in 10 minutes; rated again"), "{screen}");

    // A short text: the answer box takes the keys at once.
    h.press(KeyCode::Enter).await;
    assert_eq!(card(&h).item.question.id, "pricing-model");
    assert_eq!(h.app.key_context(), Context::ReviewInput);
    h.type_keys("pay as you go").await;
    h.press(KeyCode::Enter).await;
    assert!(card(&h).answered.as_ref().unwrap().outcome.correct);

    // The batch is done and nothing else is due: no more asking.
    h.press(KeyCode::Enter).await;
    let review = h.app.review.as_ref().unwrap();
    assert!(review.card.is_none());
    assert_eq!(review.marks, [Mark::Right, Mark::Wrong, Mark::Right]);
    assert_eq!(
        (review.answered, review.right, review.due_left()),
        (3, 2, 0)
    );
    assert_eq!(queue_requests(&h).len(), 1);
    let screen = h.render();
    assert!(screen.contains("you reviewed 3 items, 2 right"), "{screen}");
    assert!(screen.contains("Nothing is due for review now"), "{screen}");

    // Back on the dashboard, the count follows.
    h.press(KeyCode::Esc).await;
    assert_eq!(h.app.screen, ScreenId::Dashboard);
    assert!(h.render().contains("no reviews due"));
}

#[tokio::test]
async fn a_skipped_item_stays_due_and_r_brings_it_back() {
    let mut h = Harness::start().await;
    h.type_keys("v").await;
    h.type_keys("n").await;
    assert_eq!(h.app.status.as_deref(), Some("Skipped: it stays due"));
    assert_eq!(card(&h).item.question.id, "az-isolation");
    h.press(KeyCode::Enter).await;
    h.press(KeyCode::Enter).await;
    h.type_keys("pay as you go").await;
    h.press(KeyCode::Enter).await;
    h.press(KeyCode::Enter).await;
    // One is still due: the queue is asked again, and the skipped item is not shown again.
    let review = h.app.review.as_ref().unwrap();
    assert_eq!(queue_requests(&h).len(), 2);
    assert!(review.card.is_none());
    assert_eq!(review.due_left(), 1);
    let screen = h.render();
    assert!(
        screen.contains("1 item still due: you skipped it"),
        "{screen}"
    );
    h.type_keys("r").await;
    assert_eq!(card(&h).item.question.id, "service-models");
}

#[tokio::test]
async fn how_long_an_answer_took_goes_with_it() {
    let mut h = Harness::start().await;
    h.type_keys("v").await;
    let seq = match h.commands.last() {
        Some(Command::ReadClock { seq }) => *seq,
        other => panic!("the item asked for the clock: {other:?}"),
    };
    let shown = time::OffsetDateTime::now_utc() - time::Duration::seconds(90);
    // A late reading of an item gone is ignored.
    let stale = shown - time::Duration::hours(1);
    h.dispatch(Action::Clock {
        seq: seq + 7,
        now: stale,
    })
    .await;
    h.dispatch(Action::Clock { seq, now: shown }).await;
    h.press(KeyCode::Enter).await;
    let elapsed = h.backend.review_answers()[0].1.elapsed_ms.unwrap();
    assert!((90_000..600_000).contains(&elapsed), "{elapsed}");
}

#[tokio::test]
async fn every_course_on_7_and_a_course_without_items_says_so() {
    let mut h = Harness::start().await;
    h.type_keys("7").await;
    assert_eq!(queue_requests(&h), [None]);
    assert_eq!(card(&h).item.course_id, COURSE);
    // The Terraform course has nothing due.
    h.type_keys("1jv").await;
    assert_eq!(
        queue_requests(&h).last(),
        Some(&Some("terraform-basics".to_owned()))
    );
    assert!(h.render().contains("Nothing is due for review now"));
}

#[tokio::test]
async fn from_an_outline_esc_goes_back_to_it() {
    let mut h = Harness::start().await;
    h.type_keys("ov").await;
    assert_eq!(h.app.screen, ScreenId::Review);
    assert_eq!(queue_requests(&h), [Some(COURSE.to_owned())]);
    h.press(KeyCode::Esc).await;
    assert_eq!(h.app.screen, ScreenId::Course);
}

#[tokio::test]
async fn t_asks_the_tutor_about_a_graded_items_course() {
    let mut h = Harness::start().await;
    h.type_keys("vt").await;
    assert!(!h.app.tutor.open, "not while answering");
    h.press(KeyCode::Enter).await;
    h.type_keys("t").await;
    assert!(h.app.tutor.open);
    let context = h.app.tutor.context.as_ref().expect("a context");
    assert_eq!(context.course, COURSE);
    assert_eq!(context.about, "AWS Cloud Practitioner Essentials");
}

#[tokio::test]
async fn an_answer_the_server_refuses_can_be_sent_again() {
    let mut h = Harness::start().await;
    h.type_keys("v").await;
    h.backend
        .fail_with(crate::backend::BackendError::new("the server is down"));
    h.press(KeyCode::Enter).await;
    assert_eq!(
        h.app.errors.front().map(|e| e.title.as_str()),
        Some("Your answer was not recorded")
    );
    assert!(card(&h).answered.is_none() && !card(&h).sending);
}
