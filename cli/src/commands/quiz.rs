//! `cloudmaster quiz list COURSE | start COURSE/QUIZ [--answers FILE]`: module quizzes.

use std::path::PathBuf;

use clap::Subcommand;
use cloudmaster_core::api::{AssessmentInfo, AssessmentKind};

use super::split_ref;
use crate::context::Context;
use crate::exit::{Exit, fail};
use crate::learning::attempt::{self, Mode};
use crate::learning::report::percent;
use crate::output::write_table;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: QuizCommand,
}

#[derive(Subcommand)]
enum QuizCommand {
    /// List a course's module quizzes with your attempts and best score
    List(List),
    /// Take a quiz (or resume your open attempt); exits 0 when passed, 1 when not
    Start(Start),
}

#[derive(clap::Args)]
struct List {
    /// Course id
    course: String,
}

/// Options shared by `quiz start` and `exam start`.
#[derive(clap::Args)]
pub struct TakeOptions {
    /// Answer from a YAML or JSON file mapping question ids to answers (`a`, `[a, c]`,
    /// `true`, `262.8`, `text`) instead of at the terminal
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// After submitting, show only the score and the per-domain table
    #[arg(long)]
    pub brief: bool,
}

#[derive(clap::Args)]
struct Start {
    /// COURSE/QUIZ, such as aws-saa/iam-quiz
    #[arg(value_name = "COURSE/QUIZ")]
    quiz: String,
    #[command(flatten)]
    options: TakeOptions,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        match self.command {
            QuizCommand::List(list) => list.run(ctx).await,
            QuizCommand::Start(start) => start.run(ctx).await,
        }
    }
}

impl List {
    async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let all = ctx.client()?.assessments(&self.course).await?;
        let (quizzes, exams): (Vec<AssessmentInfo>, Vec<AssessmentInfo>) = all
            .into_iter()
            .partition(|a| a.kind == AssessmentKind::Quiz);
        let course = &self.course;
        ctx.print(&quizzes, |out| {
            if quizzes.is_empty() {
                writeln!(out, "{course} has no module quizzes.")?;
            } else {
                let mut table = ctx.table(&[
                    "ID",
                    "TITLE",
                    "MODULE",
                    "QUESTIONS",
                    "TIME LIMIT",
                    "PASS MARK",
                    "ATTEMPTS",
                    "BEST",
                    "PASSED",
                ]);
                for q in &quizzes {
                    table.add_row(vec![
                        q.id.clone(),
                        q.title.clone(),
                        q.module_id.clone().unwrap_or_else(|| "-".to_owned()),
                        q.questions.to_string(),
                        time_limit(q.time_limit_minutes),
                        format!("{}%", q.pass_mark),
                        attempts(q),
                        q.best_score.map_or_else(|| "-".to_owned(), percent),
                        if q.passed {
                            ctx.green("yes")
                        } else if q.locked {
                            "locked".to_owned()
                        } else {
                            "no".to_owned()
                        },
                    ]);
                }
                write_table(out, &table)?;
                writeln!(
                    out,
                    "\nTake one with `cloudmaster quiz start {course}/QUIZ`."
                )?;
            }
            for exam in &exams {
                writeln!(
                    out,
                    "Mock exam: {} ({} questions, {}): `cloudmaster exam start {course}`",
                    exam.title,
                    exam.questions,
                    time_limit(exam.time_limit_minutes)
                )?;
            }
            Ok(())
        })
    }
}

impl Start {
    async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let (course, quiz) = split_ref(&self.quiz, "QUIZ")?;
        let mode = Mode::choose(self.options.answers, "quiz start")?;
        let all = ctx.client()?.assessments(&course).await?;
        let Some(info) = all
            .iter()
            .find(|a| a.id == quiz && a.kind == AssessmentKind::Quiz)
        else {
            let hint = if all.iter().any(|a| a.id == quiz) {
                format!("; it is the mock exam: `cloudmaster exam start {course}`")
            } else {
                format!("; `cloudmaster quiz list {course}` lists them")
            };
            return Err(fail(
                Exit::NotFound,
                format!("no quiz `{quiz}` in course `{course}`{hint}"),
            ));
        };
        attempt::take(ctx, &course, info, mode, self.options.brief).await
    }
}

/// `20 min`, or `none`.
pub fn time_limit(minutes: u32) -> String {
    if minutes == 0 {
        "none".to_owned()
    } else {
        format!("{minutes} min")
    }
}

/// `1/3`, or `1/∞` when unlimited.
pub fn attempts(info: &AssessmentInfo) -> String {
    if info.max_attempts == 0 {
        format!("{}/∞", info.attempts_used)
    } else {
        format!("{}/{}", info.attempts_used, info.max_attempts)
    }
}
