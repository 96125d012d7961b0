//! The top line: product name, the numbered screens (the open one highlighted, the ones
//! with nothing to show dimmed) and who is signed in.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, ScreenId};
use crate::theme;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let mut spans = vec![
        Span::styled(" cloudmaster ", theme::title()),
        Span::raw(" "),
    ];
    for screen in ScreenId::ALL {
        let label = format!(" {} {} ", screen.number(), screen.title());
        let style = if screen == app.screen {
            theme::tab_active()
        } else if app.available(screen) {
            theme::base()
        } else {
            theme::tab_disabled()
        };
        spans.push(Span::styled(label, style));
    }
    let tabs = Line::from(spans);
    let room = usize::from(area.width).saturating_sub(tabs.width() + 2);
    frame.render_widget(Paragraph::new(tabs), area);
    if let Some(user) = app.user.as_deref().filter(|_| room > 3) {
        let name = crate::ui::truncate(user, room);
        let right = Line::from(Span::styled(format!("{name} "), theme::dim())).right_aligned();
        frame.render_widget(Paragraph::new(right), area);
    }
}
