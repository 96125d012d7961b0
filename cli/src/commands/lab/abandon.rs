//! `cloudmaster lab abandon`: ends the workspace's session on the server without credit. The
//! files stay; the workspace state records that the session is abandoned.

use cloudmaster_core::api::LabSessionStatus;
use serde::Serialize;

use super::WorkspaceDir;
use super::workspace_state;
use crate::context::Context;
use crate::prompt;

#[derive(clap::Args)]
pub struct Abandon {
    #[command(flatten)]
    workspace: WorkspaceDir,
}

#[derive(Serialize)]
struct Abandoned {
    session_id: uuid::Uuid,
    workspace: String,
    /// The session had already ended on the server (its status then).
    already_ended: Option<LabSessionStatus>,
}

impl Abandon {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let mut workspace = workspace_state::find(self.workspace.dir.as_deref())?;
        let client = workspace_state::client(&mut workspace, ctx).await?;
        prompt::confirm(
            ctx,
            &format!(
                "Abandon the lab session of {}? It ends now without credit; your files in {} \
                 stay.",
                workspace.state.reference(),
                workspace.root.display()
            ),
        )?;
        let session_id = workspace.state.session_id;
        let already_ended = match client.abandon_lab(session_id).await {
            Ok(()) => {
                workspace.state.status = LabSessionStatus::Abandoned;
                None
            }
            // Ended already (passed, expired, abandoned elsewhere): take the server's word.
            Err(cloudmaster_core::Error::Api { status: 409, .. }) => {
                let session = client.lab_session(session_id).await?;
                workspace.state.sync(&session);
                Some(session.status)
            }
            Err(e) => return Err(e.into()),
        };
        workspace.save()?;
        let done = Abandoned {
            session_id,
            workspace: workspace.root.display().to_string(),
            already_ended,
        };
        ctx.print(&done, |out| {
            match done.already_ended {
                Some(status) => writeln!(
                    out,
                    "Lab session {session_id} had already ended ({}).",
                    status.as_str()
                )?,
                None => writeln!(out, "Abandoned lab session {session_id}.")?,
            }
            writeln!(
                out,
                "Your files in {} are kept; `cloudmaster lab start {} --dir {} --force` starts \
                 a new session there.",
                done.workspace,
                workspace.state.reference(),
                done.workspace
            )
        })
    }
}
