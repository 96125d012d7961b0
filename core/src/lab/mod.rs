//! The lab runner: checking a learner's workspace against a lab's conditions, setting the
//! workspace up, testing labs for authors, and packing and unpacking workspaces safely.
//!
//! How the pieces fit:
//! - [`run_condition`] / [`run_step`] evaluate conditions (`check.rs`, with JSON/YAML
//!   documents in `document.rs` and processes in `process.rs`). Declarative checks only read
//!   files; `command` and `script` checks run programs in the workspace with a clean
//!   environment and a timeout that kills their whole process group. The server re-runs the
//!   declarative checks on submit with [`RunOptions::SERVER`], which skips the others.
//! - Every path a check, a solution or an archive names is kept inside the workspace by
//!   [`path`]: no absolute paths, no `..`, no symlinks leading out.
//! - [`workspace`] writes starter files and solutions, and resets steps.
//! - [`test_lab`] is `cloudmaster lab test`: each step's conditions must fail before its
//!   solution and pass after it.
//! - [`archive`] packs a workspace for `lab submit` and unpacks it on the server, refusing
//!   anything that could write outside the target folder or exhaust memory or disk.
//! - [`content_digest`] tells whether a workspace changed between two failing check runs
//!   (only runs on new content count toward hints).
//! - [`missing_tools`] tells which programs a lab needs that are not on `PATH`.
//! - [`workspace::state`] is a workspace's `.cloudmaster/lab.json`: its session and the
//!   learner's progress, shared by the command line and the terminal UI.
//! - [`watch`] (client only) notices changes in a workspace, for checks that re-run on save.
//! - [`consent`] (client only) lists the programs a lab runs on the learner's machine and
//!   remembers the learner's consent to run them.
//!
//! This module builds without the `client` feature (but for [`watch`]): the server uses it
//! too.

pub mod archive;
mod check;
#[cfg(feature = "client")]
pub mod consent;
mod digest;
mod document;
pub mod path;
mod process;
mod runner;
mod selftest;
#[cfg(test)]
mod testutil;
mod tools;
#[cfg(feature = "client")]
pub mod watch;
pub mod workspace;

pub use archive::{
    ArchiveError, ArchiveLimits, PackedWorkspace, UnpackedSummary, pack_workspace, unpack_into,
};
pub use check::{ConditionResult, Outcome, SKIPPED_DECLINED, run_condition};
pub use digest::content_digest;
pub use runner::{RunOptions, StepResult, check_step, is_self_reported, run_step, self_report};
pub use selftest::{LabTestReport, Problem, StepTestReport, test_lab};
pub use tools::{missing_tools, missing_tools_in};
pub use workspace::state::{
    LabState, LabWorkspace, LocalStep, STATE_DIR, StateError, is_state_path,
};
pub use workspace::{
    IfNotEmpty, ResetSummary, WorkspaceError, apply_solution, materialize_starter, reset_all,
    reset_step,
};

use crate::course::{Lab, Step};

/// A step id the lab does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("lab `{lab}` has no step `{step}`")]
pub struct UnknownStep {
    pub lab: String,
    pub step: String,
}

/// The step `step_id` of `lab` and its index.
fn find_step<'a>(lab: &'a Lab, step_id: &str) -> Result<(usize, &'a Step), UnknownStep> {
    lab.steps
        .iter()
        .enumerate()
        .find(|(_, s)| s.id == step_id)
        .ok_or_else(|| UnknownStep {
            lab: lab.id.clone(),
            step: step_id.to_owned(),
        })
}

/// Serializes a [`std::time::Duration`] as whole milliseconds (`duration_ms` in JSON).
mod millis {
    use std::time::Duration;

    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        crate::api::whole::required(d).map(Duration::from_millis)
    }
}
