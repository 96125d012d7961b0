//! `cloudmaster login`: starts a session and stores it for this profile and server.

use crate::context::Context;
use crate::prompt;

#[derive(clap::Args)]
pub struct Args {
    /// Email address of the account
    #[arg(long)]
    email: String,
    /// Read the password from the first line of stdin instead of prompting
    #[arg(long)]
    password_stdin: bool,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let password = prompt::password(self.password_stdin, false)?;
        let client = ctx.client()?;
        let pair = client.login(&self.email, &password).await?;
        ctx.save_session(&pair)?;
        let user = &pair.user;
        ctx.print(user, |out| {
            writeln!(
                out,
                "Logged in to {} as {} <{}> ({}).",
                client.base_url(),
                user.name,
                user.email,
                user.role.as_str()
            )
        })?;
        if ctx.token_from_env() {
            ctx.warn("CLOUDMASTER_TOKEN is set and takes precedence over this session");
        }
        Ok(())
    }
}
