//! `cloudmaster lab test`: proves that a lab's checks check something.
//!
//! In a fresh temporary workspace holding the starter files, for each step in order: the
//! step must fail before its solution is applied (a step that already passes is an error; a
//! single condition that already passes is a warning, since a condition may legitimately hold
//! from the start), then every condition must pass once the solution is applied. Solutions
//! accumulate, as they would for a learner. Programs run (`command`, `script`).

use serde::Serialize;

use super::check::ConditionResult;
use super::runner::{RunOptions, check_step};
use super::tools::missing_tools;
use super::workspace::{IfNotEmpty, apply_solution, materialize_starter};
use crate::course::{Lab, Severity};

/// The outcome of testing one lab, serializable for `-o json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabTestReport {
    pub lab_id: String,
    /// No problem is an error.
    pub passed: bool,
    /// Tools the lab declares that are not on `PATH` (checks needing them will fail).
    pub missing_tools: Vec<String>,
    /// Problems outside any step (the workspace could not be set up).
    pub problems: Vec<Problem>,
    pub steps: Vec<StepTestReport>,
}

/// One step: its results before and after its solution, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepTestReport {
    pub step_id: String,
    /// Before the solution: these should fail.
    pub before: Vec<ConditionResult>,
    /// After the solution: these must pass.
    pub after: Vec<ConditionResult>,
    pub problems: Vec<Problem>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub severity: Severity,
    /// The condition concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_id: Option<String>,
    pub message: String,
}

impl LabTestReport {
    /// Every problem, the lab's own first.
    pub fn problems(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .chain(self.steps.iter().flat_map(|s| s.problems.iter()))
    }

    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems().filter(|p| p.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems().filter(|p| p.severity == Severity::Warning)
    }
}

impl Problem {
    fn error(condition_id: Option<&str>, message: String) -> Problem {
        Problem {
            severity: Severity::Error,
            condition_id: condition_id.map(str::to_owned),
            message,
        }
    }

    fn warning(condition_id: &str, message: String) -> Problem {
        Problem {
            severity: Severity::Warning,
            condition_id: Some(condition_id.to_owned()),
            message,
        }
    }
}

/// Tests `lab` in a temporary workspace (removed afterwards). Blocking: it runs every check.
pub fn test_lab(lab: &Lab) -> LabTestReport {
    let mut report = LabTestReport {
        lab_id: lab.id.clone(),
        passed: false,
        missing_tools: missing_tools(lab),
        problems: Vec::new(),
        steps: Vec::new(),
    };
    let workspace = match tempfile::Builder::new()
        .prefix("cloudmaster-lab-test-")
        .tempdir()
    {
        Ok(dir) => dir,
        Err(e) => {
            report.problems.push(Problem::error(
                None,
                format!("cannot create a temporary workspace: {e}"),
            ));
            return report;
        }
    };
    let dir = workspace.path();
    if let Err(e) = materialize_starter(lab, dir, IfNotEmpty::Refuse) {
        report.problems.push(Problem::error(
            None,
            format!("cannot write the starter files: {e}"),
        ));
        return report;
    }

    for step in &lab.steps {
        let before = check_step(dir, lab, step, &RunOptions::AUTHOR);
        let mut problems = Vec::new();
        if before.passed() {
            problems.push(Problem::error(
                None,
                format!(
                    "step `{}` passes before its solution is applied: its checks do not check \
                     anything the learner does",
                    step.id
                ),
            ));
        } else {
            for c in before.conditions.iter().filter(|c| c.passed()) {
                problems.push(Problem::warning(
                    &c.id,
                    format!(
                        "condition `{}` already passes before the solution is applied",
                        c.id
                    ),
                ));
            }
        }

        if let Err(e) = apply_solution(lab, &step.id, dir) {
            problems.push(Problem::error(
                None,
                format!("cannot apply the solution of step `{}`: {e}", step.id),
            ));
        }
        let after = check_step(dir, lab, step, &RunOptions::AUTHOR);
        for c in after.conditions.iter().filter(|c| !c.passed()) {
            problems.push(Problem::error(
                Some(&c.id),
                format!(
                    "condition `{}` does not pass after the solution is applied: {}",
                    c.id,
                    explain(c)
                ),
            ));
        }
        report.steps.push(StepTestReport {
            step_id: step.id.clone(),
            before: before.conditions,
            after: after.conditions,
            problems,
        });
    }
    let passed = report.errors().next().is_none();
    report.passed = passed;
    report
}

fn explain(result: &ConditionResult) -> String {
    use super::check::Outcome;
    match &result.outcome {
        Outcome::Passed => "it passed".to_owned(),
        Outcome::Failed {
            message,
            detail: Some(detail),
        } => format!("{message} ({detail})"),
        Outcome::Failed {
            message,
            detail: None,
        } => message.clone(),
        Outcome::Skipped { reason } => format!("skipped: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::course::Check;
    use crate::lab::testutil::{condition, file, lab, step};

    fn exists(id: &str, path: &str) -> crate::course::Condition {
        condition(id, Check::FileExists { path: path.into() })
    }

    #[test]
    fn a_good_lab_passes() {
        let lab = lab(
            vec![file("starter/README.md", "hi")],
            vec![
                step(
                    "one",
                    vec![exists("a", "a.txt")],
                    vec![file("solution/one/a.txt", "a")],
                ),
                step(
                    "two",
                    vec![exists("b", "b.txt"), exists("a-still", "a.txt")],
                    vec![file("solution/two/b.txt", "b")],
                ),
            ],
        );
        let report = test_lab(&lab);
        assert!(report.passed, "{report:#?}");
        // `a-still` holds before step two's solution: a warning, not an error.
        let warnings: Vec<_> = report.warnings().collect();
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].condition_id.as_deref(), Some("a-still"));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["steps"][0]["before"][0]["status"], "failed");
        assert_eq!(json["steps"][0]["after"][0]["status"], "passed");
    }

    #[test]
    fn a_step_that_passes_early_or_a_wrong_solution_is_an_error() {
        let lab = lab(
            vec![file("starter/a.txt", "a")],
            vec![
                step(
                    "early",
                    vec![exists("a", "a.txt")],
                    vec![file("solution/early/x", "")],
                ),
                step(
                    "wrong",
                    vec![exists("b", "b.txt")],
                    vec![file("solution/wrong/c.txt", "")],
                ),
            ],
        );
        let report = test_lab(&lab);
        assert!(!report.passed);
        let errors: Vec<_> = report.errors().map(|p| p.message.as_str()).collect();
        assert_eq!(errors.len(), 2, "{errors:#?}");
        assert!(
            errors[0].contains("passes before its solution"),
            "{}",
            errors[0]
        );
        assert!(
            errors[1].contains("`b` does not pass after the solution"),
            "{}",
            errors[1]
        );
    }
}
