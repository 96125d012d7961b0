//! `lab check --watch`: checks again whenever the workspace changes.
//!
//! Changes are noticed by core's [`ChangeWatcher`]: file-system notifications, or a
//! comparison of the files every 500 ms where notifications do not work (`--poll` asks for
//! that directly). A wake-up is compared with the snapshot taken after the last run, so only
//! real edits trigger a run.

use std::io::IsTerminal as _;

use cloudmaster_core::Client;
use cloudmaster_core::lab::watch::{ChangeWatcher, POLL_INTERVAL, WatchMode, snapshot};
use tokio::sync::watch;

use super::check::{CheckRun, check_once, outcome, write_run};
use super::report::Reporter;
use super::workspace_state::Workspace;
use crate::context::Context;

/// Checks, then waits for a change and checks again, until the step(s) pass or Ctrl-C.
pub async fn run(
    ctx: &Context,
    client: &Client,
    mut workspace: Workspace,
    requested: Option<String>,
    mode: WatchMode,
) -> anyhow::Result<()> {
    let root = workspace.root.clone();
    let (stop_tx, mut stop) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stop_tx.send(true);
        }
    });
    let (mut watcher, fell_back) = ChangeWatcher::start(&root, mode).await;
    if let Some(why) = fell_back {
        ctx.warn(&format!(
            "file-system notifications do not work here ({why}); looking for changes every {} \
             ms instead",
            POLL_INTERVAL.as_millis()
        ));
    }
    let clear = std::io::stdout().is_terminal() && ctx.human();
    let mut reporter = Reporter::default();
    let mut last: Option<CheckRun> = None;
    let mut may_rerun = true;
    loop {
        if clear && last.is_some() {
            print!("\x1b[2J\x1b[H");
        }
        let before = snapshot(&root).await;
        reporter.new_run();
        let run = tokio::select! {
            run = check_once(ctx, client, &mut workspace, requested.as_deref(), &mut reporter) => run?,
            _ = stop.wait_for(|stopped| *stopped) => return stopped(ctx, last.as_ref()),
        };
        let finished = run.all_steps_pass || (requested.is_some() && run.passed);
        ctx.print(&run, |out| {
            write_run(ctx, out, &workspace, &run)?;
            if !finished && ctx.human() {
                writeln!(
                    out,
                    "\n{}",
                    ctx.dim(&format!(
                        "Watching {} for changes (Ctrl-C stops)…",
                        root.display()
                    ))
                )?;
            }
            Ok(())
        })?;
        if finished {
            return Ok(());
        }
        let after = snapshot(&root).await;
        last = Some(run);
        // A save that landed while the checks ran may have been read half-way: look again,
        // once (a check that writes into the workspace itself must not loop forever).
        if before != after && may_rerun {
            may_rerun = false;
            continue;
        }
        may_rerun = true;
        let changed = tokio::select! {
            changed = watcher.changed_from(&after) => changed.is_some(),
            _ = stop.wait_for(|stopped| *stopped) => false,
        };
        if !changed {
            return stopped(ctx, last.as_ref());
        }
    }
}

/// Ctrl-C: the exit code of the last run (1 unless it passed).
fn stopped(ctx: &Context, last: Option<&CheckRun>) -> anyhow::Result<()> {
    ctx.notice("Stopped watching.");
    last.map_or(Ok(()), outcome)
}
