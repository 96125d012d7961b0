//! Calls to Stripe's HTTP API and the mapping of its answers onto [`ProviderError`].
//!
//! Stripe takes form-encoded bodies with bracketed keys (`line_items[0][quantity]`),
//! authenticates with the secret key as a bearer token and answers JSON, with errors as
//! `{"error": {"type", "code", "message"}}`. The key leaves this module only in the
//! `Authorization` header: errors, log lines and `Debug` never carry it.

use std::fmt;
use std::time::Duration;

use cloudmaster_core::api::IDEMPOTENCY_KEY_HEADER;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::billing::provider::ProviderError;

/// How long one API call may take, connecting included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Stripe's API at one address, with one key.
pub(super) struct StripeApi {
    http: reqwest::Client,
    base: Url,
    key: SecretString,
}

impl fmt::Debug for StripeApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeApi")
            .field("base", &self.base.as_str())
            .field("key", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// A configuration that cannot work.
pub(super) fn misconfigured(why: &str) -> ProviderError {
    ProviderError::Unavailable(format!("Stripe: {why}"))
}

impl StripeApi {
    /// Checks the address and the key and builds the HTTP client.
    pub(super) fn new(base: Url, key: SecretString) -> Result<StripeApi, ProviderError> {
        if !matches!(base.scheme(), "https" | "http") || base.cannot_be_a_base() {
            return Err(misconfigured(&format!(
                "the API address {base} is not an http(s) URL"
            )));
        }
        let exposed = key.expose_secret();
        if exposed.is_empty() || HeaderValue::from_str(&format!("Bearer {exposed}")).is_err() {
            return Err(misconfigured(
                "the API key is empty or holds characters a header cannot carry",
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            // Stripe's API does not redirect; following one could only lead somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cloudmaster/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| misconfigured(&format!("cannot build the HTTP client: {error}")))?;
        Ok(StripeApi { http, base, key })
    }

    /// `POST`s `form` to the API path made of `segments` (each one percent-encoded) with
    /// `idempotency_key`, and decodes the answer.
    pub(super) async fn post<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        form: &[(&str, String)],
        idempotency_key: &str,
    ) -> Result<T, ProviderError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| misconfigured(&format!("{} cannot hold an API path", self.base)))?
            .pop_if_empty()
            .extend(segments);
        let idempotency_key = HeaderValue::from_str(idempotency_key).map_err(|_| {
            ProviderError::Unsupported(format!(
                "`{idempotency_key}` cannot be sent as an idempotency key"
            ))
        })?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let response = self
            .http
            .post(url)
            .bearer_auth(self.key.expose_secret())
            .header(IDEMPOTENCY_KEY_HEADER, idempotency_key)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|error| transport_error(&error))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| transport_error(&error))?;
        if !status.is_success() {
            return Err(self.error_from_answer(status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|error| {
            ProviderError::Unavailable(format!("Stripe's answer could not be read: {error}"))
        })
    }

    /// Maps Stripe's error answer: the payer's or the request's fault is refused with
    /// Stripe's message; Stripe failing, throttling us or refusing our key is unavailability.
    fn error_from_answer(&self, status: StatusCode, body: &[u8]) -> ProviderError {
        let detail = serde_json::from_slice::<ErrorAnswer>(body)
            .map(|answer| answer.error)
            .unwrap_or_default();
        tracing::warn!(
            status = status.as_u16(),
            kind = detail.kind.as_deref().unwrap_or("-"),
            code = detail.code.as_deref().unwrap_or("-"),
            "Stripe refused a request"
        );
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ProviderError::Unavailable(
                format!("Stripe refused our API key (HTTP {})", status.as_u16()),
            ),
            StatusCode::TOO_MANY_REQUESTS => {
                ProviderError::Unavailable("Stripe is limiting our request rate".to_owned())
            }
            status if status.is_client_error() => {
                ProviderError::Refused(match detail.message {
                    // Stripe masks keys in its messages; this makes sure of it.
                    Some(message) => message.replace(self.key.expose_secret(), "[redacted]"),
                    None => format!("Stripe refused the request (HTTP {})", status.as_u16()),
                })
            }
            status => {
                ProviderError::Unavailable(format!("Stripe answered HTTP {}", status.as_u16()))
            }
        }
    }
}

/// Describes a failure to reach Stripe or to read its answer: the error and its causes
/// (timeouts, refused connections, TLS), none of which carry the request's headers.
fn transport_error(error: &reqwest::Error) -> ProviderError {
    let mut description = if error.is_timeout() {
        format!(
            "Stripe did not answer within {} s",
            REQUEST_TIMEOUT.as_secs()
        )
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        description.push_str(": ");
        description.push_str(&cause.to_string());
        source = cause.source();
    }
    ProviderError::Unavailable(description)
}

/// Stripe's error answer.
#[derive(Deserialize)]
struct ErrorAnswer {
    error: ErrorDetail,
}

#[derive(Default, Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<String>,
    message: Option<String>,
}
