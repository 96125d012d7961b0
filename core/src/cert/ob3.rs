//! Open Badges 3.0: a certificate as an `OpenBadgeCredential` (a W3C Verifiable Credential
//! 2.0), secured with a Data Integrity proof of the `eddsa-jcs-2022` cryptosuite (W3C
//! "Data Integrity EdDSA Cryptosuites v1.0", §3.3) so that badge wallets and verifiers can
//! check it without cloudmaster.
//!
//! The issuer is identified by the `did:key` of the certificate signing key (multicodec
//! `ed25519-pub`, 0xed01, then the key, base58btc multibase `z...`), which is
//! self-certifying: the proof's verification method carries the public key, and
//! [`verify_proof`] returns it so the caller can compare it with the issuer key it trusts.
//!
//! The proof, per the cryptosuite: the proof options (`type`, `cryptosuite`, `created`,
//! `verificationMethod`, `proofPurpose`, and the credential's `@context`) and the credential
//! without `proof` are each canonicalized with JCS and hashed with SHA-256; Ed25519 signs
//! the proof-options hash followed by the credential hash; `proofValue` is the signature in
//! base58btc multibase.

use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::jcs::{self, CanonicalError};
use super::{CertificateClaims, CertificateSigner, KeyError, PublicKey};

/// The JSON-LD contexts of an Open Badges 3.0 credential, in order.
pub const CONTEXTS: [&str; 2] = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
];
pub const PROOF_TYPE: &str = "DataIntegrityProof";
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
const PROOF_PURPOSE: &str = "assertionMethod";
/// The multicodec prefix of an Ed25519 public key (`ed25519-pub`, 0xed as a varint).
const ED25519_MULTICODEC: [u8; 2] = [0xed, 0x01];

/// What the credential says about the course beyond the signed certificate.
#[derive(Debug, Clone, Copy)]
pub struct BadgeText<'a> {
    /// The issuer's display name.
    pub issuer_name: &'a str,
    /// What the achievement is (the course summary).
    pub description: &'a str,
    /// What the learner did to earn it.
    pub criteria: &'a str,
}

/// The `did:key` identifier of `key`.
pub fn did_key(key: &PublicKey) -> String {
    format!("did:key:{}", multibase_key(key))
}

/// `z` + base58btc of the multicodec-prefixed key: the method-specific id of a did:key.
fn multibase_key(key: &PublicKey) -> String {
    let mut bytes = ED25519_MULTICODEC.to_vec();
    bytes.extend_from_slice(&key.to_bytes());
    format!("z{}", bs58::encode(bytes).into_string())
}

/// The public key of a `did:key:z6Mk...` identifier or verification method (`did#fragment`).
pub fn public_key_of_did(did: &str) -> Result<PublicKey, KeyError> {
    let (did, fragment) = did.split_once('#').unwrap_or((did, ""));
    let encoded = did
        .strip_prefix("did:key:z")
        .ok_or_else(|| KeyError(format!("`{did}` is not a base58btc did:key")))?;
    if !fragment.is_empty() && fragment.strip_prefix('z') != Some(encoded) {
        return Err(KeyError(format!(
            "the verification method fragment `#{fragment}` does not name the key of `{did}`"
        )));
    }
    let bytes = bs58::decode(encoded)
        .into_vec()
        .map_err(|e| KeyError(format!("`{did}` is not base58btc: {e}")))?;
    match bytes.strip_prefix(&ED25519_MULTICODEC) {
        Some(key) => PublicKey::from_bytes(key),
        None => Err(KeyError(format!("`{did}` is not an Ed25519 did:key"))),
    }
}

/// The Open Badges 3.0 credential of a certificate, signed by `signer`. The proof's
/// `created` is the certificate's issue time, so exporting twice gives the same bytes.
pub fn credential(
    claims: &CertificateClaims,
    text: BadgeText<'_>,
    signer: &CertificateSigner,
) -> Result<Value, CanonicalError> {
    let issued = rfc3339(claims.issued_at);
    let did = did_key(&signer.public_key());
    let unsigned = json!({
        "@context": CONTEXTS,
        "id": format!("urn:uuid:{}", claims.id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": claims.course_title,
        "issuer": {
            "id": did,
            "type": ["Profile"],
            "name": text.issuer_name,
        },
        "validFrom": issued,
        "credentialSubject": {
            "id": format!("urn:uuid:{}", claims.learner_id),
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject",
                "identityType": "name",
                "hashed": false,
                "identityHash": claims.learner_name,
            }],
            "achievement": {
                "id": format!("urn:cloudmaster:course:{}", claims.course_id),
                "type": ["Achievement"],
                "name": claims.course_title,
                "description": text.description,
                "criteria": { "narrative": text.criteria },
            },
        },
    });
    let Value::Object(unsigned) = unsigned else {
        unreachable!("an object literal is an object");
    };
    add_proof(unsigned, signer, claims.issued_at)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .expect("a UTC time with a four-digit year formats as RFC 3339")
}

/// Adds an `eddsa-jcs-2022` proof to `document` (replacing any it has).
pub fn add_proof(
    mut document: Map<String, Value>,
    signer: &CertificateSigner,
    created: OffsetDateTime,
) -> Result<Value, CanonicalError> {
    document.remove("proof");
    let key = signer.public_key();
    let mut proof = Map::new();
    proof.insert("type".into(), PROOF_TYPE.into());
    proof.insert("cryptosuite".into(), CRYPTOSUITE.into());
    proof.insert("created".into(), rfc3339(created).into());
    proof.insert(
        "verificationMethod".into(),
        format!("{}#{}", did_key(&key), multibase_key(&key)).into(),
    );
    proof.insert("proofPurpose".into(), PROOF_PURPOSE.into());
    if let Some(context) = document.get("@context") {
        proof.insert("@context".into(), context.clone());
    }
    let hash = hash_data(&proof, &document)?;
    let signature = signer.sign_bytes(&hash);
    proof.insert(
        "proofValue".into(),
        format!("z{}", bs58::encode(signature).into_string()).into(),
    );
    document.insert("proof".into(), Value::Object(proof));
    Ok(Value::Object(document))
}

/// SHA-256 of the canonical proof options, then SHA-256 of the canonical document.
fn hash_data(
    proof_options: &Map<String, Value>,
    document: &Map<String, Value>,
) -> Result<Vec<u8>, CanonicalError> {
    let options = jcs::to_canonical(proof_options)?;
    let document = jcs::to_canonical(document)?;
    let mut hash = Sha256::digest(options.as_bytes()).to_vec();
    hash.extend_from_slice(&Sha256::digest(document.as_bytes()));
    Ok(hash)
}

/// Why a credential's proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("the credential has no single `proof` object")]
    NoProof,
    #[error("the proof is not a {PROOF_TYPE} of the {CRYPTOSUITE} cryptosuite for assertionMethod")]
    Unsupported,
    #[error("the proof's verification method is unusable: {0}")]
    Key(String),
    #[error("the proof's verification method is not the credential issuer's key")]
    NotTheIssuer,
    #[error("the proof's @context does not match the credential's")]
    Context,
    #[error("the credential cannot be canonicalized: {0}")]
    Canonical(String),
    #[error("the proof does not match: the credential was altered or not signed by this key")]
    BadSignature,
}

/// Verifies the `eddsa-jcs-2022` proof of `credential` and returns the key that made it
/// (from its `did:key` verification method, which must be the issuer's id).
pub fn verify_proof(credential: &Value) -> Result<PublicKey, ProofError> {
    let Some(Value::Object(proof)) = credential.get("proof") else {
        return Err(ProofError::NoProof);
    };
    let text = |name: &str| proof.get(name).and_then(Value::as_str);
    if text("type") != Some(PROOF_TYPE)
        || text("cryptosuite") != Some(CRYPTOSUITE)
        || text("proofPurpose") != Some(PROOF_PURPOSE)
    {
        return Err(ProofError::Unsupported);
    }
    let method = text("verificationMethod").ok_or(ProofError::Unsupported)?;
    let key = public_key_of_did(method).map_err(|e| ProofError::Key(e.0))?;
    let issuer = credential
        .pointer("/issuer/id")
        .or_else(|| credential.get("issuer"))
        .and_then(Value::as_str);
    if issuer != method.split('#').next() {
        return Err(ProofError::NotTheIssuer);
    }
    let signature = text("proofValue")
        .and_then(|v| v.strip_prefix('z'))
        .and_then(|v| bs58::decode(v).into_vec().ok())
        .ok_or(ProofError::BadSignature)?;

    let mut options = proof.clone();
    options.remove("proofValue");
    let mut document = credential.as_object().ok_or(ProofError::NoProof)?.clone();
    document.remove("proof");
    if let Some(proof_context) = options.get("@context") {
        // The document's contexts must start with the proof's, which are then what is
        // hashed (so a context appended after signing does not break the proof).
        let wanted = proof_context.as_array().ok_or(ProofError::Context)?;
        let have = document
            .get("@context")
            .and_then(Value::as_array)
            .ok_or(ProofError::Context)?;
        if have.len() < wanted.len() || have[..wanted.len()] != wanted[..] {
            return Err(ProofError::Context);
        }
        document.insert("@context".into(), proof_context.clone());
    }
    let hash = hash_data(&options, &document).map_err(|e| ProofError::Canonical(e.to_string()))?;
    if key.verify_bytes(&hash, &signature) {
        Ok(key)
    } else {
        Err(ProofError::BadSignature)
    }
}
