//! The vertical scrollbar of scrolled text (the lesson reader, a quiz result): drawn only
//! when the text is taller than its view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Scrollbar, ScrollbarOrientation, ScrollbarState};

use crate::theme;

/// Draws the bar in `area` for `total` rows seen `height` at a time from row `scroll`.
pub fn render(frame: &mut Frame, area: Rect, total: usize, height: usize, scroll: usize) {
    let max = total.saturating_sub(height);
    if max == 0 {
        return;
    }
    // Positions run 0..=max; the viewport is the view's height.
    let mut state = ScrollbarState::new(max + 1)
        .viewport_content_length(height)
        .position(scroll);
    let bar = Scrollbar::new(ScrollbarOrientation::VerticalRight)
        .begin_symbol(None)
        .end_symbol(None)
        .track_symbol(Some("│"))
        .thumb_symbol("┃")
        .track_style(theme::dim())
        .thumb_style(theme::accent());
    frame.render_stateful_widget(bar, area, &mut state);
}
