//! SSH public keys a learner links to their account, to sign in to the terminal UI over SSH
//! with the key instead of a password.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// The longest public key line the server takes, in bytes (an RSA key of 16,384 bits is
/// about 2,800).
pub const MAX_PUBLIC_KEY_BYTES: usize = 16 * 1024;
/// The longest key name, in characters.
pub const MAX_SSH_KEY_NAME_CHARS: usize = 100;
/// How many keys one account may link.
pub const MAX_SSH_KEYS_PER_ACCOUNT: u32 = 20;

/// A linked key. The key itself is not sent back: the fingerprint names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SshKey {
    pub id: Uuid,
    /// The name given when linking, else the key's comment, else its fingerprint.
    pub name: String,
    /// `SHA256:` and the unpadded base64 of the digest, as `ssh-keygen -lf` prints it.
    pub fingerprint: String,
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256` (`384`, `521`) or `ssh-rsa`.
    pub algorithm: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// When the key last signed in over SSH.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<OffsetDateTime>,
}

/// `POST /account/ssh-keys`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AddSshKeyRequest {
    /// One line in OpenSSH's public key format, as in `~/.ssh/id_ed25519.pub`:
    /// `ssh-ed25519 AAAA... comment`. Ed25519, ECDSA (NIST P-256, P-384, P-521) and RSA of
    /// at least 2,048 bits; not DSA, certificates or private keys.
    #[schema(min_length = 1, max_length = 16384)]
    pub public_key: String,
    /// 1 to 100 characters; without it, the key's comment names it (else its fingerprint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: Option<String>,
}
