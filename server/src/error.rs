//! The one HTTP error type. Every handler returns `Result<_, ApiError>` and uses `?`; the
//! status and stable code of each variant are decided here and nowhere else.
//!
//! Responses always have the shape `{"error": {"code": "...", "message": "..."}}`
//! ([`ErrorBody`]). Server-side failures (5xx) are logged with their full cause chain inside
//! the request's span, which carries the request id, and the client only gets a generic
//! message plus that id in the `x-request-id` header.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cloudmaster_core::api::{ErrorBody, ErrorCode, ErrorDetail};

use crate::store::StoreError;

/// Boxed source of an internal error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed JSON, query or path.
    #[error("{0}")]
    BadRequest(String),
    /// Well-formed but invalid input.
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    /// 403: enrolling in the course fixes it.
    #[error("{0}")]
    NotEnrolled(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PrerequisitesMissing(String),
    /// 403: earlier modules must be finished first.
    #[error("{0}")]
    Locked(String),
    /// 409: the attempt was submitted or its time is up.
    #[error("{0}")]
    AttemptClosed(String),
    /// 409: no attempts left.
    #[error("{0}")]
    AttemptsExhausted(String),
    /// 409: the lab session has ended.
    #[error("{0}")]
    SessionClosed(String),
    #[error("{0}")]
    PaymentRequired(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("rate limit of {limit} requests per window reached; retry in {retry_after} s")]
    RateLimited { limit: u64, retry_after: u64 },
    /// 429 with a reason of its own (login back-off, the tight limits of the auth routes).
    #[error("{message}")]
    Throttled { message: String, retry_after: u64 },
    #[error("{0}")]
    Unavailable(String),
    /// 503: a bounded resource (the password hashing threads) is saturated right now.
    #[error("the server is busy {what}; retry in {retry_after} s")]
    Busy {
        what: &'static str,
        retry_after: u64,
    },
    /// A storage failure that is not the client's fault.
    #[error("storage failed")]
    Store(#[source] StoreError),
    /// Anything else that went wrong on the server.
    #[error("{context}")]
    Internal {
        context: &'static str,
        #[source]
        source: BoxError,
    },
}

impl ApiError {
    /// Wraps an unexpected failure with a short description of what was being done.
    pub fn internal(context: &'static str, source: impl Into<BoxError>) -> ApiError {
        ApiError::Internal {
            context,
            source: source.into(),
        }
    }

    pub fn not_found(what: impl std::fmt::Display) -> ApiError {
        ApiError::NotFound(format!("{what} not found"))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_)
            | ApiError::PrerequisitesMissing(_)
            | ApiError::AttemptClosed(_)
            | ApiError::AttemptsExhausted(_)
            | ApiError::SessionClosed(_) => StatusCode::CONFLICT,
            ApiError::Locked(_) | ApiError::NotEnrolled(_) => StatusCode::FORBIDDEN,
            ApiError::PaymentRequired(_) => StatusCode::PAYMENT_REQUIRED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RateLimited { .. } | ApiError::Throttled { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Unavailable(_) | ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(_) | ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::BadRequest(_) => ErrorCode::BadRequest,
            ApiError::Validation(_) => ErrorCode::ValidationFailed,
            ApiError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::NotEnrolled(_) => ErrorCode::NotEnrolled,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Conflict(_) => ErrorCode::Conflict,
            ApiError::PrerequisitesMissing(_) => ErrorCode::PrerequisitesMissing,
            ApiError::Locked(_) => ErrorCode::Locked,
            ApiError::AttemptClosed(_) => ErrorCode::AttemptClosed,
            ApiError::AttemptsExhausted(_) => ErrorCode::AttemptsExhausted,
            ApiError::SessionClosed(_) => ErrorCode::SessionClosed,
            ApiError::PaymentRequired(_) => ErrorCode::PaymentRequired,
            ApiError::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            ApiError::RateLimited { .. } | ApiError::Throttled { .. } => ErrorCode::RateLimited,
            ApiError::Unavailable(_) | ApiError::Busy { .. } => ErrorCode::Unavailable,
            ApiError::Store(_) | ApiError::Internal { .. } => ErrorCode::Internal,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(what) => ApiError::Conflict(format!("{what} already exists")),
            StoreError::NotFound(what) => ApiError::not_found(what),
            unstorable if unstorable.is_unstorable_text() => ApiError::BadRequest(
                "text with a NUL character (\\u0000) cannot be stored; remove it".to_owned(),
            ),
            other => ApiError::Store(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let unavailable = matches!(self, ApiError::Unavailable(_) | ApiError::Busy { .. });
        let message = if status.is_server_error() && !unavailable {
            // Runs inside the request span, so the log line carries the request id.
            tracing::error!(error = %error_chain(&self), "request failed");
            "internal server error; the server log has the details under this response's \
             x-request-id"
                .to_owned()
        } else {
            if unavailable {
                tracing::warn!(error = %self, "service unavailable");
            }
            self.to_string()
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().as_str().to_owned(),
                message,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let ApiError::RateLimited { retry_after, .. }
        | ApiError::Throttled { retry_after, .. }
        | ApiError::Busy { retry_after, .. } = self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

/// `outer: middle: inner`, for logs.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_the_documented_status() {
        let cases = [
            (ApiError::BadRequest(String::new()), 400, "bad_request"),
            (
                ApiError::Validation(String::new()),
                422,
                "validation_failed",
            ),
            (
                ApiError::Unauthenticated(String::new()),
                401,
                "unauthenticated",
            ),
            (ApiError::Forbidden(String::new()), 403, "forbidden"),
            (ApiError::NotEnrolled(String::new()), 403, "not_enrolled"),
            (ApiError::Locked(String::new()), 403, "locked"),
            (ApiError::NotFound(String::new()), 404, "not_found"),
            (ApiError::Conflict(String::new()), 409, "conflict"),
            (
                ApiError::PrerequisitesMissing(String::new()),
                409,
                "prerequisites_missing",
            ),
            (
                ApiError::PaymentRequired(String::new()),
                402,
                "payment_required",
            ),
            (
                ApiError::PayloadTooLarge(String::new()),
                413,
                "payload_too_large",
            ),
            (
                ApiError::RateLimited {
                    limit: 1,
                    retry_after: 1,
                },
                429,
                "rate_limited",
            ),
            (ApiError::Unavailable(String::new()), 503, "unavailable"),
            (
                ApiError::Throttled {
                    message: String::new(),
                    retry_after: 1,
                },
                429,
                "rate_limited",
            ),
            (
                ApiError::Busy {
                    what: "x",
                    retry_after: 1,
                },
                503,
                "unavailable",
            ),
            (ApiError::internal("x", "boom"), 500, "internal"),
        ];
        for (err, status, code) in cases {
            assert_eq!(err.status().as_u16(), status, "{err:?}");
            assert_eq!(err.code().as_str(), code);
        }
    }

    #[test]
    fn busy_and_throttled_say_when_to_retry() {
        for err in [
            ApiError::Busy {
                what: "checking passwords",
                retry_after: 3,
            },
            ApiError::Throttled {
                message: "slow down".into(),
                retry_after: 3,
            },
        ] {
            let response = err.into_response();
            assert_eq!(response.headers()[header::RETRY_AFTER], "3");
        }
    }

    #[test]
    fn internal_details_are_not_sent() {
        let response = ApiError::internal("loading secrets", "password=hunter2").into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = futures_util::FutureExt::now_or_never(axum::body::to_bytes(
            response.into_body(),
            usize::MAX,
        ))
        .unwrap()
        .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("\"code\":\"internal\""), "{text}");
    }
}
