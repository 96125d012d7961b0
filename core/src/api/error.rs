use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The one error shape every endpoint returns: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code; see [`ErrorCode`].
    pub code: String,
    /// Human-readable explanation, safe to show to the user.
    pub message: String,
}

/// Stable error codes. Scripts match on these, so they are never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    ValidationFailed,
    Unauthenticated,
    Forbidden,
    /// The caller is not enrolled in the course (403); enrolling fixes it.
    NotEnrolled,
    NotFound,
    Conflict,
    PrerequisitesMissing,
    /// A lesson, quiz or lab that earlier modules must unlock first.
    Locked,
    /// An attempt already submitted or past its deadline.
    AttemptClosed,
    /// Every allowed attempt of a quiz or exam is used.
    AttemptsExhausted,
    /// A lab session that has ended (passed, abandoned or expired).
    SessionClosed,
    PaymentRequired,
    PayloadTooLarge,
    RateLimited,
    Internal,
    Unavailable,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotEnrolled => "not_enrolled",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PrerequisitesMissing => "prerequisites_missing",
            ErrorCode::Locked => "locked",
            ErrorCode::AttemptClosed => "attempt_closed",
            ErrorCode::AttemptsExhausted => "attempts_exhausted",
            ErrorCode::SessionClosed => "session_closed",
            ErrorCode::PaymentRequired => "payment_required",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
        }
    }
}
