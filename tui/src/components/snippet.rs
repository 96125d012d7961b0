//! Search snippets: the server wraps matched terms in `[` and `]`; they are drawn
//! highlighted, without the brackets. A snippet is one line: line breaks in it (from
//! lessons indexed as Markdown) become spaces, so words on either side stay apart.

use ratatui::style::Style;
use ratatui::text::Span;

use crate::theme;

/// Splits `snippet` into plain and highlighted spans. An unmatched `[` or `]` is kept as
/// text.
pub fn highlight(snippet: &str, base: Style) -> Vec<Span<'static>> {
    let joined = snippet.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut spans = Vec::new();
    let mut rest = joined.as_str();
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open + 1..].find(']').map(|i| open + 1 + i) else {
            break;
        };
        if open > 0 {
            spans.push(Span::styled(rest[..open].to_owned(), base));
        }
        spans.push(Span::styled(
            rest[open + 1..close].to_owned(),
            base.patch(theme::highlight()),
        ));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        spans.push(Span::styled(rest.to_owned(), base));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(snippet: &str) -> Vec<(String, bool)> {
        highlight(snippet, Style::default())
            .into_iter()
            .map(|s| (s.content.to_string(), s.style != Style::default()))
            .collect()
    }

    #[test]
    fn marked_terms_are_highlighted_without_brackets() {
        assert_eq!(
            render("a [pod] runs [containers]."),
            vec![
                ("a ".to_owned(), false),
                ("pod".to_owned(), true),
                (" runs ".to_owned(), false),
                ("containers".to_owned(), true),
                (".".to_owned(), false),
            ]
        );
    }

    #[test]
    fn line_breaks_become_spaces() {
        assert_eq!(
            render("Subnets\nA [subnet]\n\nis"),
            vec![
                ("Subnets A ".to_owned(), false),
                ("subnet".to_owned(), true),
                (" is".to_owned(), false),
            ]
        );
    }

    #[test]
    fn unmatched_brackets_stay_text() {
        assert_eq!(render("x [y"), vec![("x [y".to_owned(), false)]);
        assert_eq!(render("x] y"), vec![("x] y".to_owned(), false)]);
    }
}
