//! `cloudmaster whoami`: the account and credential requests are made with.

use cloudmaster_core::credentials::mask;

use crate::context::Context;
use crate::output::write_fields;

#[derive(clap::Args)]
pub struct Args {}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let client = ctx.client()?;
        let me = client.whoami().await?;
        let source = if ctx.token_from_env() {
            "CLOUDMASTER_TOKEN".to_owned()
        } else {
            ctx.store().describe()
        };
        // Until when premium lasts (best effort: a server without billing says nothing).
        let premium_until = match me.user.tier {
            cloudmaster_core::api::Tier::Premium => client
                .billing_status()
                .await
                .ok()
                .and_then(|s| s.premium_until),
            cloudmaster_core::api::Tier::Free => None,
        };
        let tier = match premium_until {
            Some(until) => format!(
                "{} (until {} UTC)",
                me.user.tier.as_str(),
                crate::output::maybe_date(Some(&until))
            ),
            None => me.user.tier.as_str().to_owned(),
        };
        let token = client
            .credential()
            .map(|c| mask(c.access_token()))
            .unwrap_or_default();
        ctx.print(&me, |out| {
            let scopes: Vec<&str> = me.scopes.iter().map(|s| s.as_str()).collect();
            write_fields(
                out,
                &[
                    ("user", format!("{} <{}>", me.user.name, me.user.email)),
                    ("id", me.user.id.to_string()),
                    ("role", me.user.role.as_str().to_owned()),
                    ("tier", tier),
                    ("server", client.base_url().to_string()),
                    ("profile", ctx.config.profile.value.clone()),
                    (
                        "credential",
                        format!("{} {token} (from {source})", me.credential),
                    ),
                    ("scopes", scopes.join(" ")),
                ],
            )
        })
    }
}
