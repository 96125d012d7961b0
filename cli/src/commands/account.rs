//! `cloudmaster account export|delete`: a copy of everything the server keeps about your
//! account, and deleting the account.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use cloudmaster_core::api::AccountExport;

use crate::context::Context;
use crate::prompt;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: AccountCommand,
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Download everything the server keeps about your account, as JSON
    Export {
        /// Write the JSON to FILE (created owner-only) instead of stdout
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Delete your account for good: your learning records, certificates, keys, tokens and
    /// tutor conversations go; payments stay, anonymous. Asks for your password and a
    /// confirmation (--yes)
    Delete {
        /// Read the password from the first line of stdin instead of prompting
        #[arg(long)]
        password_stdin: bool,
    },
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let client = ctx.client()?;
        match self.command {
            AccountCommand::Export { out } => {
                let export = client.export_account().await?;
                save_export(ctx, &export, out.as_deref())
            }
            AccountCommand::Delete { password_stdin } => {
                let password = prompt::password(password_stdin, false)?;
                prompt::confirm(
                    ctx,
                    "Delete your account and everything you learned with it, for good?",
                )?;
                let erased = client.delete_account(&password).await?;
                ctx.store()
                    .delete(&ctx.key())
                    .context("cannot delete the stored session")?;
                ctx.print(&erased, |out| {
                    writeln!(
                        out,
                        "Your account was deleted, and the session stored here with it."
                    )
                })
            }
        }
    }
}

/// Prints an export as JSON, or writes it to `out` (a new owner-only file: it holds
/// personal data).
pub fn save_export(
    ctx: &Context,
    export: &AccountExport,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(export)?;
    let Some(path) = out else {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(&json)?;
        return Ok(writeln!(stdout)?);
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(&json)
        .with_context(|| format!("cannot write {}", path.display()))?;
    ctx.notice(&format!(
        "Wrote the data of {} to {}.",
        export.account.user.email,
        path.display()
    ));
    Ok(())
}
