//! Running a step's conditions.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::check::{ConditionResult, SKIPPED_DECLINED, SKIPPED_NO_EXEC, run_condition};
use super::{UnknownStep, find_step};
use crate::api::SelfReported;
use crate::course::{Lab, Step};

/// What the runner may do.
///
/// The default is the safe one: no programs run ([`RunOptions::SERVER`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// Run `command` and `script` conditions. When false they come back
    /// [`Skipped`](super::Outcome::Skipped) with `skip_reason`.
    pub allow_exec: bool,
    /// Why `command` and `script` conditions were skipped, when they are.
    pub skip_reason: &'static str,
    /// Say what a failed condition expected (the text, pattern, value or exit code). Only the
    /// author sees this: to a learner the expected value is the answer.
    pub reveal_expected: bool,
}

impl RunOptions {
    /// On the learner's machine, with their consent: every condition runs.
    pub const LOCAL: RunOptions = RunOptions {
        allow_exec: true,
        skip_reason: SKIPPED_NO_EXEC,
        reveal_expected: false,
    };
    /// The author testing a lab (`cloudmaster lab test`): every condition runs, and failures
    /// say what was expected.
    pub const AUTHOR: RunOptions = RunOptions {
        allow_exec: true,
        skip_reason: SKIPPED_NO_EXEC,
        reveal_expected: true,
    };
    /// On the server: declarative conditions only.
    pub const SERVER: RunOptions = RunOptions {
        allow_exec: false,
        skip_reason: SKIPPED_NO_EXEC,
        reveal_expected: false,
    };
    /// On the learner's machine when they did not allow the course's programs to run:
    /// declarative conditions only.
    pub const DECLINED: RunOptions = RunOptions {
        allow_exec: false,
        skip_reason: SKIPPED_DECLINED,
        reveal_expected: false,
    };
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions::SERVER
    }
}

/// Whether `step`'s verdict rests on the learner's machine when the server runs checks with
/// `server`: it has `command` or `script` conditions, and the server does not run them.
pub fn is_self_reported(step: &Step, server: &RunOptions) -> bool {
    !server.allow_exec && step.conditions.iter().any(|c| !c.check.is_declarative())
}

/// The results of one step's conditions, in the lab's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepResult {
    pub step_id: String,
    pub conditions: Vec<ConditionResult>,
    #[serde(rename = "duration_ms", with = "super::millis")]
    pub duration: Duration,
}

impl StepResult {
    /// Every condition passed (none failed, none skipped).
    pub fn passed(&self) -> bool {
        self.conditions.iter().all(ConditionResult::passed)
    }

    /// At least one condition failed. A step can be neither passed nor failed: on the server,
    /// when only skipped conditions stand between it and a pass.
    pub fn failed(&self) -> bool {
        self.conditions.iter().any(ConditionResult::failed)
    }

    pub fn failures(&self) -> impl Iterator<Item = &ConditionResult> {
        self.conditions.iter().filter(|c| c.failed())
    }

    pub fn skipped(&self) -> impl Iterator<Item = &ConditionResult> {
        self.conditions.iter().filter(|c| c.skipped())
    }
}

/// Runs every condition of the step `step_id` of `lab` in `workspace`, one after another.
///
/// Blocking: `command` and `script` conditions wait for their programs (each up to its
/// timeout). Call it from a blocking task in async code.
pub fn run_step(
    workspace: &Path,
    lab: &Lab,
    step_id: &str,
    opts: &RunOptions,
) -> Result<StepResult, UnknownStep> {
    let (_, step) = find_step(lab, step_id)?;
    Ok(check_step(workspace, lab, step, opts))
}

/// [`run_step`] for a step already looked up.
pub fn check_step(workspace: &Path, lab: &Lab, step: &Step, opts: &RunOptions) -> StepResult {
    let start = Instant::now();
    let conditions = step
        .conditions
        .iter()
        .map(|c| run_condition(workspace, &lab.files, c, opts))
        .collect();
    StepResult {
        step_id: step.id.clone(),
        conditions,
        duration: start.elapsed(),
    }
}

/// Runs every step of `lab` in `workspace` for a submission, and collects the results of the
/// conditions the server does not run itself (`command` and `script`). Returns them and how
/// many steps pass locally. With `opts` that run no programs, none is reported (the server
/// counts an unreported condition as failed). Blocking, like [`run_step`].
pub fn self_report(workspace: &Path, lab: &Lab, opts: &RunOptions) -> (Vec<SelfReported>, usize) {
    let mut reported = Vec::new();
    let mut passing = 0;
    for step in &lab.steps {
        let result = check_step(workspace, lab, step, opts);
        passing += usize::from(result.passed());
        for condition in &step.conditions {
            if condition.check.is_declarative() || !opts.allow_exec {
                continue;
            }
            if let Some(outcome) = result.conditions.iter().find(|c| c.id == condition.id) {
                reported.push(SelfReported {
                    step: step.id.clone(),
                    condition: condition.id.clone(),
                    passed: outcome.passed(),
                });
            }
        }
    }
    (reported, passing)
}
