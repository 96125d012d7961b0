//! Certificates of course completion: what the server signs and what anyone can verify
//! offline with the issuer's public key.
//!
//! A certificate file is the canonical JSON ([`jcs`], RFC 8785) of a [`SignedCertificate`]
//! followed by one newline. The signature is Ed25519 over the canonical bytes of the
//! `certificate` member. [`verify`] accepts a file only if it is byte for byte what the issuer
//! wrote: it must equal the canonical form of its own parse (so no byte can change without
//! either breaking that or changing signed content), name the verifier's key, and carry a
//! valid signature. A key is named by its [`key_id`]: the first 16 hex digits of the SHA-256
//! of the 32-byte public key.
//!
//! [`ob3`] exports the same facts as an Open Badges 3.0 credential with a W3C Data Integrity
//! proof (`eddsa-jcs-2022`); [`completion`] decides from a learner's facts whether a course's
//! completion rules are met. The server signs with a [`CertificateSigner`]; clients verify
//! with a [`PublicKey`]. Nothing here needs the `client` feature.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

pub mod completion;
pub mod jcs;
pub mod ob3;

pub use completion::{CompletionFacts, completion_status};
pub use jcs::CanonicalError;

/// The only signature algorithm certificates use.
pub const ALGORITHM: &str = "Ed25519";

/// What a certificate says. Every field is signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateClaims {
    pub id: Uuid,
    pub course_id: String,
    pub course_title: String,
    /// The course version whose completion rules were met.
    pub course_version: i64,
    pub learner_id: Uuid,
    pub learner_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// Who issued it (the server's name).
    pub issuer: String,
    /// The [`key_id`] of the signing key.
    pub key_id: String,
    /// The labs of the course the learner passed, each saying whether its verdict rests on
    /// checks that ran on the learner's machine only. Absent in certificates issued before
    /// labs were listed (and in those of courses without labs): they verify as they always
    /// did, since an empty list is not written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labs: Vec<CertifiedLab>,
}

/// A lab passed, as a certificate lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertifiedLab {
    pub id: String,
    pub title: String,
    /// Some of the lab's checks ran on the learner's machine only: the server took the
    /// learner's word for them.
    pub self_reported: bool,
}

/// The signature of a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateSignature {
    /// Always [`ALGORITHM`].
    pub algorithm: String,
    pub key_id: String,
    /// The 64-byte Ed25519 signature, base64url without padding.
    pub value: String,
}

/// A certificate file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedCertificate {
    pub certificate: CertificateClaims,
    pub signature: CertificateSignature,
}

/// The key id of a public key: the first 16 hex digits of its SHA-256.
pub fn key_id(public_key: &[u8; 32]) -> String {
    let digest = Sha256::digest(public_key);
    hex::encode(&digest[..8])
}

/// A public key that verifies certificates.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.key_id())
    }
}

impl PublicKey {
    /// From the 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
            KeyError(format!(
                "an Ed25519 public key is 32 bytes, not {}",
                bytes.len()
            ))
        })?;
        VerifyingKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|_| {
                KeyError("the bytes are not an Ed25519 public key (not a curve point)".to_owned())
            })
    }

    /// From base64url without padding, as `issuer.json` carries it.
    pub fn from_base64url(text: &str) -> Result<PublicKey, KeyError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|e| KeyError(format!("the public key is not base64url: {e}")))?;
        PublicKey::from_bytes(&bytes)
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn to_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }

    pub fn key_id(&self) -> String {
        key_id(self.0.as_bytes())
    }

    /// Verifies `signature` over `message` (strict: rejects malleable signatures).
    fn verify_bytes(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.0.verify_strict(message, &signature).is_ok()
    }
}

/// A key that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(pub String);

/// The issuer's signing key. Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct CertificateSigner {
    key: SigningKey,
}

impl std::fmt::Debug for CertificateSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CertificateSigner({})", self.key_id())
    }
}

impl CertificateSigner {
    /// From a 32-byte secret (as stored by the server).
    pub fn from_secret(secret: &[u8]) -> Result<CertificateSigner, KeyError> {
        let secret: &[u8; 32] = secret.try_into().map_err(|_| {
            KeyError(format!(
                "the certificate signing key must be 32 bytes, but {} are stored",
                secret.len()
            ))
        })?;
        Ok(CertificateSigner {
            key: SigningKey::from_bytes(secret),
        })
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.key.verifying_key())
    }

    pub fn key_id(&self) -> String {
        self.public_key().key_id()
    }

    /// The raw 64-byte Ed25519 signature of `message`.
    pub fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// Signs `claims` (their `key_id` is set to this key's) and returns the certificate
    /// file: canonical JSON and one newline.
    pub fn sign(&self, mut claims: CertificateClaims) -> Result<String, CanonicalError> {
        claims.key_id = self.key_id();
        let message = jcs::to_canonical(&claims)?;
        let signed = SignedCertificate {
            signature: CertificateSignature {
                algorithm: ALGORITHM.to_owned(),
                key_id: claims.key_id.clone(),
                value: URL_SAFE_NO_PAD.encode(self.sign_bytes(message.as_bytes())),
            },
            certificate: claims,
        };
        let mut file = jcs::to_canonical(&signed)?;
        file.push('\n');
        Ok(file)
    }
}

/// Why a certificate file does not verify. Each message says what is wrong with the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the file is not a cloudmaster certificate: {0}")]
    Malformed(String),
    #[error("the file was altered: it is not in the canonical form the issuer wrote")]
    NotCanonical,
    #[error("the certificate is signed with `{0}`, but cloudmaster certificates use Ed25519")]
    UnsupportedAlgorithm(String),
    #[error(
        "the certificate was signed with key {found}, not with the issuer key given ({expected}); \
         use the issuer's current keys (`issuer.json`) or the server that issued it"
    )]
    UnknownKey { found: String, expected: String },
    #[error(
        "the signature does not match: the certificate was altered or not signed by this issuer"
    )]
    BadSignature,
}

/// Verifies a certificate file against the issuer's key and returns what it says.
pub fn verify(file: &[u8], key: &PublicKey) -> Result<CertificateClaims, VerifyError> {
    verify_with_keys(file, std::slice::from_ref(key))
}

/// Like [`verify`], with every key the issuer publishes: the one the file names is used.
pub fn verify_with_keys(file: &[u8], keys: &[PublicKey]) -> Result<CertificateClaims, VerifyError> {
    let signed = parse_canonical(file)?;
    let signature = &signed.signature;
    if signature.algorithm != ALGORITHM {
        return Err(VerifyError::UnsupportedAlgorithm(
            signature.algorithm.clone(),
        ));
    }
    if signature.key_id != signed.certificate.key_id {
        return Err(VerifyError::Malformed(format!(
            "the certificate names key {} but its signature key {}",
            signed.certificate.key_id, signature.key_id
        )));
    }
    let key = keys
        .iter()
        .find(|k| k.key_id() == signature.key_id)
        .ok_or_else(|| VerifyError::UnknownKey {
            found: signature.key_id.clone(),
            expected: keys
                .iter()
                .map(PublicKey::key_id)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let value = URL_SAFE_NO_PAD
        .decode(&signature.value)
        .map_err(|_| VerifyError::BadSignature)?;
    let message = jcs::to_canonical(&signed.certificate)
        .map_err(|e| VerifyError::Malformed(e.to_string()))?;
    if key.verify_bytes(message.as_bytes(), &value) {
        Ok(signed.certificate)
    } else {
        Err(VerifyError::BadSignature)
    }
}

/// Reads a certificate file without checking its signature, insisting that it is exactly
/// canonical JSON plus one newline (for showing a file before, or without, verifying it).
pub fn parse_canonical(file: &[u8]) -> Result<SignedCertificate, VerifyError> {
    let text = std::str::from_utf8(file)
        .map_err(|_| VerifyError::Malformed("it is not UTF-8 text".to_owned()))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| VerifyError::Malformed(format!("it is not JSON ({e})")))?;
    // Any value has exactly one canonical text, so a file that is not it was written by
    // something other than the issuer (or changed since), even when it parses to the same
    // value. Checked before decoding, so a changed field name reads as an alteration.
    let canonical = jcs::canonicalize(&value).map_err(|_| VerifyError::NotCanonical)?;
    if text.strip_suffix('\n') != Some(canonical.as_str()) {
        return Err(VerifyError::NotCanonical);
    }
    // The signed message is re-serialized from the decoded claims below, so decoding must
    // be lossless: unknown fields are refused, and the round trip must give the same value.
    let signed: SignedCertificate =
        serde_json::from_value(value.clone()).map_err(|e| VerifyError::Malformed(e.to_string()))?;
    let round_trip =
        serde_json::to_value(&signed).map_err(|e| VerifyError::Malformed(e.to_string()))?;
    if round_trip != value {
        return Err(VerifyError::NotCanonical);
    }
    Ok(signed)
}

#[cfg(test)]
mod tests;
