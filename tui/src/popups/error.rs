//! The error popup: what failed and the message from the server or the network layer.
//! Errors queue up; Enter shows the next.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use crate::app::ErrorPopup;
use crate::markdown::{self, DocLine, LineKind};
use crate::theme;

pub fn render(error: &ErrorPopup, queued: usize, frame: &mut Frame) {
    let area = frame.area();
    let width = 64.min(area.width.saturating_sub(4)).max(20);
    let inner_width = width.saturating_sub(4);
    let message = DocLine {
        prefix: Vec::new(),
        cont_prefix: Vec::new(),
        spans: vec![Span::raw(error.message.clone())],
        kind: LineKind::Prose,
    };
    let mut lines = markdown::wrap(&[message], inner_width).lines;
    lines.insert(0, Line::raw(""));
    lines.push(Line::raw(""));
    let height = lines.len() as u16 + 2;
    let popup = super::centered(area, width, height);

    let mut footer = vec![Span::styled(" Enter", theme::key()), Span::raw(" dismiss ")];
    if queued > 1 {
        footer.push(Span::styled(format!("(1 of {queued}) "), theme::dim()));
    }
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme::error())
        .title(Span::styled(format!(" ✗ {} ", error.title), theme::error()))
        .title_bottom(Line::from(footer).right_aligned())
        .padding(ratatui::widgets::Padding::horizontal(1));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
