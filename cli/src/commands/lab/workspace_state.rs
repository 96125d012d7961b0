//! The command line's side of a workspace's `.cloudmaster/lab.json` (kept by
//! [`cloudmaster_core::lab::workspace::state`]): finding it from the current folder (or
//! `--dir`) with exit codes and hints for what goes wrong, choosing a step by `--step`, and
//! talking to the server the session lives on. Every workspace command finds the state by
//! searching upward, so they work from any sub-folder of the workspace.

use std::path::Path;

use anyhow::Context as _;
use cloudmaster_core::Client;
use cloudmaster_core::config::Origin;
pub use cloudmaster_core::lab::workspace::state::{
    LabState, LabWorkspace as Workspace, StateError,
};

use crate::context::Context;
use crate::exit::{Exit, fail, fail_with_hint};

/// Finds the workspace holding `start` (or the current folder).
pub fn find(start: Option<&Path>) -> anyhow::Result<Workspace> {
    let from = match start {
        Some(dir) => dir.to_owned(),
        None => std::env::current_dir().context("cannot read the current folder")?,
    };
    Workspace::find(&from).map_err(with_exit)
}

/// The workspace at `root`, if it has a state file.
pub fn open(root: &Path) -> anyhow::Result<Option<Workspace>> {
    Workspace::open(root).map_err(with_exit)
}

/// Gives a state error the exit code and hint the command line reports it with.
pub fn with_exit(err: StateError) -> anyhow::Error {
    match err {
        StateError::NotAWorkspace { .. } => fail_with_hint(
            Exit::NotFound,
            err.to_string(),
            "start a lab with `cloudmaster lab start COURSE/LAB`, or pass --dir with the \
             workspace of one",
        ),
        StateError::Damaged { .. } => fail_with_hint(
            Exit::Failure,
            err.to_string(),
            "start the lab again with `cloudmaster lab start COURSE/LAB --force` in this folder",
        ),
        other => anyhow::Error::new(other),
    }
}

/// The step named by `--step`, or the current one. Fails with a usage error naming the steps
/// when `requested` is not a step of the lab.
pub fn resolve_step(state: &LabState, requested: Option<&str>) -> anyhow::Result<Option<String>> {
    match requested {
        Some(id) if state.step(id).is_some() => Ok(Some(id.to_owned())),
        Some(id) => Err(fail(
            Exit::Usage,
            format!(
                "lab `{}` has no step `{id}`; its steps are: {}",
                state.reference(),
                state.step_ids().join(", ")
            ),
        )),
        None => Ok(state.current_step.clone()),
    }
}

/// The identity of the server `client` talks to, when it says (older servers do not).
pub async fn server_id(client: &Client) -> Option<String> {
    client.server_identity().await.ok().map(|i| i.server_id)
}

/// Whether the session of `state` lives on the configured server: the URL it was started
/// with, or another URL where the same server (by its identity) answers now, as after a
/// restart on another port.
pub async fn on_configured_server(state: &LabState, ctx: &Context) -> bool {
    let configured = ctx.config.server.value.as_str();
    if configured == state.server {
        return true;
    }
    let (Some(known), Ok(client)) = (state.server_id.as_deref(), ctx.client()) else {
        return false;
    };
    server_id(client).await.as_deref() == Some(known)
}

/// The client for `workspace`'s session: the server and profile it was started with. The
/// same server at a new URL is followed (and the workspace remembers the new URL); another
/// server is refused (a session id means nothing there).
pub async fn client<'c>(workspace: &mut Workspace, ctx: &'c Context) -> anyhow::Result<&'c Client> {
    let server = &ctx.config.server;
    let profile = &ctx.config.profile;
    if profile.value == workspace.state.profile
        && server.value.as_str() != workspace.state.server
        && on_configured_server(&workspace.state, ctx).await
    {
        workspace.state.server = server.value.as_str().to_owned();
        workspace.save().map_err(with_exit)?;
    }
    let state = &workspace.state;
    if server.value.as_str() != state.server || profile.value != state.profile {
        let explicit = matches!(server.origin, Origin::Flag | Origin::Env)
            || matches!(profile.origin, Origin::Flag | Origin::Env);
        let how = if explicit {
            "drop --server/--profile (or CLOUDMASTER_SERVER/CLOUDMASTER_PROFILE), or set them to"
        } else {
            "pass"
        };
        return Err(fail_with_hint(
            Exit::Usage,
            format!(
                "the lab session of {} lives on {} (profile `{}`), not on {} (profile `{}`)",
                workspace.root.display(),
                state.server,
                state.profile,
                server.value,
                profile.value
            ),
            format!(
                "{how} `--server {} --profile {}`",
                state.server, state.profile
            ),
        ));
    }
    ctx.client()
}
