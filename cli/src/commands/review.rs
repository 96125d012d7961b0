//! `cloudmaster review [--course COURSE] [--limit N] [--answers FILE | --list]`: answers the
//! spaced-review items due now, one by one, and shows after each whether it was right, why,
//! and when it comes back (FSRS schedules it from the answer and how long it took).
//! `--list` only shows the items, their options lettered as each shows them, so an answers
//! file can name them.

use std::path::PathBuf;
use std::time::Instant;

use cloudmaster_core::api::{ReviewAnswer, ReviewItem, ReviewOutcome};

use crate::context::Context;
use crate::learning::answers::AnswersFile;
use crate::learning::attempt::Mode;
use crate::learning::render::Presentation;
use crate::learning::report::{Paint, write_review_outcome};
use crate::learning::runner::{Input, Terminal, write_question};
use crate::output::plural;

#[derive(clap::Args)]
pub struct Args {
    /// Only items of this course
    #[arg(long)]
    course: Option<String>,
    /// At most this many items [default: the server's, 20]
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
    /// Answer from a YAML or JSON file mapping question ids to answers (as for `quiz start`),
    /// options named by the letters the items show (see --list)
    #[arg(long, value_name = "FILE")]
    answers: Option<PathBuf>,
    /// Only list the items due, each with its options lettered as it shows them; answers
    /// nothing
    #[arg(long, conflicts_with = "answers")]
    list: bool,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let client = ctx.client()?;
        // A broken answers file fails before anything is asked or answered.
        let file = self.answers.as_deref().map(AnswersFile::load).transpose()?;
        let queue = client
            .review_queue(self.course.as_deref(), self.limit)
            .await?;
        if self.list {
            return ctx.print(&queue, |out| {
                if queue.items.is_empty() {
                    return writeln!(out, "Nothing due.");
                }
                let presentation = Presentation::for_stdout(ctx, false);
                let paint = Paint { color: ctx.color };
                let total = queue.items.len();
                for (n, item) in queue.items.iter().enumerate() {
                    let header = format!(
                        "Review {} of {total} · {} · {}",
                        n + 1,
                        item.course_id,
                        item.question.id
                    );
                    write_question(out, &presentation, paint, &item.question, &header)?;
                    writeln!(out)?;
                }
                writeln!(
                    out,
                    "{} due. An answers file names options by the letters above; each review \
                     letters them anew.",
                    plural(queue.due as usize, "item")
                )
            });
        }
        if queue.items.is_empty() {
            let empty: Vec<ReviewOutcome> = Vec::new();
            return ctx.print(&empty, |out| {
                writeln!(
                    out,
                    "Nothing due. Next review items come due as you answer questions."
                )
            });
        }
        // Checked only now: with nothing due there is nothing to ask, terminal or not.
        let mode = match file {
            Some(file) => Mode::File(file),
            None => Mode::choose(None, "review")?,
        };
        let mut outcomes = Vec::new();
        let mut items = Vec::new();
        let mut skipped = 0;
        match &mode {
            Mode::File(file) => {
                let questions: Vec<_> = queue.items.iter().map(|i| i.question.clone()).collect();
                let responses = file.responses(&questions)?;
                for item in &queue.items {
                    let Some(response) = responses.get(&item.question.id) else {
                        skipped += 1;
                        continue;
                    };
                    let answer = ReviewAnswer {
                        response: response.clone(),
                        elapsed_ms: None,
                    };
                    outcomes.push(answer_item(ctx, item, &answer).await?);
                    items.push(item);
                }
            }
            Mode::Interactive => {
                let terminal = Terminal::new(ctx);
                let total = queue.items.len();
                for (n, item) in queue.items.iter().enumerate() {
                    let header = format!("Review {} of {total} · {}", n + 1, item.course_id);
                    terminal.show(&item.question, &header)?;
                    let started = Instant::now();
                    let response = match terminal.ask(&item.question, None)? {
                        Input::Answer(response) => response,
                        Input::Skip | Input::Keep => {
                            skipped += 1;
                            continue;
                        }
                    };
                    let answer = ReviewAnswer {
                        response,
                        elapsed_ms: Some(
                            u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                        ),
                    };
                    let outcome = answer_item(ctx, item, &answer).await?;
                    write_review_outcome(&mut std::io::stderr().lock(), terminal.paint, &outcome)?;
                    outcomes.push(outcome);
                    items.push(item);
                }
            }
        }
        let scripted = matches!(mode, Mode::File(_));
        let correct = outcomes.iter().filter(|o| o.correct).count();
        let still_due = queue.due as usize - outcomes.len().min(queue.due as usize);
        ctx.print(&outcomes, |out| {
            if scripted {
                for (outcome, item) in outcomes.iter().zip(&items) {
                    let prompt = item.question.prompt.lines().next().unwrap_or("");
                    writeln!(out, "{} — {prompt}", ctx.bold(&item.question.id))?;
                    write_review_outcome(out, Paint { color: ctx.color }, outcome)?;
                }
                writeln!(out)?;
            }
            write!(
                out,
                "Reviewed {}: {correct} correct",
                plural(outcomes.len(), "item")
            )?;
            if skipped > 0 {
                write!(out, ", {skipped} skipped")?;
            }
            writeln!(out, ". Still due: {still_due}.")
        })
    }
}

async fn answer_item(
    ctx: &Context,
    item: &ReviewItem,
    answer: &ReviewAnswer,
) -> anyhow::Result<ReviewOutcome> {
    Ok(ctx
        .client()?
        .answer_review(&item.course_id, &item.question.id, answer)
        .await?)
}
