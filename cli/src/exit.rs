//! Exit codes, and how an error maps to one. Scripts rely on these numbers: never change
//! them, only add. The table is printed in `--help` and documented in `docs/cli.md`.

use std::fmt;

use cloudmaster_core::course::LoadError;

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Success = 0,
    /// Validation problems, a failed check, any other error.
    Failure = 1,
    /// Bad arguments (clap), or a missing `--password-stdin` / `--yes` without a terminal.
    Usage = 2,
    /// Not logged in, the session expired or was revoked (401), or not allowed (403: role or
    /// token scopes, not enrolled, content still locked).
    Auth = 3,
    /// The server could not be reached or timed out.
    Network = 4,
    /// No such course, lesson, token, version or path.
    NotFound = 5,
    /// Already exists, prerequisites missing, or a concurrent publish won.
    Conflict = 6,
    /// Ctrl-C stopped the command (the shell's code for an interrupted command).
    Interrupted = 130,
}

/// An error that carries its exit code, for failures the CLI itself detects.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// An error with exit code `exit`.
pub fn fail(exit: Exit, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Failure {
        exit,
        message: message.into(),
        hint: None,
    })
}

/// Like [`fail`], with a hint printed under the error.
pub fn fail_with_hint(
    exit: Exit,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> anyhow::Error {
    anyhow::Error::new(Failure {
        exit,
        message: message.into(),
        hint: Some(hint.into()),
    })
}

/// The exit code for `err`: the first cause in its chain that says.
pub fn classify(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(failure) = cause.downcast_ref::<Failure>() {
            return failure.exit;
        }
        if let Some(e) = cause.downcast_ref::<cloudmaster_core::Error>() {
            return classify_core(e);
        }
        if let Some(e) = cause.downcast_ref::<LoadError>() {
            return match e {
                LoadError::NotFound { .. } => Exit::NotFound,
                _ => Exit::Failure,
            };
        }
        if let Some(e) = cause.downcast_ref::<std::io::Error>()
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            return Exit::Success;
        }
        // `-o json` writes through serde_json, which wraps the closed pipe in its own error.
        if let Some(e) = cause.downcast_ref::<serde_json::Error>()
            && e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe)
        {
            return Exit::Success;
        }
    }
    Exit::Failure
}

fn classify_core(e: &cloudmaster_core::Error) -> Exit {
    use cloudmaster_core::Error;
    match e {
        // 403 `not_enrolled` and `locked` arrive as API errors (see the client); they are
        // refusals all the same.
        Error::Auth { .. } | Error::Api { status: 403, .. } => Exit::Auth,
        Error::Network { .. } => Exit::Network,
        Error::Api { status: 404, .. } => Exit::NotFound,
        Error::Api { status: 409, .. } => Exit::Conflict,
        _ => Exit::Failure,
    }
}

/// The causes of `err` worth printing under its message: all of them, except below a
/// network error, whose message already says what failed in words (the HTTP stack's own
/// chain of "error sending request", "client error (Connect)", "tcp connect error" adds
/// nothing a user can act on).
pub fn causes(err: &anyhow::Error) -> Vec<&(dyn std::error::Error + 'static)> {
    let mut shown = Vec::new();
    for (i, cause) in err.chain().enumerate() {
        if i > 0 {
            shown.push(cause);
        }
        if let Some(cloudmaster_core::Error::Network { .. }) =
            cause.downcast_ref::<cloudmaster_core::Error>()
        {
            break;
        }
    }
    shown
}

/// What to do about `err`, when there is something better to say than the message.
/// `token_in_env`: whether `CLOUDMASTER_TOKEN` was set (then it, not the login, was refused).
pub fn hint(err: &anyhow::Error, token_in_env: bool) -> Option<String> {
    for cause in err.chain() {
        if let Some(failure) = cause.downcast_ref::<Failure>() {
            return failure.hint.clone();
        }
        if let Some(cloudmaster_core::Error::Network { .. }) =
            cause.downcast_ref::<cloudmaster_core::Error>()
        {
            return Some(
                "is the server running? Check its URL (--server, CLOUDMASTER_SERVER or \
                 `cloudmaster config set server URL`), or run `cloudmaster doctor`"
                    .to_owned(),
            );
        }
        if let Some(cloudmaster_core::Error::Auth { status, .. }) =
            cause.downcast_ref::<cloudmaster_core::Error>()
        {
            return match status {
                401 if token_in_env => Some(
                    "CLOUDMASTER_TOKEN was refused: check it, or unset it to use your login"
                        .to_owned(),
                ),
                401 => Some("log in again with `cloudmaster login --email EMAIL`".to_owned()),
                403 => Some(
                    "your role or token scopes do not allow this; `cloudmaster whoami` shows them"
                        .to_owned(),
                ),
                _ => None,
            };
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_through_context() {
        let api = |status| cloudmaster_core::Error::Api {
            status,
            code: "x".into(),
            message: "m".into(),
        };
        let err = anyhow::Error::new(api(404)).context("showing course");
        assert_eq!(classify(&err), Exit::NotFound);
        assert_eq!(classify(&anyhow::Error::new(api(409))), Exit::Conflict);
        assert_eq!(classify(&anyhow::Error::new(api(500))), Exit::Failure);
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert_eq!(classify(&anyhow::Error::new(pipe)), Exit::Success);
        let json_pipe = serde_json::Error::io(std::io::ErrorKind::BrokenPipe.into());
        assert_eq!(classify(&anyhow::Error::new(json_pipe)), Exit::Success);
        assert_eq!(classify(&fail(Exit::Usage, "x")), Exit::Usage);
        let auth = cloudmaster_core::Error::not_logged_in("http://x/");
        assert_eq!(classify(&anyhow::Error::new(auth)), Exit::Auth);
    }
}
