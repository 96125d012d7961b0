//! Labs: the labs of a course, lab sessions, check reports, hints, solutions, submissions.
//! The rules live in [`crate::labs`]; these handlers check the scope, enrollment and input.
//! Every route needs the `learn` scope; a session belongs to its learner alone (anyone
//! else gets 404).

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use cloudmaster_core::api::{
    CheckReport, ErrorBody, HintView, LabSession, LabSessionStart, LabSubmission, LabSummary,
    Scope, SelfReported,
};
use futures_util::StreamExt as _;
use uuid::Uuid;

use super::courses::not_enrolled;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::labs::session::{self, Loaded};
use crate::labs::{actions, submit};
use crate::state::AppState;

/// Header of `submit` with the client's results of `command` and `script` checks.
pub const SELF_REPORTED_HEADER: &str = "x-cloudmaster-self-reported";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/courses/{course}/labs", get(list))
        .route("/courses/{course}/labs/{lab}/sessions", post(start))
        .route("/lab-sessions", get(sessions))
        .route("/lab-sessions/{session}", get(session).delete(abandon))
        .route("/lab-sessions/{session}/checks", post(report_check))
        .route("/lab-sessions/{session}/steps/{step}/hint", post(hint))
        .route(
            "/lab-sessions/{session}/steps/{step}/solution",
            post(solution),
        )
        .route("/lab-sessions/{session}/submit", post(submit_workspace))
}

/// Query of `GET /lab-sessions`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionFilter {
    /// Only sessions still running.
    #[serde(default)]
    pub active: bool,
}

/// Query of the solution endpoint.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SkipStep {
    /// Mark the step skipped (no credit) and reveal its solution although it has not passed.
    #[serde(default)]
    pub skip: bool,
}

async fn require_enrolled(state: &AppState, auth: &Auth, course: &str) -> Result<(), ApiError> {
    auth.require(Scope::Learn)?;
    if state.is_enrolled(auth.user.id, course).await? {
        Ok(())
    } else {
        Err(not_enrolled(state, course).await)
    }
}

/// A session id from the path; anything that is not a UUID names no session (404).
fn session_id(raw: &str) -> Result<Uuid, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(format!("no lab session {raw}")))
}

/// The caller's session, with enrollment in its course checked (for the operations that
/// advance the learner's work).
async fn enrolled_session(state: &AppState, auth: &Auth, raw: &str) -> Result<Loaded, ApiError> {
    auth.require(Scope::Learn)?;
    let loaded = session::load(state, auth.user.id, session_id(raw)?).await?;
    require_enrolled(state, auth, &loaded.record.course_id).await?;
    Ok(loaded)
}

/// The labs of an enrolled course in course order, with the caller's standing.
#[utoipa::path(get, path = "/api/v1/courses/{course}/labs", tag = "labs",
    security(("bearer" = [])),
    params(("course" = String, Path)),
    responses(
        (status = 200, body = [LabSummary]),
        (status = 403, description = "not enrolled", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Path(course): Path<String>,
) -> Result<Json<Vec<LabSummary>>, ApiError> {
    require_enrolled(&state, &auth, &course).await?;
    Ok(Json(actions::list(&state, &auth, &course).await?))
}

/// Start a lab session (201), or resume the caller's active session of the lab (200). The
/// lab comes without its solution files.
#[utoipa::path(post, path = "/api/v1/courses/{course}/labs/{lab}/sessions", tag = "labs",
    security(("bearer" = [])),
    params(("course" = String, Path), ("lab" = String, Path)),
    responses(
        (status = 201, body = LabSessionStart),
        (status = 200, description = "the active session, resumed", body = LabSessionStart),
        (status = 403, description = "not enrolled, or `locked`: finish the earlier modules first", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn start(
    State(state): State<AppState>,
    auth: Auth,
    Path((course, lab)): Path<(String, String)>,
) -> Result<(StatusCode, Json<LabSessionStart>), ApiError> {
    require_enrolled(&state, &auth, &course).await?;
    let (started, created) = actions::start(&state, &auth, &course, &lab).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(started)))
}

/// The caller's lab sessions, newest first.
#[utoipa::path(get, path = "/api/v1/lab-sessions", tag = "labs",
    security(("bearer" = [])),
    params(SessionFilter),
    responses((status = 200, body = [LabSession])))]
pub async fn sessions(
    State(state): State<AppState>,
    auth: Auth,
    Query(filter): Query<SessionFilter>,
) -> Result<Json<Vec<LabSession>>, ApiError> {
    auth.require(Scope::Learn)?;
    Ok(Json(
        actions::list_sessions(&state, auth.user.id, filter.active).await?,
    ))
}

/// One of the caller's lab sessions. A session past its limits shows as ended.
#[utoipa::path(get, path = "/api/v1/lab-sessions/{session}", tag = "labs",
    security(("bearer" = [])),
    params(("session" = Uuid, Path)),
    responses((status = 200, body = LabSession), (status = 404, body = ErrorBody)))]
pub async fn session(
    State(state): State<AppState>,
    auth: Auth,
    Path(raw): Path<String>,
) -> Result<Json<LabSession>, ApiError> {
    auth.require(Scope::Learn)?;
    Ok(Json(
        actions::get(&state, auth.user.id, session_id(&raw)?).await?,
    ))
}

/// Report a local check run: keeps the session alive, counts a failure (for hints) or
/// marks the step passed locally.
#[utoipa::path(post, path = "/api/v1/lab-sessions/{session}/checks", tag = "labs",
    security(("bearer" = [])),
    params(("session" = Uuid, Path)),
    request_body = CheckReport,
    responses(
        (status = 200, body = LabSession),
        (status = 404, body = ErrorBody),
        (status = 409, description = "session_closed: the session has ended", body = ErrorBody),
        (status = 422, description = "unknown step", body = ErrorBody),
    ))]
pub async fn report_check(
    State(state): State<AppState>,
    auth: Auth,
    Path(raw): Path<String>,
    Json(report): Json<CheckReport>,
) -> Result<Json<LabSession>, ApiError> {
    let loaded = enrolled_session(&state, &auth, &raw).await?;
    Ok(Json(actions::report_check(&state, &loaded, report).await?))
}

/// Reveal the next hint of a step (404 when every hint is shown).
#[utoipa::path(post, path = "/api/v1/lab-sessions/{session}/steps/{step}/hint", tag = "labs",
    security(("bearer" = [])),
    params(("session" = Uuid, Path), ("step" = String, Path)),
    responses(
        (status = 200, body = HintView),
        (status = 404, description = "no such session or step, or no hint left", body = ErrorBody),
        (status = 409, description = "session_closed", body = ErrorBody),
    ))]
pub async fn hint(
    State(state): State<AppState>,
    auth: Auth,
    Path((raw, step)): Path<(String, String)>,
) -> Result<Json<HintView>, ApiError> {
    let loaded = enrolled_session(&state, &auth, &raw).await?;
    Ok(Json(actions::next_hint(&state, &loaded, &step).await?))
}

/// The solution files of a step, relative to the workspace: 409 until the step passed,
/// unless `skip=true` (the step is then marked skipped and earns no credit).
#[utoipa::path(post, path = "/api/v1/lab-sessions/{session}/steps/{step}/solution", tag = "labs",
    security(("bearer" = [])),
    params(("session" = Uuid, Path), ("step" = String, Path), SkipStep),
    responses(
        (status = 200, body = cloudmaster_core::api::StepSolution),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the step has not passed (conflict), or the session ended (session_closed)", body = ErrorBody),
    ))]
pub async fn solution(
    State(state): State<AppState>,
    auth: Auth,
    Path((raw, step)): Path<(String, String)>,
    Query(query): Query<SkipStep>,
) -> Result<Json<cloudmaster_core::api::StepSolution>, ApiError> {
    let loaded = enrolled_session(&state, &auth, &raw).await?;
    Ok(Json(
        actions::solution(&state, &loaded, &step, query.skip).await?,
    ))
}

/// Submit the workspace (a gzip-compressed tar) for grading on the server. The results of
/// `command` and `script` checks come in the `x-cloudmaster-self-reported` header.
#[utoipa::path(post, path = "/api/v1/lab-sessions/{session}/submit", tag = "labs",
    security(("bearer" = [])),
    params(
        ("session" = Uuid, Path),
        ("x-cloudmaster-self-reported" = Option<String>, Header,
            description = "JSON list of SelfReported: the client's results of command and script checks"),
    ),
    request_body(content = Vec<u8>, content_type = "application/gzip",
        description = "the workspace as a .tar.gz"),
    responses(
        (status = 200, body = LabSubmission),
        (status = 400, description = "malformed self-reported header", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "session_closed", body = ErrorBody),
        (status = 413, description = "archive over --lab-max-archive-bytes", body = ErrorBody),
        (status = 422, description = "archive refused (path traversal, links, too many or too large files)", body = ErrorBody),
    ))]
pub async fn submit_workspace(
    State(state): State<AppState>,
    auth: Auth,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<LabSubmission>, ApiError> {
    let loaded = enrolled_session(&state, &auth, &raw).await?;
    let self_reported = self_reported(&headers)?;
    let archive = read_limited(&headers, body, state.config().lab_max_archive_bytes).await?;
    Ok(Json(
        submit::submit(&state, &loaded, archive, self_reported).await?,
    ))
}

/// Abandon a session: 204; again is fine; 409 when it passed or ran out of time.
#[utoipa::path(delete, path = "/api/v1/lab-sessions/{session}", tag = "labs",
    security(("bearer" = [])),
    params(("session" = Uuid, Path)),
    responses(
        (status = 204, description = "abandoned"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "session_closed: it passed or expired", body = ErrorBody),
    ))]
pub async fn abandon(
    State(state): State<AppState>,
    auth: Auth,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    auth.require(Scope::Learn)?;
    actions::abandon(&state, auth.user.id, session_id(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The self-reported results of the submit header (none when it is absent).
fn self_reported(headers: &HeaderMap) -> Result<Vec<SelfReported>, ApiError> {
    let Some(value) = headers.get(SELF_REPORTED_HEADER) else {
        return Ok(Vec::new());
    };
    let bad = |why: String| {
        ApiError::BadRequest(format!(
            "the {SELF_REPORTED_HEADER} header must be a JSON list of \
             {{\"step\", \"condition\", \"passed\"}} objects: {why}"
        ))
    };
    let text = value
        .to_str()
        .map_err(|_| bad("it is not ASCII".to_owned()))?;
    serde_json::from_str(text).map_err(|e| bad(e.to_string()))
}

/// Reads the body, refusing it (413) when its declared length or, as it arrives, its
/// actual length passes `limit` bytes.
async fn read_limited(headers: &HeaderMap, body: Body, limit: u64) -> Result<Vec<u8>, ApiError> {
    let too_large = || {
        ApiError::PayloadTooLarge(format!(
            "the workspace archive is larger than this server accepts ({limit} bytes, \
             --lab-max-archive-bytes); remove build outputs and other large files from the \
             workspace"
        ))
    };
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|length| length > limit) {
        linger(stream).await;
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::BadRequest(format!("cannot read the request body: {e}")))?;
        if (bytes.len() + chunk.len()) as u64 > limit {
            linger(stream).await;
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// How much of a refused body [`linger`] reads at most, and for how long.
const LINGER_BYTES: usize = 64 * 1024 * 1024;
const LINGER_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads and drops the rest of a body that was refused. Answering before the client has
/// sent it all makes the connection close under the client, which then reports a reset
/// connection instead of the 413 and its advice; reading on (within bounds, as web servers
/// do when they "linger" before closing) lets the answer arrive.
async fn linger(mut stream: axum::body::BodyDataStream) {
    let drain = async {
        let mut read = 0;
        while let Some(Ok(chunk)) = stream.next().await {
            read += chunk.len();
            if read > LINGER_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIME, drain).await;
}
