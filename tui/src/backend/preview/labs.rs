//! Lab sessions of a preview. A lab is handed out as the server hands it out (no solution
//! files, hint texts only as they are revealed); the TUI runs its checks in the workspace
//! as for any server, and a submission is unpacked and re-checked here with the server's
//! rules (declarative conditions; `command` and `script` steps count as self-reported).
//!
//! A preview session has no idle timeout: the author may leave a lab open as long as the
//! preview runs. Its time limit is shown, as to a learner.

use cloudmaster_core::api::{
    CheckReport, HintView, LabSession, LabSessionStart, LabSessionStatus, LabStepState,
    LabSubmission, LabSummary, SelfReported, StepSolution, SubmittedStep,
};
use cloudmaster_core::course::{Course, Lab};
use cloudmaster_core::lab::{ArchiveLimits, RunOptions, check_step, is_self_reported, unpack_into};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::backend::{BackendError, BackendResult};

fn not_found(message: String) -> BackendError {
    BackendError::with_code("not_found", message)
}

/// The lab as a learner in `session` receives it: without solution files, and without the
/// text of hints the session has not revealed.
fn public_lab(lab: &Lab, session: Option<&LabSession>) -> Lab {
    let mut lab = lab.clone();
    lab.files.retain(|f| !f.path.starts_with("solution/"));
    lab.hide_unrevealed_hints(|step| {
        session
            .and_then(|s| s.steps.iter().find(|st| st.id == step))
            .map_or(0, |st| st.hints_shown)
    });
    lab
}

/// Every lab session of the preview.
#[derive(Default)]
pub struct Sessions {
    sessions: Vec<LabSession>,
}

impl Sessions {
    /// The labs of `course`: those its modules list, in order, then the others.
    pub fn summaries(&self, course: &Course) -> Vec<LabSummary> {
        let module_of = |lab: &str| {
            course
                .modules
                .iter()
                .find(|m| m.labs.iter().any(|l| l == lab))
                .map(|m| m.id.clone())
        };
        let mut labs: Vec<&Lab> = course
            .modules
            .iter()
            .flat_map(|m| m.labs.iter())
            .filter_map(|id| course.lab(id))
            .collect();
        labs.dedup_by(|a, b| a.id == b.id);
        for lab in &course.labs {
            if !labs.iter().any(|l| l.id == lab.id) {
                labs.push(lab);
            }
        }
        labs.into_iter()
            .map(|lab| {
                let mine = self
                    .sessions
                    .iter()
                    .filter(|s| s.course_id == course.id && s.lab_id == lab.id);
                LabSummary {
                    id: lab.id.clone(),
                    title: lab.title.clone(),
                    difficulty: lab.difficulty.as_str().to_owned(),
                    estimated_minutes: lab.estimated_minutes,
                    time_limit_minutes: lab.time_limit_minutes,
                    module_id: module_of(&lab.id),
                    skills: lab.skills.clone(),
                    domains: lab.domains.clone(),
                    tools: lab.tools.clone(),
                    steps: lab.steps.len() as u32,
                    passed: mine.clone().any(|s| s.status == LabSessionStatus::Passed),
                    active_session: mine
                        .clone()
                        .find(|s| s.status == LabSessionStatus::Active)
                        .map(|s| s.id),
                    locked: false,
                }
            })
            .collect()
    }

    /// Starts a session of `lab_id`, or resumes the active one.
    pub fn start(
        &mut self,
        course: &Course,
        lab_id: &str,
        now: OffsetDateTime,
    ) -> BackendResult<LabSessionStart> {
        let lab = course
            .lab(lab_id)
            .ok_or_else(|| not_found(format!("course `{}` has no lab `{lab_id}`", course.id)))?;
        if let Some(active) = self.sessions.iter().find(|s| {
            s.course_id == course.id && s.lab_id == lab_id && s.status == LabSessionStatus::Active
        }) {
            return Ok(LabSessionStart {
                session: active.clone(),
                lab: public_lab(lab, Some(active)),
            });
        }
        let limit = Duration::minutes(i64::from(lab.time_limit_minutes));
        let session = LabSession {
            id: Uuid::new_v4(),
            course_id: course.id.clone(),
            lab_id: lab.id.clone(),
            lab_title: lab.title.clone(),
            lab_version: lab.version,
            status: LabSessionStatus::Active,
            started_at: now,
            expires_at: now + limit,
            idle_expires_at: now + limit,
            ended_at: None,
            submissions: 0,
            steps: lab
                .steps
                .iter()
                .map(|s| LabStepState {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    hints: s.hints.len() as u32,
                    self_reported: is_self_reported(s, &RunOptions::SERVER),
                    ..LabStepState::default()
                })
                .collect(),
            current_step: lab.steps.first().map(|s| s.id.clone()),
        };
        self.sessions.push(session.clone());
        Ok(LabSessionStart {
            lab: public_lab(lab, Some(&session)),
            session,
        })
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

    /// Records a local check run: a pass marks the step, a failure counts towards hints.
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
        Ok(session.clone())
    }

    /// Reveals the next hint of `step_id`.
    pub fn hint(&mut self, courses: &[Course], id: Uuid, step_id: &str) -> BackendResult<HintView> {
        let lab = self.lab_of(courses, id)?;
        let session = self.active_mut(id)?;
        let step = lab.steps.iter().find(|s| s.id == step_id);
        let state = session.steps.iter_mut().find(|s| s.id == step_id);
        let (Some(step), Some(state)) = (step, state) else {
            return Err(not_found(format!("no step `{step_id}`")));
        };
        let of = step.hints.len() as u32;
        let Some(hint) = step.hints.get(state.hints_shown as usize) else {
            return Err(not_found(format!(
                "step `{step_id}` has no more hints (all {of} are shown)"
            )));
        };
        state.hints_shown += 1;
        Ok(HintView {
            step: step_id.to_owned(),
            number: state.hints_shown,
            of,
            text: hint.text.clone(),
        })
    }

    /// Every session, or the active ones.
    pub fn list(&self, active_only: bool) -> Vec<LabSession> {
        self.sessions
            .iter()
            .filter(|s| !active_only || s.status == LabSessionStatus::Active)
            .cloned()
            .collect()
    }

    /// The solution of a step that passed (or was skipped), paths relative to the
    /// workspace, as the server reveals it.
    pub fn solution(
        &self,
        courses: &[Course],
        id: Uuid,
        step_id: &str,
    ) -> BackendResult<StepSolution> {
        let lab = self.lab_of(courses, id)?;
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

    /// Ends session `id` without credit; abandoning it again is fine.
    pub fn abandon(&mut self, id: Uuid, now: OffsetDateTime) -> BackendResult<()> {
        if self.get(id)?.status == LabSessionStatus::Abandoned {
            return Ok(());
        }
        let session = self.active_mut(id)?;
        session.status = LabSessionStatus::Abandoned;
        session.ended_at = Some(now);
        Ok(())
    }

    /// The whole lab (solutions included) of session `id`.
    pub fn lab_of(&self, courses: &[Course], id: Uuid) -> BackendResult<Lab> {
        let session = self.get(id)?;
        courses
            .iter()
            .find(|c| c.id == session.course_id)
            .and_then(|c| c.lab(&session.lab_id))
            .cloned()
            .ok_or_else(|| not_found(format!("no lab `{}`", session.lab_id)))
    }

    /// Counts a submission checked by [`verify`]; every step passed ends the session.
    pub fn record_submission(
        &mut self,
        id: Uuid,
        steps: Vec<SubmittedStep>,
        now: OffsetDateTime,
    ) -> BackendResult<LabSubmission> {
        let session = self.active_mut(id)?;
        let passed = steps.iter().all(|s| s.passed);
        session.submissions += 1;
        for step in &steps {
            if let Some(state) = session.steps.iter_mut().find(|s| s.id == step.id) {
                state.passed |= step.passed;
            }
        }
        if passed {
            session.status = LabSessionStatus::Passed;
            session.ended_at = Some(now);
            session.current_step = None;
        }
        Ok(LabSubmission {
            passed,
            self_reported: steps.iter().any(|s| !s.self_reported.is_empty()),
            steps,
            session: session.clone(),
        })
    }
}

/// Unpacks a submitted workspace into a temporary folder and checks every step there with
/// the server's rules: the conditions it runs (declarative ones) are verified here; for the
/// others (`command`, `script`) the learner's reported result counts, and a condition not
/// reported counts as failed.
pub fn verify(
    lab: &Lab,
    archive: &[u8],
    self_reported: &[SelfReported],
) -> BackendResult<Vec<SubmittedStep>> {
    let dir = tempfile::tempdir()
        .map_err(|e| BackendError::new(format!("cannot create a temporary folder: {e}")))?;
    unpack_into(archive, dir.path(), &ArchiveLimits::default())
        .map_err(|e| BackendError::with_code("validation_failed", e.to_string()))?;
    Ok(lab
        .steps
        .iter()
        .map(|step| {
            let result = check_step(dir.path(), lab, step, &RunOptions::SERVER);
            let (skipped, verified): (Vec<_>, Vec<_>) =
                result.conditions.into_iter().partition(|c| c.skipped());
            let reported: Vec<SelfReported> = skipped
                .iter()
                .map(|c| SelfReported {
                    step: step.id.clone(),
                    condition: c.id.clone(),
                    passed: self_reported
                        .iter()
                        .find(|r| r.step == step.id && r.condition == c.id)
                        .is_some_and(|r| r.passed),
                })
                .collect();
            SubmittedStep {
                id: step.id.clone(),
                passed: verified.iter().all(|c| c.passed()) && reported.iter().all(|r| r.passed),
                skipped: false,
                verified,
                self_reported: reported,
            }
        })
        .collect())
}
