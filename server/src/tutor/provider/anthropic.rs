//! Anthropic's Messages API (`POST {base}/messages`, `stream: true`): `message_start`
//! carries the input tokens, `content_block_delta` the text, `message_delta` the stop
//! reason and output tokens, `message_stop` ends it; `error` events report overload and
//! other failures mid-stream.

use secrecy::ExposeSecret;
use serde_json::json;

use super::{Decoded, Prompt, Provider, ProviderError, ProviderEvent, Speaker, count};
use cloudmaster_core::sse::SseEvent;

/// The API version this client speaks (sent as `anthropic-version`).
const API_VERSION: &str = "2023-06-01";

pub(super) fn request(provider: &Provider, prompt: &Prompt) -> reqwest::RequestBuilder {
    let messages: Vec<_> = prompt
        .messages
        .iter()
        .map(|(speaker, text)| {
            let role = match speaker {
                Speaker::User => "user",
                Speaker::Assistant => "assistant",
            };
            json!({"role": role, "content": text})
        })
        .collect();
    let body = json!({
        "model": provider.model,
        "system": prompt.system,
        "messages": messages,
        "max_tokens": provider.max_tokens,
        "stream": true,
    });
    let mut request = provider
        .http
        .post(provider.endpoint("messages"))
        .header("anthropic-version", API_VERSION)
        .header(reqwest::header::ACCEPT, "text/event-stream")
        .json(&body);
    if let Some(key) = &provider.key {
        request = request.header("x-api-key", key.expose_secret());
    }
    request
}

pub(super) fn decode(event: &SseEvent) -> Result<Decoded, ProviderError> {
    let value = super::json(event)?;
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or(event.event.as_str());
    let events = match kind {
        "message_start" => vec![ProviderEvent::Usage {
            prompt: count(value.pointer("/message/usage/input_tokens")),
            completion: None,
        }],
        "content_block_delta" => match value.pointer("/delta/text").and_then(|t| t.as_str()) {
            Some(text) if !text.is_empty() => vec![ProviderEvent::Text(text.to_owned())],
            _ => Vec::new(),
        },
        "message_delta" => {
            let mut events = vec![ProviderEvent::Usage {
                prompt: None,
                completion: count(value.pointer("/usage/output_tokens")),
            }];
            match value.pointer("/delta/stop_reason").and_then(|r| r.as_str()) {
                Some("refusal") => return Err(ProviderError::Refused(String::new())),
                Some(reason) => events.push(ProviderEvent::Finished {
                    length: reason == "max_tokens",
                }),
                None => {}
            }
            events
        }
        "message_stop" => return Ok(Decoded::End),
        "error" => {
            return Err(ProviderError::Status {
                status: 200,
                message: value
                    .pointer("/error/message")
                    .and_then(|m| m.as_str())
                    .unwrap_or("an error in the stream")
                    .to_owned(),
            });
        }
        // `ping`, `content_block_start`, `content_block_stop` and event types added later.
        _ => Vec::new(),
    };
    Ok(Decoded::Events(events))
}
