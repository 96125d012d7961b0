//! `cloudmaster lab solution [--step STEP] [--skip]`: writes a step's solution files into the
//! workspace. The server reveals a solution once the step passed; `--skip` reveals it before,
//! marking the step skipped (no credit). Revealed solutions are kept in the workspace state,
//! where `lab reset` finds them.

use cloudmaster_core::lab::apply_solution;
use serde::Serialize;

use super::workspace_state;
use super::{WorkspaceDir, write_instructions};
use crate::context::Context;
use crate::exit::{Exit, fail, fail_with_hint};
use crate::prompt;

#[derive(clap::Args)]
pub struct Solution {
    #[command(flatten)]
    workspace: WorkspaceDir,
    /// The solution of this step instead of the current one
    #[arg(long, value_name = "STEP")]
    step: Option<String>,
    /// Reveal it although the step has not passed: the step is skipped and gives no credit
    #[arg(long)]
    skip: bool,
}

#[derive(Serialize)]
struct Written {
    step: String,
    /// The step was skipped by this command.
    skipped: bool,
    files_written: Vec<String>,
    current_step: Option<String>,
}

impl Solution {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let mut workspace = workspace_state::find(self.workspace.dir.as_deref())?;
        let Some(step_id) = workspace_state::resolve_step(&workspace.state, self.step.as_deref())?
        else {
            return Err(fail(
                Exit::Usage,
                "every step passes: name the step whose solution to write with --step STEP",
            ));
        };
        let local = workspace.state.local(&step_id).cloned().unwrap_or_default();
        let done = local.passed || local.skipped;
        if !done && !self.skip {
            return Err(fail_with_hint(
                Exit::Conflict,
                format!(
                    "step `{step_id}` has not passed yet: its solution is shown once it passes"
                ),
                "pass --skip to see it now; skipping gives no credit for this step",
            ));
        }
        let skip = self.skip && !done;
        if skip {
            prompt::confirm(
                ctx,
                &format!(
                    "Skip step `{step_id}` and write its solution into {}? Skipping gives no \
                     credit for this step.",
                    workspace.root.display()
                ),
            )?;
        }
        let client = workspace_state::client(&mut workspace, ctx).await?;
        let solution = match client
            .step_solution(workspace.state.session_id, &step_id, skip)
            .await
        {
            Ok(solution) => solution,
            Err(cloudmaster_core::Error::Api { status: 409, .. }) if !skip => {
                return Err(fail_with_hint(
                    Exit::Conflict,
                    format!("the server has no pass of step `{step_id}` on record"),
                    "run `cloudmaster lab check` while the server is reachable so it records \
                     the pass, or pass --skip (no credit for this step)",
                ));
            }
            Err(e) => return Err(e.into()),
        };
        workspace.state.keep_solution(&step_id, solution.files)?;
        let files_written = apply_solution(&workspace.state.lab, &step_id, &workspace.root)?;
        if skip {
            workspace.state.local_mut(&step_id).skipped = true;
            workspace.state.advance_from(&step_id);
        }
        workspace.save()?;

        let written = Written {
            step: step_id.clone(),
            skipped: skip,
            files_written,
            current_step: workspace.state.current_step.clone(),
        };
        ctx.print(&written, |out| {
            writeln!(
                out,
                "Wrote the solution of step `{step_id}` into {}: {}",
                workspace.root.display(),
                if written.files_written.is_empty() {
                    "no files".to_owned()
                } else {
                    written.files_written.join(", ")
                }
            )?;
            if !skip {
                return Ok(());
            }
            writeln!(
                out,
                "{}",
                ctx.yellow(&format!("Step `{step_id}` is skipped: no credit for it."))
            )?;
            writeln!(out)?;
            match written
                .current_step
                .as_deref()
                .and_then(|id| workspace.state.step(id))
            {
                Some(next) => write_instructions(ctx, out, &workspace.state.lab, next),
                None => writeln!(out, "No step is left: run `cloudmaster lab submit`."),
            }
        })
    }
}
