//! A yes/no question before a step that cannot be undone (starting a timed attempt, whose
//! clock then runs; submitting an attempt with questions unanswered; submitting, resetting
//! or abandoning a lab, and starting one again).
//! While it is open it takes the keys; `y` goes ahead.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Paragraph};

use crate::markdown::{self, DocLine, LineKind};
use crate::theme;

/// What the popup asks about; `y` runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmAction {
    /// Start a timed attempt (its clock starts with it).
    StartAttempt {
        course: String,
        assessment: String,
        title: String,
    },
    SubmitAttempt,
    SubmitLab,
    /// Put the lab's files back to how `step` starts.
    ResetLabStep {
        step: String,
    },
    /// Put the whole lab back to its starter files.
    ResetLab,
    AbandonLab,
    /// Start a lab that ended again, in a new session.
    StartLabAgain,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmPopup {
    pub title: String,
    pub message: String,
    pub action: ConfirmAction,
}

pub fn render(popup: &ConfirmPopup, frame: &mut Frame) {
    let area = frame.area();
    let width = 56.min(area.width.saturating_sub(4)).max(20);
    let message = DocLine {
        prefix: Vec::new(),
        cont_prefix: Vec::new(),
        spans: vec![Span::raw(popup.message.clone())],
        kind: LineKind::Prose,
    };
    let mut lines = markdown::wrap(&[message], width.saturating_sub(4)).lines;
    lines.insert(0, Line::raw(""));
    lines.push(Line::raw(""));
    let height = lines.len() as u16 + 2;
    let footer = Line::from(vec![
        Span::styled(" y", theme::key()),
        Span::raw(" yes  "),
        Span::styled("n", theme::key()),
        Span::raw(" no "),
    ]);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme::focused_border())
        .title(Span::styled(format!(" {} ", popup.title), theme::title()))
        .title_bottom(footer.right_aligned())
        .padding(Padding::horizontal(1));
    let area = super::centered(area, width, height);
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
