//! `cloudmaster lab check [--step STEP] [--watch [--poll]]`: runs a step's conditions in the
//! workspace (programs included: this is the learner's machine, and the learner allowed them
//! first, see [`consent`]), prints them, and reports the run to the server. The check itself never needs the server: when it cannot be
//! reached the local result stands and a warning says the run was not recorded.
//!
//! After a failing run, hints whose `after_failures` or `after_minutes` threshold is reached
//! are revealed (through the server, which counts them). Only failing runs on new workspace
//! content count toward `after_failures`: not the files as `lab start` wrote them, not the
//! same content saved or checked again. After a passing run of the current
//! step the workspace moves on; later steps whose work is already done pass straight away.

use cloudmaster_core::Client;
use cloudmaster_core::api::HintView;
use cloudmaster_core::lab::watch::WatchMode;
use cloudmaster_core::lab::{ConditionResult, RunOptions, StepResult, content_digest, run_step};
use serde::Serialize;

use super::consent;
use super::report::{Reporter, reveal_due_hints};
use super::workspace_state::{self, Workspace};
use super::{WorkspaceDir, watch, write_conditions, write_instructions};
use crate::context::Context;
use crate::exit::{Exit, fail};

#[derive(clap::Args)]
pub struct Check {
    #[command(flatten)]
    workspace: WorkspaceDir,
    /// Check this step instead of the current one
    #[arg(long, value_name = "STEP")]
    step: Option<String>,
    /// Check again whenever a file of the workspace changes, until every step passes (Ctrl-C stops)
    #[arg(long)]
    watch: bool,
    /// With --watch: notice changes by looking every 500 ms instead of by file-system notifications
    #[arg(long, requires = "watch")]
    poll: bool,
}

/// One check run, as printed with `-o json`.
#[derive(Debug, Serialize)]
pub struct CheckRun {
    pub step: String,
    pub passed: bool,
    pub conditions: Vec<ConditionResult>,
    /// The server recorded the run.
    pub reported: bool,
    /// Hints revealed because of this run.
    pub hints: Vec<HintView>,
    /// Later steps that passed straight after this one (their work was already done).
    pub then_passed: Vec<String>,
    /// The step to work on next; `None` when every step passes locally.
    pub current_step: Option<String>,
    pub all_steps_pass: bool,
}

impl Check {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let mut workspace = workspace_state::find(self.workspace.dir.as_deref())?;
        let client = workspace_state::client(&mut workspace, ctx).await?;
        consent::require(ctx, &workspace.state)?;
        if self.watch {
            let mode = if self.poll {
                WatchMode::Poll
            } else {
                WatchMode::Notify
            };
            return watch::run(ctx, client, workspace, self.step, mode).await;
        }
        let mut reporter = Reporter::default();
        let run = check_once(
            ctx,
            client,
            &mut workspace,
            self.step.as_deref(),
            &mut reporter,
        )
        .await?;
        ctx.print(&run, |out| write_run(ctx, out, &workspace, &run))?;
        outcome(&run)
    }
}

/// Exit 0 only when the step checked passes.
pub fn outcome(run: &CheckRun) -> anyhow::Result<()> {
    if run.passed {
        return Ok(());
    }
    let failing = run.conditions.iter().filter(|c| c.failed()).count();
    Err(fail(
        Exit::Failure,
        format!(
            "step `{}` does not pass yet: {failing} of {} conditions fail",
            run.step,
            run.conditions.len()
        ),
    ))
}

/// Runs one step (the requested one, else the current one), reports it, reveals due hints,
/// moves the workspace on when it passes, and saves the state.
pub async fn check_once(
    ctx: &Context,
    client: &Client,
    workspace: &mut Workspace,
    requested: Option<&str>,
    reporter: &mut Reporter,
) -> anyhow::Result<CheckRun> {
    let step = match workspace_state::resolve_step(&workspace.state, requested)? {
        Some(step) => step,
        // Every step passed before, but the files may have changed since.
        None => match reopen_first_failing(workspace).await? {
            Some(step) => step,
            None => return Ok(all_pass(workspace)),
        },
    };
    let (result, digest) = run_blocking(workspace, &step).await?;
    let passed = result.passed();
    let was_current = workspace.state.current_step.as_deref() == Some(step.as_str());
    let new_content = workspace.state.record_run(&result, &digest);
    let reported = reporter
        .report(ctx, client, workspace, &result, new_content)
        .await;
    let mut run = CheckRun {
        step: step.clone(),
        passed,
        conditions: result.conditions,
        reported,
        hints: Vec::new(),
        then_passed: Vec::new(),
        current_step: None,
        all_steps_pass: false,
    };
    if passed {
        if was_current {
            run.then_passed = pass_done_steps(ctx, client, workspace, reporter).await?;
        }
    } else {
        run.hints = reveal_due_hints(ctx, client, workspace, &step, reporter).await;
    }
    run.current_step = workspace.state.current_step.clone();
    run.all_steps_pass = run.current_step.is_none();
    workspace.save()?;
    Ok(run)
}

/// Runs step `step` of the workspace's lab on a blocking thread (checks wait for programs).
/// Returns the result and the [content digest](content_digest) of the workspace it ran on.
pub async fn run_blocking(
    workspace: &Workspace,
    step: &str,
) -> anyhow::Result<(StepResult, String)> {
    let root = workspace.root.clone();
    let lab = workspace.state.lab.clone();
    let step = step.to_owned();
    let checked = tokio::task::spawn_blocking(move || {
        let digest = content_digest(&root);
        run_step(&root, &lab, &step, &RunOptions::LOCAL).map(|result| (result, digest))
    })
    .await??;
    Ok(checked)
}

/// [`Workspace::reopen_first_failing`] on a blocking thread (it runs checks).
async fn reopen_first_failing(workspace: &mut Workspace) -> anyhow::Result<Option<String>> {
    let mut moved = workspace.clone();
    let (step, moved) = tokio::task::spawn_blocking(move || {
        let step = moved.reopen_first_failing(&RunOptions::LOCAL);
        (step, moved)
    })
    .await?;
    *workspace = moved;
    Ok(step)
}

fn all_pass(workspace: &Workspace) -> CheckRun {
    CheckRun {
        step: workspace
            .state
            .step_ids()
            .last()
            .map(|s| (*s).to_owned())
            .unwrap_or_default(),
        passed: true,
        conditions: Vec::new(),
        reported: false,
        hints: Vec::new(),
        then_passed: Vec::new(),
        current_step: None,
        all_steps_pass: true,
    }
}

/// After the current step passed: the following steps whose checks already pass are passed
/// (and reported) too, until one fails (its failures are not shown or counted: the learner
/// has not started it) or none is left.
async fn pass_done_steps(
    ctx: &Context,
    client: &Client,
    workspace: &mut Workspace,
    reporter: &mut Reporter,
) -> anyhow::Result<Vec<String>> {
    let mut passed = Vec::new();
    while let Some(next) = workspace.state.current_step.clone() {
        let (result, digest) = run_blocking(workspace, &next).await?;
        if !result.passed() {
            break;
        }
        workspace.state.record_run(&result, &digest);
        reporter.report(ctx, client, workspace, &result, true).await;
        passed.push(next);
    }
    Ok(passed)
}

/// The human report of a run.
pub fn write_run(
    ctx: &Context,
    out: &mut dyn std::io::Write,
    workspace: &Workspace,
    run: &CheckRun,
) -> std::io::Result<()> {
    let state = &workspace.state;
    if run.conditions.is_empty() && run.all_steps_pass {
        return writeln!(
            out,
            "{}",
            ctx.green("All steps pass locally: run `cloudmaster lab submit`.")
        );
    }
    let title = state.step(&run.step).map_or("", |s| s.title.as_str());
    let number = state.index(&run.step).map_or(0, |i| i + 1);
    writeln!(
        out,
        "{}",
        ctx.bold(&format!(
            "Step {number} of {}: {title} ({})",
            state.lab.steps.len(),
            run.step
        ))
    )?;
    write_conditions(ctx, out, &run.conditions, "  ")?;
    let passing = run.conditions.iter().filter(|c| c.passed()).count();
    if run.passed {
        writeln!(
            out,
            "{}",
            ctx.green(&format!("Step `{}` passes.", run.step))
        )?;
    } else {
        writeln!(
            out,
            "{passing} of {} conditions pass.",
            run.conditions.len()
        )?;
    }
    for hint in &run.hints {
        writeln!(out)?;
        writeln!(
            out,
            "{} {}",
            ctx.yellow(&format!("Hint {} of {}:", hint.number, hint.of)),
            hint.text
        )?;
    }
    if !run.passed {
        let step = state.step(&run.step);
        let shown = state.local(&run.step).map_or(0, |l| l.hints_shown as usize);
        if step.is_some_and(|s| s.hints.len() > shown) {
            writeln!(
                out,
                "{}",
                ctx.dim("(`cloudmaster lab hint` shows the next hint)")
            )?;
        }
        return Ok(());
    }
    for id in &run.then_passed {
        writeln!(
            out,
            "{}",
            ctx.green(&format!(
                "Step `{id}` passes too: its work was already done."
            ))
        )?;
    }
    writeln!(out)?;
    match run.current_step.as_deref().and_then(|id| state.step(id)) {
        Some(next) => {
            write_instructions(ctx, out, &state.lab, next)?;
            writeln!(out)?;
            writeln!(
                out,
                "Next: edit the files, then run `cloudmaster lab check` again."
            )
        }
        None => writeln!(
            out,
            "{}",
            ctx.green("All steps pass locally: run `cloudmaster lab submit`.")
        ),
    }
}
