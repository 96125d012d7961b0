//! Popups drawn over the screen: help (`?`), errors, yes/no confirmations, and the tutor
//! panel (`t`). While one is open it takes the keys (see [`crate::keymap::Context`]); help,
//! errors and confirmations go over the tutor panel.

use ratatui::layout::Rect;

pub mod confirm;
pub mod error;
pub mod help;
pub mod tutor;

/// A `width` x `height` rectangle centred in `area`, shrunk to fit.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}
