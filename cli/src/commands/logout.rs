//! `cloudmaster logout`: revokes the session on the server, then forgets it locally.

use anyhow::Context as _;
use cloudmaster_core::Client;
use cloudmaster_core::credentials::Credential;

use crate::context::Context;

#[derive(clap::Args)]
pub struct Args {}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let key = ctx.key();
        let stored = ctx.store().load(&key).ok().flatten();
        let server = ctx.config.server.value.to_string();
        let Some(stored) = stored else {
            ctx.print(
                &serde_json::json!({ "logged_out": false, "server": server }),
                |out| writeln!(out, "Not logged in to {server}."),
            )?;
            return warn_env_token(ctx);
        };
        // Revoke with the stored session even when CLOUDMASTER_TOKEN is set.
        let revoked = revoke(ctx, stored).await;
        ctx.store()
            .delete(&key)
            .context("cannot delete the stored session")?;
        // A session the server no longer knows is logged out already.
        match revoked {
            Ok(()) | Err(cloudmaster_core::Error::Auth { .. }) => {}
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context("the local session was deleted, but the server could not revoke it"));
            }
        }
        ctx.print(
            &serde_json::json!({ "logged_out": true, "server": server }),
            |out| writeln!(out, "Logged out of {server}."),
        )?;
        warn_env_token(ctx)
    }
}

async fn revoke(ctx: &Context, stored: Credential) -> cloudmaster_core::Result<()> {
    let client = Client::with_timeout(
        ctx.config.server.value.clone(),
        Some(stored),
        ctx.config.timeout.value,
    )?;
    client.logout().await
}

fn warn_env_token(ctx: &Context) -> anyhow::Result<()> {
    if ctx.token_from_env() {
        ctx.warn(
            "CLOUDMASTER_TOKEN is set; it stays valid until revoked with `cloudmaster token revoke ID`",
        );
    }
    Ok(())
}
