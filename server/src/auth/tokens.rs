//! Opaque secrets: refresh tokens and personal API tokens.
//!
//! Both are 32 random bytes, base64url without padding; personal API tokens carry the
//! `cm_pat_` prefix so they are recognisable (and findable by secret scanners). Only the
//! SHA-256 of a secret is stored, so a database leak does not leak usable tokens.
//!
//! API token use is recorded for `last_used_at`, but not with a write per request:
//! [`TokenUses`] collects the latest use per token in memory and the state's background task
//! writes them in one batch every few seconds (and at shutdown).

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::store::Store;

/// Prefix of every personal API token.
pub const PAT_PREFIX: &str = "cm_pat_";
/// How many leading characters of an API token are kept to recognise it.
pub const PAT_SHOWN_CHARS: usize = 12;

/// 32 random bytes, base64url.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new personal API token: `cm_pat_<random>`.
pub fn new_api_token() -> String {
    format!("{PAT_PREFIX}{}", random_secret())
}

/// What is stored for a secret.
pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Latest use of each API token since the last flush.
#[derive(Debug, Default)]
pub struct TokenUses {
    pending: Mutex<HashMap<Uuid, OffsetDateTime>>,
}

impl TokenUses {
    pub fn record(&self, token_id: Uuid, at: OffsetDateTime) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.insert(token_id, at);
    }

    /// Writes every pending use in one store call. On failure the uses are put back (newer
    /// ones recorded meanwhile win) and retried on the next flush.
    pub async fn flush(&self, store: &dyn Store) {
        let batch: Vec<(Uuid, OffsetDateTime)> = {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            if pending.is_empty() {
                return;
            }
            pending.drain().collect()
        };
        if let Err(err) = store.touch_api_tokens(&batch).await {
            tracing::warn!(error = %crate::error::error_chain(&err), "recording API token use failed; will retry");
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            for (id, at) in batch {
                pending.entry(id).or_insert(at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_urlsafe() {
        let a = random_secret();
        let b = random_secret();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert!(new_api_token().starts_with(PAT_PREFIX));
        assert_eq!(hash_secret("x").len(), 32);
    }
}
