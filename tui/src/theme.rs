//! Every style the TUI uses, in one place. Only the 16 named ANSI colours (and the
//! terminal's default) appear here, so the TUI looks right on a Raspberry Pi console, over
//! SSH and with any terminal palette; modifiers carry the meaning where colour is missing.

use ratatui::style::{Color, Modifier, Style};

pub fn base() -> Style {
    Style::default()
}

pub fn dim() -> Style {
    Style::default().fg(Color::DarkGray)
}

pub fn title() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

pub fn accent() -> Style {
    Style::default().fg(Color::Cyan)
}

pub fn selected() -> Style {
    Style::default()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD)
}

pub fn done() -> Style {
    Style::default().fg(Color::Green)
}

pub fn warning() -> Style {
    Style::default().fg(Color::Yellow)
}

pub fn error() -> Style {
    Style::default().fg(Color::LightRed)
}

/// The `[term]` a search matched.
pub fn highlight() -> Style {
    Style::default()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD)
}

pub fn border() -> Style {
    Style::default().fg(Color::DarkGray)
}

pub fn focused_border() -> Style {
    Style::default().fg(Color::Cyan)
}

pub fn tab_active() -> Style {
    Style::default()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD)
}

pub fn tab_disabled() -> Style {
    dim()
}

pub fn status_bar() -> Style {
    Style::default().fg(Color::White).bg(Color::Blue)
}

pub fn key() -> Style {
    Style::default()
        .fg(Color::Yellow)
        .add_modifier(Modifier::BOLD)
}

pub fn gauge_filled() -> Style {
    Style::default().fg(Color::Green)
}

pub fn gauge_empty() -> Style {
    dim()
}

/// Markdown styles.
pub mod md {
    use super::*;

    pub fn h1() -> Style {
        Style::default()
            .fg(Color::Yellow)
            .add_modifier(Modifier::BOLD)
    }

    pub fn h2() -> Style {
        Style::default()
            .fg(Color::LightBlue)
            .add_modifier(Modifier::BOLD)
    }

    pub fn h3() -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn code() -> Style {
        Style::default().fg(Color::Cyan)
    }

    pub fn code_frame() -> Style {
        Style::default().fg(Color::DarkGray)
    }

    pub fn code_lang() -> Style {
        Style::default()
            .fg(Color::Magenta)
            .add_modifier(Modifier::BOLD)
    }

    pub fn link() -> Style {
        Style::default()
            .fg(Color::LightBlue)
            .add_modifier(Modifier::UNDERLINED)
    }

    pub fn url() -> Style {
        Style::default().fg(Color::DarkGray)
    }

    pub fn quote() -> Style {
        Style::default()
            .fg(Color::Gray)
            .add_modifier(Modifier::ITALIC)
    }

    pub fn rule() -> Style {
        Style::default().fg(Color::DarkGray)
    }

    pub fn table_header() -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn table_frame() -> Style {
        Style::default().fg(Color::DarkGray)
    }

    pub fn bullet() -> Style {
        Style::default().fg(Color::Cyan)
    }
}
