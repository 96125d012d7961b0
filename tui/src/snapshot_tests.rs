//! Whole screens at 80x24, as the user sees them (text only), with the fake backend's data.
//! Review changes with `cargo insta review` or `INSTA_UPDATE=always cargo test -p
//! cloudmaster-tui` and reading the `.snap` diff. Colours are checked cell by cell instead:
//! in the 16-colour palette every cell of every screen uses only the 16 named colours (and
//! backgrounds only the 8 the Linux console shows).

use cloudmaster_core::api::{
    FinishReason, LessonProgressUpdate, LessonStatus, TutorEvent, TutorMode,
};
use ratatui::crossterm::event::KeyCode;
use unicode_width::UnicodeWidthStr;

use crate::action::Action;
use crate::backend::fake::quiz::COURSE;
use crate::backend::fake::tutor;
use crate::backend::{Backend, BackendError};
use crate::popups::tutor::TurnStatus;
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
async fn a_paid_course_says_how_to_buy_it() {
    let mut h = Harness::start().await;
    h.type_keys("2j").await;
    h.press(KeyCode::Enter).await;
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
async fn exam_start_confirmation() {
    let mut h = Harness::start().await;
    h.type_keys("oG").await;
    h.press(KeyCode::Enter).await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn mock_exam_with_a_scenario_and_a_countdown() {
    let mut h = Harness::start().await;
    h.type_keys("oG").await;
    h.press(KeyCode::Enter).await;
    h.type_keys("y").await;
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
    insta::assert_snapshot!(without_times(&h.render()));
}

/// The frame with every `YYYY-MM-DD hh:mm UTC` time (the fake backend schedules reviews
/// from the real clock) replaced by a placeholder of the same width.
fn without_times(frame: &str) -> String {
    const PLACEHOLDER: &str = "YYYY-MM-DD hh:mm UTC";
    let is_time = |s: &[u8]| {
        s.len() >= PLACEHOLDER.len()
            && PLACEHOLDER.bytes().zip(s).all(|(p, c)| match p {
                b'Y' | b'M' | b'D' | b'h' | b'm' => c.is_ascii_digit(),
                other => other == *c,
            })
    };
    let mut out = String::with_capacity(frame.len());
    let mut rest = frame;
    while !rest.is_empty() {
        if is_time(rest.as_bytes()) {
            out.push_str(PLACEHOLDER);
            rest = &rest[PLACEHOLDER.len()..];
        } else {
            let c = rest.chars().next().expect("rest is not empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[tokio::test]
async fn quiz_help() {
    let mut h = quiz_started().await;
    h.type_keys("?").await;
    insta::assert_snapshot!(h.render());
}

/// The frame with the lab workspace's temporary path replaced by a fixed one, so the
/// snapshot is the same on every machine.
fn render_lab(h: &Harness) -> String {
    let lab = h.app.lab.as_ref();
    let root = lab
        .and_then(|l| l.open.as_ref())
        .map(|o| o.workspace.root.display().to_string())
        .or_else(|| {
            lab.and_then(|l| l.result.as_ref())
                .map(|r| r.dir.display().to_string())
        })
        .unwrap_or_default();
    let width = usize::from(h.app.width);
    // As wide as the path it stands for, so what follows it stays in place.
    let fixed = format!(
        "{:<w$}",
        "~/labs/aws-cloud-practitioner-s3-bucket-policy",
        w = root.width()
    );
    h.render()
        .lines()
        .map(|line| {
            let inner = line.trim_matches('"').replace(&root, &fixed);
            let pad = width.saturating_sub(inner.width());
            format!("\"{inner}{}\"\n", " ".repeat(pad))
        })
        .collect()
}

/// The lab open with its time partly used.
async fn lab_open() -> Harness {
    let mut h = Harness::start().await;
    h.open_lab().await;
    let expires = h
        .app
        .lab
        .as_ref()
        .unwrap()
        .open
        .as_ref()
        .unwrap()
        .workspace
        .state
        .expires_at;
    h.dispatch(Action::Tick(
        expires - time::Duration::seconds(42 * 60 + 10),
    ))
    .await;
    h
}

#[tokio::test]
async fn lab_with_failing_conditions() {
    let h = lab_open().await;
    insta::assert_snapshot!(render_lab(&h));
}

#[tokio::test]
async fn lab_with_a_hint() {
    let mut h = lab_open().await;
    h.type_keys("h").await;
    insta::assert_snapshot!(render_lab(&h));
}

#[tokio::test]
async fn lab_submission_verdict() {
    let mut h = lab_open().await;
    h.type_keys("Sy").await;
    insta::assert_snapshot!(render_lab(&h));
}

#[tokio::test]
async fn lab_help() {
    let mut h = lab_open().await;
    h.type_keys("?").await;
    insta::assert_snapshot!(render_lab(&h));
}

/// The lesson "Regions and Availability Zones" (continue on the dashboard) with the tutor
/// panel open over it and `question` typed.
async fn tutor_on_the_lesson(question: &str) -> Harness {
    let mut h = Harness::start().await;
    h.press(KeyCode::Enter).await;
    h.type_keys("t").await;
    h.type_keys(question).await;
    h
}

#[tokio::test]
async fn tutor_panel_on_a_lesson() {
    let h = tutor_on_the_lesson("Which Region should I pick?").await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn tutor_panel_with_a_streamed_answer_and_its_sources() {
    let mut h = tutor_on_the_lesson("Which Region should I pick?").await;
    h.backend.script_tutor(tutor::answer());
    h.press(KeyCode::Enter).await;
    h.finish_tutor().await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn tutor_sources_with_one_selected() {
    let mut h = tutor_on_the_lesson("Which Region should I pick?").await;
    h.backend.script_tutor(tutor::answer());
    h.press(KeyCode::Enter).await;
    h.finish_tutor().await;
    h.press(KeyCode::Tab).await;
    h.type_keys("j").await;
    insta::assert_snapshot!(h.render());
}

/// Esc while the answer streams stops it: the task reading the answer ends and drops the
/// stream (so the server cancels the answer), and a piece sent before Esc but applied after
/// it is ignored. A second Esc closes the panel.
#[tokio::test]
async fn tutor_esc_stops_a_streaming_answer() {
    let mut h = tutor_on_the_lesson("Which Region should I pick?").await;
    let feed = h.backend.feed_tutor();
    h.press(KeyCode::Enter).await;
    assert!(feed.send(tutor::start()));
    assert!(feed.send(tutor::delta("Pick the Region **closest to your users** ")));
    assert!(feed.send(tutor::delta("for latency [1].")));
    h.receive_tutor().await;
    h.receive_tutor().await;
    // The second piece: on its way when Esc is pressed.
    let late = h.next_tutor_action().await;
    insta::assert_snapshot!("tutor_answer_streaming", h.render());

    h.press(KeyCode::Esc).await;
    assert!(
        h.tutor_task_ended().await,
        "Esc left the task reading the answer running"
    );
    assert!(
        feed.dropped(),
        "Esc did not drop the answer's stream: the server would keep answering"
    );
    assert!(!feed.send(tutor::delta("never read")));
    h.dispatch(late).await;
    for action in h.tutor_actions_left() {
        h.dispatch(action).await;
    }
    let turn = h.app.tutor.turns.last().unwrap();
    assert_eq!(turn.answer, "Pick the Region **closest to your users** ");
    assert_eq!(turn.status, TurnStatus::Stopped);
    assert!(h.app.tutor.answering.is_none());
    assert!(h.app.tutor.open, "the first Esc only stops the answer");
    insta::assert_snapshot!("tutor_answer_stopped", h.render());

    h.press(KeyCode::Esc).await;
    assert!(!h.app.tutor.open);
    assert_eq!(h.app.screen, crate::app::ScreenId::Lesson);
}

#[tokio::test]
async fn tutor_budget_spent() {
    let mut h = tutor_on_the_lesson("Which Region should I pick?").await;
    h.backend.refuse_tutor(BackendError::with_code(
        "rate_limited",
        "you have used today's tutor budget of 20000 tokens (premium learners get more); it \
         resets at 2026-03-02T00:00:00Z",
    ));
    h.press(KeyCode::Enter).await;
    h.finish_tutor().await;
    insta::assert_snapshot!(h.render());
}

/// On a quiz result the tutor gets the course only; a server without a model answers with
/// the passages that match, and says so.
#[tokio::test]
async fn tutor_retrieval_only_on_a_quiz_result() {
    let mut h = quiz_started().await;
    h.type_keys(" nj jj n n3").await;
    h.press(KeyCode::Enter).await;
    h.press(KeyCode::Enter).await;
    h.type_keys("sy").await;
    h.type_keys("t").await;
    h.type_keys("What is an AZ?").await;
    h.backend.script_tutor(vec![
        TutorEvent::Start {
            conversation: tutor::CONVERSATION,
            mode: TutorMode::Retrieval,
            citations: tutor::citations()[..1].to_vec(),
        },
        tutor::delta(
            "Retrieval only (no tutor model is configured on this server): these passages of \
             your courses match your question best.\n\n[1] Regions and Availability Zones — \
             Choosing a Region\nLatency to your users, data residency rules, service \
             availability and price.\n",
        ),
        tutor::done(FinishReason::Stop),
    ]);
    h.press(KeyCode::Enter).await;
    h.finish_tutor().await;
    let asked = &h.backend.tutor_questions()[0];
    assert_eq!(asked.course.as_deref(), Some(COURSE));
    assert_eq!((asked.lesson.as_deref(), asked.lab_session), (None, None));
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn tutor_on_a_lab() {
    let mut h = lab_open().await;
    h.type_keys("t").await;
    insta::assert_snapshot!(render_lab(&h));
}

/// The lab with both steps passed, submitted, and opened again from the outline: its result.
async fn passed_lab_result() -> Harness {
    let mut h = lab_open().await;
    let dir = h
        .lab_dir
        .path()
        .join(format!("{COURSE}-{}", crate::backend::fake::lab::LAB));
    std::fs::write(
        dir.join("policy.json"),
        r#"{"Statement": [{"Effect": "Deny", "Principal": "*"}]}"#,
    )
    .unwrap();
    std::fs::write(dir.join("tags.yaml"), "team: storage\n").unwrap();
    h.type_keys("cSy").await;
    h.app.lab = None;
    h.type_keys("3r").await;
    h.open_lab().await;
    assert!(h.app.errors.is_empty(), "{:?}", h.app.errors);
    h
}

#[tokio::test]
async fn lab_passed_result() {
    let h = passed_lab_result().await;
    insta::assert_snapshot!(without_times(&render_lab(&h)));
}

#[tokio::test]
async fn lab_start_again_confirmation() {
    let mut h = passed_lab_result().await;
    h.type_keys("N").await;
    insta::assert_snapshot!(without_times(&render_lab(&h)));
}

#[tokio::test]
async fn lab_reset_step_confirmation() {
    let mut h = lab_open().await;
    h.type_keys("R").await;
    insta::assert_snapshot!(render_lab(&h));
}

#[tokio::test]
async fn lab_reset_all_confirmation() {
    let mut h = lab_open().await;
    h.type_keys("X").await;
    insta::assert_snapshot!(render_lab(&h));
}

#[tokio::test]
async fn lab_abandon_confirmation() {
    let mut h = lab_open().await;
    h.type_keys("A").await;
    insta::assert_snapshot!(render_lab(&h));
}

#[tokio::test]
async fn lab_abandoned() {
    let mut h = lab_open().await;
    h.type_keys("Ay").await;
    insta::assert_snapshot!(without_times(&render_lab(&h)));
}

/// The spaced review of the AWS course (`v` on the dashboard), its first item shown.
async fn review_started() -> Harness {
    let mut h = Harness::start().await;
    h.type_keys("v").await;
    h
}

#[tokio::test]
async fn review_item() {
    let mut h = review_started().await;
    h.type_keys("j").await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn review_item_answered_wrong() {
    let mut h = review_started().await;
    h.press(KeyCode::Enter).await;
    h.press(KeyCode::Enter).await;
    // True or false: False is wrong.
    h.type_keys("j").await;
    h.press(KeyCode::Enter).await;
    insta::assert_snapshot!(without_times(&h.render()));
}

#[tokio::test]
async fn review_typed_answer() {
    let mut h = review_started().await;
    h.type_keys("nn").await;
    h.type_keys("pay as").await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn review_done() {
    let mut h = review_started().await;
    for _ in 0..2 {
        h.press(KeyCode::Enter).await;
        h.press(KeyCode::Enter).await;
    }
    h.type_keys("pay as you go").await;
    h.press(KeyCode::Enter).await;
    h.press(KeyCode::Enter).await;
    insta::assert_snapshot!(h.render());
}

#[tokio::test]
async fn review_help() {
    let mut h = review_started().await;
    h.type_keys("?").await;
    insta::assert_snapshot!(h.render());
}

/// Every cell's colours of `h`'s screen in 16-colour mode: named colours only, and
/// backgrounds the Linux console can show; in truecolor mode the same screen is drawn with
/// the truecolor palette (the mode reaches the frame).
fn assert_sixteen_colours(h: &Harness, what: &str) {
    use crate::theme::{self, ColorMode};
    let buffer = h.buffer_in(ColorMode::Sixteen);
    for (i, cell) in buffer.content().iter().enumerate() {
        let (x, y) = (i as u16 % buffer.area.width, i as u16 / buffer.area.width);
        assert!(
            theme::is_named(cell.fg) && theme::is_named(cell.bg),
            "{what}: cell ({x}, {y}) `{}` is {:?} on {:?}",
            cell.symbol(),
            cell.fg,
            cell.bg
        );
        assert!(
            theme::is_normal_background(cell.bg),
            "{what}: cell ({x}, {y}) `{}` has the bright background {:?}",
            cell.symbol(),
            cell.bg
        );
    }
    let rich = h.buffer_in(ColorMode::TrueColor);
    assert!(
        rich.content()
            .iter()
            .any(|c| matches!(c.fg, ratatui::style::Color::Rgb(..))),
        "{what}: the truecolor palette is not used"
    );
}

#[tokio::test]
async fn every_screen_uses_only_the_16_named_colours_in_16_colour_mode() {
    let mut h = Harness::start().await;
    assert_sixteen_colours(&h, "dashboard");
    h.type_keys("2/cloud").await;
    assert_sixteen_colours(&h, "catalog with search hits");
    h.press(KeyCode::Esc).await;
    h.type_keys("1o").await;
    assert_sixteen_colours(&h, "course outline");
    h.type_keys("1").await;
    h.press(KeyCode::Enter).await;
    assert_sixteen_colours(&h, "lesson");
    h.type_keys("?").await;
    assert_sixteen_colours(&h, "help");
    h.press(KeyCode::Esc).await;
    h.type_keys("t").await;
    assert_sixteen_colours(&h, "tutor panel");

    let mut h = quiz_started().await;
    h.type_keys("jj ").await;
    assert_sixteen_colours(&h, "quiz");
    h.type_keys("s").await;
    assert_sixteen_colours(&h, "quiz submit confirmation");

    let mut h = lab_open().await;
    assert_sixteen_colours(&h, "lab");
    h.type_keys("h").await;
    assert_sixteen_colours(&h, "lab with a hint");
    h.type_keys("R").await;
    assert_sixteen_colours(&h, "lab reset confirmation");
    h.type_keys("nSy").await;
    assert_sixteen_colours(&h, "lab verdict");
    let h = passed_lab_result().await;
    assert_sixteen_colours(&h, "lab result");

    let mut h = review_started().await;
    assert_sixteen_colours(&h, "review item");
    h.press(KeyCode::Enter).await;
    assert_sixteen_colours(&h, "review graded");

    let mut h = Harness::start().await;
    h.backend.fail_with(BackendError::new("the server is down"));
    h.type_keys("r").await;
    assert_sixteen_colours(&h, "error popup");
}

#[tokio::test]
async fn lab_served_over_ssh() {
    let mut h = Harness::start().await;
    h.app.served = true;
    h.open_lab().await;
    insta::assert_snapshot!(h.render());
}
