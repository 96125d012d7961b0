//! Spaced review: the queue of questions due and answers to them. The rules are in
//! [`crate::learning::review`]; see docs/api.md.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use cloudmaster_core::api::{ErrorBody, ReviewAnswer, ReviewOutcome, ReviewQueue};
use serde::Deserialize;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::learning::review;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/review", get(queue))
        .route("/review/{course}/{question}", post(answer))
}

/// Query of `GET /review`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Only this course.
    pub course: Option<String>,
    /// Items to return: default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// Review items due now, most overdue first.
#[utoipa::path(get, path = "/api/v1/review", tag = "review",
    security(("bearer" = [])),
    params(QueueQuery),
    responses(
        (status = 200, body = ReviewQueue),
        (status = 403, description = "not enrolled in `course`", body = ErrorBody),
        (status = 404, description = "no course `course`", body = ErrorBody),
    ))]
pub async fn queue(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<QueueQuery>,
) -> Result<Json<ReviewQueue>, ApiError> {
    crate::extract::query_in_range("limit", query.limit, 1, review::QUEUE_MAX)?;
    Ok(Json(
        review::queue(&state, &auth, query.course.as_deref(), query.limit).await?,
    ))
}

/// Answers one review item: grades it, reschedules its card (FSRS) and updates mastery.
#[utoipa::path(post, path = "/api/v1/review/{course}/{question}", tag = "review",
    security(("bearer" = [])),
    params(("course" = String, Path), ("question" = String, Path)),
    request_body = ReviewAnswer,
    responses(
        (status = 200, body = ReviewOutcome),
        (status = 403, body = ErrorBody),
        (status = 404, description = "no review card for this question", body = ErrorBody),
        (status = 422, description = "the wrong type of answer", body = ErrorBody),
    ))]
pub async fn answer(
    State(state): State<AppState>,
    auth: Auth,
    Path((course, question)): Path<(String, String)>,
    Json(body): Json<ReviewAnswer>,
) -> Result<Json<ReviewOutcome>, ApiError> {
    Ok(Json(
        review::answer(&state, &auth, &course, &question, &body).await?,
    ))
}
