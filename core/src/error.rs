//! [`Error`]: what can go wrong on the client side (HTTP client, configuration, credentials).
//!
//! The variants are the distinctions a caller acts on: the CLI maps them to exit codes
//! (`Auth` → 3, `Network` → 4, `Api` 404 → 5, `Api` 409 → 6) and the TUI to messages. Each
//! variant either wraps its source (and says only what it adds) or prints the cause itself,
//! never both, so an error chain printed with `{:#}` reads without repetition.

use std::path::PathBuf;

/// A boxed error source, so this type does not expose the HTTP library's error type.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Client-side errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error (other than 401/403), in the API's error shape.
    #[error("{message} ({code}, HTTP {status})")]
    Api {
        status: u16,
        /// The stable error code, such as `not_found` or `conflict`.
        code: String,
        message: String,
    },

    /// The server refused the credentials (401) or the action (403), or there are none.
    #[error("{message}")]
    Auth {
        /// 401 or 403; 0 when the client knew before asking (not logged in).
        status: u16,
        code: String,
        message: String,
    },

    /// The server could not be reached: connection refused, DNS, TLS or a timeout.
    ///
    /// The message is one line for people; what to do about it is the CLI's hint, and the
    /// low-level causes (the source) are for logs.
    #[error("could not reach the cloudmaster server at {url} ({what})")]
    Network {
        url: String,
        /// "connection failed", "timed out", ...
        what: &'static str,
        #[source]
        source: BoxError,
    },

    /// The server's answer was not what this client understands.
    #[error("unexpected response from {url}")]
    Decode {
        url: String,
        #[source]
        source: BoxError,
    },

    /// A configuration file or value is wrong.
    #[error("{message}")]
    Config { message: String },

    /// The credential store failed (keyring or file).
    #[error("credential store: {message}")]
    Credentials { message: String },

    /// Reading or writing a local file failed.
    #[error("{action} {}", path.display())]
    Io {
        /// "cannot read", "cannot write", ...
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The HTTP status of an API or auth error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Auth { status, .. } if *status != 0 => Some(*status),
            _ => None,
        }
    }

    /// The API error code (`not_found`, `conflict`, ...) when the server sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } | Error::Auth { code, .. } => Some(code),
            _ => None,
        }
    }

    /// An error for a command that needs credentials when there are none.
    pub fn not_logged_in(server: &str) -> Error {
        Error::Auth {
            status: 0,
            code: "unauthenticated".to_owned(),
            message: format!(
                "not logged in to {server}: run `cloudmaster login --email EMAIL` or set \
                 CLOUDMASTER_TOKEN"
            ),
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Error {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Error {
        Error::Config {
            message: message.into(),
        }
    }

    pub(crate) fn credentials(message: impl Into<String>) -> Error {
        Error::Credentials {
            message: message.into(),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
