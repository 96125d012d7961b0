use super::*;
use ratatui::crossterm::event::KeyEvent;

fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, mods)
}

#[test]
fn screen_bindings_win_over_global_ones() {
    let ctx = Context::Screen(ScreenId::Course);
    assert_eq!(
        lookup(ctx, &key(KeyCode::Char('e'), KeyModifiers::NONE)),
        Some(Cmd::Enroll)
    );
    assert_eq!(
        lookup(ctx, &key(KeyCode::Char('q'), KeyModifiers::NONE)),
        Some(Cmd::Quit)
    );
    assert_eq!(
        lookup(ctx, &key(KeyCode::Char('x'), KeyModifiers::NONE)),
        None
    );
}

#[test]
fn shift_is_ignored_for_characters_and_back_tab() {
    let ctx = Context::Screen(ScreenId::Lesson);
    assert_eq!(
        lookup(ctx, &key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
        Some(Cmd::Bottom)
    );
    assert_eq!(
        lookup(ctx, &key(KeyCode::BackTab, KeyModifiers::SHIFT)),
        Some(Cmd::PrevScreen)
    );
    assert_eq!(
        lookup(ctx, &key(KeyCode::Char('d'), KeyModifiers::CONTROL)),
        Some(Cmd::PageDown)
    );
}

#[test]
fn the_answer_box_lets_digits_and_letters_through() {
    let ctx = Context::AnswerInput;
    for c in ['2', 'n', 's', 'q', '.'] {
        assert_eq!(
            lookup(ctx, &key(KeyCode::Char(c), KeyModifiers::NONE)),
            None
        );
    }
    assert_eq!(
        lookup(ctx, &key(KeyCode::Enter, KeyModifiers::NONE)),
        Some(Cmd::NextQuestion)
    );
}

#[test]
fn shifted_j_and_k_reorder_in_a_quiz() {
    let ctx = Context::Screen(ScreenId::Quiz);
    assert_eq!(
        lookup(ctx, &key(KeyCode::Char('J'), KeyModifiers::SHIFT)),
        Some(Cmd::MoveItemDown)
    );
    assert_eq!(
        lookup(ctx, &key(KeyCode::Char('j'), KeyModifiers::NONE)),
        Some(Cmd::Down)
    );
    // Nothing to reload in a quiz: `r` is not bound there.
    assert_eq!(
        lookup(ctx, &key(KeyCode::Char('r'), KeyModifiers::NONE)),
        None
    );
}

#[test]
fn the_tutor_box_lets_letters_and_digits_through() {
    for ctx in [Context::Tutor, Context::TutorAnswering] {
        for c in ['t', 'q', '?', '1', 'j', ' '] {
            assert_eq!(
                lookup(ctx, &key(KeyCode::Char(c), KeyModifiers::NONE)),
                None
            );
        }
    }
    assert_eq!(
        lookup(Context::Tutor, &key(KeyCode::Esc, KeyModifiers::NONE)),
        Some(Cmd::Back)
    );
    assert_eq!(
        lookup(
            Context::TutorAnswering,
            &key(KeyCode::Esc, KeyModifiers::NONE)
        ),
        Some(Cmd::StopAnswer)
    );
}

#[test]
fn t_opens_the_tutor_where_it_has_a_context() {
    let t = key(KeyCode::Char('t'), KeyModifiers::NONE);
    for ctx in [
        Context::Screen(ScreenId::Lesson),
        Context::Screen(ScreenId::Lab),
        Context::QuizResult,
        Context::LabResult,
        Context::ReviewOutcome,
    ] {
        assert_eq!(lookup(ctx, &t), Some(Cmd::Tutor), "{ctx:?}");
    }
    // Not while answering a quiz: the server declines during a timed exam anyway.
    assert_eq!(lookup(Context::Screen(ScreenId::Quiz), &t), None);
}

#[test]
fn destructive_lab_keys_are_upper_case_and_only_where_they_apply() {
    let press = |ctx, c| lookup(ctx, &key(KeyCode::Char(c), KeyModifiers::SHIFT));
    let lab = Context::Screen(ScreenId::Lab);
    assert_eq!(press(lab, 'R'), Some(Cmd::ResetStep));
    assert_eq!(press(lab, 'X'), Some(Cmd::ResetLab));
    assert_eq!(press(lab, 'A'), Some(Cmd::Abandon));
    assert_eq!(press(lab, 'N'), None);
    assert_eq!(press(Context::LabResult, 'N'), Some(Cmd::StartAgain));
    for c in ['R', 'X', 'A', 'S'] {
        assert_eq!(press(Context::LabResult, c), None, "{c}");
    }
}

#[test]
fn v_reviews_from_the_dashboard_and_an_outline_and_7_opens_the_review() {
    let v = key(KeyCode::Char('v'), KeyModifiers::NONE);
    for screen in [ScreenId::Dashboard, ScreenId::Course] {
        assert_eq!(lookup(Context::Screen(screen), &v), Some(Cmd::Review));
    }
    let seven = key(KeyCode::Char('7'), KeyModifiers::NONE);
    assert_eq!(
        lookup(Context::Screen(ScreenId::Lesson), &seven),
        Some(Cmd::GoTo(ScreenId::Review))
    );
    // The review's answer box takes letters and digits.
    for c in ['n', 'r', '7', 'q'] {
        let typed = key(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(lookup(Context::ReviewInput, &typed), None, "{c}");
    }
}

#[test]
fn digits_pick_screens() {
    let ctx = Context::Screen(ScreenId::Dashboard);
    assert_eq!(
        lookup(ctx, &key(KeyCode::Char('2'), KeyModifiers::NONE)),
        Some(Cmd::GoTo(ScreenId::Catalog))
    );
}

#[test]
fn the_search_box_lets_letters_through() {
    let ctx = Context::SearchInput;
    assert_eq!(
        lookup(ctx, &key(KeyCode::Char('q'), KeyModifiers::NONE)),
        None
    );
    assert_eq!(
        lookup(ctx, &key(KeyCode::Char('j'), KeyModifiers::NONE)),
        None
    );
    assert_eq!(
        lookup(ctx, &key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Some(Cmd::Quit)
    );
}

#[test]
fn no_key_is_bound_twice_in_one_context() {
    for ctx in all_contexts() {
        let keys: Vec<Key> = sections(ctx)
            .iter()
            .flat_map(|s| s.bindings.iter())
            .flat_map(|b| b.keys.iter().copied())
            .collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[i + 1..].contains(k), "{k:?} bound twice in {ctx:?}");
        }
    }
}
