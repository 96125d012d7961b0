//! `cloudmaster tutor`: the AI tutor from the terminal.
//!
//! `ask` and `chat` send a question with where the learner is ([`situation`]: the course,
//! the lesson, and the lab workspace the command runs in with its last failed check) and
//! print the answer as it streams ([`answer`]), then the passages it cites. `history`,
//! `forget` and `budget` ([`history`]) read and delete the conversations the server keeps
//! and show the day's token budget. What the tutor may see is decided by the server; the
//! client only says where the learner is.

use std::path::PathBuf;

use clap::Subcommand;

use crate::context::Context;

mod answer;
mod ask;
mod chat;
mod history;
mod situation;
mod speak;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: TutorCommand,
}

#[derive(Subcommand)]
enum TutorCommand {
    /// Ask one question; the answer streams as it is written, then the passages it cites
    #[command(long_about = ASK_ABOUT)]
    Ask(ask::Ask),
    /// Talk with the tutor: questions and answers in one conversation until /quit or Ctrl-D
    #[command(long_about = CHAT_ABOUT)]
    Chat(chat::Chat),
    /// List your conversations with the tutor, or show one
    #[command(long_about = HISTORY_ABOUT)]
    History(history::History),
    /// Delete a conversation, or all of them
    #[command(long_about = FORGET_ABOUT)]
    Forget(history::Forget),
    /// Show the tutor tokens you used today, your daily budget and when it resets
    #[command(long_about = BUDGET_ABOUT)]
    Budget,
}

const ASK_ABOUT: &str = concat!(
    "Ask the tutor one question. The answer is printed as it is written, then the ",
    "passages of your courses it cites, numbered as the answer refers to them ([1], ",
    "[2]).\n",
    "\n",
    "The tutor answers from the courses you are enrolled in: --course narrows it to ",
    "one, and --lesson says which lesson you are reading. Run in a lab workspace ",
    "(or with --lab DIR), the question is about that lab: the tutor sees its ",
    "current step and, when `cloudmaster lab check` last failed on it, what the ",
    "check reported.\n",
    "\n",
    "A server without a tutor model answers retrieval only: the passages that match ",
    "best. --conversation continues an earlier conversation (the server keeps its ",
    "history). Ctrl-C stops the answer (exit 130); what arrived is kept in the ",
    "conversation. --speak reads the answer aloud with espeak-ng (or espeak) when ",
    "it is installed.\n",
    "\n",
    "Examples:\n",
    "  cloudmaster tutor ask \"When do I use a NAT gateway?\" --course aws-saa\n",
    "  cd my-lab && cloudmaster tutor ask \"Why does my check fail?\"\n",
    "  cloudmaster tutor ask \"Say it more simply\" --conversation ID --speak\n",
    "  cloudmaster tutor ask \"What is an IAM role?\" -o json",
);

const CHAT_ABOUT: &str = concat!(
    "Talk with the tutor: type a question at the `you>` prompt, read the answer as ",
    "it is written, ask the next one. The questions are one conversation, so the ",
    "tutor remembers what was said (the server keeps it: `cloudmaster tutor ",
    "history` lists it, --conversation picks it up again).\n",
    "\n",
    "Ctrl-C while an answer is written stops that answer and returns to the prompt; ",
    "/quit, Ctrl-D or Ctrl-C at the prompt ends the chat. --course, --lesson and ",
    "--lab work as for `cloudmaster tutor ask`; the lab's last failed check is read ",
    "again before every question. With -o json each answer is printed as `tutor ask ",
    "-o json` prints it.\n",
    "\n",
    "Examples:\n",
    "  cloudmaster tutor chat --course aws-saa\n",
    "  cloudmaster tutor chat --lab ./cloud-foundations-cidr-plan",
);

const HISTORY_ABOUT: &str = concat!(
    "Without ID, list your conversations with the tutor, the most recently active ",
    "first. With ID, show one: every question and answer, and the passages each ",
    "answer cited.\n",
    "\n",
    "Examples:\n",
    "  cloudmaster tutor history\n",
    "  cloudmaster tutor history 0190c3a2-7d1e-7c55-8a8e-2f4d1b6a9c10\n",
    "  cloudmaster tutor history -o json",
);

const FORGET_ABOUT: &str = concat!(
    "Delete one conversation with the tutor, or every one with --all (which asks ",
    "first; --yes answers). The tokens they used still count toward today's budget.\n",
    "\n",
    "Examples:\n",
    "  cloudmaster tutor forget 0190c3a2-7d1e-7c55-8a8e-2f4d1b6a9c10\n",
    "  cloudmaster tutor forget --all --yes",
);

const BUDGET_ABOUT: &str = concat!(
    "Show how many tutor tokens (questions and answers, as the model provider ",
    "counts them) you used today, your daily budget, and when it resets (at ",
    "midnight UTC). Once it is spent the tutor takes no more questions until the ",
    "reset.\n",
    "\n",
    "Examples:\n",
    "  cloudmaster tutor budget\n",
    "  cloudmaster tutor budget -o json",
);

/// `--course`, `--lesson`, `--lab`: where the learner is.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Where {
    /// Ask about this course [default: the lab workspace's course, else every course you are enrolled in]
    #[arg(long, value_name = "COURSE")]
    pub course: Option<String>,
    /// The lesson you are reading: LESSON with --course, or COURSE/LESSON
    #[arg(long, value_name = "LESSON")]
    pub lesson: Option<String>,
    /// The lab workspace the question is about [default: the one holding the current folder, if any]
    #[arg(long, value_name = "DIR")]
    pub lab: Option<PathBuf>,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        match self.command {
            TutorCommand::Ask(args) => args.run(ctx).await,
            TutorCommand::Chat(args) => args.run(ctx).await,
            TutorCommand::History(args) => args.run(ctx).await,
            TutorCommand::Forget(args) => args.run(ctx).await,
            TutorCommand::Budget => history::budget(ctx).await,
        }
    }
}
