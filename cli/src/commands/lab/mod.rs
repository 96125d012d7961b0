//! `cloudmaster lab`: hands-on labs in a local workspace.
//!
//! `start` opens a session on the server and writes the starter files into a workspace
//! folder whose `.cloudmaster/lab.json` ([`workspace_state`]) remembers the session; every
//! other workspace command finds that file from the current folder. `check` runs the current
//! step's conditions locally (it works offline) and reports the run to the server, which
//! counts failures for hints; `check --watch` re-runs on every change ([`watch`]). `submit`
//! uploads the workspace for the server's verdict. Before `check` and `submit` first run a
//! lab's `command` and `script` conditions (the course's programs), the learner sees them
//! and allows them ([`consent`]). `test` is for authors and needs no server;
//! `publish` runs it as a gate ([`test::gate`]).

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Subcommand;
use cloudmaster_core::course::Step;
use cloudmaster_core::lab::{ConditionResult, Outcome};
use time::OffsetDateTime;

use crate::context::Context;

mod abandon;
mod check;
mod consent;
mod hint;
mod list;
mod report;
mod reset;
mod solution;
mod start;
mod status;
mod submit;
pub mod test;
mod watch;
pub mod workspace_state;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: LabCommand,
}

#[derive(Subcommand)]
enum LabCommand {
    /// List a course's labs with your standing and the local tools they need
    List(list::List),
    /// Start (or resume) a lab session and write the starter files into a workspace folder
    Start(start::Start),
    /// Show the session of this workspace: time left, steps done, current step
    Status(status::Status),
    /// Run the current step's checks locally; exits 0 only when they all pass
    Check(check::Check),
    /// Reveal the next hint of the current step
    Hint(hint::HintArgs),
    /// Write a step's solution into the workspace (after it passed, or skipping it)
    Solution(solution::Solution),
    /// Upload the workspace for grading; exits 0 only when the lab passes
    Submit(submit::Submit),
    /// Put the current step, another step or the whole lab back to how it starts
    Reset(reset::Reset),
    /// End the session without finishing it (the workspace files stay)
    Abandon(abandon::Abandon),
    /// For authors: every step must fail on the starter files and pass after its solution
    Test(test::Test),
}

/// `--dir`: which workspace a command works on.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct WorkspaceDir {
    /// The lab workspace [default: the one holding the current folder]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        match self.command {
            LabCommand::List(args) => args.run(ctx).await,
            LabCommand::Start(args) => args.run(ctx).await,
            LabCommand::Status(args) => args.run(ctx).await,
            LabCommand::Check(args) => args.run(ctx).await,
            LabCommand::Hint(args) => args.run(ctx).await,
            LabCommand::Solution(args) => args.run(ctx).await,
            LabCommand::Submit(args) => args.run(ctx).await,
            LabCommand::Reset(args) => args.run(ctx).await,
            LabCommand::Abandon(args) => args.run(ctx).await,
            LabCommand::Test(args) => args.run(ctx).await,
        }
    }
}

/// `Step 2 of 3: Title`, then the step's Markdown instructions as they are.
fn write_instructions(
    ctx: &Context,
    out: &mut dyn Write,
    lab: &cloudmaster_core::course::Lab,
    step: &Step,
) -> io::Result<()> {
    let number = lab
        .steps
        .iter()
        .position(|s| s.id == step.id)
        .map_or(0, |i| i + 1);
    writeln!(
        out,
        "{}",
        ctx.bold(&format!(
            "Step {number} of {}: {} ({})",
            lab.steps.len(),
            step.title,
            step.id
        ))
    )?;
    writeln!(out)?;
    match step.instructions_text(lab) {
        Some(text) => writeln!(out, "{}", text.trim_end())?,
        None => writeln!(
            out,
            "(the instructions file {} is missing)",
            step.instructions
        )?,
    }
    Ok(())
}

/// One line per condition, indented by `indent`: `✓ id`, or `✗ id: message` with the
/// detail under it.
fn write_conditions(
    ctx: &Context,
    out: &mut dyn Write,
    results: &[ConditionResult],
    indent: &str,
) -> io::Result<()> {
    for result in results {
        match &result.outcome {
            Outcome::Passed => writeln!(out, "{indent}{} {}", ctx.green("✓"), result.id)?,
            Outcome::Failed { message, detail } => {
                writeln!(out, "{indent}{} {}: {message}", ctx.red("✗"), result.id)?;
                if let Some(detail) = detail {
                    for line in detail.lines() {
                        writeln!(out, "{indent}    {}", ctx.dim(line))?;
                    }
                }
            }
            Outcome::Skipped { reason } => {
                writeln!(
                    out,
                    "{indent}{} {} (skipped: {reason})",
                    ctx.yellow("-"),
                    result.id
                )?;
            }
        }
    }
    Ok(())
}

/// "1 h 05 min", "12 min", "40 s", or "none" when `until` is past.
fn time_left(until: OffsetDateTime, now: OffsetDateTime) -> String {
    let seconds = (until - now).whole_seconds();
    match seconds {
        s if s <= 0 => "none".to_owned(),
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

/// Whether a server error means the server could not be reached (the local work goes on).
fn is_unreachable(err: &cloudmaster_core::Error) -> bool {
    matches!(err, cloudmaster_core::Error::Network { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_naturally() {
        let now = time::macros::datetime!(2026-03-01 10:00 UTC);
        let at = |s: i64| now + time::Duration::seconds(s);
        assert_eq!(time_left(at(-5), now), "none");
        assert_eq!(time_left(at(40), now), "40 s");
        assert_eq!(time_left(at(12 * 60 + 5), now), "12 min");
        assert_eq!(time_left(at(3600 + 5 * 60), now), "1 h 05 min");
    }
}
