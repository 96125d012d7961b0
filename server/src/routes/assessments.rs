//! Assessments: module quizzes and the mock exam, attempts at them (graded on the server),
//! mastery and the readiness index. The rules are in [`crate::learning`]; see docs/api.md.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use cloudmaster_core::api::{
    AssessmentInfo, AttemptResult, AttemptSummary, AttemptView, ErrorBody, MasteryReport,
    ReadinessReport, SaveAnswer, SubmitAttempt,
};

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::learning::attempts::{self, Started};
use crate::learning::readiness;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/courses/{course}/assessments", get(list))
        .route(
            "/courses/{course}/assessments/{assessment}/attempts",
            post(start),
        )
        .route("/courses/{course}/attempts", get(attempts_of_course))
        .route("/attempts/{attempt}", get(show))
        .route("/attempts/{attempt}/answers/{question}", put(save_answer))
        .route("/attempts/{attempt}/submit", post(submit))
        .route("/courses/{course}/mastery", get(mastery))
        .route("/courses/{course}/readiness", get(readiness_report))
}

/// The module quizzes (in module order) and the mock exam, with the caller's standing.
#[utoipa::path(get, path = "/api/v1/courses/{course}/assessments", tag = "assessments",
    security(("bearer" = [])),
    params(("course" = String, Path)),
    responses(
        (status = 200, body = [AssessmentInfo]),
        (status = 403, description = "not enrolled", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Path(course): Path<String>,
) -> Result<Json<Vec<AssessmentInfo>>, ApiError> {
    Ok(Json(attempts::list(&state, &auth, &course).await?))
}

/// Starts an attempt (201), or resumes the caller's open attempt at it (200).
#[utoipa::path(post, path = "/api/v1/courses/{course}/assessments/{assessment}/attempts",
    tag = "assessments",
    security(("bearer" = [])),
    params(("course" = String, Path), ("assessment" = String, Path)),
    responses(
        (status = 201, description = "a new attempt", body = AttemptView),
        (status = 200, description = "the open attempt, resumed", body = AttemptView),
        (status = 403, description = "not enrolled, or `locked`: the module's lessons are not all completed", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`attempts_exhausted`", body = ErrorBody),
    ))]
pub async fn start(
    State(state): State<AppState>,
    auth: Auth,
    Path((course, assessment)): Path<(String, String)>,
) -> Result<(StatusCode, Json<AttemptView>), ApiError> {
    Ok(
        match attempts::start(&state, &auth, &course, &assessment).await? {
            Started::Created(view) => (StatusCode::CREATED, Json(view)),
            Started::Resumed(view) => (StatusCode::OK, Json(view)),
        },
    )
}

/// The caller's attempts in a course, newest first.
#[utoipa::path(get, path = "/api/v1/courses/{course}/attempts", tag = "assessments",
    security(("bearer" = [])),
    params(("course" = String, Path)),
    responses(
        (status = 200, body = [AttemptSummary]),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn attempts_of_course(
    State(state): State<AppState>,
    auth: Auth,
    Path(course): Path<String>,
) -> Result<Json<Vec<AttemptSummary>>, ApiError> {
    Ok(Json(attempts::summaries(&state, &auth, &course).await?))
}

/// One of the caller's attempts; the result once closed. An attempt whose time is up is
/// closed (and graded) first.
#[utoipa::path(get, path = "/api/v1/attempts/{attempt}", tag = "assessments",
    security(("bearer" = [])),
    params(("attempt" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = AttemptView),
        (status = 404, description = "no such attempt of the caller's", body = ErrorBody),
    ))]
pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(attempt): Path<String>,
) -> Result<Json<AttemptView>, ApiError> {
    Ok(Json(attempts::show(&state, &auth, &attempt).await?))
}

/// Saves (replaces) the answer to one question of an open attempt.
#[utoipa::path(put, path = "/api/v1/attempts/{attempt}/answers/{question}", tag = "assessments",
    security(("bearer" = [])),
    params(("attempt" = uuid::Uuid, Path), ("question" = String, Path)),
    request_body = SaveAnswer,
    responses(
        (status = 204, description = "saved"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`attempt_closed`: submitted, or the time limit passed", body = ErrorBody),
        (status = 422, description = "not a question of the attempt, or the wrong type of answer", body = ErrorBody),
    ))]
pub async fn save_answer(
    State(state): State<AppState>,
    auth: Auth,
    Path((attempt, question)): Path<(String, String)>,
    Json(body): Json<SaveAnswer>,
) -> Result<StatusCode, ApiError> {
    attempts::save_answer(&state, &auth, &attempt, &question, &body.response).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Saves the given answers and grades the attempt. After the time limit: 409, and the
/// attempt is closed and graded on the answers saved in time.
#[utoipa::path(post, path = "/api/v1/attempts/{attempt}/submit", tag = "assessments",
    security(("bearer" = [])),
    params(("attempt" = uuid::Uuid, Path)),
    request_body = SubmitAttempt,
    responses(
        (status = 200, body = AttemptResult),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`attempt_closed`: already submitted, or the time limit passed", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    auth: Auth,
    Path(attempt): Path<String>,
    Json(body): Json<SubmitAttempt>,
) -> Result<Json<AttemptResult>, ApiError> {
    Ok(Json(attempts::submit(&state, &auth, &attempt, body).await?))
}

/// Mastery per exam domain and skill.
#[utoipa::path(get, path = "/api/v1/courses/{course}/mastery", tag = "assessments",
    security(("bearer" = [])),
    params(("course" = String, Path)),
    responses(
        (status = 200, body = MasteryReport),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn mastery(
    State(state): State<AppState>,
    auth: Auth,
    Path(course): Path<String>,
) -> Result<Json<MasteryReport>, ApiError> {
    Ok(Json(readiness::mastery(&state, &auth, &course).await?))
}

/// The Certification Readiness Index and what to study next.
#[utoipa::path(get, path = "/api/v1/courses/{course}/readiness", tag = "assessments",
    security(("bearer" = [])),
    params(("course" = String, Path)),
    responses(
        (status = 200, body = ReadinessReport),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn readiness_report(
    State(state): State<AppState>,
    auth: Auth,
    Path(course): Path<String>,
) -> Result<Json<ReadinessReport>, ApiError> {
    Ok(Json(readiness::report(&state, &auth, &course).await?))
}
