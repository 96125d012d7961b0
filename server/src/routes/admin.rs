//! Administration: list users, change a user's role. Needs the `admin` scope.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, put};
use cloudmaster_core::api::{ErrorBody, Scope, SetRoleRequest, User};
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users))
        .route("/admin/users/{user}/role", put(set_role))
}

/// Every account.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, body = [User]), (status = 403, body = ErrorBody)))]
pub async fn users(State(state): State<AppState>, auth: Auth) -> Result<Json<Vec<User>>, ApiError> {
    auth.require(Scope::Admin)?;
    Ok(Json(state.store().list_users().await?))
}

/// Change a user's role. Takes effect on the user's next request.
#[utoipa::path(put, path = "/api/v1/admin/users/{user}/role", tag = "admin",
    security(("bearer" = [])),
    params(("user" = Uuid, Path)),
    request_body = SetRoleRequest,
    responses(
        (status = 200, body = User),
        (status = 400, description = "`user` is not a UUID, or the body is malformed", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn set_role(
    State(state): State<AppState>,
    auth: Auth,
    Path(user): Path<Uuid>,
    Json(req): Json<SetRoleRequest>,
) -> Result<Json<User>, ApiError> {
    auth.require(Scope::Admin)?;
    let updated = state
        .store()
        .set_user_role(user, req.role)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound(_) => ApiError::NotFound(format!("no user {user}")),
            other => other.into(),
        })?;
    state.auth_cache().forget_user(user);
    tracing::info!(admin = %auth.user.id, user = %user, role = req.role.as_str(), "role changed");
    Ok(Json(updated))
}
