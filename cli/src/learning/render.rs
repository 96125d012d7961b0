//! Showing Markdown on the command line: styled like the TUI's lesson reader when stdout is a
//! terminal (through a pager), plain text for pipes and `--plain`.

use std::io::{self, IsTerminal, Write};
use std::process::{Command, Stdio};

use cloudmaster_tui::markdown::to_ansi;

use crate::context::Context;

/// Width of text read in a pipe, and the most prose is ever widened to: long lines are hard
/// to read even on a wide terminal.
const PLAIN_WIDTH: u16 = 80;
const MAX_WIDTH: u16 = 100;

/// How a document goes to stdout.
#[derive(Debug, Clone, Copy)]
pub struct Presentation {
    /// ANSI styles.
    pub color: bool,
    /// Through `$PAGER` (else `less -R`).
    pub pager: bool,
    pub width: u16,
}

impl Presentation {
    /// Styled and paged on a terminal (styles only when colour is allowed); plain otherwise
    /// or with `plain`.
    pub fn for_stdout(ctx: &Context, plain: bool) -> Presentation {
        let terminal = io::stdout().is_terminal();
        Presentation {
            color: ctx.color && !plain,
            pager: terminal && !plain,
            width: if terminal {
                terminal_width().unwrap_or(PLAIN_WIDTH).min(MAX_WIDTH)
            } else {
                PLAIN_WIDTH
            },
        }
    }

    /// For text on stderr (question scenarios in the runner).
    pub fn for_stderr(ctx: &Context) -> Presentation {
        Presentation {
            color: ctx.stderr_color,
            pager: false,
            width: terminal_width().unwrap_or(PLAIN_WIDTH).min(MAX_WIDTH),
        }
    }

    pub fn markdown(&self, markdown: &str) -> String {
        to_ansi(markdown, self.width, self.color)
    }

    /// Writes `text` to stdout, through the pager when there is one.
    pub fn show(&self, text: &str) -> anyhow::Result<()> {
        if self.pager && page(text)? {
            return Ok(());
        }
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
        Ok(())
    }
}

/// The terminal's width in columns, when stdout is one.
pub fn terminal_width() -> Option<u16> {
    // comfy-table (already used for tables) asks the terminal; no extra dependency.
    comfy_table::Table::new().width().filter(|w| *w >= 20)
}

/// Pipes `text` into `$PAGER` (split at spaces), else `less -R`. False when no pager could be
/// started (the caller prints directly) or `PAGER` is set to an empty string.
fn page(text: &str) -> io::Result<bool> {
    let configured = std::env::var("PAGER").ok();
    let words: Vec<String> = match &configured {
        Some(pager) => pager.split_whitespace().map(str::to_owned).collect(),
        None => vec!["less".to_owned(), "-R".to_owned()],
    };
    let Some((program, args)) = words.split_first() else {
        return Ok(false);
    };
    let mut command = Command::new(program);
    command.args(args).stdin(Stdio::piped());
    if configured.is_none() && std::env::var_os("LESS").is_none() {
        // Like git: quit at once when the text fits on one screen, keep it on the screen.
        command.env("LESS", "FRX");
    }
    let Ok(mut child) = command.spawn() else {
        return Ok(false);
    };
    if let Some(mut stdin) = child.stdin.take() {
        match stdin.write_all(text.as_bytes()) {
            // The reader quit the pager before the end: that is fine.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
            result => result?,
        }
    }
    child.wait()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(markdown: &str) -> String {
        Presentation {
            color: false,
            pager: false,
            width: 60,
        }
        .markdown(markdown)
    }

    #[test]
    fn headings_are_underlined() {
        let text = plain("# IAM basics\n\nIntro.\n\n## Policies\n\n### Small");
        assert_eq!(
            text,
            "IAM basics\n━━━━━━━━━━\n\nIntro.\n\nPolicies\n────────\n\nSmall\n"
        );
    }

    #[test]
    fn lists_have_bullets_and_numbers() {
        let text = plain("- one\n- two\n  - nested\n\n1. first\n2. second\n");
        assert_eq!(text, "• one\n• two\n  ◦ nested\n\n1. first\n2. second\n");
    }

    #[test]
    fn code_blocks_show_their_language() {
        let text = plain("Run:\n\n```sh\naws s3 ls\necho done\n```\n");
        assert_eq!(text, "Run:\n\n┌─ sh\n│ aws s3 ls\n│ echo done\n└─\n");
    }

    #[test]
    fn tables_are_aligned() {
        let text = plain(
            "| class | durability |\n|---|---|\n| Standard | 11 nines |\n| One Zone | 11 nines |\n",
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("class"), "{text}");
        assert!(lines[0].contains(" │ durability"), "{text}");
        assert!(lines[1].starts_with('─'), "{text}");
        assert!(lines[2].starts_with("Standard │ 11 nines"), "{text}");
        // Columns line up.
        let bar = |l: &str| l.find('│').unwrap();
        assert_eq!(bar(lines[0]), bar(lines[2]));
        assert_eq!(bar(lines[2]), bar(lines[3]));
    }

    #[test]
    fn links_show_text_and_url() {
        let text = plain("See [the guide](https://docs.aws.amazon.com/IAM/) or <https://x.dev>.");
        // Wrapped at the width (60), the URL kept whole.
        assert_eq!(
            text,
            "See the guide (https://docs.aws.amazon.com/IAM/) or\nhttps://x.dev.\n"
        );
    }

    #[test]
    fn plain_text_has_no_escapes_and_styled_text_has() {
        let md = "# T\n\n**b** `c` [l](https://u)";
        assert!(!plain(md).contains('\x1b'));
        let styled = Presentation {
            color: true,
            pager: false,
            width: 60,
        }
        .markdown(md);
        assert!(styled.contains("\x1b["), "{styled:?}");
    }
}
