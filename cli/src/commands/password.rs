//! `cloudmaster password change|forgot|reset`: change your password, or reset a forgotten
//! one with a code the server mails (or an administrator hands over). Secrets are read from
//! hidden prompts, or from stdin with `--stdin`; never from flags.

use clap::Subcommand;

use crate::context::Context;
use crate::prompt;

/// `cloudmaster password --help`.
const EXAMPLES: &str = "\
Examples:
  cloudmaster password change
  cloudmaster password forgot ada@example.com
  cloudmaster password reset
  printf '%s\\n' \"$CODE\" \"$NEW_PASSWORD\" | cloudmaster password reset --stdin";

#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    #[command(subcommand)]
    command: PasswordCommand,
}

#[derive(Subcommand)]
enum PasswordCommand {
    /// Change your password (asks for the current one; needs a login, not an API token)
    Change {
        /// Read the current password and then the new one from the first two lines of
        /// stdin instead of prompting
        #[arg(long)]
        stdin: bool,
    },
    /// Forgot your password? Ask the server to mail a reset code to your address
    Forgot {
        /// The email you log in with
        email: String,
    },
    /// Set a new password with a reset code (from the mail, or from an administrator);
    /// every session of the account ends
    Reset {
        /// Read the code and then the new password from the first two lines of stdin
        /// instead of prompting
        #[arg(long)]
        stdin: bool,
    },
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let client = ctx.client()?;
        match self.command {
            PasswordCommand::Change { stdin } => {
                let (current, new) =
                    secret_then_new_password(stdin, "current password", "Current password: ")?;
                client.change_password(&current, &new).await?;
                ctx.print(&serde_json::json!({ "changed": true }), |out| {
                    writeln!(out, "Password changed.")
                })
            }
            PasswordCommand::Forgot { email } => {
                client.request_password_reset(&email).await?;
                ctx.print(&serde_json::json!({ "requested": true }), |out| {
                    writeln!(
                        out,
                        "If {email} has an account on {}, a reset code is on its way to it \
                         (it works once, for 30 minutes).\nThen run `cloudmaster password \
                         reset` and give it the code.",
                        client.base_url()
                    )
                })
            }
            PasswordCommand::Reset { stdin } => {
                let (code, new) = secret_then_new_password(stdin, "reset code", "Reset code: ")?;
                client.confirm_password_reset(&code, &new).await?;
                ctx.print(&serde_json::json!({ "reset": true }), |out| {
                    writeln!(
                        out,
                        "Password reset; every session of the account has ended. Log in \
                         with `cloudmaster login`."
                    )
                })
            }
        }
    }
}

/// A secret (`what`, asked with `label`) and then a new password: from the first two lines
/// of stdin with `--stdin`, else from hidden prompts (the new password twice).
fn secret_then_new_password(
    stdin: bool,
    what: &str,
    label: &str,
) -> anyhow::Result<(String, String)> {
    if stdin {
        let secret = prompt::stdin_line(what, "--stdin")?;
        Ok((secret, prompt::stdin_line("new password", "--stdin")?))
    } else {
        let secret = prompt::hidden(label, "--stdin")?;
        Ok((
            secret,
            prompt::new_password("New password: ", true, "--stdin")?,
        ))
    }
}
