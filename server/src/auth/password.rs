//! Password policy and Argon2id hashing.
//!
//! Hashing and verifying take tens of milliseconds of CPU on purpose, so both run on
//! tokio's blocking pool, never on a worker thread that serves other requests.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::ApiError;

/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest accepted password, in bytes; bounds the work one request can cause.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Rejects passwords that are too short or absurdly long, with a message a user can act on.
pub fn check_policy(password: &str) -> Result<(), ApiError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(ApiError::Validation(format!(
            "password too short: use at least {MIN_PASSWORD_CHARS} characters (got {chars}); \
             a few unrelated words make a strong one"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::Validation(format!(
            "password too long: use at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    if password.trim().is_empty() {
        return Err(ApiError::Validation(
            "password must not be only whitespace".to_owned(),
        ));
    }
    Ok(())
}

/// Hashes `password` with Argon2id (default parameters) and a random salt, as a PHC string.
pub async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| ApiError::internal("hashing a password", e.to_string()))
    })
    .await
    .map_err(|e| ApiError::internal("hashing a password", e))?
}

/// Whether `password` matches `phc`. With `phc = None` (unknown user) it verifies against a
/// dummy hash and returns false, so a login with an unknown email costs the same time as
/// one with a wrong password.
pub async fn verify(password: String, phc: Option<String>) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| DUMMY_HASH.clone());
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), phc.as_str())
            .is_ok();
        ok && known
    })
    .await
    .map_err(|e| ApiError::internal("verifying a password", e))
}

/// A hash of a random password with the same parameters as real ones.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let random = super::tokens::random_secret();
    Argon2::default()
        .hash_password(random.as_bytes())
        .map(|h| h.to_string())
        .unwrap_or_default()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names_the_minimum() {
        let err = check_policy("short").unwrap_err();
        assert!(err.to_string().contains("at least 10 characters"), "{err}");
        check_policy("correct horse battery").unwrap();
        assert!(check_policy("          ").is_err());
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let phc = hash("correct horse battery".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(
            verify("correct horse battery".into(), Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify("wrong horse battery".into(), Some(phc))
                .await
                .unwrap()
        );
        assert!(!verify("anything at all".into(), None).await.unwrap());
    }
}
