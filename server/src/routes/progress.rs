//! Progress: lesson progress writes (idempotent, for the CLI's offline queue) and reads per
//! course, for all enrolled courses, and for a given user (self or admin only).

use axum::Router;
use axum::extract::State;
use axum::routing::{get, put};
use cloudmaster_core::api::{
    CourseProgress, ErrorBody, LabProgress, LessonProgress, LessonProgressUpdate, LessonStatus,
    Role, Scope,
};
use uuid::Uuid;

use super::courses::not_enrolled;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/courses/{course}/lessons/{lesson}/progress",
            put(record_lesson),
        )
        .route("/courses/{course}/progress", get(course))
        .route("/progress", get(all))
        .route("/users/{user}/progress", get(of_user))
}

/// Record progress in a lesson. Replaying an update changes nothing; completion is sticky.
#[utoipa::path(put, path = "/api/v1/courses/{course}/lessons/{lesson}/progress", tag = "progress",
    security(("bearer" = [])),
    params(("course" = String, Path), ("lesson" = String, Path)),
    request_body = LessonProgressUpdate,
    responses(
        (status = 200, body = LessonProgress),
        (status = 403, description = "not enrolled, or `locked`: finish the earlier modules first", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn record_lesson(
    State(state): State<AppState>,
    auth: Auth,
    Path((course, lesson)): Path<(String, String)>,
    Json(update): Json<LessonProgressUpdate>,
) -> Result<Json<LessonProgress>, ApiError> {
    auth.require(Scope::Learn)?;
    if !state.is_enrolled(auth.user.id, &course).await? {
        return Err(not_enrolled(&state, &course).await);
    }
    crate::learning::locks::require_lesson_unlocked(&state, &auth, &course, &lesson).await?;
    let progress = state
        .store()
        .record_lesson_progress(
            auth.user.id,
            &course,
            &lesson,
            update.status,
            update.position,
            state.now(),
        )
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound(_) => {
                ApiError::NotFound(format!("no lesson `{lesson}` in course `{course}`"))
            }
            other => other.into(),
        })?;
    if update.status == LessonStatus::Completed {
        // The last lesson may be what completes the course. Only a write that completes
        // the lesson asks: a reading position saved in a completed lesson is not news. A
        // failure to issue must not fail the progress write the learner made; the next
        // completing event retries.
        if let Err(err) =
            crate::certificates::award_if_complete(&state, auth.user.id, &course).await
        {
            tracing::warn!(error = %err, course, "could not check course completion");
        }
    }
    Ok(Json(progress))
}

/// Progress in one enrolled course, with the resume point.
#[utoipa::path(get, path = "/api/v1/courses/{course}/progress", tag = "progress",
    security(("bearer" = [])),
    params(("course" = String, Path)),
    responses((status = 200, body = CourseProgress), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn course(
    State(state): State<AppState>,
    auth: Auth,
    Path(course): Path<String>,
) -> Result<Json<CourseProgress>, ApiError> {
    auth.require(Scope::Learn)?;
    if !state.is_enrolled(auth.user.id, &course).await? {
        return Err(not_enrolled(&state, &course).await);
    }
    let progress = state
        .store()
        .course_progress(auth.user.id, &course)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no course `{course}`")))?;
    let mut all = vec![progress];
    enrich(&state, auth.user.id, &mut all).await?;
    Ok(Json(all.remove(0)))
}

/// Adds what the lesson tables do not hold: review items due, labs passed and the
/// certificate. Two queries for any number of courses, plus one per course for its labs.
async fn enrich(
    state: &AppState,
    user_id: Uuid,
    progress: &mut [CourseProgress],
) -> Result<(), ApiError> {
    if progress.is_empty() {
        return Ok(());
    }
    let store = state.store();
    let due = store.review_due_counts(user_id, state.now()).await?;
    let certificates = store.certificate_ids(user_id).await?;
    for p in progress.iter_mut() {
        p.review_due = due.get(&p.course_id).copied().unwrap_or(0);
        p.certificate = certificates.get(&p.course_id).copied();
        let published = state.published_course(&p.course_id).await?;
        if published.course.labs.is_empty() {
            continue;
        }
        let passes = store.lab_passes(user_id, &p.course_id).await?;
        p.labs = crate::labs::view::labs_in_order(&published.course)
            .into_iter()
            .map(|(lab, _module)| {
                let passed_at = passes
                    .iter()
                    .find(|(id, _)| *id == lab.id)
                    .map(|(_, at)| *at);
                LabProgress {
                    lab_id: lab.id.clone(),
                    title: lab.title.clone(),
                    passed: passed_at.is_some(),
                    passed_at,
                }
            })
            .collect();
    }
    Ok(())
}

/// Progress in every enrolled course.
#[utoipa::path(get, path = "/api/v1/progress", tag = "progress",
    security(("bearer" = [])),
    responses((status = 200, body = [CourseProgress])))]
pub async fn all(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<CourseProgress>>, ApiError> {
    auth.require(Scope::Learn)?;
    let mut all = state.store().all_progress(auth.user.id).await?;
    enrich(&state, auth.user.id, &mut all).await?;
    Ok(Json(all))
}

/// A user's progress: the user themselves, or an admin. Anyone else gets 404, so the
/// endpoint does not reveal which user ids exist.
#[utoipa::path(get, path = "/api/v1/users/{user}/progress", tag = "progress",
    security(("bearer" = [])),
    params(("user" = Uuid, Path)),
    responses((status = 200, body = [CourseProgress]), (status = 404, body = ErrorBody)))]
pub async fn of_user(
    State(state): State<AppState>,
    auth: Auth,
    Path(user): Path<String>,
) -> Result<Json<Vec<CourseProgress>>, ApiError> {
    let not_found = || ApiError::NotFound(format!("no user `{user}`"));
    let id: Uuid = user.parse().map_err(|_| not_found())?;
    if id == auth.user.id {
        auth.require(Scope::Learn)?;
    } else if auth.user.role == Role::Admin && auth.is_admin() {
        if state.store().user_by_id(id).await?.is_none() {
            return Err(not_found());
        }
    } else {
        return Err(not_found());
    }
    let mut all = state.store().all_progress(id).await?;
    enrich(&state, id, &mut all).await?;
    Ok(Json(all))
}
