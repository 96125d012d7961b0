//! `cloudmaster tui`: the terminal UI against the configured server, logged in with the
//! stored credential (or `CLOUDMASTER_TOKEN`), like every other command.
//!
//! It asks the server who the learner is before taking over the terminal, so a wrong URL,
//! a missing login or an expired session is reported as any command reports it (with its
//! exit code and hint) instead of inside a screen that then has nothing to show.

use std::io::IsTerminal;

use crate::context::Context;
use crate::exit::{Exit, fail_with_hint};

#[derive(clap::Args)]
pub struct Args {
    /// Colours to draw with: 16 (the named ANSI colours, for the Linux console and old
    /// terminals), 256 or truecolor [default: from COLORTERM and TERM: truecolor when
    /// COLORTERM says so, 256 when TERM has `256color`, else 16]
    #[arg(long, value_name = "16|256|truecolor")]
    colors: Option<cloudmaster_tui::ColorMode>,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let client = ctx.client()?;
        client.whoami().await?;
        require_terminal("cloudmaster tui")?;
        let colors = self
            .colors
            .unwrap_or_else(cloudmaster_tui::ColorMode::detect);
        cloudmaster_tui::run_with(client.clone(), colors).await
    }
}

/// Fails (usage error) unless stdin and stdout are a terminal: a TUI cannot be drawn into a
/// pipe or read keys from a file.
pub fn require_terminal(command: &str) -> anyhow::Result<()> {
    let missing = match (
        std::io::stdin().is_terminal(),
        std::io::stdout().is_terminal(),
    ) {
        (true, true) => return Ok(()),
        (false, false) => "stdin and stdout are",
        (false, true) => "stdin is",
        (true, false) => "stdout is",
    };
    Err(fail_with_hint(
        Exit::Usage,
        format!("`{command}` needs a terminal, and {missing} not one"),
        "run it in a terminal; in scripts, use the other commands (`cloudmaster learn`, \
         `cloudmaster quiz start --answers FILE`, `cloudmaster lab check`)",
    ))
}
