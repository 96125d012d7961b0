//! Loading a learner's session and changing it under the store's lock: the rules every
//! session operation shares (ownership, lazy expiry, activity, "the session has ended").

use std::sync::Arc;

use cloudmaster_core::api::LabSessionStatus;
use cloudmaster_core::course::{Lab, Step};
use uuid::Uuid;

use super::records::LabSessionRecord;
use crate::bundles::PublishedCourse;
use crate::error::ApiError;
use crate::state::AppState;

/// A session with the course version it runs on.
pub struct Loaded {
    pub record: LabSessionRecord,
    pub course: Arc<PublishedCourse>,
}

impl Loaded {
    /// The session's lab, in the session's course version.
    pub fn lab(&self) -> Result<&Lab, ApiError> {
        lab_of(&self.course, &self.record)
    }

    /// The step `step_id` of the lab; 404 naming the lab's steps when there is none.
    pub fn step(&self, step_id: &str) -> Result<&Step, ApiError> {
        let lab = self.lab()?;
        lab.steps
            .iter()
            .find(|s| s.id == step_id)
            .ok_or_else(|| ApiError::NotFound(unknown_step(lab, step_id)))
    }
}

/// The message for a step id the lab does not have.
pub fn unknown_step(lab: &Lab, step_id: &str) -> String {
    let steps: Vec<&str> = lab.steps.iter().map(|s| s.id.as_str()).collect();
    format!(
        "lab `{}` has no step `{step_id}`; its steps are: {}",
        lab.id,
        steps.join(", ")
    )
}

/// The lab of `record` in `course`.
pub fn lab_of<'a>(
    course: &'a PublishedCourse,
    record: &LabSessionRecord,
) -> Result<&'a Lab, ApiError> {
    course
        .course
        .labs
        .iter()
        .find(|l| l.id == record.lab_id)
        .ok_or_else(|| {
            ApiError::internal(
                "finding the lab of a session",
                format!(
                    "course `{}` version {} has no lab `{}`",
                    record.course_id, record.course_version, record.lab_id
                ),
            )
        })
}

fn not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("no lab session {id}"))
}

/// 409 for an operation on a session that has ended.
pub fn closed(record: &LabSessionRecord) -> ApiError {
    let why = match record.status {
        LabSessionStatus::Passed => "it passed",
        LabSessionStatus::Failed => "its time ran out after failing submissions",
        LabSessionStatus::Abandoned => "it was abandoned",
        LabSessionStatus::Expired => "its time limit or idle timeout passed",
        LabSessionStatus::Active => "it is closing",
    };
    ApiError::SessionClosed(format!(
        "lab session {} has ended ({why}); start a new one with `cloudmaster lab start {}`",
        record.id, record.lab_id
    ))
}

/// The caller's session `id` (404 when it does not exist or is someone else's), ended
/// first if it is past its time limit or idle timeout, with its course version.
pub async fn load(state: &AppState, user_id: Uuid, id: Uuid) -> Result<Loaded, ApiError> {
    let record = state
        .store()
        .lab_session(id)
        .await?
        .filter(|r| r.user_id == user_id)
        .ok_or_else(|| not_found(id))?;
    let record = close_if_overdue(state, record).await?;
    let course = state
        .course_version(&record.course_id, record.course_version)
        .await?;
    Ok(Loaded { record, course })
}

/// Ends `record` when it is overdue now, as the expiry job would; returns it as stored.
pub async fn close_if_overdue(
    state: &AppState,
    record: LabSessionRecord,
) -> Result<LabSessionRecord, ApiError> {
    let now = state.now();
    let idle = state.config().lab_idle_timeout();
    if !record.is_overdue(now, idle) {
        return Ok(record);
    }
    let id = record.id;
    let updated = state
        .store()
        .update_lab_session(id, &mut |r| r.end_if_overdue(now, idle))
        .await?;
    updated.ok_or_else(|| not_found(id))
}

/// Applies `change` to the caller's active session `id` under the store's lock and records
/// activity. The change sees the session as stored at that moment; its error is returned
/// and nothing is stored. An ended session gets 409 (an overdue one is ended first).
pub async fn edit_active<T: Send>(
    state: &AppState,
    loaded: &Loaded,
    mut change: impl FnMut(&mut LabSessionRecord) -> Result<T, ApiError> + Send,
) -> Result<(LabSessionRecord, T), ApiError> {
    let now = state.now();
    let idle = state.config().lab_idle_timeout();
    let mut outcome: Option<Result<T, ApiError>> = None;
    let updated = state
        .store()
        .update_lab_session(loaded.record.id, &mut |session| {
            if session.end_if_overdue(now, idle) {
                outcome = Some(Err(closed(session)));
                return true;
            }
            if session.status != LabSessionStatus::Active {
                outcome = Some(Err(closed(session)));
                return false;
            }
            match change(session) {
                Ok(value) => {
                    session.last_activity = session.last_activity.max(now);
                    outcome = Some(Ok(value));
                    true
                }
                Err(err) => {
                    outcome = Some(Err(err));
                    false
                }
            }
        })
        .await?
        .ok_or_else(|| not_found(loaded.record.id))?;
    match outcome {
        Some(Ok(value)) => Ok((updated, value)),
        Some(Err(err)) => Err(err),
        None => Err(ApiError::internal(
            "editing a lab session",
            "the store did not run the edit",
        )),
    }
}
