//! Talking to the server about local check runs: reporting them and revealing the hints
//! they make due. Neither may stop a check: when the server cannot be reached, or the
//! session has ended, the local result stands and one warning says so.

use cloudmaster_core::Client;
use cloudmaster_core::api::{CheckReport, HintView};
use cloudmaster_core::lab::StepResult;
use time::OffsetDateTime;

use super::is_unreachable;
use super::workspace_state::Workspace;
use crate::context::Context;

/// Reveals the hints of `step` whose threshold is reached, in order (a hint is only shown
/// after the ones before it), through the server, which counts them and alone has their
/// text. When it cannot be asked, the hints wait for the next run that reaches it.
pub async fn reveal_due_hints(
    ctx: &Context,
    client: &Client,
    workspace: &mut Workspace,
    step_id: &str,
    reporter: &mut Reporter,
) -> Vec<HintView> {
    let due = workspace
        .state
        .due_hints(step_id, OffsetDateTime::now_utc());
    let mut revealed = Vec::new();
    for _ in due {
        if !reporter.online(workspace) {
            break;
        }
        match client.next_hint(workspace.state.session_id, step_id).await {
            Ok(hint) => {
                workspace.state.keep_hint(&hint);
                revealed.push(hint);
            }
            // Every hint is shown already (revealed from another machine).
            Err(cloudmaster_core::Error::Api { status: 404, .. }) => break,
            Err(e) => {
                reporter.warn_unrecorded(ctx, &e, "hint");
                break;
            }
        }
    }
    revealed
}

/// Sends check reports, warning once when the server cannot take them.
#[derive(Default)]
pub struct Reporter {
    warned: bool,
    /// The server was unreachable: later calls of this command skip it.
    offline: bool,
}

impl Reporter {
    /// A new run (of `--watch`): try the server again, but do not repeat the warning.
    pub fn new_run(&mut self) {
        self.offline = false;
    }

    fn online(&self, workspace: &Workspace) -> bool {
        !self.offline && workspace.state.is_active()
    }

    /// Reports a run (a failure on `new_content` counts toward hints); returns whether the
    /// server recorded it. Never fails: the local result stands on its own.
    pub async fn report(
        &mut self,
        ctx: &Context,
        client: &Client,
        workspace: &mut Workspace,
        result: &StepResult,
        new_content: bool,
    ) -> bool {
        if !self.online(workspace) {
            if !self.offline && !self.warned {
                self.warned = true;
                ctx.warn(&format!(
                    "the lab session is {}: this run is not recorded; start a new session with \
                     `cloudmaster lab start {} --dir {} --force`",
                    workspace.state.status.as_str(),
                    workspace.state.reference(),
                    workspace.root.display()
                ));
            }
            return false;
        }
        let report = CheckReport::of_run(result, new_content);
        match client
            .report_check(workspace.state.session_id, &report)
            .await
        {
            Ok(session) => {
                workspace.state.sync(&session);
                true
            }
            Err(e) => {
                if let cloudmaster_core::Error::Api { status: 409, .. } = e {
                    // The session ended on the server (expired, or abandoned elsewhere).
                    refresh_status(client, workspace).await;
                }
                self.warn_unrecorded(ctx, &e, "check");
                false
            }
        }
    }

    fn warn_unrecorded(&mut self, ctx: &Context, err: &cloudmaster_core::Error, what: &str) {
        if is_unreachable(err) {
            self.offline = true;
        }
        if self.warned {
            return;
        }
        self.warned = true;
        let why = if is_unreachable(err) {
            "the server could not be reached".to_owned()
        } else {
            format!("the server refused it: {err}")
        };
        ctx.warn(&format!(
            "this {what} was not recorded ({why}); the local result stands, and the next check \
             reports again"
        ));
    }
}

async fn refresh_status(client: &Client, workspace: &mut Workspace) {
    if let Ok(session) = client.lab_session(workspace.state.session_id).await {
        workspace.state.sync(&session);
    }
}
