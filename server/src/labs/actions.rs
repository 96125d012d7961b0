//! The session operations other than submitting: listing labs, starting (or resuming) a
//! session, reading sessions, check reports, hints, solutions, abandoning.

use std::collections::{BTreeMap, HashMap, HashSet};

use cloudmaster_core::api::{
    CheckReport, HintView, LabSession, LabSessionStart, LabSessionStatus, LabSummary, StepSolution,
};
use time::Duration;
use uuid::Uuid;

use super::records::{NewLabSession, StepRecord};
use super::session::{self, Loaded, closed, edit_active, lab_of, unknown_step};
use super::view::{self, session_view};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::state::AppState;

/// The labs of an enrolled course, in course order, with the caller's standing.
pub async fn list(
    state: &AppState,
    auth: &Auth,
    course_id: &str,
) -> Result<Vec<LabSummary>, ApiError> {
    let user_id = auth.user.id;
    let published = state.published_course(course_id).await?;
    let open = crate::learning::locks::open_modules(state, auth, &published).await?;
    let passed: HashSet<String> = state
        .store()
        .lab_passes(user_id, course_id)
        .await?
        .into_iter()
        .map(|(lab, _)| lab)
        .collect();
    let now = state.now();
    let idle = state.config().lab_idle_timeout();
    // Newest first, so the first active session of a lab is the one to resume.
    let mut active: HashMap<String, Uuid> = HashMap::new();
    for record in state
        .store()
        .lab_sessions(user_id, Some(course_id), true)
        .await?
    {
        if !record.is_overdue(now, idle) {
            active.entry(record.lab_id).or_insert(record.id);
        }
    }
    Ok(view::labs_in_order(&published.course)
        .into_iter()
        .map(|(lab, module)| {
            let mut summary = view::summary(
                lab,
                module,
                passed.contains(&lab.id),
                active.get(&lab.id).copied(),
            );
            let position = module.and_then(|m| {
                published
                    .course
                    .modules
                    .iter()
                    .position(|listed| listed.id == m)
            });
            summary.locked = position.is_some_and(|p| open < p);
            summary
        })
        .collect())
}

/// Starts a session of `lab_id` on the course's current version, or resumes the caller's
/// active session of that lab (on the version it began on). Returns whether it is new.
pub async fn start(
    state: &AppState,
    auth: &Auth,
    course_id: &str,
    lab_id: &str,
) -> Result<(LabSessionStart, bool), ApiError> {
    let user_id = auth.user.id;
    let published = state.published_course(course_id).await?;
    let lab = published
        .course
        .labs
        .iter()
        .find(|l| l.id == lab_id)
        .ok_or_else(|| ApiError::NotFound(format!("course `{course_id}` has no lab `{lab_id}`")))?;
    crate::learning::locks::require_lab_unlocked(state, auth, &published, lab_id).await?;
    let now = state.now();
    let idle = state.config().lab_idle_timeout();
    let new = NewLabSession {
        id: Uuid::now_v7(),
        user_id,
        course_id: course_id.to_owned(),
        course_version: published.version,
        lab_id: lab_id.to_owned(),
        lab_version: i64::from(lab.version),
        started_at: now,
        expires_at: now + Duration::minutes(i64::from(lab.time_limit_minutes)),
        steps: lab
            .steps
            .iter()
            .map(|s| (s.id.clone(), StepRecord::default()))
            .collect::<BTreeMap<_, _>>(),
    };
    let (record, created) = state.store().start_lab_session(new, idle).await?;
    // A resumed session keeps the version it began on.
    let course = if record.course_version == published.version {
        published.clone()
    } else {
        state
            .course_version(course_id, record.course_version)
            .await?
    };
    let lab = lab_of(&course, &record)?;
    let start = LabSessionStart {
        session: session_view(&record, lab, state.config()),
        lab: view::learner_lab(lab, &record),
    };
    Ok((start, created))
}

/// The caller's session `id`.
pub async fn get(state: &AppState, user_id: Uuid, id: Uuid) -> Result<LabSession, ApiError> {
    let loaded = session::load(state, user_id, id).await?;
    present(state, &loaded)
}

/// The caller's sessions (only the active ones when `active_only`), newest first.
pub async fn list_sessions(
    state: &AppState,
    user_id: Uuid,
    active_only: bool,
) -> Result<Vec<LabSession>, ApiError> {
    let mut sessions = Vec::new();
    for record in state
        .store()
        .lab_sessions(user_id, None, active_only)
        .await?
    {
        let record = session::close_if_overdue(state, record).await?;
        if active_only && record.status != LabSessionStatus::Active {
            continue;
        }
        let course = state
            .course_version(&record.course_id, record.course_version)
            .await?;
        sessions.push(session_view(
            &record,
            lab_of(&course, &record)?,
            state.config(),
        ));
    }
    Ok(sessions)
}

/// Records a local check run: activity, a failure on new content counted for hints, or the
/// step passed.
pub async fn report_check(
    state: &AppState,
    loaded: &Loaded,
    report: CheckReport,
) -> Result<LabSession, ApiError> {
    let lab = loaded.lab()?;
    if !lab.steps.iter().any(|s| s.id == report.step) {
        return Err(ApiError::Validation(unknown_step(lab, &report.step)));
    }
    if let Some(failed) = report.conditions.iter().find(|c| c.failed())
        && report.passed
    {
        return Err(ApiError::Validation(format!(
            "the report says step `{}` passed but its condition `{}` failed",
            report.step, failed.id
        )));
    }
    let (record, ()) = edit_active(state, loaded, |session| {
        let step = session.steps.entry(report.step.clone()).or_default();
        if report.passed {
            step.passed = true;
        } else if report.new_content {
            step.failed_checks = step.failed_checks.saturating_add(1);
        }
        Ok(())
    })
    .await?;
    Ok(session_view(&record, lab, state.config()))
}

/// Reveals the next hint of a step (404 when every hint is shown).
pub async fn next_hint(
    state: &AppState,
    loaded: &Loaded,
    step_id: &str,
) -> Result<HintView, ApiError> {
    let step = loaded.step(step_id)?;
    let hints = &step.hints;
    let of = u32::try_from(hints.len()).unwrap_or(u32::MAX);
    let (_, number) = edit_active(state, loaded, |session| {
        let stored = session.steps.entry(step_id.to_owned()).or_default();
        if stored.hints_shown >= of {
            return Err(ApiError::NotFound(format!(
                "step `{step_id}` has no more hints (all {of} are shown)"
            )));
        }
        stored.hints_shown += 1;
        Ok(stored.hints_shown)
    })
    .await?;
    let text = hints[number as usize - 1].text.clone();
    Ok(HintView {
        step: step_id.to_owned(),
        number,
        of,
        text,
    })
}

/// The solution of a step: once it passed, or after marking it skipped (no credit).
pub async fn solution(
    state: &AppState,
    loaded: &Loaded,
    step_id: &str,
    skip: bool,
) -> Result<StepSolution, ApiError> {
    let step = loaded.step(step_id)?;
    let stored = loaded
        .record
        .steps
        .get(step_id)
        .copied()
        .unwrap_or_default();
    let revealed = stored.passed || stored.skipped;
    if skip && !revealed {
        edit_active(state, loaded, |session| {
            let stored = session.steps.entry(step_id.to_owned()).or_default();
            if !stored.passed {
                stored.skipped = true;
            }
            Ok(())
        })
        .await?;
    } else if !revealed {
        return Err(ApiError::Conflict(format!(
            "step `{step_id}` has not passed yet: pass its checks first, or skip it to see \
             the solution (`--skip`; a skipped step gets no credit)"
        )));
    }
    Ok(StepSolution {
        step: step_id.to_owned(),
        files: view::solution_files(loaded.lab()?, step),
    })
}

/// Abandons the caller's session. Abandoning it again is fine; a session that passed or
/// ran out of time cannot be abandoned (409).
pub async fn abandon(state: &AppState, user_id: Uuid, id: Uuid) -> Result<(), ApiError> {
    let loaded = session::load(state, user_id, id).await?;
    match loaded.record.status {
        LabSessionStatus::Abandoned => return Ok(()),
        LabSessionStatus::Active => {}
        _ => return Err(closed(&loaded.record)),
    }
    let now = state.now();
    let abandoned = edit_active(state, &loaded, |session| {
        session.status = LabSessionStatus::Abandoned;
        session.ended_at = Some(now);
        Ok(())
    })
    .await;
    match abandoned {
        Ok(_) => Ok(()),
        // Ended meanwhile: by a concurrent abandon (fine) or by its deadline (409).
        Err(ApiError::SessionClosed(_)) => {
            let loaded = session::load(state, user_id, id).await?;
            match loaded.record.status {
                LabSessionStatus::Abandoned => Ok(()),
                _ => Err(closed(&loaded.record)),
            }
        }
        Err(other) => Err(other),
    }
}

/// The session of `loaded` as the API shows it.
pub fn present(state: &AppState, loaded: &Loaded) -> Result<LabSession, ApiError> {
    Ok(session_view(&loaded.record, loaded.lab()?, state.config()))
}
