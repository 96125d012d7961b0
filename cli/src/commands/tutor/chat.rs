//! `cloudmaster tutor chat [--course C] [--lesson L] [--lab DIR] [--conversation ID]`: a
//! conversation at the terminal. Each line read is a question in the same conversation (the
//! server keeps its history, so the tutor remembers); each answer streams as in `ask`.
//!
//! Ctrl-C during an answer drops only that answer's stream and comes back to the prompt;
//! at the prompt it ends the chat, as `/quit` and the end of input do. Lines are read on a
//! thread of their own: a blocking read of stdin cannot be cancelled, and on the runtime's
//! blocking pool it would keep the process from exiting until Enter was pressed.

use std::io::{self, BufRead, IsTerminal, Write};

use anstyle::AnsiColor;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::Where;
use super::answer::{self, Ending};
use super::situation::Situation;
use crate::context::{Context, paint};

#[derive(clap::Args)]
pub struct Chat {
    #[command(flatten)]
    place: Where,
    /// Continue this conversation (its id is in `cloudmaster tutor history`) [default: a new one]
    #[arg(long, value_name = "ID")]
    conversation: Option<Uuid>,
}

/// What ends the chat when typed.
const QUIT: [&str; 2] = ["/quit", "/exit"];

impl Chat {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let situation = Situation::resolve(ctx, &self.place).await?;
        let client = ctx.client()?;
        let interactive = io::stdin().is_terminal();
        if interactive && !ctx.quiet {
            eprintln!(
                "Ask the tutor anything about your courses. Ctrl-C stops an answer; /quit or \
                 Ctrl-D ends the chat."
            );
        }
        let mut lines = read_lines();
        let mut conversation = self.conversation;
        loop {
            if interactive {
                prompt()?;
            }
            let line = tokio::select! {
                line = lines.recv() => line.transpose()?,
                _ = tokio::signal::ctrl_c() => None,
            };
            let Some(line) = line else {
                if interactive {
                    eprintln!();
                }
                return Ok(());
            };
            let text = line.trim();
            if text.is_empty() {
                continue;
            }
            if QUIT.contains(&text) {
                return Ok(());
            }
            let question = situation.question(text, conversation);
            match answer::ask(ctx, client, &question).await {
                Ok(Ending::Answered(answered)) => {
                    conversation = Some(answered.conversation);
                    ctx.print(&answered, |out| {
                        answer::write_sources(ctx, out, &answered)?;
                        answer::write_hints(ctx, out, &answered, false)?;
                        writeln!(out)
                    })?;
                }
                Ok(Ending::Interrupted { conversation: id }) => {
                    conversation = conversation.or(id);
                    ctx.notice("(answer stopped)");
                }
                Ok(Ending::Failed {
                    conversation: id,
                    code,
                    message,
                }) => {
                    conversation = conversation.or(id);
                    error(
                        ctx,
                        &format!("the tutor could not answer: {message} ({code})"),
                    );
                }
                // The server refused this question (too long, the budget spent): say why and
                // take the next one. Anything else (network, login) ends the chat.
                Err(e) if is_refusal(&e) => error(ctx, &e.to_string()),
                Err(e) => return Err(e),
            }
        }
    }
}

fn prompt() -> io::Result<()> {
    io::stdout().flush()?;
    let mut err = io::stderr().lock();
    err.write_all(b"you> ")?;
    err.flush()
}

fn error(ctx: &Context, message: &str) {
    let label = paint(
        ctx.stderr_color,
        AnsiColor::Red.on_default().bold(),
        "error:",
    );
    eprintln!("{label} {message}");
}

/// Whether the server refused this question alone (too long: 413, 422; the day's budget
/// spent: 429), not every question of the chat (not enrolled, no such lesson).
fn is_refusal(err: &anyhow::Error) -> bool {
    matches!(
        err.downcast_ref::<cloudmaster_core::Error>(),
        Some(cloudmaster_core::Error::Api {
            status: 413 | 422 | 429,
            ..
        })
    )
}

/// Lines of stdin, read on their own thread (see the module docs).
fn read_lines() -> mpsc::Receiver<io::Result<String>> {
    let (tx, rx) = mpsc::channel(1);
    std::thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            if tx.blocking_send(line).is_err() {
                return;
            }
        }
    });
    rx
}
