//! The fake's lab: `s3-bucket-policy` in the AWS course's core-services module, two steps
//! with declarative conditions and two hints on the first (the first is also shown by
//! itself after three failed checks). Sessions follow the server's
//! rules: starting again resumes the active session, the lab sent carries the text of
//! revealed hints only, reports count failures, hints come one at a time, and a submission is unpacked and re-checked with core's own runner (declarative
//! conditions only, as on the server).

use cloudmaster_core::api::{
    CheckReport, HintView, LabSession, LabSessionStart, LabSessionStatus, LabStepState,
    LabSubmission, LabSummary, SelfReported, StepSolution, SubmittedStep,
};
use cloudmaster_core::course::{Check, Condition, FileContent, Hint, Lab, LabFile, Level, Step};
use cloudmaster_core::lab::{ArchiveLimits, RunOptions, check_step, unpack_into};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::backend::{BackendError, BackendResult};

pub const LAB: &str = "s3-bucket-policy";
pub const MODULE: &str = "core-services";
const TIME_LIMIT_MINUTES: u32 = 60;

fn text(path: &str, body: &str) -> LabFile {
    LabFile {
        path: path.to_owned(),
        content: FileContent::Text(body.to_owned()),
        executable: false,
    }
}

fn condition(id: &str, message: &str, check: Check) -> Condition {
    Condition {
        id: id.to_owned(),
        message: message.to_owned(),
        timeout_seconds: 10,
        check,
    }
}

/// The lab with its solutions (as the server keeps it).
pub fn lab() -> Lab {
    let policy = Step {
        id: "policy".to_owned(),
        title: "Write a bucket policy".to_owned(),
        instructions: "steps/policy.md".to_owned(),
        solution: "solution/policy".to_owned(),
        conditions: vec![
            condition(
                "policy-file",
                "Create policy.json in the workspace",
                Check::FileExists {
                    path: "policy.json".to_owned(),
                },
            ),
            condition(
                "denies-public-read",
                "The first statement must deny access (\"Effect\": \"Deny\")",
                Check::JsonEquals {
                    path: "policy.json".to_owned(),
                    pointer: "/Statement/0/Effect".to_owned(),
                    value: serde_json::json!("Deny"),
                },
            ),
        ],
        hints: vec![
            Hint {
                text: "A bucket policy is a JSON object with a `Statement` list.".to_owned(),
                after_failures: Some(3),
                ..Hint::default()
            },
            Hint {
                text: "Give the first statement \"Effect\": \"Deny\".".to_owned(),
                ..Hint::default()
            },
        ],
    };
    let tags = Step {
        id: "tags".to_owned(),
        title: "Tag the bucket".to_owned(),
        instructions: "steps/tags.md".to_owned(),
        solution: "solution/tags".to_owned(),
        conditions: vec![condition(
            "team-tag",
            "tags.yaml needs a `team:` tag",
            Check::FileContains {
                path: "tags.yaml".to_owned(),
                text: "team:".to_owned(),
            },
        )],
        hints: Vec::new(),
    };
    Lab {
        id: LAB.to_owned(),
        version: 1,
        title: "Lock down an S3 bucket".to_owned(),
        difficulty: Level::Beginner,
        estimated_minutes: 20,
        time_limit_minutes: TIME_LIMIT_MINUTES,
        starter: "starter".to_owned(),
        steps: vec![policy, tags],
        files: vec![
            text(
                "solution/policy/policy.json",
                r#"{"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject"}]}"#,
            ),
            text("solution/tags/tags.yaml", "team: storage\n"),
            text("starter/README.md", "# S3 bucket policy\n"),
            text(
                "steps/policy.md",
                "# Deny public reads\n\nWrite `policy.json` with a statement that **denies** \
                 `s3:GetObject` to everyone.\n\n- `Effect`: `Deny`\n- `Principal`: `*`\n",
            ),
            text(
                "steps/tags.md",
                "# Tags\n\nAdd `tags.yaml` with a `team` tag.\n",
            ),
        ],
        ..Lab::default()
    }
}

/// [`lab`] with a `script` condition on its first step (a program the learner must allow).
pub fn scripted_lab() -> Lab {
    let mut lab = lab();
    lab.steps[0].conditions.push(Condition {
        id: "policy-script".to_owned(),
        message: "policy.json must exist".to_owned(),
        timeout_seconds: 10,
        check: Check::Script {
            script: "checks/policy.sh".to_owned(),
        },
    });
    lab.files
        .push(text("checks/policy.sh", "#!/bin/sh\ntest -f policy.json\n"));
    lab.files.sort_by(|a, b| a.path.cmp(&b.path));
    lab
}

/// The lab as a learner of `session` receives it, as the server sends it: without the
/// solution files, and without the text of the hints the session has not revealed.
fn public_lab(lab: Lab, session: Option<&LabSession>) -> Lab {
    let mut lab = lab;
    lab.files.retain(|f| !f.path.starts_with("solution/"));
    lab.hide_unrevealed_hints(|step| {
        session
            .and_then(|s| s.steps.iter().find(|st| st.id == step))
            .map_or(0, |st| st.hints_shown)
    });
    lab
}

/// Every session started, and every check reported.
#[derive(Default)]
pub struct LabSessions {
    sessions: Vec<LabSession>,
    pub reports: Vec<CheckReport>,
    /// Serve [`scripted_lab`] instead of [`lab`].
    pub scripted: bool,
}

fn not_found(what: String) -> BackendError {
    BackendError::with_code("not_found", what)
}

impl LabSessions {
    /// The lab as the server keeps it.
    fn lab(&self) -> Lab {
        if self.scripted { scripted_lab() } else { lab() }
    }

    pub fn summary(&self) -> LabSummary {
        let lab = self.lab();
        LabSummary {
            id: lab.id,
            title: lab.title,
            difficulty: "beginner".to_owned(),
            estimated_minutes: lab.estimated_minutes,
            time_limit_minutes: lab.time_limit_minutes,
            module_id: Some(MODULE.to_owned()),
            skills: Vec::new(),
            domains: Vec::new(),
            tools: Vec::new(),
            steps: 2,
            passed: self
                .sessions
                .iter()
                .any(|s| s.status == LabSessionStatus::Passed),
            active_session: self.active().map(|s| s.id),
            // The fake keeps its one lab open.
            locked: false,
        }
    }

    fn active(&self) -> Option<&LabSession> {
        self.sessions
            .iter()
            .find(|s| s.status == LabSessionStatus::Active)
    }

    pub fn start(&mut self, course: &str, now: OffsetDateTime) -> LabSessionStart {
        if let Some(active) = self.active() {
            return LabSessionStart {
                session: active.clone(),
                lab: public_lab(self.lab(), Some(active)),
            };
        }
        let lab = public_lab(self.lab(), None);
        let session = LabSession {
            id: Uuid::new_v4(),
            course_id: course.to_owned(),
            lab_id: lab.id.clone(),
            lab_title: lab.title.clone(),
            lab_version: lab.version,
            status: LabSessionStatus::Active,
            started_at: now,
            expires_at: now + Duration::minutes(i64::from(TIME_LIMIT_MINUTES)),
            idle_expires_at: now + Duration::minutes(30),
            ended_at: None,
            submissions: 0,
            steps: lab
                .steps
                .iter()
                .map(|s| LabStepState {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    hints: s.hints.len() as u32,
                    ..LabStepState::default()
                })
                .collect(),
            current_step: lab.steps.first().map(|s| s.id.clone()),
        };
        self.sessions.push(session.clone());
        LabSessionStart { session, lab }
    }

    pub fn get(&self, id: Uuid) -> BackendResult<LabSession> {
        self.sessions
            .iter()
            .find(|s| s.id == id)
            .cloned()
            .ok_or_else(|| not_found(format!("no lab session {id}")))
    }

    fn active_mut(&mut self, id: Uuid) -> BackendResult<&mut LabSession> {
        let session = self
            .sessions
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or_else(|| not_found(format!("no lab session {id}")))?;
        if session.status != LabSessionStatus::Active {
            return Err(BackendError::with_code(
                "session_closed",
                format!("the lab session is {}", session.status.as_str()),
            ));
        }
        Ok(session)
    }

    /// Every session, or the active ones.
    pub fn list(&self, active_only: bool) -> Vec<LabSession> {
        self.sessions
            .iter()
            .filter(|s| !active_only || s.status == LabSessionStatus::Active)
            .cloned()
            .collect()
    }

    /// The solution of a step that passed, paths relative to the workspace (409 before).
    pub fn solution(&self, id: Uuid, step_id: &str) -> BackendResult<StepSolution> {
        let lab = self.lab();
        let session = self.get(id)?;
        let step = lab.steps.iter().find(|s| s.id == step_id);
        let state = session.steps.iter().find(|s| s.id == step_id);
        let (Some(step), Some(state)) = (step, state) else {
            return Err(not_found(format!("no step `{step_id}`")));
        };
        if !state.passed && !state.skipped {
            return Err(BackendError::with_code(
                "conflict",
                format!("step `{step_id}` has not passed yet: pass its checks first"),
            ));
        }
        let files = lab.solution_files(step);
        Ok(StepSolution {
            step: step_id.to_owned(),
            files,
        })
    }

    /// Ends session `id` without credit; abandoning it again is fine, a session that
    /// passed cannot be abandoned.
    pub fn abandon(&mut self, id: Uuid, now: OffsetDateTime) -> BackendResult<()> {
        if self.get(id)?.status == LabSessionStatus::Abandoned {
            return Ok(());
        }
        let session = self.active_mut(id)?;
        session.status = LabSessionStatus::Abandoned;
        session.ended_at = Some(now);
        Ok(())
    }

    pub fn report(&mut self, id: Uuid, report: &CheckReport) -> BackendResult<LabSession> {
        let session = self.active_mut(id)?;
        let step = session
            .steps
            .iter_mut()
            .find(|s| s.id == report.step)
            .ok_or_else(|| not_found(format!("no step `{}`", report.step)))?;
        if report.passed {
            step.passed = true;
        } else if report.new_content {
            step.failed_checks += 1;
        }
        session.current_step = session
            .steps
            .iter()
            .find(|s| !s.passed && !s.skipped)
            .map(|s| s.id.clone());
        let session = session.clone();
        self.reports.push(report.clone());
        Ok(session)
    }

    pub fn hint(&mut self, id: Uuid, step_id: &str) -> BackendResult<HintView> {
        let lab = self.lab();
        let session = self.active_mut(id)?;
        let step = lab.steps.iter().find(|s| s.id == step_id);
        let state = session.steps.iter_mut().find(|s| s.id == step_id);
        let (Some(step), Some(state)) = (step, state) else {
            return Err(not_found(format!("no step `{step_id}`")));
        };
        let Some(hint) = step.hints.get(state.hints_shown as usize) else {
            return Err(not_found(format!(
                "every hint of step `{step_id}` is shown"
            )));
        };
        state.hints_shown += 1;
        Ok(HintView {
            step: step_id.to_owned(),
            number: state.hints_shown,
            of: step.hints.len() as u32,
            text: hint.text.clone(),
        })
    }

    /// Unpacks the archive and re-runs the declarative conditions, as the server does.
    pub fn submit(
        &mut self,
        id: Uuid,
        archive: &[u8],
        self_reported: &[SelfReported],
    ) -> BackendResult<LabSubmission> {
        let lab = self.lab();
        let session = self.active_mut(id)?;
        let dir = tempfile::tempdir().map_err(|e| BackendError::new(e.to_string()))?;
        let root = dir.path();
        unpack_into(archive, root, &ArchiveLimits::default())
            .map_err(|e| BackendError::with_code("invalid", e.to_string()))?;
        let steps: Vec<SubmittedStep> = lab
            .steps
            .iter()
            .map(|step| {
                let result = check_step(root, &lab, step, &RunOptions::SERVER);
                SubmittedStep {
                    id: step.id.clone(),
                    passed: result.passed(),
                    skipped: false,
                    verified: result.conditions,
                    self_reported: self_reported
                        .iter()
                        .filter(|r| r.step == step.id)
                        .cloned()
                        .collect(),
                }
            })
            .collect();
        let passed = steps.iter().all(|s| s.passed);
        session.submissions += 1;
        if passed {
            session.status = LabSessionStatus::Passed;
            session.ended_at = Some(OffsetDateTime::now_utc());
        }
        Ok(LabSubmission {
            passed,
            self_reported: steps.iter().any(|s| !s.self_reported.is_empty()),
            steps,
            session: session.clone(),
        })
    }
}
