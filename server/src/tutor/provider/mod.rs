//! The model providers: any OpenAI-compatible chat completions API and Anthropic's Messages
//! API, both streamed as server-sent events and read here one [`ProviderEvent`] at a time.
//!
//! Every wait has the configured timeout (for the response's head, then between two pieces
//! of the stream), so a provider that stalls ends the answer with `provider_timeout` instead
//! of holding the learner. Dropping a [`ProviderStream`] closes its connection: that is how
//! a learner's cancel reaches the provider (llama.cpp, vLLM and the hosted APIs stop
//! generating when the client goes away).

mod anthropic;
mod openai;

use std::collections::VecDeque;
use std::time::Duration;

use cloudmaster_core::sse::{SseEvent, SseParser};
use secrecy::SecretString;
use url::Url;

use super::config::{ProviderKind, TutorConfig, TutorConfigError};

/// Who says a message of the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    User,
    Assistant,
}

/// What the provider is asked: the system text (rules and context) and the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub system: String,
    pub messages: Vec<(Speaker, String)>,
}

impl Prompt {
    /// Every text the provider receives, for size estimates and for tests that check what
    /// the tutor sends.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.system.as_str()).chain(self.messages.iter().map(|(_, t)| t.as_str()))
    }
}

/// One piece of a streamed answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderEvent {
    Text(String),
    /// Token counts, as the provider gives them (Anthropic in two parts).
    Usage {
        prompt: Option<u32>,
        completion: Option<u32>,
    },
    /// The model stopped: `true` when because of the length limit.
    Finished {
        length: bool,
    },
}

/// Why an answer could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("the tutor's model provider did not answer within {0} s")]
    Timeout(u64),
    #[error("the tutor's model provider answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("the tutor's model provider could not be reached: {0}")]
    Network(String),
    #[error("the model declined to answer{}", reason_suffix(.0))]
    Refused(String),
    #[error("the tutor's model provider sent a stream it could not read: {0}")]
    Malformed(String),
}

fn reason_suffix(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(": {reason}")
    }
}

impl ProviderError {
    /// The code of the `error` event the learner receives.
    pub fn code(&self) -> &'static str {
        match self {
            ProviderError::Timeout(_) => "provider_timeout",
            ProviderError::Status { .. } | ProviderError::Network(_) => "provider_error",
            ProviderError::Refused(_) => "refused",
            ProviderError::Malformed(_) => "malformed_stream",
        }
    }
}

/// A configured provider; see the module docs.
pub struct Provider {
    kind: ProviderKind,
    http: reqwest::Client,
    base: Url,
    model: String,
    key: Option<SecretString>,
    max_tokens: u32,
    timeout: Duration,
}

impl Provider {
    /// The provider `config` names; `None` for `--tutor-provider none`.
    pub fn from_config(config: &TutorConfig) -> Result<Option<Provider>, TutorConfigError> {
        if config.tutor_provider == ProviderKind::None {
            return Ok(None);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout().min(Duration::from_secs(10)))
            .build()
            .map_err(|e| TutorConfigError(format!("cannot set up the tutor's HTTP client: {e}")))?;
        Ok(Some(Provider {
            kind: config.tutor_provider,
            http,
            base: config.base_url()?,
            model: config.model()?,
            key: config.api_key()?,
            max_tokens: config.tutor_max_answer_tokens,
            timeout: config.timeout(),
        }))
    }

    /// `openai` or `anthropic`.
    pub fn name(&self) -> &'static str {
        match self.kind {
            ProviderKind::Anthropic => "anthropic",
            _ => "openai",
        }
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// Sends `prompt` and returns the answer's stream once the provider accepted it.
    pub async fn open(&self, prompt: &Prompt) -> Result<ProviderStream, ProviderError> {
        let request = match self.kind {
            ProviderKind::Anthropic => anthropic::request(self, prompt),
            _ => openai::request(self, prompt),
        };
        let response = tokio::time::timeout(self.timeout, request.send())
            .await
            .map_err(|_| ProviderError::Timeout(self.timeout.as_secs()))?
            .map_err(|e| ProviderError::Network(network_cause(&e)))?;
        let status = response.status();
        if !status.is_success() {
            let body = tokio::time::timeout(self.timeout, response.bytes())
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            return Err(ProviderError::Status {
                status: status.as_u16(),
                message: error_message(&body),
            });
        }
        Ok(ProviderStream {
            kind: self.kind,
            response,
            parser: SseParser::new(1 << 20),
            ready: VecDeque::new(),
            timeout: self.timeout,
            ended: false,
        })
    }

    /// The full URL of `path` under the base URL (which may or may not end in `/`).
    fn endpoint(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map(|mut segments| {
                segments.pop_if_empty().extend(path.split('/'));
            })
            .ok();
        url
    }
}

/// The message of a provider's JSON error body (both APIs say `{"error": {"message": ..}}`),
/// else the start of the body.
fn error_message(body: &[u8]) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("message"))
            .and_then(serde_json::Value::as_str)
    });
    match message {
        Some(m) => m.chars().take(300).collect(),
        None => String::from_utf8_lossy(body)
            .trim()
            .chars()
            .take(300)
            .collect(),
    }
}

fn network_cause(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// An answer arriving from the provider.
pub struct ProviderStream {
    kind: ProviderKind,
    response: reqwest::Response,
    parser: SseParser,
    ready: VecDeque<ProviderEvent>,
    timeout: Duration,
    /// The provider said the answer is complete.
    ended: bool,
}

impl ProviderStream {
    /// The next piece of the answer; `None` once the provider said it is complete.
    pub async fn next(&mut self) -> Option<Result<ProviderEvent, ProviderError>> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some(Ok(event));
            }
            if self.ended {
                return None;
            }
            let chunk = match tokio::time::timeout(self.timeout, self.response.chunk()).await {
                Err(_) => return Some(Err(ProviderError::Timeout(self.timeout.as_secs()))),
                Ok(Err(e)) => return Some(Err(ProviderError::Network(network_cause(&e)))),
                Ok(Ok(None)) => {
                    self.ended = true;
                    return Some(Err(ProviderError::Malformed(
                        "the stream ended before the answer was complete".to_owned(),
                    )));
                }
                Ok(Ok(Some(chunk))) => chunk,
            };
            let events = match self.parser.push(&chunk) {
                Ok(events) => events,
                Err(e) => return Some(Err(ProviderError::Malformed(e.to_string()))),
            };
            for event in events {
                let decoded = match self.kind {
                    ProviderKind::Anthropic => anthropic::decode(&event),
                    _ => openai::decode(&event),
                };
                match decoded {
                    Ok(Decoded::Events(events)) => self.ready.extend(events),
                    Ok(Decoded::End) => self.ended = true,
                    Err(e) => {
                        self.ended = true;
                        return Some(Err(e));
                    }
                }
            }
        }
    }
}

/// What one SSE event of a provider means.
enum Decoded {
    Events(Vec<ProviderEvent>),
    /// The answer is complete.
    End,
}

/// Parses the JSON of an event, or says the stream is malformed.
fn json(event: &SseEvent) -> Result<serde_json::Value, ProviderError> {
    serde_json::from_str(&event.data).map_err(|e| {
        ProviderError::Malformed(format!(
            "an event that is not JSON ({e}): {}",
            event.data.chars().take(80).collect::<String>()
        ))
    })
}

fn count(value: Option<&serde_json::Value>) -> Option<u32> {
    value
        .and_then(serde_json::Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
}
