//! Grading a submitted workspace.
//!
//! The archive is unpacked into a fresh scratch folder with the configured limits
//! ([`cloudmaster_core::lab::unpack_into`] refuses traversal, absolute paths, links, special
//! entries and size bombs), then every step's conditions run on it. The server's verdict is
//! the one that counts: declarative conditions are always checked here, whatever the client
//! claims. `command` and `script` conditions run only on the learner's machine (their
//! results come with the submission, "self-reported") unless the operator enabled
//! `--lab-script-checks` for a sandboxed server. Unpacking and checking block, so they run
//! on a blocking thread.

use std::collections::HashMap;
use std::sync::Arc;

use cloudmaster_core::api::{LabSessionStatus, LabSubmission, SelfReported, SubmittedStep};
use cloudmaster_core::course::Lab;
use cloudmaster_core::lab::{ArchiveError, ArchiveLimits, RunOptions, StepResult, check_step};
use uuid::Uuid;

use super::scratch::{self, ScratchDir};
use super::session::{Loaded, closed, edit_active, lab_of, unknown_step};
use super::view::session_view;
use crate::error::ApiError;
use crate::state::AppState;

/// Grades `archive` (a `.tar.gz` of the workspace) for the caller's session `id` and
/// records the result. Every step passing ends the session `passed` and records the lab
/// pass; otherwise the session stays active for another try.
pub async fn submit(
    state: &AppState,
    loaded: &Loaded,
    archive: Vec<u8>,
    self_reported: Vec<SelfReported>,
) -> Result<LabSubmission, ApiError> {
    if loaded.record.status != LabSessionStatus::Active {
        return Err(closed(&loaded.record));
    }
    check_self_reported(loaded.lab()?, &self_reported)?;

    let config = state.config();
    let roots = scratch::roots(config);
    let limits = config.lab_archive_limits();
    let opts = config.lab_run_options();
    let course = Arc::clone(&loaded.course);
    let record = loaded.record.clone();
    let results = tokio::task::spawn_blocking(move || {
        let lab = lab_of(&course, &record)?;
        run_checks(&roots, record.id, &archive, lab, &limits, &opts)
    })
    .await
    .map_err(|e| ApiError::internal("grading a lab submission", e))??;
    let graded = combine(results, &self_reported);

    let now = state.now();
    let (record, steps) = edit_active(state, loaded, |session| {
        let steps: Vec<SubmittedStep> = graded
            .iter()
            .map(|step| {
                let stored = session.steps.entry(step.id.clone()).or_default();
                // The server's verdict replaces whatever local checks reported.
                stored.passed = step.passed;
                SubmittedStep {
                    skipped: stored.skipped,
                    passed: step.passed && !stored.skipped,
                    ..step.clone()
                }
            })
            .collect();
        let passed = steps.iter().all(|s| s.passed);
        session.submissions = session.submissions.saturating_add(1);
        session.result = Some(serde_json::json!({ "passed": passed, "steps": steps }));
        if passed {
            session.status = LabSessionStatus::Passed;
            session.ended_at = Some(now);
        }
        Ok(steps)
    })
    .await?;
    let passed = record.status == LabSessionStatus::Passed;
    if passed
        && let Err(err) =
            crate::certificates::award_if_complete(state, record.user_id, &record.course_id).await
    {
        tracing::warn!(
            error = %crate::error::error_chain(&err),
            course = %record.course_id,
            "cannot check course completion after a lab pass"
        );
    }
    Ok(LabSubmission {
        passed,
        self_reported: steps.iter().any(|s| !s.self_reported.is_empty()),
        steps,
        session: session_view(&record, loaded.lab()?, config),
    })
}

/// Every self-reported result must name a condition of the lab.
fn check_self_reported(lab: &Lab, reported: &[SelfReported]) -> Result<(), ApiError> {
    for entry in reported {
        let step = lab
            .steps
            .iter()
            .find(|s| s.id == entry.step)
            .ok_or_else(|| {
                ApiError::Validation(format!(
                    "self-reported result: {}",
                    unknown_step(lab, &entry.step)
                ))
            })?;
        if !step.conditions.iter().any(|c| c.id == entry.condition) {
            return Err(ApiError::Validation(format!(
                "self-reported result: step `{}` of lab `{}` has no condition `{}`",
                entry.step, lab.id, entry.condition
            )));
        }
    }
    Ok(())
}

/// Unpacks `archive` into a fresh scratch folder and runs every step's conditions there.
/// The folder is removed before this returns. Blocking.
fn run_checks(
    roots: &[std::path::PathBuf],
    session: Uuid,
    archive: &[u8],
    lab: &Lab,
    limits: &ArchiveLimits,
    opts: &RunOptions,
) -> Result<Vec<StepResult>, ApiError> {
    let scratch = ScratchDir::create(roots, session)
        .map_err(|e| ApiError::internal("creating a scratch folder for a lab submission", e))?;
    cloudmaster_core::lab::unpack_into(archive, scratch.path(), limits).map_err(refused)?;
    Ok(lab
        .steps
        .iter()
        .map(|step| check_step(scratch.path(), lab, step, opts))
        .collect())
}

/// The HTTP error for an archive `unpack_into` refused.
fn refused(err: ArchiveError) -> ApiError {
    match err {
        ArchiveError::CompressedTooLarge { .. } => ApiError::PayloadTooLarge(format!(
            "the workspace archive was refused: {err} (the server's --lab-max-archive-bytes)"
        )),
        ArchiveError::NotFresh { .. } | ArchiveError::Io { .. } => {
            ApiError::internal("unpacking a lab submission", err)
        }
        ArchiveError::TooManyFiles { .. } => ApiError::Validation(format!(
            "the workspace archive was refused: {err} (the server's --lab-max-archive-files)"
        )),
        ArchiveError::TooLarge { .. } => ApiError::Validation(format!(
            "the workspace archive was refused: {err} (the server's --lab-max-workspace-bytes)"
        )),
        other => ApiError::Validation(format!("the workspace archive was refused: {other}")),
    }
}

/// Each step's conditions: those the server ran (`verified`), and for those it did not run
/// the client's reported result; a condition the client did not report counts as failed.
/// `passed` here is "every condition passed", before skips are considered.
fn combine(results: Vec<StepResult>, reported: &[SelfReported]) -> Vec<SubmittedStep> {
    let claims: HashMap<(&str, &str), bool> = reported
        .iter()
        .map(|r| ((r.step.as_str(), r.condition.as_str()), r.passed))
        .collect();
    results
        .into_iter()
        .map(|result| {
            let (skipped, verified): (Vec<_>, Vec<_>) =
                result.conditions.into_iter().partition(|c| c.skipped());
            let self_reported: Vec<SelfReported> = skipped
                .iter()
                .map(|c| SelfReported {
                    step: result.step_id.clone(),
                    condition: c.id.clone(),
                    passed: claims
                        .get(&(result.step_id.as_str(), c.id.as_str()))
                        .copied()
                        .unwrap_or(false),
                })
                .collect();
            let passed =
                verified.iter().all(|c| c.passed()) && self_reported.iter().all(|r| r.passed);
            SubmittedStep {
                id: result.step_id,
                passed,
                skipped: false,
                verified,
                self_reported,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use cloudmaster_core::lab::{ConditionResult, Outcome};

    use super::*;

    fn condition(id: &str, outcome: Outcome) -> ConditionResult {
        ConditionResult {
            id: id.into(),
            outcome,
            duration: Duration::ZERO,
        }
    }

    fn report(step: &str, condition: &str, passed: bool) -> SelfReported {
        SelfReported {
            step: step.into(),
            condition: condition.into(),
            passed,
        }
    }

    #[test]
    fn verified_results_win_and_unreported_conditions_fail() {
        let results = vec![
            StepResult {
                step_id: "one".into(),
                conditions: vec![
                    condition(
                        "file",
                        Outcome::Failed {
                            message: "create it".into(),
                            detail: None,
                        },
                    ),
                    condition(
                        "script",
                        Outcome::Skipped {
                            reason: "local".into(),
                        },
                    ),
                ],
                duration: Duration::ZERO,
            },
            StepResult {
                step_id: "two".into(),
                conditions: vec![
                    condition("file", Outcome::Passed),
                    condition(
                        "script",
                        Outcome::Skipped {
                            reason: "local".into(),
                        },
                    ),
                ],
                duration: Duration::ZERO,
            },
            StepResult {
                step_id: "three".into(),
                conditions: vec![condition(
                    "script",
                    Outcome::Skipped {
                        reason: "local".into(),
                    },
                )],
                duration: Duration::ZERO,
            },
        ];
        // The claim about a verified condition is ignored; step three is not reported.
        let claims = [
            report("one", "file", true),
            report("one", "script", true),
            report("two", "script", true),
        ];
        let steps = combine(results, &claims);
        assert!(
            !steps[0].passed,
            "a failing verified condition fails the step"
        );
        assert_eq!(steps[0].verified.len(), 1);
        assert_eq!(steps[0].self_reported, [report("one", "script", true)]);
        assert!(steps[1].passed);
        assert!(!steps[2].passed, "an unreported condition fails");
        assert_eq!(steps[2].self_reported, [report("three", "script", false)]);
    }
}
