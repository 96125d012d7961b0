//! `cloudmaster lab hint [--step STEP]`: reveals the next hint of a step. Hints come from the
//! server, which counts them: the lab a session starts with carries no hint text. A revealed
//! hint is kept in the workspace state (`lab status` lists it again).

use super::WorkspaceDir;
use super::workspace_state;
use crate::context::Context;
use crate::exit::{Exit, fail, fail_with_hint};

#[derive(clap::Args)]
pub struct HintArgs {
    #[command(flatten)]
    workspace: WorkspaceDir,
    /// A hint for this step instead of the current one
    #[arg(long, value_name = "STEP")]
    step: Option<String>,
}

impl HintArgs {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let mut workspace = workspace_state::find(self.workspace.dir.as_deref())?;
        let Some(step) = workspace_state::resolve_step(&workspace.state, self.step.as_deref())?
        else {
            return Err(fail(
                Exit::Usage,
                "every step passes: no hint is needed (name a step with --step STEP)",
            ));
        };
        let client = workspace_state::client(&mut workspace, ctx).await?;
        let hint = match client.next_hint(workspace.state.session_id, &step).await {
            Ok(hint) => hint,
            Err(cloudmaster_core::Error::Api { status: 404, .. }) => {
                let total = workspace.state.step(&step).map_or(0, |s| s.hints.len());
                return Err(fail_with_hint(
                    Exit::NotFound,
                    format!("no more hints for step `{step}`: all {total} are shown"),
                    "`cloudmaster lab solution --skip` shows the solution (skipping gives no \
                     credit for this step)",
                ));
            }
            Err(e) => return Err(e.into()),
        };
        workspace.state.keep_hint(&hint);
        workspace.save()?;
        ctx.print(&hint, |out| {
            writeln!(
                out,
                "{} {}",
                ctx.yellow(&format!(
                    "Hint {} of {} (step {}):",
                    hint.number, hint.of, hint.step
                )),
                hint.text
            )?;
            if hint.number >= hint.of {
                writeln!(
                    out,
                    "{}",
                    ctx.dim(
                        "That was the last hint. `cloudmaster lab solution --skip` shows the \
                         solution (no credit for this step)."
                    )
                )?;
            }
            Ok(())
        })
    }
}
