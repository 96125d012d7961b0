//! The help popup. Its text is generated from [`crate::keymap::sections`], the same
//! table that dispatches keys, so help can never disagree with what the keys do.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::app::App;
use crate::keymap::{self, Context};
use crate::theme;
use crate::ui;

/// Width of the keys column.
const KEYS_WIDTH: usize = 22;

/// The help text for `ctx`.
pub fn lines(ctx: Context) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    // No blank lines between sections, and no heading for a first section the popup's title
    // names already: the longest help (the lab's) must fit 80x24 without scrolling.
    for (i, section) in keymap::sections(ctx).into_iter().enumerate() {
        if i > 0 || section.title != ctx.title() {
            lines.push(Line::styled(section.title, theme::md::h2()));
        }
        for binding in section.bindings {
            let keys = keymap::keys_label(binding);
            lines.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(format!("{keys:<KEYS_WIDTH$}"), theme::key()),
                Span::raw(binding.desc),
            ]));
        }
    }
    lines
}

/// The popup's size in a terminal of `width` x `height`, and how far its text can scroll.
fn geometry(app: &App, width: u16, height: u16) -> (u16, u16, u16) {
    let text = lines(app.context_under_popups()).len() as u16;
    let popup_width = 64.min(width.saturating_sub(2));
    let popup_height = (text + 2).min(height);
    let max_scroll = (text + 2).saturating_sub(popup_height);
    (popup_width, popup_height, max_scroll)
}

/// How far the help text can scroll at the current terminal size.
pub fn max_scroll(app: &App) -> u16 {
    geometry(app, app.width, app.height).2
}

pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let (width, height, max_scroll) = geometry(app, area.width, area.height);
    let popup = super::centered(area, width, height);
    let scroll = app.help.unwrap_or(0).min(max_scroll);
    let title = format!("Help · {}", app.context_under_popups().title());
    let mut footer = vec![
        Span::styled(" ?", theme::key()),
        Span::raw("/"),
        Span::styled("Esc", theme::key()),
        Span::raw(" close "),
    ];
    if max_scroll > 0 {
        footer.extend([
            Span::styled("j", theme::key()),
            Span::raw("/"),
            Span::styled("k", theme::key()),
            Span::raw(" scroll "),
        ]);
    }
    let block = ui::block(&title, true).title_bottom(Line::from(footer).right_aligned());
    frame.render_widget(Clear, popup);
    let text = lines(app.context_under_popups());
    frame.render_widget(Paragraph::new(text).block(block).scroll((scroll, 0)), popup);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every context's help fits the popup on an 80x24 terminal: no scrolling, no line cut.
    #[test]
    fn every_help_fits_80x24() {
        let mut problems = Vec::new();
        for ctx in keymap::all_contexts() {
            let lines = lines(ctx);
            if lines.len() + 2 > 24 {
                problems.push(format!("{ctx:?}: {} lines", lines.len()));
            }
            for line in lines.iter().filter(|l| l.width() > 62) {
                problems.push(format!("{ctx:?}: `{line}` is cut"));
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
