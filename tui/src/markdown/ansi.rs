//! The same rendering as the lesson reader, as a string for a terminal or a pipe: the
//! command line (`cloudmaster lesson show`, `learn`, question scenarios) prints lessons with
//! it, so a lesson looks the same in the CLI and in the TUI.
//!
//! Prose, tables and rules are fitted to the width like in the reader; code lines and words
//! longer than the width (URLs) are never broken (a pager or the terminal wraps them, and
//! copying them out stays exact). With
//! `color` the styles become SGR escape sequences; without it the text is plain.

use std::fmt::Write as _;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;

use super::{DocLine, LineKind, parse, wrap_unbroken};

/// Renders `markdown` fitted to `width` columns: styled with ANSI escapes when `color`,
/// plain text otherwise. Every line ends with `\n`, without trailing spaces.
pub fn to_ansi(markdown: &str, width: u16, color: bool) -> String {
    let mut out = String::new();
    for line in &parse(markdown) {
        if matches!(line.kind, LineKind::Pre) {
            let spans: Vec<&Span<'static>> = line.prefix.iter().chain(&line.spans).collect();
            write_row(&mut out, &spans, color);
            continue;
        }
        for row in wrap_unbroken(std::slice::from_ref::<DocLine>(line), width).lines {
            let spans: Vec<&Span<'static>> = row.spans.iter().collect();
            write_row(&mut out, &spans, color);
        }
    }
    out
}

/// Writes one row, dropping trailing blanks (table padding, empty prefixes).
fn write_row(out: &mut String, spans: &[&Span<'static>], color: bool) {
    let mut parts: Vec<(&str, Style)> = spans
        .iter()
        .map(|s| (s.content.as_ref(), s.style))
        .collect();
    while let Some((text, _)) = parts.last_mut() {
        let trimmed = text.trim_end();
        if trimmed.is_empty() {
            parts.pop();
        } else {
            *text = trimmed;
            break;
        }
    }
    for (text, style) in parts {
        let sgr = if color { sgr(style) } else { String::new() };
        if sgr.is_empty() {
            out.push_str(text);
        } else {
            let _ = write!(out, "\x1b[{sgr}m{text}\x1b[0m");
        }
    }
    out.push('\n');
}

/// The SGR parameters of `style` (`1;36`), empty for the default style.
fn sgr(style: Style) -> String {
    let mut codes: Vec<String> = Vec::new();
    let modifiers = style.add_modifier - style.sub_modifier;
    for (modifier, code) in [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::ITALIC, "3"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::SLOW_BLINK, "5"),
        (Modifier::RAPID_BLINK, "6"),
        (Modifier::REVERSED, "7"),
        (Modifier::HIDDEN, "8"),
        (Modifier::CROSSED_OUT, "9"),
    ] {
        if modifiers.contains(modifier) {
            codes.push(code.to_owned());
        }
    }
    if let Some(fg) = style.fg {
        codes.push(color_code(fg, false));
    }
    if let Some(bg) = style.bg {
        codes.push(color_code(bg, true));
    }
    codes.join(";")
}

fn color_code(color: Color, background: bool) -> String {
    let base = |n: u8| (if background { n + 10 } else { n }).to_string();
    match color {
        Color::Reset => base(39),
        Color::Black => base(30),
        Color::Red => base(31),
        Color::Green => base(32),
        Color::Yellow => base(33),
        Color::Blue => base(34),
        Color::Magenta => base(35),
        Color::Cyan => base(36),
        Color::Gray => base(37),
        Color::DarkGray => base(90),
        Color::LightRed => base(91),
        Color::LightGreen => base(92),
        Color::LightYellow => base(93),
        Color::LightBlue => base(94),
        Color::LightMagenta => base(95),
        Color::LightCyan => base(96),
        Color::White => base(97),
        Color::Rgb(r, g, b) => format!("{};2;{r};{g};{b}", if background { 48 } else { 38 }),
        Color::Indexed(i) => format!("{};5;{i}", if background { 48 } else { 38 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_has_no_escapes_and_no_trailing_blanks() {
        let md = "# Title\n\n| a | bb |\n|---|---|\n| 1 | 2 |\n\n> quoted\n";
        let text = to_ansi(md, 40, false);
        assert!(!text.contains('\x1b'), "{text}");
        assert!(text.lines().all(|l| l == l.trim_end()), "{text:?}");
        assert!(text.starts_with("Title\n━━━━━\n"), "{text}");
    }

    #[test]
    fn styles_become_sgr_sequences() {
        let text = to_ansi("# Title\n\nsome **bold** and `code`", 40, true);
        // h1: bold yellow; strong: bold; inline code: cyan.
        assert!(text.contains("\x1b[1;33mTitle\x1b[0m"), "{text:?}");
        assert!(text.contains("\x1b[1mbold\x1b[0m"), "{text:?}");
        assert!(text.contains("\x1b[36mcode\x1b[0m"), "{text:?}");
        assert!(text.contains("some "), "{text:?}");
    }

    #[test]
    fn code_lines_are_never_broken() {
        let long = "x".repeat(70);
        let text = to_ansi(&format!("```sh\n{long}\n```\n"), 20, false);
        assert!(text.contains(&format!("│ {long}\n")), "{text}");
        assert!(text.starts_with("┌─ sh\n"), "{text}");
    }

    #[test]
    fn prose_wraps_to_the_width() {
        let text = to_ansi("one two three four five six seven", 10, false);
        assert!(text.lines().all(|l| l.chars().count() <= 10), "{text}");
        assert_eq!(text.lines().count(), 4, "{text}");
    }

    #[test]
    fn long_words_are_never_split() {
        let url = "https://example.com/a/long/path/to/a/page";
        let text = to_ansi(&format!("see {url} now"), 20, false);
        assert_eq!(text, format!("see\n{url}\nnow\n"));
    }

    #[test]
    fn colors_map_to_their_codes() {
        assert_eq!(color_code(Color::DarkGray, false), "90");
        assert_eq!(color_code(Color::Red, true), "41");
        assert_eq!(color_code(Color::Rgb(1, 2, 3), false), "38;2;1;2;3");
        assert_eq!(color_code(Color::Indexed(7), true), "48;5;7");
        assert_eq!(sgr(Style::default()), "");
    }
}
