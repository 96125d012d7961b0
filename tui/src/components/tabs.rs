//! The top line: product name, the numbered screens (the open one highlighted, the ones
//! with nothing to show dimmed) and who is signed in. On a narrow terminal the name goes
//! first, then the titles of the screens not shown (their numbers stay).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, ScreenId};
use crate::theme;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let width = usize::from(area.width);
    let tabs = [(true, true), (false, true), (false, false)]
        .into_iter()
        .map(|(brand, titles)| line(app, brand, titles))
        .find(|tabs| tabs.width() <= width)
        .unwrap_or_else(|| line(app, false, false));
    let room = width.saturating_sub(tabs.width() + 2);
    frame.render_widget(Paragraph::new(tabs), area);
    if let Some(user) = app.user.as_deref().filter(|_| room > 3) {
        let name = crate::ui::truncate(user, room);
        let right = Line::from(Span::styled(format!("{name} "), theme::dim())).right_aligned();
        frame.render_widget(Paragraph::new(right), area);
    }
}

/// The tabs, with the product name and with every title (else only the open screen's).
fn line(app: &App, brand: bool, titles: bool) -> Line<'static> {
    let mut spans = Vec::new();
    if brand {
        spans.push(Span::styled(" cloudmaster ", theme::title()));
    }
    spans.push(Span::raw(" "));
    for screen in ScreenId::ALL {
        let label = if titles || screen == app.screen {
            format!(" {} {} ", screen.number(), screen.title())
        } else {
            format!(" {} ", screen.number())
        };
        let style = if screen == app.screen {
            theme::tab_active()
        } else if app.available(screen) {
            theme::base()
        } else {
            theme::tab_disabled()
        };
        spans.push(Span::styled(label, style));
    }
    Line::from(spans)
}
