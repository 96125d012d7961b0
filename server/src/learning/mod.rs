//! The learning loop on the server: lesson progress, assessment attempts, mastery, spaced
//! review, readiness, and the module locks that keep a course in order.
//!
//! The pure engine is `cloudmaster_core::assess` (drawing, grading, BKT, FSRS, readiness);
//! this module wires it to the store and the clock, and the routes
//! (`routes::assessments`, `routes::review`) wire this to HTTP:
//! - [`assessments`]: the quizzes and the mock exam of a course version;
//! - [`attempts`]: start/resume, show, save answers, submit, expiry (with [`ATTEMPT_GRACE`]
//!   and [`ABANDON_AFTER`]); [`grading`] closes an attempt into its result and evidence;
//! - [`review`]: the due queue and review answers; [`readiness`]: mastery, the readiness
//!   index and what to study next;
//! - [`locks`]: module k opens once every lesson before it is completed, a module quiz once
//!   its module's lessons are;
//! - [`records`]: what the store keeps of attempts, evidence, mastery and review cards;
//!   [`progress`]: a course's progress (percent, resume point) from its lesson rows.

use time::OffsetDateTime;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::state::AppState;

pub mod assessments;
pub mod attempts;
pub mod grading;
pub mod locks;
pub mod progress;
pub mod readiness;
pub mod records;
pub mod review;

pub use attempts::{ABANDON_AFTER, ATTEMPT_GRACE, is_overdue};

/// Closes open attempts whose deadline passed (plus [`ATTEMPT_GRACE`]) or that were
/// abandoned (untimed, idle for [`ABANDON_AFTER`]), grading each on the answers saved in
/// time. Returns how many it closed. Safe to run on several replicas at once: each attempt
/// is closed by a conditional update that only one of them wins.
pub async fn close_expired_attempts(
    state: &AppState,
    now: OffsetDateTime,
) -> Result<u32, crate::store::StoreError> {
    let overdue = state
        .store()
        .overdue_attempts(now - ATTEMPT_GRACE, now - ABANDON_AFTER)
        .await?;
    let mut closed = 0;
    for id in overdue {
        let Some(attempt) = state.store().attempt(id).await? else {
            continue;
        };
        // One attempt that cannot be graded (say, its course version is unreadable) must
        // not keep the others open.
        match attempts::expire(state, &attempt, now).await {
            Ok(Some(_)) => closed += 1,
            Ok(None) => {}
            Err(err) => tracing::warn!(
                error = %crate::error::error_chain(&err),
                attempt = %id,
                "closing an overdue attempt failed"
            ),
        }
    }
    Ok(closed)
}

/// 403 unless the caller has the `learn` scope and is enrolled in `course` (404 when the
/// course does not exist).
pub(crate) async fn require_enrolled(
    state: &AppState,
    auth: &Auth,
    course: &str,
) -> Result<(), ApiError> {
    auth.require(cloudmaster_core::api::Scope::Learn)?;
    if state.is_enrolled(auth.user.id, course).await? {
        return Ok(());
    }
    Err(crate::routes::courses::not_enrolled(state, course).await)
}
