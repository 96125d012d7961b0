//! `Idempotency-Key` on mutating billing calls, as payment APIs have it: the first request
//! with a key runs and its answer is kept for a day; a retry with the same key and the same
//! request gets that answer again (with `Idempotent-Replayed: true`) without running again;
//! the same key with another request to the same operation is refused (422); a retry while
//! the first still runs gets 409. Keys belong to the user who sent them and to the operation
//! (a checkout and a cancellation never share one). Answers the client cannot fix by itself
//! (5xx, 429) are not kept, so a retry runs again.

use std::future::Future;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cloudmaster_core::api::IDEMPOTENCY_KEY_HEADER;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::records::KeyClaim;
use crate::error::ApiError;
use crate::state::AppState;

/// How long an answer is kept for retries.
pub const KEPT_FOR: time::Duration = time::Duration::hours(24);

/// The largest answer kept (billing answers are a few KiB).
const MAX_KEPT_BODY: usize = 256 * 1024;

/// Runs `run` at most once per `Idempotency-Key` (when the request has one) and answers.
/// `operation` and `request` identify the request: the same key may not be reused for
/// another operation or body.
pub async fn once<T, F, Fut>(
    state: &AppState,
    user_id: Uuid,
    headers: &HeaderMap,
    operation: &str,
    request: &impl serde::Serialize,
    run: F,
) -> Response
where
    T: serde::Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, T), ApiError>>,
{
    let answer = |result: Result<(StatusCode, T), ApiError>| match result {
        Ok((status, body)) => (status, crate::extract::Json(body)).into_response(),
        Err(err) => err.into_response(),
    };
    let key = match key_of(headers) {
        Ok(Some(key)) => format!("{operation}|{key}"),
        Ok(None) => return answer(run().await),
        Err(err) => return err.into_response(),
    };
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(request).unwrap_or_default());
    let hash = hasher.finalize();
    let store = state.store();
    let claim = match store
        .claim_idempotency_key(user_id, &key, &hash, state.now())
        .await
    {
        Ok(claim) => claim,
        Err(err) => return ApiError::from(err).into_response(),
    };
    match claim {
        KeyClaim::New => {}
        KeyClaim::InProgress => {
            return ApiError::Conflict(format!(
                "a request with this {IDEMPOTENCY_KEY_HEADER} is still being processed; retry \
                 in a moment"
            ))
            .into_response();
        }
        KeyClaim::Mismatch => {
            return ApiError::Validation(format!(
                "this {IDEMPOTENCY_KEY_HEADER} was used with a different request: use a new \
                 key for a new request"
            ))
            .into_response();
        }
        KeyClaim::Answered { status, body } => return replay(status, body),
    }
    let response = answer(run().await);
    let status = response.status();
    let keep = !status.is_server_error() && status != StatusCode::TOO_MANY_REQUESTS;
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_KEPT_BODY).await else {
        let _ = store.finish_idempotency_key(user_id, &key, None).await;
        return ApiError::Unavailable("the answer was too large to keep".to_owned())
            .into_response();
    };
    let text = String::from_utf8_lossy(&bytes);
    let kept = keep.then_some((status.as_u16(), text.as_ref()));
    if let Err(err) = store.finish_idempotency_key(user_id, &key, kept).await {
        tracing::warn!(error = %err, "could not keep an idempotent answer");
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn key_of(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY_HEADER) else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or("");
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::BadRequest(format!(
            "{IDEMPOTENCY_KEY_HEADER} must be 1 to 255 visible ASCII characters, such as a UUID"
        )));
    }
    Ok(Some(key.to_owned()))
}

fn replay(status: u16, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
