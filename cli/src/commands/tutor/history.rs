//! `cloudmaster tutor history [ID]`, `tutor forget ID | --all` and `tutor budget`: the
//! conversations the server keeps, and the day's tokens.

use std::io::Write;

use cloudmaster_core::api::{Conversation, TutorBudget, TutorRole};
use uuid::Uuid;

use super::answer::citation_line;
use crate::context::Context;
use crate::output::{date, write_fields, write_table};

#[derive(clap::Args)]
pub struct History {
    /// A conversation's id, to show its messages [default: list every conversation]
    id: Option<Uuid>,
}

#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct Forget {
    /// The conversation's id, from `cloudmaster tutor history`
    id: Option<Uuid>,
    /// Delete every conversation (asks first; --yes answers)
    #[arg(long)]
    all: bool,
}

impl History {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let client = ctx.client()?;
        let Some(id) = self.id else {
            let conversations = client.tutor_conversations().await?;
            return ctx.print(&conversations, |out| {
                if conversations.is_empty() {
                    return writeln!(
                        out,
                        "No conversations with the tutor yet. Ask with `cloudmaster tutor ask \
                         QUESTION`."
                    );
                }
                let mut table = ctx.table(&["ID", "COURSE", "TITLE", "MESSAGES", "UPDATED"]);
                for c in &conversations {
                    table.add_row(vec![
                        c.id.to_string(),
                        c.course.clone().unwrap_or_else(|| "-".to_owned()),
                        c.title.clone(),
                        c.message_count.to_string(),
                        date(&c.updated_at),
                    ]);
                }
                write_table(out, &table)?;
                if !ctx.quiet {
                    writeln!(out)?;
                    writeln!(
                        out,
                        "{}",
                        ctx.dim("Show one with `cloudmaster tutor history ID`.")
                    )?;
                }
                Ok(())
            });
        };
        let conversation = client.tutor_conversation(id).await?;
        ctx.print(&conversation, |out| {
            write_conversation(ctx, out, &conversation)
        })
    }
}

/// A conversation for people: each message under who wrote it and when, with the
/// references an answer cited.
fn write_conversation(
    ctx: &Context,
    out: &mut dyn Write,
    conversation: &Conversation,
) -> std::io::Result<()> {
    let summary = &conversation.summary;
    let course = summary
        .course
        .as_deref()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    writeln!(out, "{}", ctx.bold(&format!("{}{course}", summary.title)))?;
    for message in &conversation.messages {
        let who = match message.role {
            TutorRole::Learner => "you",
            TutorRole::Tutor => "tutor",
        };
        writeln!(out)?;
        writeln!(
            out,
            "{} {}",
            ctx.bold(&format!("{who}:")),
            ctx.dim(&format!("{} UTC", date(&message.created_at)))
        )?;
        writeln!(out, "{}", message.text.trim_end())?;
        for citation in &message.citations {
            writeln!(out, "  {}", ctx.dim(&citation_line(citation)))?;
        }
    }
    Ok(())
}

impl Forget {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let client = ctx.client()?;
        let forgot = match self.id {
            Some(id) => {
                client.delete_tutor_conversation(id).await?;
                serde_json::json!({ "id": id, "deleted": true })
            }
            None => {
                crate::prompt::confirm(
                    ctx,
                    "Delete every conversation with the tutor? They cannot be brought back.",
                )?;
                client.delete_tutor_conversations().await?;
                serde_json::json!({ "all": true, "deleted": true })
            }
        };
        ctx.print(&forgot, |out| match self.id {
            Some(id) => writeln!(out, "Deleted conversation {id}."),
            None => writeln!(out, "Deleted every conversation with the tutor."),
        })
    }
}

/// `tutor budget`.
pub async fn budget(ctx: &Context) -> anyhow::Result<()> {
    let budget = ctx.client()?.tutor_budget().await?;
    ctx.print(&budget, |out| write_budget(out, &budget))
}

fn write_budget(out: &mut dyn Write, budget: &TutorBudget) -> std::io::Result<()> {
    let left = budget.daily_tokens.saturating_sub(budget.used_tokens);
    let minutes = (budget.resets_at - time::OffsetDateTime::now_utc()).whole_minutes();
    let until = match (minutes / 60, minutes % 60) {
        _ if minutes <= 0 => "now".to_owned(),
        (0, m) => format!("in {m} min"),
        (h, m) => format!("in {h} h {m} min"),
    };
    write_fields(
        out,
        &[
            (
                "used today",
                format!("{} of {} tokens", budget.used_tokens, budget.daily_tokens),
            ),
            ("left", format!("{left} tokens")),
            (
                "resets at",
                format!("{} UTC ({until})", date(&budget.resets_at)),
            ),
        ],
    )
}
