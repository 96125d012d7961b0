//! `cloudmaster attempts [COURSE]` (your quiz and exam attempts, newest first) and
//! `cloudmaster attempts show ATTEMPT_ID` (one attempt's result, or where an open one
//! stands and its questions, lettered as the attempt shows them, to answer in a file).

use clap::Subcommand;
use cloudmaster_core::api::{AttemptStatus, AttemptSummary, AttemptView};
use serde::Serialize;
use uuid::Uuid;

use crate::context::Context;
use crate::exit::{Exit, fail};
use crate::learning::render::Presentation;
use crate::learning::report::{Paint, percent, write_result};
use crate::learning::runner::{header, time_left, write_question};
use crate::output::{date, maybe_date, write_table};

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    /// Only this course [default: every course you are enrolled in]
    course: Option<String>,
    #[command(subcommand)]
    command: Option<AttemptsCommand>,
}

#[derive(Subcommand)]
enum AttemptsCommand {
    /// Show one attempt: score, per-domain table, and each question with the right answer;
    /// for an open attempt, its questions with their options lettered as shown
    Show(Show),
}

#[derive(clap::Args)]
struct Show {
    /// The attempt id (the ID column of `cloudmaster attempts`)
    #[arg(value_name = "ATTEMPT_ID")]
    attempt: String,
    /// Only the score and the per-domain table (for an open attempt, only where it stands)
    #[arg(long)]
    brief: bool,
}

/// One row of the list, with its course (the API's summary has none: it is per course).
#[derive(Serialize)]
struct Row {
    course_id: String,
    #[serde(flatten)]
    attempt: AttemptSummary,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        if let Some(AttemptsCommand::Show(show)) = self.command {
            return show.run(ctx).await;
        }
        let client = ctx.client()?;
        let courses = match &self.course {
            Some(course) => vec![course.clone()],
            None => client
                .enrollments()
                .await?
                .into_iter()
                .map(|e| e.course_id)
                .collect(),
        };
        let mut rows = Vec::new();
        for course in courses {
            for attempt in client.attempts(&course).await? {
                rows.push(Row {
                    course_id: course.clone(),
                    attempt,
                });
            }
        }
        rows.sort_by_key(|row| std::cmp::Reverse(row.attempt.started_at));
        ctx.print(&rows, |out| {
            if rows.is_empty() {
                return writeln!(
                    out,
                    "No attempts yet. `cloudmaster quiz list COURSE` shows the quizzes to take."
                );
            }
            let mut table = ctx.table(&[
                "ID",
                "COURSE",
                "ASSESSMENT",
                "STATUS",
                "STARTED",
                "FINISHED",
                "SCORE",
                "RESULT",
            ]);
            for row in &rows {
                let a = &row.attempt;
                let result = match a.passed {
                    Some(true) => ctx.green("passed"),
                    Some(false) => ctx.red("not passed"),
                    None => "-".to_owned(),
                };
                table.add_row(vec![
                    a.id.to_string(),
                    row.course_id.clone(),
                    a.assessment_id.clone(),
                    a.status.as_str().to_owned(),
                    date(&a.started_at),
                    maybe_date(a.finished_at.as_ref()),
                    a.score_percent.map_or_else(|| "-".to_owned(), percent),
                    result,
                ]);
            }
            write_table(out, &table)?;
            writeln!(out, "\nDetails: `cloudmaster attempts show ID`.")
        })
    }
}

impl Show {
    async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let id: Uuid = self.attempt.trim().parse().map_err(|_| {
            fail(
                Exit::Usage,
                format!(
                    "`{}` is not an attempt id: use the ID column of `cloudmaster attempts`",
                    self.attempt
                ),
            )
        })?;
        let attempt = ctx.client()?.attempt(id).await?;
        ctx.print(&attempt, |out| match &attempt.result {
            Some(result) => write_result(
                out,
                Paint { color: ctx.color },
                &attempt.title,
                result,
                &attempt.questions,
                self.brief,
            ),
            None => {
                writeln!(out, "{}", open_summary(&attempt))?;
                if self.brief {
                    return Ok(());
                }
                let presentation = Presentation::for_stdout(ctx, false);
                let paint = Paint { color: ctx.color };
                for (index, question) in attempt.questions.iter().enumerate() {
                    writeln!(out)?;
                    let mut title = format!("{} · {}", header(&attempt, index), question.id);
                    if let Some(saved) = attempt.answers.get(&question.id) {
                        title.push_str(&format!(" · saved: {}", saved.describe(&[])));
                    }
                    write_question(out, &presentation, paint, question, &title)?;
                }
                writeln!(
                    out,
                    "\nAn answers file names options by these letters (`{}: a`); pass it with \
                     --answers FILE to the command above.",
                    attempt
                        .questions
                        .first()
                        .map_or("QUESTION", |q| q.id.as_str())
                )
            }
        })
    }
}

/// Where an open attempt stands, and how to go on with it.
fn open_summary(attempt: &AttemptView) -> String {
    let mut text = format!(
        "{}: {} since {} UTC, {} of {} questions answered",
        attempt.title,
        AttemptStatus::Open.as_str(),
        date(&attempt.started_at),
        attempt.answers.len(),
        attempt.questions.len()
    );
    if let Some(deadline) = attempt.deadline {
        text.push_str(&format!(
            "; deadline {} UTC ({})",
            date(&deadline),
            time_left(deadline)
        ));
    }
    let command = match attempt.kind {
        cloudmaster_core::api::AssessmentKind::Quiz => format!(
            "cloudmaster quiz start {}/{}",
            attempt.course_id, attempt.assessment_id
        ),
        cloudmaster_core::api::AssessmentKind::MockExam => {
            format!("cloudmaster exam start {}", attempt.course_id)
        }
    };
    text.push_str(&format!(".\nContinue it with `{command}`."));
    text
}
