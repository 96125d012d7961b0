//! [`render`]: draws the whole frame from `&App`. Pure: no I/O, no awaiting, no state
//! changes, so it can run on every event and in snapshot tests.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::app::{App, ScreenId};
use crate::components::{status_bar, tabs};
use crate::popups;
use crate::screens::{catalog, course, dashboard, lab, lesson, quiz, review};
use crate::theme;

/// Draws the app.
pub fn render(app: &App, frame: &mut Frame) {
    let [header, body, status] = frame_areas(frame.area());
    tabs::render(app, frame, header);
    let screen_status = match app.screen {
        ScreenId::Dashboard => {
            dashboard::render(app, frame, body);
            None
        }
        ScreenId::Catalog => {
            catalog::render(app, frame, body);
            None
        }
        ScreenId::Course => {
            course::render(app, frame, body);
            None
        }
        ScreenId::Lesson => {
            lesson::render(app, frame, body);
            lesson::status(app)
        }
        ScreenId::Quiz => {
            quiz::render(app, frame, body);
            quiz::status(app)
        }
        ScreenId::Lab => {
            lab::render(app, frame, body);
            lab::status(app)
        }
        ScreenId::Review => {
            review::render(app, frame, body);
            review::status(app)
        }
    };
    // The reading position and the like describe the screen under the panel.
    let screen_status = screen_status.filter(|_| !app.tutor.open);
    status_bar::render(app, frame, status, screen_status);
    if app.tutor.open {
        popups::tutor::render(app, frame);
    }
    if let Some(confirm) = &app.confirm {
        popups::confirm::render(confirm, frame);
    }
    if app.help.is_some() {
        popups::help::render(app, frame);
    }
    if let Some(error) = app.errors.front() {
        popups::error::render(error, app.errors.len(), frame);
    }
}

/// Header line, screen body, status line.
pub fn frame_areas(area: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The screen body of a terminal of `width` x `height`.
pub fn body_area(width: u16, height: u16) -> Rect {
    frame_areas(Rect::new(0, 0, width, height))[1]
}

/// A titled, bordered block; the focused one has an accent border.
pub fn block(title: &str, focused: bool) -> Block<'static> {
    let border = if focused {
        theme::focused_border()
    } else {
        theme::border()
    };
    Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(border)
        .title(Span::styled(format!(" {title} "), theme::title()))
}

/// A screen's title row: a rule with `title` on the left (cut to fit) and `right` on the
/// right.
pub fn title_rule(
    frame: &mut Frame,
    area: Rect,
    title: Vec<Span<'static>>,
    right: Vec<Span<'static>>,
) {
    let right_width = right.iter().map(Span::width).sum::<usize>();
    let room = usize::from(area.width).saturating_sub(right_width + 3);
    let header = Block::new()
        .borders(Borders::TOP)
        .border_style(theme::border())
        .title(Line::from(truncate_spans(title, room)))
        .title(Line::from(right).right_aligned());
    frame.render_widget(header, area);
}

/// What a panel shows before its data arrives: loading, or why it failed.
pub fn placeholder(
    frame: &mut Frame,
    area: Rect,
    block: Block<'_>,
    loading: bool,
    error: Option<&str>,
) {
    let line = match (loading, error) {
        (true, _) => Line::styled("Loading…", theme::dim()),
        (false, Some(error)) => Line::styled(format!("Could not load: {error}"), theme::error()),
        (false, None) => Line::raw(""),
    };
    frame.render_widget(
        Paragraph::new(line).block(block).wrap(Wrap { trim: true }),
        area,
    );
}

/// Cuts `text` to `max` columns, ending with "…" when it was cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.width() <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// One line of `width` columns: `left` at the start, `right` at the end.
pub fn pad_between(
    mut left: Vec<Span<'static>>,
    right: Vec<Span<'static>>,
    width: usize,
) -> Line<'static> {
    let used: usize = left.iter().chain(&right).map(Span::width).sum();
    left.push(Span::raw(" ".repeat(width.saturating_sub(used).max(1))));
    left.extend(right);
    Line::from(left)
}

/// Cuts styled `spans` to `max` columns, ending with "…" when they were cut.
pub fn truncate_spans(spans: Vec<Span<'static>>, max: usize) -> Vec<Span<'static>> {
    let total: usize = spans.iter().map(Span::width).sum();
    if total <= max {
        return spans;
    }
    let mut out = Vec::new();
    let mut room = max.saturating_sub(1);
    for span in spans {
        let w = span.width();
        if w <= room {
            room -= w;
            out.push(span);
            continue;
        }
        let mut cut = String::new();
        for c in span.content.chars() {
            let cw = c.width().unwrap_or(0);
            if cw > room {
                break;
            }
            room -= cw;
            cut.push(c);
        }
        out.push(Span::styled(cut, span.style));
        out.push(Span::styled("…", span.style));
        return out;
    }
    out.push(Span::raw("…"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_marks_cuts() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("a longer title", 8), "a longe…");
        assert_eq!(truncate("日本語テキスト", 7), "日本語…");
    }

    #[test]
    fn truncate_spans_keeps_styles() {
        let spans = vec![Span::raw("abc"), Span::styled("defgh", theme::accent())];
        let cut = truncate_spans(spans, 6);
        let text: Vec<_> = cut.iter().map(|s| s.content.to_string()).collect();
        assert_eq!(text, ["abc", "de", "…"]);
        assert_eq!(cut[1].style, theme::accent());
    }
}
