//! [`update`]: the one place the state changes. Keys become commands through the key map;
//! popups see commands first (the tutor panel after the others), then the current screen,
//! then the global bindings. Clock ticks go to the screen that asked for them: the quiz
//! runner or the lab runner. A tutor answer's events go to the tutor panel.

use ratatui::crossterm::event::{KeyEvent, KeyEventKind};

use super::{App, ScreenId, loaded, nav};
use crate::action::{Action, Cmd, Command, Request};
use crate::keymap::{self, Context};
use crate::popups::confirm::ConfirmAction;
use crate::popups::tutor;
use crate::screens::{catalog, course, dashboard, lab, lesson, quiz, review};

/// Applies `action` to `app` and returns the work it asks for.
pub fn update(app: &mut App, action: Action) -> Vec<Command> {
    match action {
        Action::Start => {
            let mut commands = vec![app.fetch(Request::WhoAmI)];
            commands.extend(nav::enter(app, ScreenId::Dashboard));
            commands
        }
        Action::Resize { width, height } => {
            app.width = width;
            app.height = height;
            lesson::relayout(app);
            quiz::relayout(app);
            review::relayout(app);
            Vec::new()
        }
        Action::Key(key) => on_key(app, &key),
        Action::Cmd(cmd) => on_cmd(app, cmd),
        Action::SearchDue(seq) => catalog::search_due(app, seq),
        Action::Loaded(loaded) => {
            app.pending = app.pending.saturating_sub(1);
            loaded::on_loaded(app, *loaded)
        }
        Action::Tick(now) if app.screen == ScreenId::Lab => lab::tick(app, now),
        Action::Tick(now) => quiz::tick(app, now),
        Action::Clock { seq, now } => review::clock(app, seq, now),
        Action::LabFilesChanged { root, snapshot } => lab::files_changed(app, &root, snapshot),
        Action::Tutor { seq, update } => tutor::on_update(app, seq, update),
    }
}

fn on_key(app: &mut App, key: &KeyEvent) -> Vec<Command> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    app.status = None;
    let context = app.key_context();
    match keymap::lookup(context, key) {
        Some(cmd) => on_cmd(app, cmd),
        None if context == Context::SearchInput => catalog::type_key(app, key),
        None if context == Context::AnswerInput => quiz::type_key(app, key),
        None if context == Context::ReviewInput => review::type_key(app, key),
        // Anything but `y` declines the course's programs.
        None if context == Context::LabConsent => lab::decline(app),
        None if is_tutor(context) => tutor::type_key(app, key),
        None => Vec::new(),
    }
}

fn on_cmd(app: &mut App, cmd: Cmd) -> Vec<Command> {
    match app.key_context() {
        Context::Error => {
            match cmd {
                Cmd::Dismiss => {
                    app.errors.pop_front();
                }
                Cmd::Quit => return nav::quit(app),
                _ => {}
            }
            return Vec::new();
        }
        Context::Help => {
            match cmd {
                Cmd::Back | Cmd::Help => app.help = None,
                Cmd::Down => {
                    let max = crate::popups::help::max_scroll(app);
                    app.help = app.help.map(|s| (s + 1).min(max));
                }
                Cmd::Up => app.help = app.help.map(|s| s.saturating_sub(1)),
                Cmd::Quit => return nav::quit(app),
                _ => {}
            }
            return Vec::new();
        }
        Context::Confirm => {
            match cmd {
                Cmd::Confirm => {
                    let action = app.confirm.take().map(|c| c.action);
                    return match action {
                        Some(ConfirmAction::StartAttempt {
                            course,
                            assessment,
                            title,
                        }) => quiz::start(app, &course, &assessment, &title),
                        Some(ConfirmAction::SubmitAttempt) => quiz::submit(app),
                        Some(ConfirmAction::SubmitLab) => lab::submit(app),
                        Some(ConfirmAction::ResetLabStep { step }) => lab::reset(app, Some(step)),
                        Some(ConfirmAction::ResetLab) => lab::reset(app, None),
                        Some(ConfirmAction::AbandonLab) => lab::abandon(app),
                        Some(ConfirmAction::StartLabAgain) => lab::start_again(app),
                        None => Vec::new(),
                    };
                }
                Cmd::Back => app.confirm = None,
                Cmd::Quit => return nav::quit(app),
                _ => {}
            }
            return Vec::new();
        }
        Context::LabConsent => {
            return match cmd {
                Cmd::Confirm => lab::allow(app),
                Cmd::Quit => nav::quit(app),
                _ => lab::decline(app),
            };
        }
        Context::Tutor | Context::TutorAnswering | Context::TutorSources => {
            return tutor::on_cmd(app, cmd);
        }
        Context::Screen(_)
        | Context::SearchInput
        | Context::AnswerInput
        | Context::QuizResult
        | Context::LabResult
        | Context::ServedLab
        | Context::ReviewInput
        | Context::ReviewOutcome => {}
    }
    let handled = match app.screen {
        ScreenId::Dashboard => dashboard::on_cmd(app, cmd),
        ScreenId::Catalog => catalog::on_cmd(app, cmd),
        ScreenId::Course => course::on_cmd(app, cmd),
        ScreenId::Lesson => lesson::on_cmd(app, cmd),
        ScreenId::Quiz => quiz::on_cmd(app, cmd),
        ScreenId::Lab => lab::on_cmd(app, cmd),
        ScreenId::Review => review::on_cmd(app, cmd),
    };
    if let Some(commands) = handled {
        return commands;
    }
    match cmd {
        Cmd::Quit => nav::quit(app),
        Cmd::Help => {
            app.help = Some(0);
            Vec::new()
        }
        Cmd::NextScreen => nav::cycle(app, 1),
        Cmd::PrevScreen => nav::cycle(app, -1),
        Cmd::GoTo(screen) => nav::go_to(app, screen),
        Cmd::Back => nav::back(app),
        Cmd::Refresh => nav::refresh(app),
        Cmd::Tutor => tutor::open(app),
        _ => Vec::new(),
    }
}

fn is_tutor(context: Context) -> bool {
    matches!(
        context,
        Context::Tutor | Context::TutorAnswering | Context::TutorSources
    )
}
