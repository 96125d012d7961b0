//! The HTTP client for the cloudmaster API: one typed async method per route of
//! `docs/api.md`, grouped by area in the sub-modules.
//!
//! [`Client`] is cheap to clone (the TUI hands copies to background tasks) and shares one
//! connection pool and one credential. Every request has a timeout. When a request with a
//! login session gets a 401, the client refreshes the session once — serialised, so that
//! concurrent requests never present the same single-use refresh token twice, which the
//! server would treat as theft and answer by revoking the whole session — hands the new pair
//! to the callback set with [`Client::on_refresh`] (the CLI persists it) and retries.

mod admin;
mod auth;
mod billing;
mod catalog;
mod certificates;
mod labs;
mod learning;
mod progress;
mod publish;
mod ssh_keys;
mod tutor;
pub use tutor::TutorStream;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::{Method, StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::api::{ErrorBody, RefreshRequest, TokenPair};
use crate::credentials::Credential;
use crate::error::{Error, Result};

/// How long a request may take, unless [`Client::with_timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connecting may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an upload (publish) may take.
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(300);

/// Called with the new credential after the client refreshed a session.
pub type RefreshCallback = Arc<dyn Fn(&Credential) -> Result<()> + Send + Sync>;

/// A client for one cloudmaster server. See the module documentation.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    timeout: Duration,
    credential: RwLock<Option<Credential>>,
    on_refresh: RwLock<Option<RefreshCallback>>,
    /// Held while refreshing, so only one refresh is ever in flight.
    refresh_lock: tokio::sync::Mutex<()>,
    /// This device's token for the server, sent with logins.
    device_token: RwLock<Option<String>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("credential", &self.credential())
            .finish_non_exhaustive()
    }
}

/// Whether a request carries the credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthMode {
    /// Public routes: never sent, so a stale credential cannot break them.
    None,
    /// Public routes that say more to a signed-in caller: sent when there is one; when the
    /// server refuses it (and a refresh cannot mend it), sent again without, so a stale
    /// credential cannot break them either.
    Optional,
    /// Routes that need it: fails early when there is none.
    Required,
}

/// One request, kept so it can be sent again after a refresh.
struct Request<'a> {
    method: Method,
    segments: Vec<&'a str>,
    query: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    content_type: &'static str,
    accept: &'static str,
    headers: Vec<(&'static str, String)>,
    auth: AuthMode,
    timeout: Option<Duration>,
    progress: Option<Arc<dyn Fn(u64, u64) + Send + Sync>>,
}

impl<'a> Request<'a> {
    fn new(method: Method, segments: &[&'a str]) -> Request<'a> {
        Request {
            method,
            segments: segments.to_vec(),
            query: Vec::new(),
            body: None,
            content_type: "application/json",
            accept: "application/json",
            headers: Vec::new(),
            auth: AuthMode::Required,
            timeout: None,
            progress: None,
        }
    }

    fn get(segments: &[&'a str]) -> Request<'a> {
        Request::new(Method::GET, segments)
    }

    fn public(mut self) -> Self {
        self.auth = AuthMode::None;
        self
    }

    fn optional_auth(mut self) -> Self {
        self.auth = AuthMode::Optional;
        self
    }

    fn json(mut self, body: &impl Serialize) -> Self {
        self.body = Some(serde_json::to_vec(body).expect("request bodies serialize"));
        self
    }

    /// A body that is not JSON.
    fn bytes(mut self, content_type: &'static str, body: Vec<u8>) -> Self {
        self.content_type = content_type;
        self.body = Some(body);
        self
    }

    fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    fn query(mut self, name: &'static str, value: impl ToString) -> Self {
        self.query.push((name, value.to_string()));
        self
    }
}

impl Client {
    /// A client for the server at `base_url` (its API lives under `base_url/api/v1`).
    pub fn new(base_url: Url, auth: Option<Credential>) -> Result<Client> {
        Client::with_timeout(base_url, auth, DEFAULT_TIMEOUT)
    }

    /// Like [`Client::new`], with a per-request timeout.
    pub fn with_timeout(
        base_url: Url,
        auth: Option<Credential>,
        timeout: Duration,
    ) -> Result<Client> {
        if !matches!(base_url.scheme(), "http" | "https") || base_url.cannot_be_a_base() {
            return Err(Error::Config {
                message: format!("server URL `{base_url}` must be an http:// or https:// URL"),
            });
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("cloudmaster/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .timeout(timeout)
            .build()
            .map_err(|e| Error::Config {
                message: format!("cannot set up the HTTP client: {e}"),
            })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base: base_url,
                timeout,
                credential: RwLock::new(auth),
                on_refresh: RwLock::new(None),
                device_token: RwLock::new(None),
                refresh_lock: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// Sets what is called with the new credential after every refresh (to persist it).
    pub fn on_refresh(&self, callback: impl Fn(&Credential) -> Result<()> + Send + Sync + 'static) {
        *self.inner.on_refresh.write().expect("lock") = Some(Arc::new(callback));
    }

    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Sends `token` (see [`crate::device`]) with every login from now on.
    pub fn set_device_token(&self, token: Option<String>) {
        *self.inner.device_token.write().expect("lock") = token;
    }

    pub(crate) fn device_token(&self) -> Option<String> {
        self.inner.device_token.read().expect("lock").clone()
    }

    /// The credential in use (after any refresh).
    pub fn credential(&self) -> Option<Credential> {
        self.inner.credential.read().expect("lock").clone()
    }

    /// Replaces the credential, for example after a login.
    pub fn set_credential(&self, credential: Option<Credential>) {
        *self.inner.credential.write().expect("lock") = credential;
    }

    /// `GET /healthz`: whether the server process is up.
    pub async fn health(&self) -> Result<()> {
        let url = self.url(&["healthz"], false);
        let response = self
            .inner
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| self.network(e))?;
        if response.status().is_success() {
            Ok(())
        } else {
            let status = response.status();
            let body = response.bytes().await.unwrap_or_default();
            Err(api_error(status, &body))
        }
    }

    /// `GET /.well-known/cloudmaster/server.json`: the server's identity, the same under any
    /// address or port it listens on.
    pub async fn server_identity(&self) -> Result<crate::api::ServerIdentity> {
        let segments: Vec<&str> = crate::api::SERVER_IDENTITY_PATH
            .trim_start_matches('/')
            .split('/')
            .collect();
        let url = self.url(&segments, false);
        let response = self
            .inner
            .http
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| self.network(e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| self.network(e))?;
        if !status.is_success() {
            return Err(api_error(status, &body));
        }
        serde_json::from_slice(&body).map_err(|e| Error::Decode {
            url: url.to_string(),
            source: Box::new(e),
        })
    }

    /// The server's version, from its OpenAPI document (`info.version`).
    pub async fn server_version(&self) -> Result<String> {
        let doc: serde_json::Value = self.call(Request::get(&["openapi.json"]).public()).await?;
        doc.pointer("/info/version")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .ok_or_else(|| Error::Decode {
                url: self.url(&["openapi.json"], true).to_string(),
                source: "the OpenAPI document has no info.version".into(),
            })
    }

    /// `base/api/v1/<segments>` (or `base/<segments>` when `api` is false), each segment
    /// percent-encoded so ids can never change the path.
    fn url(&self, segments: &[&str], api: bool) -> Url {
        let mut url = self.inner.base.clone();
        {
            let mut path = url.path_segments_mut().expect("checked in new()");
            path.pop_if_empty();
            if api {
                path.extend(["api", "v1"]);
            }
            path.extend(segments);
        }
        url
    }

    /// Sends `request` and decodes a JSON answer.
    async fn call<T: DeserializeOwned>(&self, request: Request<'_>) -> Result<T> {
        let url = self.url(&request.segments, true);
        let body = self.send(request).await?;
        serde_json::from_slice(&body).map_err(|e| Error::Decode {
            url: url.to_string(),
            source: Box::new(e),
        })
    }

    /// Sends `request` and expects no content back.
    async fn call_empty(&self, request: Request<'_>) -> Result<()> {
        self.send(request).await.map(drop)
    }

    /// Sends `request`, refreshing the session once on a 401; returns the body of a 2xx.
    async fn send(&self, request: Request<'_>) -> Result<Vec<u8>> {
        let credential = match request.auth {
            AuthMode::None => None,
            AuthMode::Optional => self.credential(),
            AuthMode::Required => Some(
                self.credential()
                    .ok_or_else(|| Error::not_logged_in(self.inner.base.as_str()))?,
            ),
        };
        let (mut status, mut body) = self.send_once(&request, credential.as_ref()).await?;
        if status == StatusCode::UNAUTHORIZED
            && let Some(used) = credential.filter(|c| c.refresh_token().is_some())
        {
            match self.refresh_after(&used).await {
                Ok(fresh) => (status, body) = self.send_once(&request, Some(&fresh)).await?,
                Err(Error::Auth { .. }) if request.auth == AuthMode::Optional => {}
                Err(e) => return Err(e),
            }
        }
        if status == StatusCode::UNAUTHORIZED && request.auth == AuthMode::Optional {
            (status, body) = self.send_once(&request, None).await?;
        }
        if status.is_success() {
            Ok(body)
        } else {
            Err(api_error(status, &body))
        }
    }

    async fn send_once(
        &self,
        request: &Request<'_>,
        credential: Option<&Credential>,
    ) -> Result<(StatusCode, Vec<u8>)> {
        let response = self.start_once(request, credential).await?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| self.network(e))?;
        Ok((status, body.to_vec()))
    }

    /// Sends `request` and returns the response once its head arrived, for a body that is
    /// read as it streams (server-sent events); refreshes the session once on a 401.
    async fn open_stream(&self, request: Request<'_>) -> Result<reqwest::Response> {
        let credential = self
            .credential()
            .ok_or_else(|| Error::not_logged_in(self.inner.base.as_str()))?;
        let mut response = self.start_once(&request, Some(&credential)).await?;
        if response.status() == StatusCode::UNAUTHORIZED && credential.refresh_token().is_some() {
            let fresh = self.refresh_after(&credential).await?;
            response = self.start_once(&request, Some(&fresh)).await?;
        }
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let body = response.bytes().await.map_err(|e| self.network(e))?;
        Err(api_error(status, &body))
    }

    /// Sends `request` once and returns the response when its head arrived.
    async fn start_once(
        &self,
        request: &Request<'_>,
        credential: Option<&Credential>,
    ) -> Result<reqwest::Response> {
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), self.url(&request.segments, true))
            .header(header::ACCEPT, request.accept);
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        if let Some(credential) = credential {
            builder = builder.bearer_auth(credential.access_token());
        }
        if let Some(timeout) = request.timeout {
            builder = builder.timeout(timeout);
        }
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(header::CONTENT_TYPE, request.content_type)
                .header(header::CONTENT_LENGTH, body.len());
            builder = match &request.progress {
                Some(progress) => builder.body(counted_body(body.clone(), progress.clone())),
                None => builder.body(body.clone()),
            };
        }
        builder.send().await.map_err(|e| self.network(e))
    }

    /// Refreshes the session after `used` got a 401 and returns the credential to retry
    /// with. When another request already refreshed meanwhile, returns that credential.
    async fn refresh_after(&self, used: &Credential) -> Result<Credential> {
        let _guard = self.inner.refresh_lock.lock().await;
        if let Some(current) = self.credential()
            && current.access_token() != used.access_token()
        {
            return Ok(current);
        }
        let refresh_token = used.refresh_token().unwrap_or_default().to_owned();
        let pair: TokenPair = match self.refresh_token_pair(refresh_token).await {
            Ok(pair) => pair,
            Err(Error::Auth { status, code, .. }) => {
                return Err(Error::Auth {
                    status,
                    code,
                    message: "the session has expired or was revoked".to_owned(),
                });
            }
            Err(e) => return Err(e),
        };
        let fresh = Credential::from_pair(&pair);
        self.set_credential(Some(fresh.clone()));
        let callback = self.inner.on_refresh.read().expect("lock").clone();
        if let Some(callback) = callback {
            callback(&fresh)?;
        }
        Ok(fresh)
    }

    /// `POST /auth/refresh`, sent directly (never through [`Client::send`], which would
    /// refresh again on a 401).
    async fn refresh_token_pair(&self, refresh_token: String) -> Result<TokenPair> {
        let request = Request::new(Method::POST, &["auth", "refresh"])
            .public()
            .json(&RefreshRequest { refresh_token });
        let (status, body) = self.send_once(&request, None).await?;
        if !status.is_success() {
            return Err(api_error(status, &body));
        }
        serde_json::from_slice(&body).map_err(|e| Error::Decode {
            url: self.url(&request.segments, true).to_string(),
            source: Box::new(e),
        })
    }

    fn network(&self, e: reqwest::Error) -> Error {
        let what = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            connect_failure(&e)
        } else if e.is_body() || e.is_decode() {
            "connection lost"
        } else {
            "request failed"
        };
        Error::Network {
            url: self.inner.base.to_string(),
            what,
            source: Box::new(e),
        }
    }
}

/// Why a connection failed, in words, from the causes that say: refused (nothing listens
/// there), an unknown host name, or just "connection failed".
fn connect_failure(e: &reqwest::Error) -> &'static str {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cause {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return "connection refused";
        }
        if err.to_string().starts_with("dns error") {
            return "unknown host name";
        }
        cause = err.source();
    }
    "connection failed"
}

/// A request body that reports `(sent, total)` bytes as the HTTP stack takes it.
fn counted_body(bytes: Vec<u8>, progress: Arc<dyn Fn(u64, u64) + Send + Sync>) -> reqwest::Body {
    const CHUNK: usize = 64 * 1024;
    let total = bytes.len() as u64;
    let chunks: Vec<Vec<u8>> = bytes.chunks(CHUNK).map(<[u8]>::to_vec).collect();
    let mut sent = 0u64;
    progress(0, total);
    let stream = futures_util::stream::iter(chunks.into_iter().map(move |chunk| {
        sent += chunk.len() as u64;
        progress(sent, total);
        Ok::<_, std::io::Error>(chunk)
    }));
    reqwest::Body::wrap_stream(stream)
}

/// The error for a non-2xx answer, from the API's error shape when the body has it.
fn api_error(status: StatusCode, body: &[u8]) -> Error {
    let (code, message) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => (e.error.code, e.error.message),
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text: String = text.trim().chars().take(200).collect();
            let reason = status.canonical_reason().unwrap_or("error");
            let message = if text.is_empty() {
                format!("the server answered {} {reason}", status.as_u16())
            } else {
                format!("the server answered {} {reason}: {text}", status.as_u16())
            };
            (format!("http_{}", status.as_u16()), message)
        }
    };
    let status = status.as_u16();
    // A 403 for a reason the caller fixes by doing something in the course (enrolling,
    // finishing a module) is not about credentials: only `forbidden` is.
    let refused_credentials =
        status == 401 || (status == 403 && code != "not_enrolled" && code != "locked");
    if refused_credentials {
        Error::Auth {
            status,
            code,
            message,
        }
    } else {
        Error::Api {
            status,
            code,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_encode_segments_and_keep_a_base_path() {
        let client = Client::new(Url::parse("https://cm.example/base/").unwrap(), None).unwrap();
        assert_eq!(
            client.url(&["courses", "a/b?c"], true).as_str(),
            "https://cm.example/base/api/v1/courses/a%2Fb%3Fc"
        );
        assert_eq!(
            client.url(&["healthz"], false).as_str(),
            "https://cm.example/base/healthz"
        );
        assert!(Client::new(Url::parse("ftp://x/").unwrap(), None).is_err());
    }

    #[test]
    fn errors_from_the_api_shape() {
        let body = br#"{"error":{"code":"not_found","message":"no course `x`"}}"#;
        let e = api_error(StatusCode::NOT_FOUND, body);
        assert!(matches!(&e, Error::Api { status: 404, code, .. } if code == "not_found"));
        assert_eq!(e.to_string(), "no course `x` (not_found, HTTP 404)");
        let e = api_error(StatusCode::FORBIDDEN, b"{}");
        assert!(matches!(e, Error::Auth { status: 403, .. }));
        let body = br#"{"error":{"code":"not_enrolled","message":"enroll first"}}"#;
        let e = api_error(StatusCode::FORBIDDEN, body);
        assert!(matches!(e, Error::Api { status: 403, .. }));
        let body = br#"{"error":{"code":"locked","message":"finish module m1 first"}}"#;
        let e = api_error(StatusCode::FORBIDDEN, body);
        assert!(matches!(e, Error::Api { status: 403, .. }));
        let e = api_error(StatusCode::BAD_GATEWAY, b"<html>proxy</html>");
        assert_eq!(e.code(), Some("http_502"));
    }
}
