//! Certificates: the caller's list, the signed file, public status, revocation (admin), the
//! Open Badges 3.0 export, what is left before a course is complete, and the issuer's
//! public keys (outside `/api/v1`, see [`well_known_router`]).
//!
//! A certificate is visible to its owner and to admins; anyone else gets 404, so ids of
//! other people's certificates cannot be probed. Its status is public: that is how a
//! verifier who was handed the file checks that it was not revoked.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cloudmaster_core::api::{
    CertificateInfo, CertificateStatus, CompletionStatus, ErrorBody, ISSUER_KEYS_PATH, IssuerKeys,
    RevokeCertificateRequest, Role, Scope,
};
use serde_json::Value;
use uuid::Uuid;

use super::courses::not_enrolled;
use crate::auth::Auth;
use crate::certificates;
use crate::certificates::StoredCertificate;
use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::state::AppState;

/// Longest accepted revocation reason, in characters.
const MAX_REASON_CHARS: usize = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/certificates", get(list))
        .route("/certificates/{id}", get(file))
        .route("/certificates/{id}/status", get(status))
        .route("/certificates/{id}/ob3", get(open_badge))
        .route("/admin/certificates/{id}/revoke", post(revoke))
        .route("/courses/{course}/completion", get(completion))
}

/// The issuer keys, served at [`ISSUER_KEYS_PATH`] outside the API gate (no credentials,
/// no rate limit: the key is cached in memory, so answering costs nothing).
pub fn well_known_router() -> Router<AppState> {
    Router::new().route(ISSUER_KEYS_PATH, get(issuer_keys))
}

fn no_certificate(id: &str) -> ApiError {
    ApiError::NotFound(format!("no certificate `{id}`"))
}

/// The certificate `id` if the caller may see it: its owner (with the `learn` scope) or an
/// admin. Anyone else gets the same 404 as for an unknown id.
async fn visible(state: &AppState, auth: &Auth, id: &str) -> Result<StoredCertificate, ApiError> {
    let uuid: Uuid = id.parse().map_err(|_| no_certificate(id))?;
    let stored = state
        .store()
        .certificate(uuid)
        .await?
        .ok_or_else(|| no_certificate(id))?;
    if stored.user_id == auth.user.id {
        auth.require(Scope::Learn)?;
    } else if !(auth.user.role == Role::Admin && auth.is_admin()) {
        return Err(no_certificate(id));
    }
    Ok(stored)
}

/// The caller's certificates, oldest first.
#[utoipa::path(get, path = "/api/v1/certificates", tag = "certificates",
    security(("bearer" = [])),
    responses((status = 200, body = [CertificateInfo])))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<CertificateInfo>>, ApiError> {
    auth.require(Scope::Learn)?;
    let stored = state.store().user_certificates(auth.user.id).await?;
    let infos = stored
        .iter()
        .map(StoredCertificate::info)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(infos))
}

/// The signed certificate file, byte for byte as issued (canonical JSON and a newline):
/// save it and verify it offline with `cloudmaster cert verify FILE`.
#[utoipa::path(get, path = "/api/v1/certificates/{id}", tag = "certificates",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "the signed certificate file", content_type = "application/json", body = Object),
        (status = 404, body = ErrorBody),
    ))]
pub async fn file(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let stored = visible(&state, &auth, &id).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        stored.document,
    )
        .into_response())
}

/// Whether a certificate is valid (not revoked). Public: anyone holding the id may ask.
#[utoipa::path(get, path = "/api/v1/certificates/{id}/status", tag = "certificates",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CertificateStatus), (status = 404, body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CertificateStatus>, ApiError> {
    let uuid: Uuid = id.parse().map_err(|_| no_certificate(&id))?;
    let stored = state
        .store()
        .certificate(uuid)
        .await?
        .ok_or_else(|| no_certificate(&id))?;
    Ok(Json(CertificateStatus {
        id: stored.id,
        valid: stored.revoked_at.is_none(),
        course_id: stored.course_id,
        issued_at: stored.issued_at,
        revoked_at: stored.revoked_at,
        reason: stored.revoked_reason,
    }))
}

/// The certificate as an Open Badges 3.0 credential with an `eddsa-jcs-2022` Data Integrity
/// proof by the issuer's `did:key`. 409 when the certificate was revoked.
#[utoipa::path(get, path = "/api/v1/certificates/{id}/ob3", tag = "certificates",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "an OpenBadgeCredential (JSON-LD)", content_type = "application/json", body = Object),
        (status = 404, body = ErrorBody),
        (status = 409, description = "revoked", body = ErrorBody),
    ))]
pub async fn open_badge(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let stored = visible(&state, &auth, &id).await?;
    Ok(Json(certificates::open_badge(&state, &stored).await?))
}

/// Revoke a certificate. Its status then says so, with the reason; revoking again keeps
/// the first time and reason.
#[utoipa::path(post, path = "/api/v1/admin/certificates/{id}/revoke", tag = "certificates",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = RevokeCertificateRequest,
    responses(
        (status = 200, body = CertificateInfo),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Json(req): Json<RevokeCertificateRequest>,
) -> Result<Json<CertificateInfo>, ApiError> {
    auth.require(Scope::Admin)?;
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::Validation(format!(
            "give a reason of 1 to {MAX_REASON_CHARS} characters; it is shown to anyone who \
             checks the certificate"
        )));
    }
    let uuid: Uuid = id.parse().map_err(|_| no_certificate(&id))?;
    let revoked = state
        .store()
        .revoke_certificate(uuid, reason, state.now())
        .await?
        .ok_or_else(|| no_certificate(&id))?;
    tracing::info!(admin = %auth.user.id, certificate = %uuid, "certificate revoked");
    Ok(Json(revoked.info()?))
}

/// The completion rules of the course's current version and what the caller has left.
#[utoipa::path(get, path = "/api/v1/courses/{course}/completion", tag = "certificates",
    security(("bearer" = [])),
    params(("course" = String, Path)),
    responses(
        (status = 200, body = CompletionStatus),
        (status = 403, description = "not enrolled", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn completion(
    State(state): State<AppState>,
    auth: Auth,
    Path(course): Path<String>,
) -> Result<Json<CompletionStatus>, ApiError> {
    auth.require(Scope::Learn)?;
    if !state.is_enrolled(auth.user.id, &course).await? {
        return Err(not_enrolled(&state, &course).await);
    }
    Ok(Json(
        certificates::completion(&state, auth.user.id, &course).await?,
    ))
}

/// The public keys that verify this server's certificates. Save the answer as a file for
/// `cloudmaster cert verify FILE --key issuer.json`.
#[utoipa::path(get, path = "/.well-known/cloudmaster/issuer.json", tag = "certificates",
    responses((status = 200, body = IssuerKeys)))]
pub async fn issuer_keys(State(state): State<AppState>) -> Result<Json<IssuerKeys>, ApiError> {
    Ok(Json(certificates::issuer_keys(&state).await?))
}
