//! `cloudmaster tutor ask QUESTION [--course C] [--lesson L] [--lab DIR] [--conversation ID]
//! [--speak]`: one question, its answer streamed, then the passages it cites.

use uuid::Uuid;

use super::answer::{self, Ending};
use super::situation::Situation;
use super::{Where, speak};
use crate::context::Context;
use crate::exit::{Exit, fail_with_hint};

#[derive(clap::Args)]
pub struct Ask {
    /// The question, such as "When do I use a NAT gateway?"
    question: String,
    #[command(flatten)]
    place: Where,
    /// Continue this conversation (its id is in `cloudmaster tutor history`) [default: a new one]
    #[arg(long, value_name = "ID")]
    conversation: Option<Uuid>,
    /// Read the answer aloud afterwards with espeak-ng (or espeak), when installed
    #[arg(long)]
    speak: bool,
}

impl Ask {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let situation = Situation::resolve(ctx, &self.place).await?;
        let client = ctx.client()?;
        let question = situation.question(&self.question, self.conversation);
        let answered = match answer::ask(ctx, client, &question)
            .await
            .map_err(budget_hint)?
        {
            Ending::Answered(answered) => answered,
            Ending::Interrupted { conversation } => return Err(interrupted(conversation)),
            Ending::Failed {
                conversation,
                code,
                message,
            } => return Err(failed(conversation, &code, &message)),
        };
        ctx.print(&answered, |out| {
            answer::write_sources(ctx, out, &answered)?;
            answer::write_hints(ctx, out, &answered, true)
        })?;
        if self.speak {
            speak::speak(ctx, &answered.answer).await;
        }
        Ok(())
    }
}

/// Where to find what arrived of an answer, in a conversation.
fn kept_in(conversation: Option<Uuid>) -> String {
    match conversation {
        Some(id) => format!("what arrived is kept: `cloudmaster tutor history {id}` shows it"),
        None => "nothing had arrived yet".to_owned(),
    }
}

/// Ctrl-C stopped the answer.
fn interrupted(conversation: Option<Uuid>) -> anyhow::Error {
    fail_with_hint(
        Exit::Interrupted,
        "stopped: the answer was cancelled",
        kept_in(conversation),
    )
}

/// The answer failed after it began (`error` event).
fn failed(conversation: Option<Uuid>, code: &str, message: &str) -> anyhow::Error {
    let hint = match code {
        "provider_timeout" | "provider_error" | "malformed_stream" => {
            format!("ask again in a moment; {}", kept_in(conversation))
        }
        _ => kept_in(conversation),
    };
    fail_with_hint(
        Exit::Failure,
        format!("the tutor could not answer: {message} ({code})"),
        hint,
    )
}

/// A spent budget (429) says when it resets; point at the command that shows the use.
fn budget_hint(err: anyhow::Error) -> anyhow::Error {
    let spent = matches!(
        err.downcast_ref::<cloudmaster_core::Error>(),
        Some(cloudmaster_core::Error::Api { status: 429, .. })
    );
    if !spent {
        return err;
    }
    fail_with_hint(
        Exit::Failure,
        err.to_string(),
        "`cloudmaster tutor budget` shows today's use",
    )
}
