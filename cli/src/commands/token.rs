//! `cloudmaster token create|list|revoke`: personal API tokens, for CI and scripts
//! (`CLOUDMASTER_TOKEN=cm_pat_... cloudmaster publish`).

use clap::Subcommand;
use cloudmaster_core::api::{CreateTokenRequest, Scope};
use uuid::Uuid;

use crate::context::Context;
use crate::output::{maybe_date, write_table};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token; its secret is printed once
    Create(Create),
    /// List your tokens (never their secrets)
    List,
    /// Revoke a token by id
    Revoke(Revoke),
}

#[derive(clap::Args)]
struct Create {
    /// A name to recognise the token by, such as `ci-publish`
    #[arg(long)]
    name: String,
    /// What the token may do: learn, publish or admin (repeatable); never more than your role
    #[arg(long = "scope", value_name = "SCOPE", required = true, value_parser = parse_scope)]
    scopes: Vec<Scope>,
    /// Days until the token expires [default: never]
    #[arg(long, value_name = "DAYS")]
    expires_in_days: Option<u32>,
}

#[derive(clap::Args)]
struct Revoke {
    /// Token id, from `cloudmaster token list`
    id: Uuid,
}

fn parse_scope(s: &str) -> Result<Scope, String> {
    s.parse()
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let client = ctx.client()?;
        match self.command {
            TokenCommand::Create(create) => {
                let request = CreateTokenRequest {
                    name: create.name,
                    scopes: create.scopes,
                    expires_in_days: create.expires_in_days,
                };
                let created = client.create_token(&request).await?;
                ctx.print(&created, |out| {
                    if ctx.quiet {
                        // Just the secret, for `TOKEN=$(cloudmaster token create ... --quiet)`.
                        return writeln!(out, "{}", created.token);
                    }
                    let scopes: Vec<&str> =
                        created.info.scopes.iter().map(|s| s.as_str()).collect();
                    writeln!(
                        out,
                        "Created token {} ({}) with scopes: {}.",
                        created.info.name,
                        created.info.id,
                        scopes.join(" ")
                    )?;
                    writeln!(out, "Copy it now; it is not shown again:")?;
                    writeln!(out, "{}", created.token)
                })
            }
            TokenCommand::List => {
                let tokens = client.list_tokens().await?;
                ctx.print(&tokens, |out| {
                    let mut table =
                        ctx.table(&["ID", "NAME", "SCOPES", "PREFIX", "CREATED", "EXPIRES", "LAST USED"]);
                    for t in &tokens {
                        let scopes: Vec<&str> = t.scopes.iter().map(|s| s.as_str()).collect();
                        table.add_row(vec![
                            t.id.to_string(),
                            t.name.clone(),
                            scopes.join(","),
                            format!("{}…", t.prefix),
                            maybe_date(Some(&t.created_at)),
                            maybe_date(t.expires_at.as_ref()),
                            maybe_date(t.last_used_at.as_ref()),
                        ]);
                    }
                    if tokens.is_empty() {
                        writeln!(out, "No tokens. Create one with `cloudmaster token create --name N --scope S`.")
                    } else {
                        write_table(out, &table)
                    }
                })
            }
            TokenCommand::Revoke(revoke) => {
                client.revoke_token(revoke.id).await?;
                let id = revoke.id;
                ctx.print(&serde_json::json!({ "id": id, "revoked": true }), |out| {
                    writeln!(out, "Revoked token {id}.")
                })
            }
        }
    }
}
