//! Enrollment: enroll (prerequisites and payment enforced: a paid course needs a purchase,
//! premium or the admin role), unenroll, list.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use cloudmaster_core::api::{Enrollment, ErrorBody, Role, Scope, Tier};

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/courses/{course}/enrollment",
            post(enroll).delete(unenroll),
        )
        .route("/enrollments", get(list))
}

/// Enroll in a course: 201 when new, 200 when already enrolled (also when concurrent
/// requests race: exactly one of them answers 201).
#[utoipa::path(post, path = "/api/v1/courses/{course}/enrollment", tag = "enrollment",
    security(("bearer" = [])),
    params(("course" = String, Path)),
    responses(
        (status = 201, body = Enrollment),
        (status = 200, description = "already enrolled", body = Enrollment),
        (status = 402, description = "paid course", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "prerequisites_missing", body = ErrorBody),
    ))]
pub async fn enroll(
    State(state): State<AppState>,
    auth: Auth,
    Path(course): Path<String>,
) -> Result<(StatusCode, Json<Enrollment>), ApiError> {
    auth.require(Scope::Learn)?;
    let store = state.store();
    let user = &auth.user;
    // Enrolling again is what a retrying client does: answer it with one read.
    if let Some(existing) = store
        .enrollments(user.id)
        .await?
        .into_iter()
        .find(|e| e.course_id == course)
    {
        return Ok((StatusCode::OK, Json(existing)));
    }
    let detail = store
        .course_detail(&course)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no course `{course}`")))?;
    require_prerequisites(store, user.id, &detail).await?;
    if let Some(price) = &detail.summary.price
        && user.tier != Tier::Premium
        && user.role != Role::Admin
        && !store.purchased_courses(user.id).await?.contains(&course)
    {
        return Err(ApiError::PaymentRequired(format!(
            "`{course}` costs {price}: buy it with `cloudmaster billing checkout {course}`, \
             or subscribe to premium, which opens every course (`cloudmaster billing plans`)"
        )));
    }
    // Concurrent duplicates all get here; the store's insert picks the one that enrolled.
    let enrolled = store.enroll(user.id, &course, state.now()).await?;
    state.auth_cache().put_enrolled(user.id, &course);
    if !enrolled.created {
        return Ok((StatusCode::OK, Json(enrolled.enrollment)));
    }
    tracing::info!(user_id = %user.id, course = %course, "enrolled");
    Ok((StatusCode::CREATED, Json(enrolled.enrollment)))
}

/// Fails with 409 `prerequisites_missing` unless the user completed every course `detail`
/// requires (checked before enrolling, and before taking money for a course).
pub(crate) async fn require_prerequisites(
    store: &dyn crate::store::Store,
    user_id: uuid::Uuid,
    detail: &cloudmaster_core::api::CourseDetail,
) -> Result<(), ApiError> {
    if detail.prerequisites.is_empty() {
        return Ok(());
    }
    let course = &detail.summary.id;
    let completed = store.completed_courses(user_id).await?;
    let missing: Vec<&str> = detail
        .prerequisites
        .iter()
        .filter(|p| !completed.contains(p))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ApiError::PrerequisitesMissing(format!(
        "`{course}` requires completing {} first: {}",
        if missing.len() == 1 {
            "this course"
        } else {
            "these courses"
        },
        missing.join(", ")
    )))
}

/// Leave a course. Progress is kept and comes back on re-enrolling.
#[utoipa::path(delete, path = "/api/v1/courses/{course}/enrollment", tag = "enrollment",
    security(("bearer" = [])),
    params(("course" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn unenroll(
    State(state): State<AppState>,
    auth: Auth,
    Path(course): Path<String>,
) -> Result<StatusCode, ApiError> {
    auth.require(Scope::Learn)?;
    state.auth_cache().forget_enrolled(auth.user.id, &course);
    if state.store().unenroll(auth.user.id, &course).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!(
            "you are not enrolled in `{course}`"
        )))
    }
}

/// The caller's enrollments.
#[utoipa::path(get, path = "/api/v1/enrollments", tag = "enrollment",
    security(("bearer" = [])),
    responses((status = 200, body = [Enrollment])))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<Enrollment>>, ApiError> {
    auth.require(Scope::Learn)?;
    Ok(Json(state.store().enrollments(auth.user.id).await?))
}
