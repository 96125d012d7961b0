//! `cloudmaster completions SHELL`: shell completion script on stdout.
//!
//! bash: `cloudmaster completions bash > ~/.local/share/bash-completion/completions/cloudmaster`
//! zsh: `cloudmaster completions zsh > "${fpath[1]}/_cloudmaster"`
//! fish: `cloudmaster completions fish > ~/.config/fish/completions/cloudmaster.fish`

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

#[derive(clap::Args)]
pub struct Args {
    /// bash, zsh, fish, powershell or elvish
    shell: Shell,
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        let mut command = Cli::command();
        let mut out = std::io::stdout().lock();
        clap_complete::generate(self.shell, &mut command, "cloudmaster", &mut out);
        std::io::Write::flush(&mut out)?;
        Ok(())
    }
}
