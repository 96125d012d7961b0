//! Extractors that reject with [`ApiError`] instead of axum's plain-text rejections, so a
//! malformed body, query or path gets the same JSON error shape as everything else and
//! handlers contain only `?`.

use axum::extract::FromRequest;
use axum::extract::FromRequestParts;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ApiError;

/// `axum::Json` with JSON error rejections. Also a response type.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Path` with JSON error rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// `axum::extract::Query` with JSON error rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::PayloadTooLarge(
                "request body is larger than this server accepts".to_owned(),
            );
        }
        match rejection {
            JsonRejection::MissingJsonContentType(_) => ApiError::BadRequest(
                "expected a JSON body with `Content-Type: application/json`".to_owned(),
            ),
            other => ApiError::BadRequest(other.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest(format!(
            "{}; the route's query parameters are described in /api/v1/openapi.json",
            rejection.body_text()
        ))
    }
}

/// An integer query parameter checked against the range its schema documents: 400, like a
/// parameter that is not an integer at all, naming the parameter and the range.
pub fn query_in_range(name: &str, value: Option<u32>, min: u32, max: u32) -> Result<(), ApiError> {
    match value {
        Some(v) if !(min..=max).contains(&v) => Err(ApiError::BadRequest(format!(
            "query parameter `{name}` must be between {min} and {max} (got {v})"
        ))),
        _ => Ok(()),
    }
}
