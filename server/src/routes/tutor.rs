//! The tutor: questions answered as server-sent events, conversations, the daily budget.
//! The rules are in [`crate::tutor`]; see docs/tutor.md and docs/api.md.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use cloudmaster_core::api::{
    Conversation, ConversationSummary, ErrorBody, Scope, TutorBudget, TutorEvent, TutorQuestion,
};
use futures_util::Stream;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::state::AppState;
use crate::tutor::{answer, budget};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tutor/ask", post(ask))
        .route(
            "/tutor/conversations",
            get(conversations).delete(delete_all),
        )
        .route(
            "/tutor/conversations/{conversation}",
            get(conversation).delete(delete_one),
        )
        .route("/tutor/budget", get(budget_today))
}

/// Ask the tutor. The answer streams as server-sent events (`text/event-stream`): `start`
/// (the conversation, the mode and the citations), `delta`s of text, then `done` (the stored
/// message, why it ended, the tokens used) or `error` (`provider_timeout`, `provider_error`,
/// `refused`, `malformed_stream`). Closing the connection cancels the answer.
#[utoipa::path(post, path = "/api/v1/tutor/ask", tag = "tutor",
    security(("bearer" = [])),
    request_body = TutorQuestion,
    responses(
        (status = 200, description = "the answer, as server-sent events each holding a TutorEvent",
            content_type = "text/event-stream", body = TutorEvent),
        (status = 403, description = "not enrolled in the course", body = ErrorBody),
        (status = 404, description = "no such course, lesson, lab session or conversation", body = ErrorBody),
        (status = 422, description = "an empty or too long question, or no course to ask about", body = ErrorBody),
        (status = 429, description = "today's tutor budget is spent (the message says when it resets)", body = ErrorBody),
    ))]
pub async fn ask(
    State(state): State<AppState>,
    auth: Auth,
    Json(question): Json<TutorQuestion>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    auth.require(Scope::Learn)?;
    let events = answer::ask(&state, &auth, question).await?;
    let stream = futures_util::stream::unfold(events, |mut events| async move {
        let event = events.recv().await?;
        let sse = Event::default()
            .event(event.name())
            .json_data(&event)
            .unwrap_or_else(|_| Event::default().comment("unencodable event"));
        Some((Ok(sse), events))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// A conversation id from the path: what is not a UUID names no conversation (404, as for
/// an unknown one).
fn conversation_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound(format!("conversation {raw} not found")))
}

/// The learner's conversations, most recently active first.
#[utoipa::path(get, path = "/api/v1/tutor/conversations", tag = "tutor",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<ConversationSummary>)))]
pub async fn conversations(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<ConversationSummary>>, ApiError> {
    auth.require(Scope::Learn)?;
    Ok(Json(state.store().tutor_conversations(auth.user.id).await?))
}

/// One conversation with its messages.
#[utoipa::path(get, path = "/api/v1/tutor/conversations/{conversation}", tag = "tutor",
    security(("bearer" = [])),
    params(("conversation" = Uuid, Path)),
    responses(
        (status = 200, body = Conversation),
        (status = 404, body = ErrorBody),
    ))]
pub async fn conversation(
    State(state): State<AppState>,
    auth: Auth,
    Path(raw): Path<String>,
) -> Result<Json<Conversation>, ApiError> {
    auth.require(Scope::Learn)?;
    let id = conversation_id(&raw)?;
    state
        .store()
        .tutor_conversation(auth.user.id, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("conversation {id} not found")))
}

/// Delete one conversation.
#[utoipa::path(delete, path = "/api/v1/tutor/conversations/{conversation}", tag = "tutor",
    security(("bearer" = [])),
    params(("conversation" = Uuid, Path)),
    responses(
        (status = 204, description = "deleted"),
        (status = 404, body = ErrorBody),
    ))]
pub async fn delete_one(
    State(state): State<AppState>,
    auth: Auth,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    auth.require(Scope::Learn)?;
    let id = conversation_id(&raw)?;
    match state
        .store()
        .delete_tutor_conversations(auth.user.id, Some(id))
        .await?
    {
        0 => Err(ApiError::NotFound(format!("conversation {id} not found"))),
        _ => Ok(StatusCode::NO_CONTENT),
    }
}

/// Delete every conversation of the learner (the day's token usage stays).
#[utoipa::path(delete, path = "/api/v1/tutor/conversations", tag = "tutor",
    security(("bearer" = [])),
    responses((status = 204, description = "deleted")))]
pub async fn delete_all(State(state): State<AppState>, auth: Auth) -> Result<StatusCode, ApiError> {
    auth.require(Scope::Learn)?;
    state
        .store()
        .delete_tutor_conversations(auth.user.id, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The learner's tutor tokens today and when the budget resets.
#[utoipa::path(get, path = "/api/v1/tutor/budget", tag = "tutor",
    security(("bearer" = [])),
    responses((status = 200, body = TutorBudget)))]
pub async fn budget_today(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<TutorBudget>, ApiError> {
    auth.require(Scope::Learn)?;
    Ok(Json(budget::budget(&state, &auth.user, state.now()).await?))
}
