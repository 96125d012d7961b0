//! Every style the TUI uses, in one place, in three palettes: one per [`ColorMode`].
//!
//! The 16-colour palette uses only the 16 named ANSI colours (and the terminal's default),
//! and only the 8 normal ones as backgrounds (the Linux console, as on a Raspberry Pi, has
//! no bright backgrounds), so it follows any terminal's palette, over SSH and on old
//! terminals. The 256-colour and truecolor palettes pick softer greys and colours that do
//! not depend on how the terminal's palette was set up. Modifiers (bold, underline) carry the
//! meaning where colour is missing, the same in every palette.
//!
//! The mode is chosen once per TUI ([`ColorMode::detect`] or the caller's choice) and set
//! for the task that runs it with [`scope`]; a style function reads it from there. Outside
//! a scope (the command line printing a lesson with `markdown::to_ansi`, the tests) the
//! 16-colour palette is used. A task-local value rather than a global: an SSH server
//! serving the TUI to several terminals at once gives each its own.

use std::fmt;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

/// How many colours the terminal shows, and so which palette the TUI uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ColorMode {
    /// The 16 named ANSI colours: the Linux console, old terminals, `TERM=xterm`.
    #[default]
    Sixteen,
    /// The xterm 256-colour palette (`TERM=*-256color`).
    TwoFiftySix,
    /// 24-bit colour (`COLORTERM=truecolor` or `24bit`).
    TrueColor,
}

impl ColorMode {
    pub const ALL: [ColorMode; 3] = [
        ColorMode::Sixteen,
        ColorMode::TwoFiftySix,
        ColorMode::TrueColor,
    ];

    /// How the mode is written on the command line: `16`, `256`, `truecolor`.
    pub fn name(self) -> &'static str {
        match self {
            ColorMode::Sixteen => "16",
            ColorMode::TwoFiftySix => "256",
            ColorMode::TrueColor => "truecolor",
        }
    }

    /// The mode this process's terminal supports, from `COLORTERM` and `TERM`.
    pub fn detect() -> ColorMode {
        let var = |name| std::env::var(name).ok();
        Self::from_terminal(var("COLORTERM").as_deref(), var("TERM").as_deref())
    }

    /// The mode for these values of `COLORTERM` and `TERM`: `truecolor` or `24bit` in
    /// `COLORTERM` → truecolor; a `TERM` with `256color` in it → 256; anything else (unset,
    /// `linux`, `xterm`, `vt100`) → 16, which every colour terminal shows.
    pub fn from_terminal(colorterm: Option<&str>, term: Option<&str>) -> ColorMode {
        let colorterm = colorterm.unwrap_or_default().trim().to_ascii_lowercase();
        if colorterm == "truecolor" || colorterm == "24bit" {
            ColorMode::TrueColor
        } else if term.is_some_and(|t| t.contains("256color")) {
            ColorMode::TwoFiftySix
        } else {
            ColorMode::Sixteen
        }
    }
}

impl fmt::Display for ColorMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A colour mode that is none of `16`, `256`, `truecolor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseColorModeError(String);

impl fmt::Display for ParseColorModeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown colour mode `{}`: use 16, 256 or truecolor",
            self.0
        )
    }
}

impl std::error::Error for ParseColorModeError {}

impl FromStr for ColorMode {
    type Err = ParseColorModeError;

    /// `16`, `256` or `truecolor` (also `24bit`), in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "16" => Ok(ColorMode::Sixteen),
            "256" => Ok(ColorMode::TwoFiftySix),
            "truecolor" | "24bit" => Ok(ColorMode::TrueColor),
            _ => Err(ParseColorModeError(s.to_owned())),
        }
    }
}

tokio::task_local! {
    static MODE: ColorMode;
}

/// Runs `future` (the TUI's event loop) with the palette of `mode`.
pub async fn scope<F: Future>(mode: ColorMode, future: F) -> F::Output {
    MODE.scope(mode, future).await
}

/// Runs `f` (drawing a frame, in tests) with the palette of `mode`.
pub fn sync_scope<R>(mode: ColorMode, f: impl FnOnce() -> R) -> R {
    MODE.sync_scope(mode, f)
}

/// The mode in force: the scope's, else 16 colours.
pub fn mode() -> ColorMode {
    MODE.try_with(|mode| *mode).unwrap_or_default()
}

/// The colours of one palette, by role.
#[derive(Debug)]
struct Palette {
    /// Text on an accent or highlight background (selection, active tab, search hit).
    on_accent: Color,
    dim: Color,
    border: Color,
    accent: Color,
    done: Color,
    warning: Color,
    error: Color,
    key: Color,
    /// The background of a search hit.
    highlight: Color,
    status_fg: Color,
    status_bg: Color,
    h1: Color,
    h2: Color,
    code: Color,
    code_lang: Color,
    quote: Color,
}

/// The 16 named colours; backgrounds from the 8 normal ones only.
const SIXTEEN: Palette = Palette {
    on_accent: Color::Black,
    dim: Color::DarkGray,
    border: Color::DarkGray,
    accent: Color::Cyan,
    done: Color::Green,
    warning: Color::Yellow,
    error: Color::LightRed,
    key: Color::Yellow,
    highlight: Color::Yellow,
    status_fg: Color::White,
    status_bg: Color::Blue,
    h1: Color::Yellow,
    h2: Color::LightBlue,
    code: Color::Cyan,
    code_lang: Color::Magenta,
    quote: Color::Gray,
};

/// The xterm 256-colour cube and grey ramp (the same hues as [`TRUE_COLOR`]).
const TWO_FIFTY_SIX: Palette = Palette {
    on_accent: Color::Indexed(16),
    dim: Color::Indexed(245),
    border: Color::Indexed(241),
    accent: Color::Indexed(38),
    done: Color::Indexed(71),
    warning: Color::Indexed(178),
    error: Color::Indexed(203),
    key: Color::Indexed(221),
    highlight: Color::Indexed(220),
    status_fg: Color::Indexed(255),
    status_bg: Color::Indexed(24),
    h1: Color::Indexed(214),
    h2: Color::Indexed(75),
    code: Color::Indexed(80),
    code_lang: Color::Indexed(170),
    quote: Color::Indexed(250),
};

const TRUE_COLOR: Palette = Palette {
    on_accent: Color::Rgb(16, 16, 16),
    dim: Color::Rgb(138, 138, 138),
    border: Color::Rgb(98, 98, 98),
    accent: Color::Rgb(56, 176, 222),
    done: Color::Rgb(95, 185, 95),
    warning: Color::Rgb(222, 170, 40),
    error: Color::Rgb(240, 96, 96),
    key: Color::Rgb(255, 205, 90),
    highlight: Color::Rgb(250, 200, 60),
    status_fg: Color::Rgb(235, 235, 235),
    status_bg: Color::Rgb(28, 72, 112),
    h1: Color::Rgb(245, 175, 50),
    h2: Color::Rgb(100, 170, 245),
    code: Color::Rgb(110, 205, 205),
    code_lang: Color::Rgb(200, 110, 210),
    quote: Color::Rgb(180, 180, 180),
};

fn palette_of(mode: ColorMode) -> &'static Palette {
    match mode {
        ColorMode::Sixteen => &SIXTEEN,
        ColorMode::TwoFiftySix => &TWO_FIFTY_SIX,
        ColorMode::TrueColor => &TRUE_COLOR,
    }
}

fn palette() -> &'static Palette {
    palette_of(mode())
}

fn fg(pick: fn(&Palette) -> Color) -> Style {
    Style::default().fg(pick(palette()))
}

pub fn base() -> Style {
    Style::default()
}

pub fn dim() -> Style {
    fg(|p| p.dim)
}

pub fn title() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

pub fn accent() -> Style {
    fg(|p| p.accent)
}

pub fn selected() -> Style {
    let p = palette();
    Style::default()
        .fg(p.on_accent)
        .bg(p.accent)
        .add_modifier(Modifier::BOLD)
}

pub fn done() -> Style {
    fg(|p| p.done)
}

pub fn warning() -> Style {
    fg(|p| p.warning)
}

pub fn error() -> Style {
    fg(|p| p.error)
}

/// The `[term]` a search matched.
pub fn highlight() -> Style {
    let p = palette();
    Style::default()
        .fg(p.on_accent)
        .bg(p.highlight)
        .add_modifier(Modifier::BOLD)
}

pub fn border() -> Style {
    fg(|p| p.border)
}

pub fn focused_border() -> Style {
    accent()
}

pub fn tab_active() -> Style {
    selected()
}

pub fn tab_disabled() -> Style {
    dim()
}

pub fn status_bar() -> Style {
    let p = palette();
    Style::default().fg(p.status_fg).bg(p.status_bg)
}

pub fn key() -> Style {
    fg(|p| p.key).add_modifier(Modifier::BOLD)
}

pub fn gauge_filled() -> Style {
    done()
}

pub fn gauge_empty() -> Style {
    dim()
}

/// Markdown styles.
pub mod md {
    use super::*;

    pub fn h1() -> Style {
        fg(|p| p.h1).add_modifier(Modifier::BOLD)
    }

    pub fn h2() -> Style {
        fg(|p| p.h2).add_modifier(Modifier::BOLD)
    }

    pub fn h3() -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn code() -> Style {
        fg(|p| p.code)
    }

    pub fn code_frame() -> Style {
        fg(|p| p.border)
    }

    pub fn code_lang() -> Style {
        fg(|p| p.code_lang).add_modifier(Modifier::BOLD)
    }

    pub fn link() -> Style {
        fg(|p| p.h2).add_modifier(Modifier::UNDERLINED)
    }

    pub fn url() -> Style {
        dim()
    }

    pub fn quote() -> Style {
        fg(|p| p.quote).add_modifier(Modifier::ITALIC)
    }

    pub fn rule() -> Style {
        fg(|p| p.border)
    }

    pub fn table_header() -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn table_frame() -> Style {
        fg(|p| p.border)
    }

    pub fn bullet() -> Style {
        accent()
    }
}

/// Whether `color` is the terminal's default or one of the 16 named ANSI colours (what a
/// 16-colour terminal can show).
pub fn is_named(color: Color) -> bool {
    !matches!(color, Color::Rgb(..) | Color::Indexed(_))
}

/// Whether `color` is the terminal's default or one of the 8 normal ANSI colours (what the
/// Linux console shows as a background).
pub fn is_normal_background(color: Color) -> bool {
    matches!(
        color,
        Color::Reset
            | Color::Black
            | Color::Red
            | Color::Green
            | Color::Yellow
            | Color::Blue
            | Color::Magenta
            | Color::Cyan
            | Color::Gray
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every colour of a palette, foregrounds and backgrounds apart.
    fn colours(p: &Palette) -> (Vec<Color>, Vec<Color>) {
        let foregrounds = vec![
            p.on_accent,
            p.dim,
            p.border,
            p.accent,
            p.done,
            p.warning,
            p.error,
            p.key,
            p.status_fg,
            p.h1,
            p.h2,
            p.code,
            p.code_lang,
            p.quote,
        ];
        let backgrounds = vec![p.accent, p.highlight, p.status_bg];
        (foregrounds, backgrounds)
    }

    #[test]
    fn sixteen_colours_means_named_colours_and_normal_backgrounds() {
        let (fg, bg) = colours(&SIXTEEN);
        assert!(fg.iter().chain(&bg).all(|c| is_named(*c)), "{SIXTEEN:?}");
        assert!(bg.iter().all(|c| is_normal_background(*c)), "{bg:?}");
    }

    #[test]
    fn richer_palettes_keep_to_their_kind_of_colour() {
        let (fg, bg) = colours(&TWO_FIFTY_SIX);
        assert!(fg.iter().chain(&bg).all(|c| matches!(c, Color::Indexed(_))));
        let (fg, bg) = colours(&TRUE_COLOR);
        assert!(fg.iter().chain(&bg).all(|c| matches!(c, Color::Rgb(..))));
    }

    #[test]
    fn styles_follow_the_scope_and_default_to_sixteen_colours() {
        assert_eq!(mode(), ColorMode::Sixteen);
        assert_eq!(accent().fg, Some(Color::Cyan));
        let inside = sync_scope(ColorMode::TrueColor, || (mode(), accent(), status_bar()));
        assert_eq!(inside.0, ColorMode::TrueColor);
        assert_eq!(inside.1.fg, Some(TRUE_COLOR.accent));
        assert_eq!(inside.2.bg, Some(TRUE_COLOR.status_bg));
        let indexed = sync_scope(ColorMode::TwoFiftySix, selected);
        assert_eq!(indexed.bg, Some(Color::Indexed(38)));
        // Meaning does not rest on colour alone: the same modifiers in every mode.
        for mode in ColorMode::ALL {
            let (sel, link) = sync_scope(mode, || (selected(), md::link()));
            assert!(sel.add_modifier.contains(Modifier::BOLD), "{mode}");
            assert!(link.add_modifier.contains(Modifier::UNDERLINED), "{mode}");
        }
    }

    #[test]
    fn the_mode_is_detected_from_colorterm_and_term() {
        let detect = ColorMode::from_terminal;
        assert_eq!(
            detect(Some("truecolor"), Some("xterm-256color")),
            ColorMode::TrueColor
        );
        assert_eq!(detect(Some("24bit"), None), ColorMode::TrueColor);
        assert_eq!(detect(None, Some("xterm-256color")), ColorMode::TwoFiftySix);
        assert_eq!(
            detect(Some(""), Some("tmux-256color")),
            ColorMode::TwoFiftySix
        );
        assert_eq!(detect(None, Some("linux")), ColorMode::Sixteen);
        assert_eq!(detect(Some("yes"), Some("xterm")), ColorMode::Sixteen);
        assert_eq!(detect(None, None), ColorMode::Sixteen);
    }

    #[test]
    fn modes_parse_from_what_the_command_line_takes() {
        for mode in ColorMode::ALL {
            assert_eq!(mode.name().parse::<ColorMode>(), Ok(mode));
            assert_eq!(mode.to_string(), mode.name());
        }
        assert_eq!("TrueColor".parse(), Ok(ColorMode::TrueColor));
        assert_eq!("24bit".parse(), Ok(ColorMode::TrueColor));
        let err = "8".parse::<ColorMode>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown colour mode `8`: use 16, 256 or truecolor"
        );
    }
}
