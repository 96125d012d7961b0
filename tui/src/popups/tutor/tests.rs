//! The tutor panel driven through the harness: the context each screen sends, the
//! conversation carried by follow-ups, errors in the panel, sources opening lessons. The
//! frames are in `crate::snapshot_tests`.

use cloudmaster_core::api::{FinishReason, TutorEvent};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Focus, TurnStatus};
use crate::action::Action;
use crate::app::ScreenId;
use crate::backend::BackendError;
use crate::backend::fake::tutor::{CONVERSATION, answer, delta, start};
use crate::test_support::Harness;

const COURSE: &str = "aws-cloud-practitioner";

/// The lesson "Regions and Availability Zones" open (continue on the dashboard), the tutor
/// panel open over it.
async fn lesson_with_tutor() -> Harness {
    let mut h = Harness::start().await;
    h.press(KeyCode::Enter).await;
    h.type_keys("t").await;
    assert!(h.app.tutor.open);
    h
}

/// Types `question` and sends it.
async fn ask(h: &mut Harness, question: &str) {
    h.type_keys(question).await;
    h.press(KeyCode::Enter).await;
}

#[tokio::test]
async fn a_lesson_sends_its_course_and_lesson_and_follow_ups_continue_the_conversation() {
    let mut h = lesson_with_tutor().await;
    h.backend.script_tutor(answer());
    ask(&mut h, "Which Region should I pick?").await;
    h.finish_tutor().await;

    let panel = &h.app.tutor;
    assert_eq!(panel.conversation, Some(CONVERSATION));
    let turn = &panel.turns[0];
    assert_eq!(turn.question, "Which Region should I pick?");
    assert!(turn.answer.starts_with("Pick the Region **closest"));
    assert!(turn.answer.ends_with("for what you use [2]."));
    assert_eq!(turn.citations.len(), 2);
    assert_eq!(turn.status, TurnStatus::Done(FinishReason::Stop));
    assert!(panel.input.is_empty());

    h.backend.script_tutor(answer());
    ask(&mut h, "And how many AZs?").await;
    h.finish_tutor().await;
    let asked = h.backend.tutor_questions();
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[0].course.as_deref(), Some(COURSE));
    assert_eq!(asked[0].lesson.as_deref(), Some("regions-azs"));
    assert_eq!(asked[0].lab_session, None);
    assert_eq!(asked[0].conversation, None);
    assert_eq!(asked[1].question, "And how many AZs?");
    assert_eq!(asked[1].conversation, Some(CONVERSATION));
    assert_eq!(h.app.tutor.turns.len(), 2);
}

#[tokio::test]
async fn keys_that_mean_something_elsewhere_are_typed_into_the_question() {
    let mut h = lesson_with_tutor().await;
    h.type_keys("q? t1 jk d").await;
    assert_eq!(h.app.tutor.input, "q? t1 jk d");
    assert!(!h.app.should_quit);
    assert_eq!(h.app.screen, ScreenId::Lesson);
    h.press(KeyCode::Backspace).await;
    assert_eq!(h.app.tutor.input, "q? t1 jk ");
    // An empty question is not sent.
    h.dispatch(Action::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )))
    .await;
    h.press(KeyCode::Enter).await;
    assert!(h.app.tutor.turns.is_empty());
    assert!(h.backend.tutor_questions().is_empty());
}

#[tokio::test]
async fn esc_when_idle_closes_and_t_reopens_with_the_conversation() {
    let mut h = lesson_with_tutor().await;
    h.backend.script_tutor(answer());
    ask(&mut h, "Which Region?").await;
    h.finish_tutor().await;
    h.press(KeyCode::Esc).await;
    assert!(!h.app.tutor.open);
    assert_eq!(h.app.screen, ScreenId::Lesson);
    h.type_keys("t").await;
    assert!(h.app.tutor.open);
    assert_eq!(h.app.tutor.turns.len(), 1);
    // Ctrl-n forgets it.
    h.dispatch(Action::Key(KeyEvent::new(
        KeyCode::Char('n'),
        KeyModifiers::CONTROL,
    )))
    .await;
    assert!(h.app.tutor.turns.is_empty());
    assert_eq!(h.app.tutor.conversation, None);
}

#[tokio::test]
async fn a_refused_question_is_shown_in_the_panel_not_in_a_popup() {
    let mut h = lesson_with_tutor().await;
    h.backend.refuse_tutor(BackendError::with_code(
        "rate_limited",
        "you have used today's tutor budget of 20000 tokens; it resets at 2026-03-02T00:00:00Z",
    ));
    ask(&mut h, "Which Region?").await;
    h.finish_tutor().await;
    let turn = &h.app.tutor.turns[0];
    assert!(
        matches!(&turn.status, TurnStatus::Failed(m) if m.contains("tutor budget")),
        "{turn:?}"
    );
    assert!(h.app.errors.is_empty());
    assert!(h.app.tutor.answering.is_none());
    // The next question goes out as usual.
    h.backend.script_tutor(answer());
    ask(&mut h, "Again?").await;
    h.finish_tutor().await;
    assert_eq!(
        h.app.tutor.turns[1].status,
        TurnStatus::Done(FinishReason::Stop)
    );
}

#[tokio::test]
async fn an_error_event_or_a_cut_stream_ends_the_answer_with_its_message() {
    let mut h = lesson_with_tutor().await;
    h.backend.script_tutor(vec![
        start(),
        delta("Pick the "),
        TutorEvent::Error {
            code: "provider_timeout".to_owned(),
            message: "the model took too long to answer; try again".to_owned(),
        },
    ]);
    ask(&mut h, "Which Region?").await;
    h.finish_tutor().await;
    let turn = &h.app.tutor.turns[0];
    assert_eq!(turn.answer, "Pick the ");
    assert_eq!(
        turn.status,
        TurnStatus::Failed("the model took too long to answer; try again".to_owned())
    );

    h.backend.script_tutor(vec![start(), delta("Pick")]);
    ask(&mut h, "Which Region?").await;
    h.finish_tutor().await;
    assert!(matches!(
        &h.app.tutor.turns[1].status,
        TurnStatus::Failed(m) if m.contains("stopped arriving")
    ));
}

#[tokio::test]
async fn a_lab_sends_its_session_and_failing_checks() {
    let mut h = Harness::start().await;
    h.open_lab().await;
    let session = h
        .app
        .lab
        .as_ref()
        .and_then(|l| l.open.as_ref())
        .map(|o| o.workspace.state.session_id)
        .expect("the lab is open");
    h.type_keys("t").await;
    assert!(h.app.tutor.open);
    h.backend.script_tutor(answer());
    ask(&mut h, "Why does my policy fail?").await;
    h.finish_tutor().await;
    let asked = &h.backend.tutor_questions()[0];
    assert_eq!(asked.course.as_deref(), Some(COURSE));
    assert_eq!(asked.lesson, None);
    assert_eq!(asked.lab_session, Some(session));
    let output = asked.check_output.as_deref().expect("the failing checks");
    assert!(output.contains("Create policy.json"), "{output}");
}

#[tokio::test]
async fn enter_on_a_source_opens_the_cited_lesson_at_its_section() {
    let mut h = lesson_with_tutor().await;
    h.backend.script_tutor(answer());
    ask(&mut h, "Which Region?").await;
    h.finish_tutor().await;

    // [1] is the lesson already open: it scrolls to the cited heading.
    h.press(KeyCode::Tab).await;
    assert_eq!(h.app.tutor.focus, Focus::Sources);
    h.press(KeyCode::Enter).await;
    assert!(!h.app.tutor.open);
    assert_eq!(h.app.screen, ScreenId::Lesson);
    let lesson = h.app.lesson.as_ref().unwrap();
    let top = lesson.wrapped.lines[lesson.scroll].to_string();
    assert!(top.contains("Choosing a Region"), "{top}");

    // [2] is another lesson: it opens.
    h.type_keys("t").await;
    h.press(KeyCode::Tab).await;
    h.type_keys("j").await;
    assert_eq!(h.app.tutor.selected, 1);
    h.press(KeyCode::Enter).await;
    assert!(!h.app.tutor.open);
    let lesson = h.app.lesson.as_ref().unwrap();
    assert_eq!(lesson.lesson, "what-is-cloud");
    assert!(lesson.data.data.is_some());
    // Esc goes back to the question box; typing there too.
    h.type_keys("t").await;
    h.press(KeyCode::Tab).await;
    h.type_keys("x").await;
    assert_eq!(h.app.tutor.focus, Focus::Question);
    assert_eq!(h.app.tutor.input, "x");
}

#[tokio::test]
async fn t_does_nothing_on_the_course_outline() {
    let mut h = Harness::start().await;
    h.type_keys("o").await;
    h.type_keys("t").await;
    assert!(!h.app.tutor.open);
}

#[tokio::test]
async fn scrolling_up_stops_following_the_answer_and_end_follows_again() {
    let mut h = lesson_with_tutor().await;
    for _ in 0..4 {
        h.backend.script_tutor(answer());
        ask(&mut h, "Which Region should I pick?").await;
        h.finish_tutor().await;
    }
    assert_eq!(h.app.tutor.scroll, None, "following the end");
    h.press(KeyCode::PageUp).await;
    let scrolled = h.app.tutor.scroll.expect("scrolled up");
    h.press(KeyCode::Up).await;
    assert_eq!(h.app.tutor.scroll, Some(scrolled - 1));
    // A new answer does not move the view while the learner reads further up.
    let feed = h.backend.feed_tutor();
    ask(&mut h, "And then?").await;
    assert!(feed.send(start()));
    assert!(feed.send(delta("More text.")));
    h.receive_tutor().await;
    h.receive_tutor().await;
    // Asking jumps to the end; scrolling up again stays put as the answer grows.
    assert_eq!(h.app.tutor.scroll, None);
    h.press(KeyCode::Home).await;
    assert_eq!(h.app.tutor.scroll, Some(0));
    assert!(feed.send(delta(" Even more.")));
    h.receive_tutor().await;
    assert_eq!(h.app.tutor.scroll, Some(0));
    h.press(KeyCode::End).await;
    assert_eq!(h.app.tutor.scroll, None);
    assert!(h.render().contains("More text. Even more."));
}

#[tokio::test]
async fn on_a_wide_terminal_the_panel_leaves_the_lesson_in_sight() {
    let mut h = Harness::start_sized(140, 30).await;
    h.press(KeyCode::Enter).await;
    h.type_keys("t").await;
    let frame = h.render();
    let title_row = frame.lines().nth(1).unwrap();
    // The lesson's title rule on the left, the panel from the middle on.
    assert!(
        title_row.contains("Regions and Availability Zones"),
        "{frame}"
    );
    let panel_at = title_row.find("╭ Tutor").expect("the panel");
    assert!(panel_at > 60, "{frame}");
}
