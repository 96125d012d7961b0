//! `cloudmaster admin users ...`: list accounts, change a role, suspend an account and lift
//! its suspension, make a password reset code, export an account's data and erase it. An
//! account is named by its email or its id.

use std::path::PathBuf;

use clap::Subcommand;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use cloudmaster_core::Client;
use cloudmaster_core::api::{Role, UserAccount};
use cloudmaster_core::display::date;
use uuid::Uuid;

use crate::context::Context;
use crate::exit::{Exit, fail_with_hint};
use crate::output::write_table;

#[derive(clap::Args)]
pub struct Users {
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Subcommand)]
enum UserCommand {
    /// List every account, oldest first, with its role, tier and whether it is suspended
    List,
    /// Change an account's role (from its next request on)
    Role {
        /// The account: its email or its id
        user: String,
        /// The new role
        #[arg(value_parser = PossibleValuesParser::new(["learner", "instructor", "admin"])
            .map(|role| role.parse::<Role>().expect("one of the possible values")))]
        role: Role,
    },
    /// Suspend an account: it cannot log in, its sessions, API tokens and SSH keys are
    /// refused, its TUI sessions over SSH end; nothing of it is deleted
    Suspend {
        /// The account: its email or its id
        user: String,
    },
    /// Lift an account's suspension: its sessions and tokens work again
    Unsuspend {
        /// The account: its email or its id
        user: String,
    },
    /// Make a code that resets an account's password (works once, for 30 minutes), to
    /// hand to its owner, who runs `cloudmaster password reset`; nothing is mailed
    ResetPassword {
        /// The account: its email or its id
        user: String,
    },
    /// Export everything kept about an account as JSON, for its owner (a data access
    /// request)
    Export {
        /// The account: its email or its id
        user: String,
        /// Write the JSON to FILE (created owner-only) instead of stdout
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Erase an account (a data erasure request): its sessions, tokens, keys, learning
    /// records, certificates and tutor conversations are deleted; its payments stay, against
    /// an anonymous account. Asks for confirmation (--yes)
    Delete {
        /// The account: its email or its id
        user: String,
    },
}

impl Users {
    pub async fn run(self, ctx: &Context, client: &Client) -> anyhow::Result<()> {
        match self.command {
            UserCommand::List => {
                let accounts = client.admin_users().await?;
                ctx.print(&accounts, |out| {
                    let mut table = ctx.table(&[
                        "ID",
                        "EMAIL",
                        "NAME",
                        "ROLE",
                        "TIER",
                        "CREATED",
                        "SUSPENDED",
                    ]);
                    for account in &accounts {
                        let user = &account.user;
                        table.add_row(vec![
                            user.id.to_string(),
                            user.email.clone(),
                            user.name.clone(),
                            user.role.as_str().to_owned(),
                            user.tier.as_str().to_owned(),
                            date(&user.created_at),
                            if account.suspended { "yes" } else { "" }.to_owned(),
                        ]);
                    }
                    write_table(out, &table)
                })
            }
            UserCommand::Role { user, role } => {
                let id = resolve(client, &user).await?;
                let updated = client.set_role(id, role).await?;
                ctx.print(&updated, |out| {
                    writeln!(out, "{} is now {}.", updated.email, updated.role.as_str())
                })
            }
            UserCommand::Suspend { user } => suspend(ctx, client, &user, true).await,
            UserCommand::Unsuspend { user } => suspend(ctx, client, &user, false).await,
            UserCommand::Export { user, out } => {
                let id = resolve(client, &user).await?;
                let export = client.export_user(id).await?;
                crate::commands::account::save_export(ctx, &export, out.as_deref())
            }
            UserCommand::Delete { user } => {
                let id = resolve(client, &user).await?;
                crate::prompt::confirm(
                    ctx,
                    &format!(
                        "Erase the account {user}? Its data is deleted for good (payments stay, \
                         anonymous)"
                    ),
                )?;
                let erased = client.erase_user(id).await?;
                ctx.print(&erased, |out| {
                    writeln!(
                        out,
                        "Erased {user}: {} payment(s) kept for the accounts, anonymous.",
                        erased.payments_kept
                    )?;
                    if !erased.courses_kept.is_empty() {
                        writeln!(
                            out,
                            "Courses it owned stay published: {}.",
                            erased.courses_kept.join(", ")
                        )?;
                    }
                    Ok(())
                })
            }
            UserCommand::ResetPassword { user } => {
                let id = resolve(client, &user).await?;
                let issued = client.issue_password_reset(id).await?;
                ctx.print(&issued, |out| {
                    if ctx.quiet {
                        // Just the code, for `CODE=$(cloudmaster admin users reset-password E -q)`.
                        return writeln!(out, "{}", issued.code);
                    }
                    writeln!(
                        out,
                        "Reset code for {} (works once, until {}):\n\n    {}\n\n\
                         Hand it to them privately; they run `cloudmaster password reset` \
                         and give it this code.",
                        issued.email,
                        date(&issued.expires_at),
                        issued.code
                    )
                })
            }
        }
    }
}

async fn suspend(
    ctx: &Context,
    client: &Client,
    user: &str,
    suspended: bool,
) -> anyhow::Result<()> {
    let id = resolve(client, user).await?;
    let account = client.set_suspended(id, suspended).await?;
    ctx.print(&account, |out| {
        let email = &account.user.email;
        if account.suspended {
            writeln!(out, "Suspended {email}: it cannot log in, and its sessions, tokens and SSH keys are refused.")
        } else {
            writeln!(out, "Lifted the suspension of {email}.")
        }
    })
}

/// The id of the account `user` names: an id as it is, an email looked up in the list of
/// accounts (ignoring case, as logins do).
async fn resolve(client: &Client, user: &str) -> anyhow::Result<Uuid> {
    if let Ok(id) = user.parse::<Uuid>() {
        return Ok(id);
    }
    let accounts = client.admin_users().await?;
    find_by_email(&accounts, user).ok_or_else(|| {
        fail_with_hint(
            Exit::NotFound,
            format!("no account has the email `{user}`"),
            "`cloudmaster admin users list` lists every account with its email and id",
        )
    })
}

fn find_by_email(accounts: &[UserAccount], email: &str) -> Option<Uuid> {
    let email = email.trim().to_lowercase();
    accounts
        .iter()
        .find(|a| a.user.email.to_lowercase() == email)
        .map(|a| a.user.id)
}
