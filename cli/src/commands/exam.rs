//! `cloudmaster exam start COURSE [--answers FILE]`: the course's timed mock exam. Shows the
//! time limit and deadline before the clock starts; exits 0 when passed, 1 when not.

use clap::Subcommand;
use cloudmaster_core::api::AssessmentKind;

use super::quiz::{TakeOptions, attempts, time_limit};
use crate::context::Context;
use crate::exit::{Exit, fail_with_hint};
use crate::learning::attempt::{self, Mode};
use crate::learning::runner::Terminal;
use crate::output::date;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: ExamCommand,
}

#[derive(Subcommand)]
enum ExamCommand {
    /// Take the mock exam (or resume your open attempt); exits 0 when passed, 1 when not
    Start(Start),
}

#[derive(clap::Args)]
struct Start {
    /// Course id
    course: String,
    #[command(flatten)]
    options: TakeOptions,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        match self.command {
            ExamCommand::Start(start) => start.run(ctx).await,
        }
    }
}

impl Start {
    async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let course = &self.course;
        let mode = Mode::choose(self.options.answers, "exam start")?;
        let all = ctx.client()?.assessments(course).await?;
        let Some(exam) = all.iter().find(|a| a.kind == AssessmentKind::MockExam) else {
            return Err(fail_with_hint(
                Exit::NotFound,
                format!("course `{course}` has no mock exam"),
                format!("`cloudmaster quiz list {course}` lists its quizzes"),
            ));
        };
        let resuming = exam.open_attempt.is_some();
        let mut intro = format!(
            "{}: {} questions, time limit {}, pass mark {}%, attempts used {}.",
            exam.title,
            exam.questions,
            time_limit(exam.time_limit_minutes),
            exam.pass_mark,
            attempts(exam)
        );
        if resuming {
            intro.push_str("\nYou have an open attempt: it continues where you left it.");
        }
        match mode {
            Mode::Interactive if !ctx.yes => {
                let terminal = Terminal::new(ctx);
                if !resuming && exam.time_limit_minutes > 0 {
                    let deadline = time::OffsetDateTime::now_utc()
                        + time::Duration::minutes(i64::from(exam.time_limit_minutes));
                    intro.push_str(&format!(
                        "\nStarting now, the deadline is {} UTC. Each answer is saved as you \
                         give it; what is not submitted by then is graded as it stands.",
                        date(&deadline)
                    ));
                }
                terminal.say(&intro)?;
                let question = if resuming {
                    "Continue?"
                } else {
                    "Start the exam?"
                };
                if !terminal.yes_no(question, false)? {
                    terminal.say("Not started.")?;
                    return Ok(());
                }
            }
            _ => ctx.notice(&intro),
        }
        attempt::take(ctx, course, exam, mode, self.options.brief).await
    }
}
