//! `cloudmaster register`: creates a learner account, then logs in with it.

use crate::context::Context;
use crate::prompt;

#[derive(clap::Args)]
pub struct Args {
    /// Email address (your login)
    #[arg(long)]
    email: String,
    /// Your name, as others see it
    #[arg(long)]
    name: String,
    /// Read the password from the first line of stdin instead of prompting
    #[arg(long)]
    password_stdin: bool,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let password = prompt::password(self.password_stdin, true)?;
        let client = ctx.client()?;
        let user = client.register(&self.email, &self.name, &password).await?;
        let pair = client.login(&self.email, &password).await?;
        ctx.save_session(&pair)?;
        ctx.print(&user, |out| {
            writeln!(
                out,
                "Registered and logged in to {} as {} <{}> ({}).",
                client.base_url(),
                user.name,
                user.email,
                user.role.as_str()
            )
        })?;
        ctx.notice("Next: `cloudmaster courses list` to browse the catalog.");
        Ok(())
    }
}
