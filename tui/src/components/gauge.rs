//! A one-line completion bar drawn with block characters, so it reads in any colour
//! depth (and without colour).

use ratatui::text::Span;

use crate::theme;

/// `width` cells of bar for `percent` (0..=100).
pub fn bar(percent: u32, width: usize) -> Vec<Span<'static>> {
    let filled = (percent.min(100) as usize * width) / 100;
    vec![
        Span::styled("█".repeat(filled), theme::gauge_filled()),
        Span::styled("░".repeat(width - filled), theme::gauge_empty()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_in_proportion() {
        let text = |p| {
            bar(p, 10)
                .iter()
                .map(|s| s.content.to_string())
                .collect::<String>()
        };
        assert_eq!(text(0), "░░░░░░░░░░");
        assert_eq!(text(45), "████░░░░░░");
        assert_eq!(text(100), "██████████");
        assert_eq!(text(250), "██████████");
    }
}
