//! `update` transitions: what each action does to the state and which commands it asks for.

use cloudmaster_core::api::LessonStatus;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::action::{Action, Cmd, Command, Loaded, Request, SEARCH_DEBOUNCE};
use crate::backend::{Backend, BackendError};
use crate::test_support::Harness;

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn fetches(commands: &[Command]) -> Vec<&Request> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Fetch(r) => Some(r),
            Command::Debounce { .. }
            | Command::Tick { .. }
            | Command::ReadClock { .. }
            | Command::WatchLab { .. }
            | Command::UnwatchLab
            | Command::AskTutor { .. }
            | Command::CancelTutor => None,
        })
        .collect()
}

#[test]
fn start_loads_the_user_and_the_dashboard() {
    let mut app = App::new();
    let commands = update(&mut app, Action::Start);
    assert_eq!(fetches(&commands), [&Request::WhoAmI, &Request::Dashboard]);
    assert_eq!(app.pending, 2);
    assert!(app.dashboard.courses.loading);
}

#[test]
fn tab_skips_screens_with_nothing_open() {
    let mut app = App::new();
    update(&mut app, Action::Cmd(Cmd::NextScreen));
    assert_eq!(app.screen, ScreenId::Catalog);
    // The review is always there: it loads what is due.
    let commands = update(&mut app, Action::Cmd(Cmd::NextScreen));
    assert_eq!(app.screen, ScreenId::Review);
    assert_eq!(fetches(&commands), [&Request::ReviewQueue { course: None }]);
    update(&mut app, Action::Cmd(Cmd::NextScreen));
    assert_eq!(app.screen, ScreenId::Dashboard);
    update(&mut app, Action::Cmd(Cmd::PrevScreen));
    assert_eq!(app.screen, ScreenId::Review);
    update(&mut app, Action::Cmd(Cmd::PrevScreen));
    assert_eq!(app.screen, ScreenId::Catalog);
    // A number key for a screen with nothing open explains instead of switching.
    update(&mut app, key('4'));
    assert_eq!(app.screen, ScreenId::Catalog);
    assert!(app.status.as_deref().unwrap().contains("No lesson open"));
}

#[test]
fn the_catalog_loads_once() {
    let mut app = App::new();
    let first = update(&mut app, key('2'));
    assert_eq!(fetches(&first), [&Request::Catalog]);
    update(&mut app, key('1'));
    let again = update(&mut app, key('2'));
    assert!(fetches(&again).is_empty());
}

#[test]
fn search_is_debounced_and_stale_answers_are_dropped() {
    let mut app = App::new();
    update(&mut app, key('2'));
    update(&mut app, key('/'));
    assert_eq!(app.key_context(), crate::keymap::Context::SearchInput);
    let a = update(&mut app, key('p'));
    let b = update(&mut app, key('o'));
    assert_eq!(
        a,
        [Command::Debounce {
            seq: 1,
            delay: SEARCH_DEBOUNCE
        }]
    );
    assert_eq!(
        b,
        [Command::Debounce {
            seq: 2,
            delay: SEARCH_DEBOUNCE
        }]
    );
    // 'q' is typed, not quit.
    update(&mut app, key('q'));
    assert!(!app.should_quit);
    assert_eq!(app.catalog.search.query, "poq");
    // The timer of an older keystroke does nothing.
    assert!(update(&mut app, Action::SearchDue(2)).is_empty());
    let due = update(&mut app, Action::SearchDue(3));
    assert_eq!(
        fetches(&due),
        [&Request::Search {
            seq: 3,
            query: "poq".to_owned()
        }]
    );
    // An answer for an older query is ignored.
    let stale = Loaded::Search {
        seq: 2,
        result: Ok(Vec::new()),
    };
    update(&mut app, Action::Loaded(Box::new(stale)));
    assert!(app.catalog.search.hits.data.is_none());
    // Esc leaves the box; Esc again clears the search.
    update(&mut app, Action::Cmd(Cmd::Back));
    assert!(!app.catalog.search.focused);
    update(&mut app, Action::Cmd(Cmd::Back));
    assert_eq!(app.catalog.search.query, "");
    assert_eq!(app.screen, ScreenId::Catalog);
}

#[test]
fn errors_queue_in_popups_that_take_the_keys() {
    let mut app = App::new();
    update(&mut app, Action::Start);
    let failed = BackendError::new("connection refused");
    update(
        &mut app,
        Action::Loaded(Box::new(Loaded::WhoAmI(Err(failed.clone())))),
    );
    update(
        &mut app,
        Action::Loaded(Box::new(Loaded::Dashboard(Err(failed)))),
    );
    // The same message from two calls shows once; a different one queues.
    assert_eq!(app.errors.len(), 1);
    let other = BackendError::new("rate limited");
    update(
        &mut app,
        Action::Loaded(Box::new(Loaded::Catalog(Err(other)))),
    );
    assert_eq!(app.errors.len(), 2);
    assert_eq!(app.pending, 0);
    // Keys go to the popup: Tab does not switch screens.
    update(&mut app, Action::Cmd(Cmd::NextScreen));
    assert_eq!(app.screen, ScreenId::Dashboard);
    update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    assert_eq!(app.errors.len(), 1);
    update(&mut app, Action::Cmd(Cmd::Dismiss));
    assert!(app.errors.is_empty());
    assert_eq!(
        app.dashboard.courses.error.as_deref(),
        Some("connection refused")
    );
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut app = App::new();
    app.height = 10;
    update(&mut app, key('?'));
    assert_eq!(app.help, Some(0));
    update(&mut app, key('j'));
    assert_eq!(app.help, Some(1));
    for _ in 0..100 {
        update(&mut app, key('j'));
    }
    assert_eq!(app.help, Some(crate::popups::help::max_scroll(&app)));
    update(&mut app, key('?'));
    assert_eq!(app.help, None);
}

#[tokio::test]
async fn continue_restores_the_saved_position() {
    let mut h = Harness::start().await;
    h.press(KeyCode::Enter).await;
    assert_eq!(h.app.screen, ScreenId::Lesson);
    let lesson = h.app.lesson.as_ref().unwrap();
    assert_eq!(lesson.lesson, "regions-azs");
    assert_eq!(lesson.position(), 14);
    assert!(lesson.scroll > 0);
    // The outline was loaded behind it, with the lesson selected.
    let course = h.app.course.as_ref().unwrap();
    assert_eq!(course.lessons()[course.selection.index].id, "regions-azs");
}

#[tokio::test]
async fn leaving_the_reader_saves_the_position_once() {
    let mut h = Harness::start().await;
    h.press(KeyCode::Enter).await;
    h.type_keys("g").await;
    h.commands.clear();
    h.press(KeyCode::Esc).await;
    assert_eq!(h.app.screen, ScreenId::Course);
    let saved = h
        .backend
        .lesson_progress("aws-cloud-practitioner", "regions-azs")
        .unwrap();
    assert_eq!(
        (saved.status, saved.position),
        (LessonStatus::Started, Some(0))
    );
    assert!(fetches(&h.commands).contains(&&Request::Progress {
        course: "aws-cloud-practitioner".to_owned(),
        lesson: "regions-azs".to_owned(),
        status: LessonStatus::Started,
        position: Some(0),
    }));
    // Back in and out without scrolling: nothing new to save.
    h.press(KeyCode::Enter).await;
    h.commands.clear();
    h.press(KeyCode::Esc).await;
    assert!(
        !fetches(&h.commands)
            .iter()
            .any(|r| matches!(r, Request::Progress { .. }))
    );
}

#[tokio::test]
async fn done_records_completion_and_updates_the_outline() {
    let mut h = Harness::start().await;
    h.press(KeyCode::Enter).await;
    h.type_keys("d").await;
    let lesson = h.app.lesson.as_ref().unwrap();
    assert!(lesson.completed);
    let saved = h
        .backend
        .lesson_progress("aws-cloud-practitioner", "regions-azs")
        .unwrap();
    assert_eq!(saved.status, LessonStatus::Completed);
    let course = h.app.course.as_ref().unwrap();
    let progress = course
        .data
        .data
        .as_ref()
        .unwrap()
        .progress
        .as_ref()
        .unwrap();
    assert_eq!(progress.completed_lessons, 2);
    assert!(h.app.dashboard.stale);
    // `n` goes on to the next lesson; the dashboard reloads when shown.
    h.type_keys("n").await;
    assert_eq!(h.app.lesson.as_ref().unwrap().lesson, "ec2-basics");
    h.type_keys("1").await;
    let dashboard = h.app.dashboard.courses.data.as_ref().unwrap();
    assert_eq!(dashboard[0].percent, 50);
}

#[tokio::test]
async fn quitting_from_the_reader_saves_first() {
    let mut h = Harness::start().await;
    h.press(KeyCode::Enter).await;
    h.type_keys("G").await;
    let bottom = h.app.lesson.as_ref().unwrap().position();
    h.type_keys("q").await;
    assert!(h.app.should_quit);
    let saved = h
        .backend
        .lesson_progress("aws-cloud-practitioner", "regions-azs")
        .unwrap();
    assert_eq!(saved.position, Some(bottom));
}

#[tokio::test]
async fn enrolling_in_a_paid_course_explains_why_not() {
    let mut h = Harness::start().await;
    h.type_keys("2j").await;
    h.press(KeyCode::Enter).await;
    assert_eq!(h.app.screen, ScreenId::Course);
    h.type_keys("e").await;
    assert_eq!(h.app.errors.front().unwrap().title, "Could not enroll");
    assert!(!h.app.course.as_ref().unwrap().enrolled());
    // Esc goes back to where the outline was opened from.
    h.press(KeyCode::Enter).await;
    h.press(KeyCode::Esc).await;
    assert_eq!(h.app.screen, ScreenId::Catalog);
}

#[tokio::test]
async fn enrolling_in_a_free_course_shows_progress() {
    let mut h = Harness::start().await;
    h.backend.unenroll("terraform-basics");
    h.type_keys("2G").await;
    h.press(KeyCode::Enter).await;
    assert!(!h.app.course.as_ref().unwrap().enrolled());
    h.type_keys("e").await;
    assert_eq!(
        h.app.status.as_deref(),
        Some("Enrolled in Terraform Basics")
    );
    assert!(h.app.course.as_ref().unwrap().enrolled());
    assert!(h.app.dashboard.stale);
    h.type_keys("e").await;
    assert_eq!(
        h.app.status.as_deref(),
        Some("You are already enrolled in this course")
    );
}

#[tokio::test]
async fn a_search_hit_opens_its_course_at_the_lesson() {
    let mut h = Harness::start().await;
    h.type_keys("2/containers").await;
    let hits = h.app.catalog.search.hits.data.clone().unwrap();
    let lesson_hit = hits.iter().position(|hit| hit.lesson_id.is_some()).unwrap();
    for _ in 0..lesson_hit {
        h.press(KeyCode::Down).await;
    }
    h.press(KeyCode::Enter).await;
    assert!(!h.app.catalog.search.focused);
    h.press(KeyCode::Enter).await;
    assert_eq!(h.app.screen, ScreenId::Course);
    let course = h.app.course.as_ref().unwrap();
    assert_eq!(course.id, "kubernetes-fundamentals");
    assert_eq!(course.lessons()[course.selection.index].id, "pods");
}

#[tokio::test]
async fn search_hits_in_locked_modules_say_so() {
    let mut h = Harness::start().await;
    h.type_keys("2/cloud").await;
    let locked = |h: &Harness| -> Vec<(String, bool)> {
        let hits = h.app.catalog.search.hits.data.clone().unwrap();
        hits.into_iter()
            .filter_map(|hit| Some((hit.lesson_id?, hit.locked)))
            .collect()
    };
    // EC2 is in the second module, and the first is not read to its end yet.
    assert_eq!(
        locked(&h),
        [
            ("what-is-cloud".to_owned(), false),
            ("regions-azs".to_owned(), false),
            ("ec2-basics".to_owned(), true),
        ]
    );
    let screen = h.render();
    let row = screen
        .lines()
        .find(|l| l.contains("› EC2 instances"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(
        row.trim_end_matches(['│', '"', ' ']).ends_with("locked"),
        "{screen}"
    );
    // Once the first module is read, the hit opens like the outline.
    let done = cloudmaster_core::api::LessonProgressUpdate {
        status: LessonStatus::Completed,
        position: None,
    };
    h.backend
        .record_lesson_progress("aws-cloud-practitioner", "regions-azs", &done)
        .await
        .unwrap();
    h.press(KeyCode::Backspace).await;
    h.type_keys("d").await;
    assert!(
        locked(&h).iter().all(|(_, locked)| !locked),
        "{:?}",
        locked(&h)
    );
    assert!(!h.render().contains("locked"));
}

#[test]
fn resizing_keeps_the_same_line_at_the_top() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut h = Harness::start().await;
        h.press(KeyCode::Enter).await;
        let before = h.app.lesson.as_ref().unwrap().position();
        h.dispatch(Action::Resize {
            width: 50,
            height: 30,
        })
        .await;
        let lesson = h.app.lesson.as_ref().unwrap();
        assert_eq!(lesson.position(), before);
        assert!(lesson.wrapped.lines.iter().all(|l| l.width() <= 50));
    });
}
