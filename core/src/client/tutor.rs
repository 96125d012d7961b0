//! The tutor: `POST /tutor/ask` streams its answer as server-sent events, read here one
//! [`TutorEvent`] at a time as they arrive; conversations and the budget are plain JSON.

use std::collections::VecDeque;
use std::time::Duration;

use reqwest::Method;
use uuid::Uuid;

use super::{Client, Request};
use crate::api::{Conversation, ConversationSummary, TutorBudget, TutorEvent, TutorQuestion};
use crate::error::{Error, Result};
use crate::sse::SseParser;

/// How long an answer may take in all (the server ends it well before: its provider
/// timeouts are shorter).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// How long the stream may stay silent: the server sends a keep-alive every 15 s.
const SILENCE_TIMEOUT: Duration = Duration::from_secs(60);

impl Client {
    /// `POST /tutor/ask`: the answer as a stream of events. Dropping the stream closes the
    /// connection, which cancels the answer on the server and at its provider.
    pub async fn ask_tutor(&self, question: &TutorQuestion) -> Result<TutorStream> {
        let mut request = Request::new(Method::POST, &["tutor", "ask"]).json(question);
        request.accept = "text/event-stream";
        request.timeout = Some(ANSWER_TIMEOUT);
        let url = self.url(&request.segments, true).to_string();
        let response = self.open_stream(request).await?;
        Ok(TutorStream {
            client: self.clone(),
            url,
            response,
            parser: SseParser::default(),
            ready: VecDeque::new(),
        })
    }

    /// `GET /tutor/conversations`, newest first.
    pub async fn tutor_conversations(&self) -> Result<Vec<ConversationSummary>> {
        self.call(Request::get(&["tutor", "conversations"])).await
    }

    /// `GET /tutor/conversations/{id}`.
    pub async fn tutor_conversation(&self, id: Uuid) -> Result<Conversation> {
        let id = id.to_string();
        self.call(Request::get(&["tutor", "conversations", &id]))
            .await
    }

    /// `DELETE /tutor/conversations/{id}`.
    pub async fn delete_tutor_conversation(&self, id: Uuid) -> Result<()> {
        let id = id.to_string();
        self.call_empty(Request::new(
            Method::DELETE,
            &["tutor", "conversations", &id],
        ))
        .await
    }

    /// `DELETE /tutor/conversations`: every conversation of the learner.
    pub async fn delete_tutor_conversations(&self) -> Result<()> {
        self.call_empty(Request::new(Method::DELETE, &["tutor", "conversations"]))
            .await
    }

    /// `GET /tutor/budget`.
    pub async fn tutor_budget(&self) -> Result<TutorBudget> {
        self.call(Request::get(&["tutor", "budget"])).await
    }
}

/// An answer arriving; see [`Client::ask_tutor`].
pub struct TutorStream {
    client: Client,
    url: String,
    response: reqwest::Response,
    parser: SseParser,
    ready: VecDeque<TutorEvent>,
}

impl TutorStream {
    /// The next event, as soon as it arrived; `None` when the server ended the stream.
    pub async fn next(&mut self) -> Result<Option<TutorEvent>> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Ok(Some(event));
            }
            let chunk = tokio::time::timeout(SILENCE_TIMEOUT, self.response.chunk())
                .await
                .map_err(|_| Error::Network {
                    url: self.url.clone(),
                    what: "the answer stopped arriving",
                    source: "no data for 60 s".into(),
                })?
                .map_err(|e| self.client.network(e))?;
            let Some(chunk) = chunk else {
                return Ok(None);
            };
            let events = self.parser.push(&chunk).map_err(|e| self.decode(e))?;
            for event in events {
                let decoded = serde_json::from_str(&event.data).map_err(|e| self.decode(e))?;
                self.ready.push_back(decoded);
            }
        }
    }

    fn decode(&self, e: impl std::error::Error + Send + Sync + 'static) -> Error {
        Error::Decode {
            url: self.url.clone(),
            source: Box::new(e),
        }
    }
}
