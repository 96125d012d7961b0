//! `cloudmaster generate-docs --out DIR` (hidden): writes `DIR/completions/` and `DIR/man/`
//! from the clap definitions. The committed copies at the repository root are checked by
//! `cli/tests/generated.rs`; regenerate them with
//! `cargo run -p cloudmaster -- generate-docs --out .`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Command, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::exit::{Exit, fail};

#[derive(clap::Args)]
pub struct Args {
    /// The folder to write completions/ and man/ into
    #[arg(long)]
    out: PathBuf,
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        if cfg!(not(feature = "server")) {
            // The committed files describe the full build; this one lacks `serve`'s flags.
            return Err(fail(
                Exit::Failure,
                "generate-docs needs the full build (default features): the completions and \
                 man pages describe every command, and this build is client-only",
            ));
        }
        let command = stable(Cli::command());
        let completions = self.out.join("completions");
        let man = self.out.join("man");
        for dir in [&completions, &man] {
            // Start empty so files of removed commands do not linger.
            if dir.exists() {
                std::fs::remove_dir_all(dir)
                    .with_context(|| format!("cannot clear {}", dir.display()))?;
            }
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::PowerShell,
            Shell::Elvish,
        ] {
            let mut command = command.clone();
            clap_complete::generate_to(shell, &mut command, "cloudmaster", &completions)
                .with_context(|| format!("cannot write {shell} completions"))?;
        }
        write_man_pages(&command, &man)?;
        Ok(())
    }
}

/// The command with nothing that depends on the machine: no defaults computed from the
/// environment (such as `serve --data-dir`) and no environment values in the help.
fn stable(command: Command) -> Command {
    let command = command.mut_args(|arg| {
        let hide_default = arg.get_id() == "data_dir" || arg.is_hide_default_value_set();
        arg.hide_env_values(true).hide_default_value(hide_default)
    });
    let names: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    names.into_iter().fold(command, |command, name| {
        command.mut_subcommand(name, stable)
    })
}

/// One page per command: `cloudmaster.1`, `cloudmaster-token.1`, `cloudmaster-token-create.1`.
fn write_man_pages(command: &Command, dir: &Path) -> anyhow::Result<()> {
    fn visit(command: &Command, name: String, dir: &Path) -> anyhow::Result<()> {
        if command.is_hide_set() {
            return Ok(());
        }
        let page = command
            .clone()
            .name(name.clone())
            .bin_name(name.replace('-', " "));
        let mut bytes = Vec::new();
        clap_mangen::Man::new(page).render(&mut bytes)?;
        let path = dir.join(format!("{name}.1"));
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        for sub in command.get_subcommands() {
            if sub.get_name() != "help" {
                visit(sub, format!("{name}-{}", sub.get_name()), dir)?;
            }
        }
        Ok(())
    }
    let mut command = command.clone();
    command.build();
    visit(&command, "cloudmaster".to_owned(), dir)
}
