//! [`ServerError`]: why the server could not start or keep serving, or why a maintenance
//! command (`keys rotate`, `keys list`) failed. Request failures are [`crate::error::ApiError`].
//!
//! Each variant keeps the error it wraps as its `source`, so a caller can still ask what
//! went wrong underneath (a read-only file system, a database error), and the message says
//! what failed and, where the server knows, how to fix it. Printed with its sources
//! (`{:#}` in the binaries), it reads "cannot open database …: error returned from
//! database: …".

use std::io;

use tokio::task::JoinError;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A file, directory or socket operation failed.
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    /// The database could not be opened, migrated, read or written.
    #[error("{context}")]
    Store {
        context: String,
        #[source]
        source: StoreError,
    },
    /// A file's contents could not be read as what they should be.
    #[error("{context}")]
    Decode {
        context: String,
        #[source]
        source: crate::error::BoxError,
    },
    /// A blocking task panicked or was cancelled.
    #[error("{context}")]
    Task {
        context: String,
        #[source]
        source: JoinError,
    },
    /// Something on disk or in the configuration is not usable as it is; the message says
    /// what to do about it.
    #[error("{0}")]
    Refused(String),
    /// One of the above, said again in the terms of the larger step that failed.
    #[error("{context}")]
    While {
        context: String,
        #[source]
        source: Box<ServerError>,
    },
}

impl ServerError {
    /// Whether the error comes from a file system or directory the server may not write to
    /// (a read-only mount, or one owned by someone else).
    pub fn is_read_only(&self) -> bool {
        match self {
            ServerError::Io { source, .. } => is_read_only(source),
            ServerError::While { source, .. } => source.is_read_only(),
            _ => false,
        }
    }
}

/// Whether an I/O error says the place cannot be written to at all.
pub fn is_read_only(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied
    )
}

/// Wraps an error from below into a [`ServerError`] that says what was being done.
pub(crate) trait Context<T> {
    fn context(self, context: impl Into<String>) -> Result<T, ServerError>;

    fn with_context(self, context: impl FnOnce() -> String) -> Result<T, ServerError>;
}

/// An error that becomes one [`ServerError`] variant once given its context.
pub(crate) trait IntoServerError {
    fn with(self, context: String) -> ServerError;
}

impl IntoServerError for io::Error {
    fn with(self, context: String) -> ServerError {
        ServerError::Io {
            context,
            source: self,
        }
    }
}

impl IntoServerError for StoreError {
    fn with(self, context: String) -> ServerError {
        ServerError::Store {
            context,
            source: self,
        }
    }
}

impl IntoServerError for JoinError {
    fn with(self, context: String) -> ServerError {
        ServerError::Task {
            context,
            source: self,
        }
    }
}

impl IntoServerError for serde_json::Error {
    fn with(self, context: String) -> ServerError {
        ServerError::Decode {
            context,
            source: Box::new(self),
        }
    }
}

impl IntoServerError for base64::DecodeError {
    fn with(self, context: String) -> ServerError {
        ServerError::Decode {
            context,
            source: Box::new(self),
        }
    }
}

impl<T, E: IntoServerError> Context<T> for Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T, ServerError> {
        self.map_err(|e| e.with(context.into()))
    }

    fn with_context(self, context: impl FnOnce() -> String) -> Result<T, ServerError> {
        self.map_err(|e| e.with(context()))
    }
}

impl IntoServerError for ServerError {
    fn with(self, context: String) -> ServerError {
        ServerError::While {
            context,
            source: Box::new(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_keeps_the_error_below_and_its_kind() {
        let denied = io::Error::new(io::ErrorKind::PermissionDenied, "denied");
        let err = Err::<(), _>(denied)
            .context("cannot write keys.json")
            .context("cannot load the signing keys")
            .unwrap_err();
        assert!(err.is_read_only());
        assert_eq!(
            crate::error::error_chain(&err),
            "cannot load the signing keys: cannot write keys.json: denied"
        );
        let refused = ServerError::Refused("no current key".into());
        assert!(!refused.is_read_only());
    }
}
