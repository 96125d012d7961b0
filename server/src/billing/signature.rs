//! Stripe's webhook signature scheme, shared by the Stripe provider and the sandbox.
//!
//! A delivery carries `Stripe-Signature: t=<unix secs>,v1=<hex>[,v1=<hex>…]`. Each `v1` is
//! the lowercase hex of HMAC-SHA256 over `"{t}.{raw body}"`, keyed with the whole signing
//! secret (`whsec_…`). While a secret is being rolled, Stripe signs with the old and the
//! new one and sends both `v1` values, and we may hold both secrets: any pair that matches
//! is enough. The sandbox signs its own events the same way, so one verification path
//! guards every change a provider makes to the ledger.
//!
//! The timestamp is inside the signed text, so checking it bounds how long a captured
//! delivery can be replayed. `v0` (Stripe's test-mode scheme) and unknown keys are ignored.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

use super::provider::WebhookError;

/// The request header that carries the signature.
pub const SIGNATURE_HEADER: &str = "Stripe-Signature";

/// The only scheme checked: HMAC-SHA256.
const SCHEME: &str = "v1";

type HmacSha256 = Hmac<Sha256>;

/// The `Stripe-Signature` header value for `payload` signed with `secret` at `timestamp`
/// (unix seconds): `t=<timestamp>,v1=<hex>`.
pub fn sign(secret: &[u8], timestamp: i64, payload: &[u8]) -> String {
    let timestamp = timestamp.to_string();
    let tag = signed_payload_mac(secret, &timestamp, payload)
        .finalize()
        .into_bytes();
    format!("t={timestamp},{SCHEME}={}", hex::encode(tag))
}

/// Checks that `header` signs `payload` with one of `secrets`, at a time no further than
/// `tolerance` from `now` either way.
///
/// The signature is checked before the timestamp, so [`WebhookError::Stale`] is reported
/// only for deliveries that really came from the holder of a secret.
pub fn verify(
    header: &str,
    payload: &[u8],
    secrets: &[&[u8]],
    tolerance: Duration,
    now: OffsetDateTime,
) -> Result<(), WebhookError> {
    let parsed = ParsedHeader::parse(header)?;
    // A value that is not hex cannot match; the others still may.
    let candidates: Vec<Vec<u8>> = parsed
        .signatures
        .iter()
        .filter_map(|signature| hex::decode(signature).ok())
        .collect();
    let matched = secrets.iter().any(|secret| {
        let mac = signed_payload_mac(secret, parsed.timestamp_text, payload);
        candidates
            .iter()
            .any(|candidate| mac.clone().verify_slice(candidate).is_ok())
    });
    if !matched {
        return Err(WebhookError::BadSignature);
    }
    let age_secs = now.unix_timestamp().saturating_sub(parsed.timestamp);
    if age_secs.unsigned_abs() > tolerance.as_secs() {
        return Err(WebhookError::Stale { age_secs });
    }
    Ok(())
}

/// The MAC of `"{timestamp}.{payload}"`, ready to finalize or compare. The timestamp is
/// taken as the header writes it: that text, not a reformatted number, is what was signed.
fn signed_payload_mac(secret: &[u8], timestamp: &str, payload: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// The parts of a `Stripe-Signature` header that matter.
struct ParsedHeader<'a> {
    timestamp: i64,
    timestamp_text: &'a str,
    /// Every `v1` value, in order.
    signatures: Vec<&'a str>,
}

impl<'a> ParsedHeader<'a> {
    /// Splits `t=…,v1=…,…`; a header without one well-formed `t` or without any `v1` is
    /// refused as missing its signature.
    fn parse(header: &'a str) -> Result<ParsedHeader<'a>, WebhookError> {
        let mut timestamp_text = None;
        let mut signatures = Vec::new();
        for part in header.split(',') {
            let Some((key, value)) = part.trim().split_once('=') else {
                continue;
            };
            match key {
                // Two timestamps would leave it open which one was signed.
                "t" if timestamp_text.replace(value).is_some() => {
                    return Err(WebhookError::MissingSignature);
                }
                SCHEME => signatures.push(value),
                _ => {}
            }
        }
        let timestamp_text = timestamp_text.ok_or(WebhookError::MissingSignature)?;
        let timestamp = timestamp_text
            .parse()
            .map_err(|_| WebhookError::MissingSignature)?;
        if signatures.is_empty() {
            return Err(WebhookError::MissingSignature);
        }
        Ok(ParsedHeader {
            timestamp,
            timestamp_text,
            signatures,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1"}"#;
    const SIGNED_AT: i64 = 1_700_000_000;
    const TOLERANCE: Duration = Duration::from_secs(300);

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).unwrap()
    }

    fn check(header: &str, body: &[u8], secrets: &[&[u8]], now: i64) -> Result<(), WebhookError> {
        verify(header, body, secrets, TOLERANCE, at(now))
    }

    #[test]
    fn signs_like_an_independent_hmac_sha256() {
        // Computed outside this code with Python's standard library:
        // hmac.new(b'whsec_test_secret', b'1700000000.{"id":"evt_1"}', hashlib.sha256).hexdigest()
        let expected = "248a374f50f943a28b0f6ab50faf9a7e7e29b710fa26df9fb1618b9bf8ea9c9a";
        let header = sign(SECRET, SIGNED_AT, BODY);
        assert_eq!(header, format!("t=1700000000,v1={expected}"));
        assert_eq!(check(&header, BODY, &[SECRET], SIGNED_AT + 10), Ok(()));
    }

    #[test]
    fn a_wrong_secret_is_a_bad_signature() {
        let header = sign(b"whsec_someone_else", SIGNED_AT, BODY);
        assert_eq!(
            check(&header, BODY, &[SECRET], SIGNED_AT),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            check(&header, BODY, &[], SIGNED_AT),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn a_tampered_body_is_a_bad_signature() {
        let header = sign(SECRET, SIGNED_AT, BODY);
        assert_eq!(
            check(&header, br#"{"id":"evt_2"}"#, &[SECRET], SIGNED_AT),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn a_changed_timestamp_is_a_bad_signature() {
        let header = sign(SECRET, SIGNED_AT, BODY).replace("t=1700000000", "t=1700000001");
        assert_eq!(
            check(&header, BODY, &[SECRET], SIGNED_AT),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn old_and_future_timestamps_are_stale() {
        let header = sign(SECRET, SIGNED_AT, BODY);
        assert_eq!(check(&header, BODY, &[SECRET], SIGNED_AT + 300), Ok(()));
        assert_eq!(check(&header, BODY, &[SECRET], SIGNED_AT - 300), Ok(()));
        assert_eq!(
            check(&header, BODY, &[SECRET], SIGNED_AT + 301),
            Err(WebhookError::Stale { age_secs: 301 })
        );
        assert_eq!(
            check(&header, BODY, &[SECRET], SIGNED_AT - 301),
            Err(WebhookError::Stale { age_secs: -301 })
        );
    }

    #[test]
    fn a_stale_timestamp_with_a_bad_signature_is_a_bad_signature() {
        let header = sign(b"whsec_someone_else", SIGNED_AT, BODY);
        assert_eq!(
            check(&header, BODY, &[SECRET], SIGNED_AT + 3600),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn any_v1_value_may_match_during_a_secret_rotation() {
        let old = sign(b"whsec_old", SIGNED_AT, BODY);
        let new = sign(SECRET, SIGNED_AT, BODY);
        let old_v1 = old.split_once(",v1=").unwrap().1;
        let new_v1 = new.split_once(",v1=").unwrap().1;
        let header = format!("t={SIGNED_AT},v1={old_v1},v1={new_v1}");
        assert_eq!(check(&header, BODY, &[SECRET], SIGNED_AT), Ok(()));
        // And the receiving side may hold several secrets, only one of them current.
        assert_eq!(
            check(&new, BODY, &[b"whsec_old", SECRET], SIGNED_AT),
            Ok(())
        );
    }

    #[test]
    fn v0_unknown_keys_and_spaces_are_ignored() {
        let signed = sign(SECRET, SIGNED_AT, BODY);
        let v1 = signed.split_once(",v1=").unwrap().1;
        let header = format!("t={SIGNED_AT}, v0=deadbeef, scheme=x, v1=not-hex, v1={v1}");
        assert_eq!(check(&header, BODY, &[SECRET], SIGNED_AT), Ok(()));
    }

    #[test]
    fn headers_without_a_timestamp_or_a_v1_value_are_missing_the_signature() {
        let signed = sign(SECRET, SIGNED_AT, BODY);
        let v1 = signed.split_once(",v1=").unwrap().1;
        for header in [
            String::new(),
            "garbage".to_owned(),
            format!("v1={v1}"),
            format!("t={SIGNED_AT}"),
            format!("t={SIGNED_AT},v0={v1}"),
            format!("t=yesterday,v1={v1}"),
            format!("t=,v1={v1}"),
            format!("t={SIGNED_AT},t={SIGNED_AT},v1={v1}"),
        ] {
            assert_eq!(
                check(&header, BODY, &[SECRET], SIGNED_AT),
                Err(WebhookError::MissingSignature),
                "{header}"
            );
        }
    }

    #[test]
    fn v1_values_that_are_not_hex_never_match() {
        let header = format!("t={SIGNED_AT},v1=zz,v1=");
        assert_eq!(
            check(&header, BODY, &[SECRET], SIGNED_AT),
            Err(WebhookError::BadSignature)
        );
    }
}
