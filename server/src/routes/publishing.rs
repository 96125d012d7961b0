//! Publishing endpoints: the current manifest, publish (or plan) a version, list versions,
//! roll back. The logic lives in [`crate::publish`]. Every route needs the `publish`
//! scope, checked before a body is read.

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::handler::Handler as _;
use axum::routing::{get, post};
use cloudmaster_core::api::{
    CourseVersion, ErrorBody, PublishManifest, PublishOutcome, RollbackRequest, Scope,
};
use cloudmaster_core::course::Course;

use super::DryRun;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

pub fn router(max_publish_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/courses/{course}/manifest", get(manifest))
        .route(
            "/courses/{course}/versions",
            get(versions).post(publish.layer(DefaultBodyLimit::max(max_publish_bytes))),
        )
        .route("/courses/{course}/rollback", post(rollback))
        .route_layer(axum::middleware::from_fn_with_state(
            Scope::Publish,
            super::require_scope,
        ))
}

/// The manifest of the current version (404 when never published).
#[utoipa::path(get, path = "/api/v1/courses/{course}/manifest", tag = "publishing",
    security(("bearer" = [])),
    params(("course" = String, Path)),
    responses((status = 200, body = PublishManifest), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn manifest(
    State(state): State<AppState>,
    auth: Auth,
    Path(course): Path<String>,
) -> Result<Json<PublishManifest>, ApiError> {
    auth.require(Scope::Publish)?;
    Ok(Json(state.current_manifest(&auth.user, &course).await?))
}

/// Publish a course bundle (the JSON of a loaded course), or with `dry_run=true` only plan.
#[utoipa::path(post, path = "/api/v1/courses/{course}/versions", tag = "publishing",
    security(("bearer" = [])),
    params(("course" = String, Path), DryRun),
    request_body(content = Object, description = "the course bundle: a loaded course as JSON"),
    responses(
        (status = 200, body = PublishOutcome),
        (status = 403, description = "not the course's owner", body = ErrorBody),
        (status = 409, description = "a concurrent publish won", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "invalid bundle", body = ErrorBody),
    ))]
pub async fn publish(
    State(state): State<AppState>,
    auth: Auth,
    Path(course_id): Path<String>,
    Query(query): Query<DryRun>,
    Json(course): Json<Course>,
) -> Result<Json<PublishOutcome>, ApiError> {
    auth.require(Scope::Publish)?;
    if course.id != course_id {
        return Err(ApiError::Validation(format!(
            "the bundle is course `{}` but was sent to `{course_id}`",
            course.id
        )));
    }
    Ok(Json(
        state.publish(&auth.user, course, query.dry_run).await?,
    ))
}

/// Every version of a course, oldest first.
#[utoipa::path(get, path = "/api/v1/courses/{course}/versions", tag = "publishing",
    security(("bearer" = [])),
    params(("course" = String, Path)),
    responses((status = 200, body = [CourseVersion]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn versions(
    State(state): State<AppState>,
    auth: Auth,
    Path(course): Path<String>,
) -> Result<Json<Vec<CourseVersion>>, ApiError> {
    auth.require(Scope::Publish)?;
    if crate::publish::owned_current(&state, &auth.user, &course)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound(format!(
            "course `{course}` was never published"
        )));
    }
    Ok(Json(state.store().course_versions(&course).await?))
}

/// Publish an earlier version's content again, as a new version.
#[utoipa::path(post, path = "/api/v1/courses/{course}/rollback", tag = "publishing",
    security(("bearer" = [])),
    params(("course" = String, Path), DryRun),
    request_body = RollbackRequest,
    responses((status = 200, body = PublishOutcome), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn rollback(
    State(state): State<AppState>,
    auth: Auth,
    Path(course): Path<String>,
    Query(query): Query<DryRun>,
    Json(req): Json<RollbackRequest>,
) -> Result<Json<PublishOutcome>, ApiError> {
    auth.require(Scope::Publish)?;
    Ok(Json(
        state
            .rollback(&auth.user, &course, req.version, query.dry_run)
            .await?,
    ))
}
