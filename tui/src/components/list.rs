//! A selectable list: the selection lives in the app state and moves with the list
//! commands; rendering goes through ratatui's `List`, which scrolls to keep it in view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, List, ListItem, ListState};

use crate::action::Cmd;
use crate::theme;

/// The selected index of a list of `len` items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Selection {
    pub index: usize,
}

impl Selection {
    /// Moves for a list command; returns whether `cmd` was one.
    pub fn apply(&mut self, cmd: Cmd, len: usize, page: usize) -> bool {
        let last = len.saturating_sub(1);
        self.index = match cmd {
            Cmd::Up => self.index.saturating_sub(1),
            Cmd::Down => (self.index + 1).min(last),
            Cmd::PageUp => self.index.saturating_sub(page),
            Cmd::PageDown => (self.index + page).min(last),
            Cmd::Top => 0,
            Cmd::Bottom => last,
            _ => return false,
        };
        true
    }

    /// Keeps the selection inside a list that changed length.
    pub fn clamp(&mut self, len: usize) {
        self.index = self.index.min(len.saturating_sub(1));
    }
}

/// Draws `items` in `block` with the item at `selected` marked.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    block: Block<'_>,
    items: Vec<ListItem<'_>>,
    selected: Option<usize>,
) {
    let list = List::new(items)
        .block(block)
        .highlight_symbol(ratatui::text::Span::styled("▌", theme::accent()));
    let mut state = ListState::default().with_selected(selected);
    frame.render_stateful_widget(list, area, &mut state);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_stay_in_bounds() {
        let mut s = Selection::default();
        assert!(s.apply(Cmd::Up, 5, 2));
        assert_eq!(s.index, 0);
        s.apply(Cmd::PageDown, 5, 3);
        assert_eq!(s.index, 3);
        s.apply(Cmd::PageDown, 5, 3);
        assert_eq!(s.index, 4);
        s.apply(Cmd::Top, 5, 3);
        assert_eq!(s.index, 0);
        s.apply(Cmd::Bottom, 0, 3);
        assert_eq!(s.index, 0);
        assert!(!s.apply(Cmd::Open, 5, 3));
    }
}
