//! The bottom line: on the left a message, the loading indicator or the screen's own
//! status (the reading position); on the right the key hints, generated from the key map,
//! of the keys that do something now.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::action::Cmd;
use crate::app::{App, ScreenId};
use crate::keymap;
use crate::theme;

pub fn render(app: &App, frame: &mut Frame, area: Rect, screen_status: Option<String>) {
    frame.render_widget(Paragraph::new("").style(theme::status_bar()), area);

    let hints = keymap::hints(app.key_context(), |cmd| applies(app, cmd));
    let mut right: Vec<Span> = Vec::new();
    for (key, label) in &hints {
        right.push(Span::styled(format!(" {key}"), theme::key()));
        right.push(Span::raw(format!(" {label}")));
    }
    right.push(Span::raw(" "));
    let hints_width = right.iter().map(Span::width).sum::<usize>() as u16;

    let left = if let Some(status) = &app.status {
        status.clone()
    } else if app.pending > 0 {
        "⋯ loading".to_owned()
    } else {
        screen_status.unwrap_or_default()
    };

    let [left_area, right_area] =
        Layout::horizontal([Constraint::Min(10), Constraint::Length(hints_width)]).areas(area);
    let left = crate::ui::truncate(&left, left_area.width.saturating_sub(1) as usize);
    frame.render_widget(
        Paragraph::new(Line::from(format!(" {left}"))).style(theme::status_bar()),
        left_area,
    );
    frame.render_widget(
        Paragraph::new(Line::from(right).right_aligned()).style(theme::status_bar()),
        right_area,
    );
}

/// Whether `cmd` does something on the current screen now; the keys of those that would
/// only answer "already done" stay out of the status bar (the help lists every key).
fn applies(app: &App, cmd: Cmd) -> bool {
    match cmd {
        Cmd::Enroll => {
            !(app.screen == ScreenId::Course && app.course.as_ref().is_some_and(|c| c.enrolled()))
        }
        Cmd::FocusSources => !app.tutor.sources().is_empty(),
        // The review's answer keys, only with an item to answer.
        Cmd::Submit | Cmd::NextItem | Cmd::Choose if app.screen == ScreenId::Review => {
            app.review.as_ref().is_some_and(|r| r.card.is_some())
        }
        // Reloading is the review's way on once a batch is done.
        Cmd::Refresh if app.screen == ScreenId::Review => {
            app.review.as_ref().is_some_and(|r| r.card.is_none())
        }
        // Only where something is due.
        Cmd::Review => match app.screen {
            ScreenId::Dashboard => app.dashboard.selected().is_some_and(|c| c.review_due > 0),
            _ => true,
        },
        _ => true,
    }
}
