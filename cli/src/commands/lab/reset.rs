//! `cloudmaster lab reset [--step STEP | --all]`: puts the workspace back to how a step (by
//! default the current one) or the whole lab starts. A step starts from the starter files
//! with the solutions of the steps before it, so those solutions are fetched from the server
//! first when the workspace does not hold them yet (`--all` needs no server). Files the lab
//! does not know stay, and so does `.cloudmaster`.

use cloudmaster_core::lab::{ResetSummary, reset_all, reset_step};
use serde::Serialize;
use time::OffsetDateTime;

use super::WorkspaceDir;
use super::workspace_state::{self, Workspace};
use crate::context::Context;
use crate::exit::{Exit, classify, fail, fail_with_hint};
use crate::prompt;

#[derive(clap::Args)]
pub struct Reset {
    #[command(flatten)]
    workspace: WorkspaceDir,
    /// Reset this step (and the files of the steps after it) instead of the current one
    #[arg(long, value_name = "STEP", conflicts_with = "all")]
    step: Option<String>,
    /// Reset the whole lab to its starter files
    #[arg(long)]
    all: bool,
}

#[derive(Serialize)]
struct Done {
    /// The step reset to (the first one with --all).
    step: String,
    all: bool,
    #[serde(flatten)]
    summary: ResetSummary,
}

impl Reset {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let mut workspace = workspace_state::find(self.workspace.dir.as_deref())?;
        let first = workspace.state.step_ids().first().map(|s| (*s).to_owned());
        let target = if self.all {
            first.ok_or_else(|| fail(Exit::Failure, "the lab has no steps"))?
        } else {
            workspace_state::resolve_step(&workspace.state, self.step.as_deref())?.ok_or_else(
                || {
                    fail(
                        Exit::Usage,
                        "every step passes: name the step to reset with --step STEP, or reset \
                         the whole lab with --all",
                    )
                },
            )?
        };
        let index = workspace.state.index(&target).unwrap_or(0);
        if !self.all {
            let current = workspace
                .state
                .current_step
                .as_deref()
                .and_then(|c| workspace.state.index(c))
                .unwrap_or(workspace.state.lab.steps.len());
            if index > current {
                return Err(fail(
                    Exit::Usage,
                    format!(
                        "step `{target}` is not reached yet (the current step is `{}`): reset the \
                         current step, or the whole lab with --all",
                        workspace.state.current_step.as_deref().unwrap_or("-")
                    ),
                ));
            }
            fetch_earlier_solutions(ctx, &mut workspace, index).await?;
        }

        let question = if self.all {
            format!(
                "Reset {} to its starter files? Files the lab's solutions create are removed; \
                 your other files stay.",
                workspace.root.display()
            )
        } else {
            format!(
                "Reset step `{target}`? The starter files are written again with the solutions \
                 of the steps before it, and files only this or later steps create are removed; \
                 your other files stay."
            )
        };
        prompt::confirm(ctx, &question)?;
        let summary = if self.all {
            reset_all(&workspace.state.lab, &workspace.root)?
        } else {
            reset_step(&workspace.state.lab, &target, &workspace.root)?
        };

        workspace
            .state
            .restart_from(index, &target, OffsetDateTime::now_utc());
        workspace.save()?;

        let done = Done {
            step: target,
            all: self.all,
            summary,
        };
        ctx.print(&done, |out| {
            let what = if done.all {
                "the lab".to_owned()
            } else {
                format!("step `{}`", done.step)
            };
            writeln!(out, "Reset {what} in {}.", workspace.root.display())?;
            if !done.summary.written.is_empty() {
                writeln!(out, "Restored: {}", done.summary.written.join(", "))?;
            }
            if !done.summary.removed.is_empty() {
                writeln!(out, "Removed:  {}", done.summary.removed.join(", "))?;
            }
            writeln!(out, "Current step: {}.", done.step)
        })
    }
}

/// Reveals (and keeps) the solutions of the steps before `index` that the workspace does not
/// hold: a step starts from them.
async fn fetch_earlier_solutions(
    ctx: &Context,
    workspace: &mut Workspace,
    index: usize,
) -> anyhow::Result<()> {
    let missing: Vec<String> = workspace.state.lab.steps[..index]
        .iter()
        .filter(|s| {
            workspace
                .state
                .lab
                .files_under(&s.solution)
                .next()
                .is_none()
        })
        .map(|s| s.id.clone())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let client = workspace_state::client(workspace, ctx).await?;
    for step in missing {
        let solution = match client
            .step_solution(workspace.state.session_id, &step, false)
            .await
        {
            Ok(solution) => solution,
            Err(e) => {
                let err = anyhow::Error::new(e);
                return Err(fail_with_hint(
                    classify(&err),
                    format!(
                        "resetting needs the solution of the earlier step `{step}` from the \
                         server: {err}"
                    ),
                    "`cloudmaster lab reset --all` works offline",
                ));
            }
        };
        workspace.state.keep_solution(&step, solution.files)?;
    }
    Ok(())
}
