//! `cloudmaster lab submit`: runs every step locally once more (for the results of `command`
//! and `script` conditions, which the server does not run; they run only with the learner's
//! consent, see [`consent`]), packs the workspace without
//! `.cloudmaster` and uploads it; the server re-runs the declarative checks and gives the
//! verdict. Exits 0 only when the lab passed.

use std::io::IsTerminal as _;
use std::path::Path;

use anyhow::Context as _;
use cloudmaster_core::api::{LabSubmission, SubmittedStep};
use cloudmaster_core::lab::{
    ArchiveLimits, PackedWorkspace, RunOptions, pack_workspace, self_report,
};
use indicatif::{ProgressBar, ProgressStyle};

use super::consent;
use super::workspace_state::{self, LabState};
use super::{WorkspaceDir, write_conditions};
use crate::context::Context;
use crate::exit::{Exit, fail};

#[derive(clap::Args)]
pub struct Submit {
    #[command(flatten)]
    workspace: WorkspaceDir,
}

impl Submit {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let mut workspace = workspace_state::find(self.workspace.dir.as_deref())?;
        let client = workspace_state::client(&mut workspace, ctx).await?;
        consent::require(ctx, &workspace.state)?;
        let (root, lab) = (workspace.root.clone(), workspace.state.lab.clone());
        let (self_reported, passing) =
            tokio::task::spawn_blocking(move || self_report(&root, &lab, &RunOptions::LOCAL))
                .await?;
        ctx.notice(&format!(
            "Checked locally: {passing} of {} steps pass.",
            workspace.state.lab.steps.len()
        ));

        let root = workspace.root.clone();
        let packed = tokio::task::spawn_blocking(move || pack_without_state(&root)).await??;
        if !packed.skipped.is_empty() {
            ctx.warn(&format!(
                "left out of the submission (only files and folders are sent): {}",
                packed.skipped.join(", ")
            ));
        }
        let bar = progress_bar(ctx)?;
        let progress = bar.clone();
        let submitted = client
            .submit_lab(
                workspace.state.session_id,
                packed.bytes,
                &self_reported,
                move |sent, total| {
                    progress.set_length(total);
                    progress.set_position(sent);
                },
            )
            .await;
        bar.finish_and_clear();
        let submission = submitted?;
        workspace.state.sync(&submission.session);
        workspace.save()?;

        ctx.print(&submission, |out| {
            write_verdict(ctx, out, &workspace.state, &submission)
        })?;
        if submission.passed {
            return Ok(());
        }
        let credited = submission.steps.iter().filter(|s| s.passed).count();
        Err(fail(
            Exit::Failure,
            format!(
                "the lab did not pass: {credited} of {} steps earned credit",
                submission.steps.len()
            ),
        ))
    }
}

fn progress_bar(ctx: &Context) -> anyhow::Result<ProgressBar> {
    if ctx.quiet || !ctx.human() || !std::io::stderr().is_terminal() {
        return Ok(ProgressBar::hidden());
    }
    let style = ProgressStyle::with_template(
        "  uploading workspace [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec})",
    )?
    .progress_chars("=> ");
    Ok(ProgressBar::new(0).with_style(style))
}

/// Packs the workspace for submission (`pack_workspace` leaves out `.cloudmaster`).
fn pack_without_state(root: &Path) -> anyhow::Result<PackedWorkspace> {
    pack_workspace(root, &ArchiveLimits::default(), |_| {})
        .context("cannot pack the workspace for submission")
}

fn write_verdict(
    ctx: &Context,
    out: &mut dyn std::io::Write,
    state: &LabState,
    submission: &LabSubmission,
) -> std::io::Result<()> {
    writeln!(
        out,
        "Submission {} of {}:",
        submission.session.submissions,
        ctx.bold(&state.reference())
    )?;
    for step in &submission.steps {
        write_step(ctx, out, state, step)?;
    }
    writeln!(out)?;
    if submission.self_reported {
        writeln!(
            out,
            "{}",
            ctx.dim(
                "Steps marked self-reported count on this machine's results (the server does \
                 not run their programs); the lab's record and certificate say so."
            )
        )?;
    }
    if submission.passed {
        writeln!(
            out,
            "{}",
            ctx.green(&format!(
                "Lab passed: {} is recorded as complete.",
                state.reference()
            ))
        )
    } else {
        writeln!(
            out,
            "{}",
            ctx.red("The lab did not pass yet. Fix the steps marked ✗ and submit again.")
        )
    }
}

fn write_step(
    ctx: &Context,
    out: &mut dyn std::io::Write,
    state: &LabState,
    step: &SubmittedStep,
) -> std::io::Result<()> {
    let title = state.step(&step.id).map_or("", |s| s.title.as_str());
    let mark = if step.skipped {
        ctx.yellow("-")
    } else if step.passed {
        ctx.green("✓")
    } else {
        ctx.red("✗")
    };
    let note = if step.skipped {
        " (skipped: no credit)".to_owned()
    } else if !step.self_reported.is_empty() {
        format!(
            " {}",
            ctx.dim("(self-reported: some checks ran only on this machine)")
        )
    } else {
        String::new()
    };
    writeln!(out, "{mark} {}  {title}{note}", step.id)?;
    write_conditions(ctx, out, &step.verified, "    ")?;
    for reported in &step.self_reported {
        let mark = if reported.passed {
            ctx.green("✓")
        } else {
            ctx.red("✗")
        };
        writeln!(
            out,
            "    {mark} {} {}",
            reported.condition,
            ctx.dim("(self-reported: ran on this machine)")
        )?;
    }
    Ok(())
}
