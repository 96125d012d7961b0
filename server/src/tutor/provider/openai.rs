//! OpenAI's chat completions API (`POST {base}/chat/completions`, `stream: true`), which
//! Ollama, vLLM, llama.cpp's server and LM Studio speak too. `stream_options.include_usage`
//! asks for a last chunk with the token counts.

use secrecy::ExposeSecret;
use serde_json::json;

use super::{Decoded, Prompt, Provider, ProviderError, ProviderEvent, Speaker, count};
use cloudmaster_core::sse::SseEvent;

pub(super) fn request(provider: &Provider, prompt: &Prompt) -> reqwest::RequestBuilder {
    let mut messages = vec![json!({"role": "system", "content": prompt.system})];
    messages.extend(prompt.messages.iter().map(|(speaker, text)| {
        let role = match speaker {
            Speaker::User => "user",
            Speaker::Assistant => "assistant",
        };
        json!({"role": role, "content": text})
    }));
    let body = json!({
        "model": provider.model,
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
        "max_tokens": provider.max_tokens,
    });
    let mut request = provider
        .http
        .post(provider.endpoint("chat/completions"))
        .header(reqwest::header::ACCEPT, "text/event-stream")
        .json(&body);
    if let Some(key) = &provider.key {
        request = request.bearer_auth(key.expose_secret());
    }
    request
}

pub(super) fn decode(event: &SseEvent) -> Result<Decoded, ProviderError> {
    if event.data.trim() == "[DONE]" {
        return Ok(Decoded::End);
    }
    let value = super::json(event)?;
    if let Some(error) = value.get("error") {
        return Err(ProviderError::Status {
            status: 200,
            message: error
                .get("message")
                .and_then(|m| m.as_str())
                .unwrap_or("an error in the stream")
                .to_owned(),
        });
    }
    let mut events = Vec::new();
    if let Some(choice) = value.pointer("/choices/0") {
        if let Some(refusal) = choice.pointer("/delta/refusal").and_then(|r| r.as_str()) {
            return Err(ProviderError::Refused(refusal.to_owned()));
        }
        if let Some(text) = choice.pointer("/delta/content").and_then(|c| c.as_str())
            && !text.is_empty()
        {
            events.push(ProviderEvent::Text(text.to_owned()));
        }
        match choice.get("finish_reason").and_then(|f| f.as_str()) {
            Some("content_filter") => {
                return Err(ProviderError::Refused(
                    "the provider's content filter stopped it".to_owned(),
                ));
            }
            Some(reason) => events.push(ProviderEvent::Finished {
                length: reason == "length",
            }),
            None => {}
        }
    } else if value.get("choices").is_none() && value.get("usage").is_none() {
        return Err(ProviderError::Malformed(
            "a chunk with neither choices nor usage".to_owned(),
        ));
    }
    if let Some(usage) = value.get("usage").filter(|u| !u.is_null()) {
        events.push(ProviderEvent::Usage {
            prompt: count(usage.get("prompt_tokens")),
            completion: count(usage.get("completion_tokens")),
        });
    }
    Ok(Decoded::Events(events))
}
