//! The catalog: list with filters, full-text search, course detail, and lesson content.
//!
//! The list and the detail are public and served from the replica's catalog cache
//! ([`crate::cache`]); lesson content needs enrollment (or being the course's staff).

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cloudmaster_core::api::{
    CourseDetail, CourseFilter, CourseSummary, ErrorBody, Lesson, Role, Scope, SearchHit,
    SearchQuery,
};

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

/// Default and largest number of search hits.
const SEARCH_DEFAULT: u32 = 20;
const SEARCH_MAX: u32 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/courses", get(list))
        .route("/courses/search", get(search))
        .route("/courses/{course}", get(detail))
        .route("/courses/{course}/lessons/{lesson}", get(lesson))
}

fn json_bytes(bytes: axum::body::Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

/// The catalog, optionally filtered.
#[utoipa::path(get, path = "/api/v1/courses", tag = "catalog",
    params(CourseFilter),
    responses((status = 200, body = [CourseSummary])))]
pub async fn list(
    State(state): State<AppState>,
    Query(filter): Query<CourseFilter>,
) -> Result<Response, ApiError> {
    let json = state.catalog().list_json(state.store(), &filter).await?;
    Ok(json_bytes(json))
}

/// Full-text search over titles, summaries and lesson text, best first. Open to everyone;
/// with credentials, lessons of modules still locked for the caller are marked `locked`.
#[utoipa::path(get, path = "/api/v1/courses/search", tag = "catalog",
    security((), ("bearer" = [])),
    params(SearchQuery),
    responses(
        (status = 200, body = [SearchHit]),
        (status = 422, description = "`q` empty or only spaces, or longer than 200 characters", body = ErrorBody),
    ))]
pub async fn search(
    State(state): State<AppState>,
    auth: Option<Auth>,
    Query(query): Query<SearchQuery>,
) -> Result<Json<Vec<SearchHit>>, ApiError> {
    crate::extract::query_in_range("limit", query.limit, 1, SEARCH_MAX)?;
    let q = query.q.trim();
    if q.is_empty() {
        return Err(ApiError::Validation(
            "search query `q` must not be empty".to_owned(),
        ));
    }
    if q.chars().count() > 200 {
        return Err(ApiError::Validation(
            "search query too long: use at most 200 characters".to_owned(),
        ));
    }
    let limit = query.limit.unwrap_or(SEARCH_DEFAULT);
    let mut hits = state.store().search(q, limit).await?;
    if let Some(auth) = &auth {
        crate::learning::locks::mark_locked_hits(&state, auth, &mut hits).await?;
    }
    Ok(Json(hits))
}

/// One course: outline, objectives, prerequisites, exam blueprint (no lesson bodies).
#[utoipa::path(get, path = "/api/v1/courses/{course}", tag = "catalog",
    params(("course" = String, Path, description = "course id")),
    responses((status = 200, body = CourseDetail), (status = 404, body = ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    Path(course): Path<String>,
) -> Result<Response, ApiError> {
    match state.catalog().detail_json(state.store(), &course).await? {
        Some(json) => Ok(json_bytes(json)),
        None => Err(ApiError::NotFound(format!("no course `{course}`"))),
    }
}

/// A lesson's content, for enrolled learners, the course's owner and admins. A learner
/// gets 403 `locked` while an earlier module has lessons not completed.
#[utoipa::path(get, path = "/api/v1/courses/{course}/lessons/{lesson}", tag = "catalog",
    security(("bearer" = [])),
    params(("course" = String, Path), ("lesson" = String, Path)),
    responses(
        (status = 200, body = Lesson),
        (status = 403, description = "not enrolled, or `locked`: finish the earlier modules first", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn lesson(
    State(state): State<AppState>,
    auth: Auth,
    Path((course, lesson)): Path<(String, String)>,
) -> Result<Json<Lesson>, ApiError> {
    auth.require(Scope::Learn)?;
    if !may_read_lessons(&state, &auth, &course).await? {
        return Err(not_enrolled(&state, &course).await);
    }
    crate::learning::locks::require_lesson_unlocked(&state, &auth, &course, &lesson).await?;
    state
        .store()
        .lesson(&course, &lesson)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no lesson `{lesson}` in course `{course}`")))
}

/// Enrolled learners, admins, and the instructor who owns the course.
async fn may_read_lessons(state: &AppState, auth: &Auth, course: &str) -> Result<bool, ApiError> {
    if auth.user.role == Role::Admin || state.is_enrolled(auth.user.id, course).await? {
        return Ok(true);
    }
    if auth.user.role == Role::Instructor {
        let current = state.store().current_version(course).await?;
        return Ok(current.is_some_and(|c| c.owner_id == auth.user.id));
    }
    Ok(false)
}

/// 404 when the course does not exist, else 403 asking to enroll.
pub async fn not_enrolled(state: &AppState, course: &str) -> ApiError {
    match state.store().current_version(course).await {
        Ok(Some(_)) => ApiError::NotEnrolled(format!(
            "you are not enrolled in `{course}`; enroll first (`cloudmaster enroll {course}`)"
        )),
        Ok(None) => ApiError::NotFound(format!("no course `{course}`")),
        Err(err) => err.into(),
    }
}
