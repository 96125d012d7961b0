//! Access tokens: HS256 JWTs valid for 15 minutes.
//!
//! The keys come from the key directory ([`crate::keys`]), which every replica shares, so
//! a token issued by one is accepted by all. Each key has an id: the current key signs and
//! names itself in the header (`kid`); every key still in the directory verifies the tokens
//! naming it. A token without `kid`, or naming a key no longer held, is invalid. Claims:
//! `sub` (user id), `role`, `tier`, `exp`, `iat`, `jti`, `sid` (the login session).

use std::collections::HashMap;

use cloudmaster_core::api::{Role, Tier, User};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::ApiError;

/// Lifetime of an access token.
pub const ACCESS_TOKEN_SECS: i64 = 15 * 60;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub role: Role,
    pub tier: Tier,
    pub exp: i64,
    pub iat: i64,
    pub jti: Uuid,
    /// The login session (refresh-token family) this token belongs to; a request with the
    /// token of an ended session is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
}

/// The HMAC keys, ready to sign (the current one) and verify (all of them).
pub struct JwtKeys {
    current: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
}

impl JwtKeys {
    /// Keys that sign with `secret` under the id `kid` (and verify its tokens).
    pub fn new(kid: &str, secret: &[u8]) -> JwtKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        // Replicas' clocks may differ a little; a few seconds of grace is plenty.
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        JwtKeys {
            current: kid.to_owned(),
            encoding: EncodingKey::from_secret(secret),
            decoding: HashMap::from([(kid.to_owned(), DecodingKey::from_secret(secret))]),
            validation,
        }
    }

    /// Also accepts tokens signed with `secret` under `kid` (an older key).
    #[must_use]
    pub fn also_verifying(mut self, kid: &str, secret: &[u8]) -> JwtKeys {
        self.decoding
            .insert(kid.to_owned(), DecodingKey::from_secret(secret));
        self
    }

    /// The id of the key that signs.
    pub fn current_kid(&self) -> &str {
        &self.current
    }

    /// Whether `token` names a key these keys do not hold (a key made since they were
    /// loaded, or one deleted). False for a token without a readable `kid`.
    pub fn names_unknown_key(&self, token: &str) -> bool {
        jsonwebtoken::decode_header(token)
            .ok()
            .and_then(|header| header.kid)
            .is_some_and(|kid| !self.decoding.contains_key(&kid))
    }

    /// Signs an access token for `user` in the login session `session`; returns it with its
    /// lifetime in seconds.
    pub fn issue(
        &self,
        user: &User,
        session: Uuid,
        now: OffsetDateTime,
    ) -> Result<(String, u64), ApiError> {
        let iat = now.unix_timestamp();
        let claims = Claims {
            sub: user.id,
            role: user.role,
            tier: user.tier,
            iat,
            exp: iat + ACCESS_TOKEN_SECS,
            jti: Uuid::new_v4(),
            sid: Some(session),
        };
        let header = Header {
            kid: Some(self.current.clone()),
            ..Header::new(Algorithm::HS256)
        };
        let token = jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|e| ApiError::internal("signing an access token", e))?;
        Ok((token, ACCESS_TOKEN_SECS as u64))
    }

    /// Checks the key id, signature and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let invalid = || ApiError::Unauthenticated("invalid access token".to_owned());
        let kid = jsonwebtoken::decode_header(token)
            .map_err(|_| invalid())?
            .kid
            .ok_or_else(invalid)?;
        let key = self.decoding.get(&kid).ok_or_else(invalid)?;
        jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => ApiError::Unauthenticated(
                    "access token expired; refresh it or log in again".to_owned(),
                ),
                _ => ApiError::Unauthenticated("invalid access token".to_owned()),
            })
    }
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            id: Uuid::new_v4(),
            email: "a@example.com".into(),
            name: "A".into(),
            role: Role::Instructor,
            tier: Tier::Free,
            created_at: OffsetDateTime::now_utc(),
        }
    }

    #[test]
    fn round_trip_and_rejections() {
        let keys = JwtKeys::new("k1", b"0123456789abcdef0123456789abcdef");
        let user = user();
        let (token, secs) = keys
            .issue(&user, Uuid::new_v4(), OffsetDateTime::now_utc())
            .unwrap();
        assert_eq!(secs, 900);
        let claims = keys.verify(&token).unwrap();
        assert_eq!(claims.sub, user.id);
        assert_eq!(claims.role, Role::Instructor);
        assert_eq!(
            jsonwebtoken::decode_header(&token).unwrap().kid.as_deref(),
            Some("k1")
        );

        let other = JwtKeys::new("k1", b"another key entirely, 32 bytes!!");
        assert!(matches!(
            other.verify(&token),
            Err(ApiError::Unauthenticated(_))
        ));

        let old = OffsetDateTime::now_utc() - time::Duration::hours(1);
        let (expired, _) = keys.issue(&user, Uuid::new_v4(), old).unwrap();
        let err = keys.verify(&expired).unwrap_err();
        assert!(err.to_string().contains("expired"), "{err}");
    }

    #[test]
    fn the_token_kid_selects_the_key() {
        let user = user();
        let old = JwtKeys::new("old", b"the old key, thirty-two bytes!!!");
        let (old_token, _) = old
            .issue(&user, Uuid::new_v4(), OffsetDateTime::now_utc())
            .unwrap();
        let rotated = JwtKeys::new("new", b"the new key, thirty-two bytes!!!")
            .also_verifying("old", b"the old key, thirty-two bytes!!!");
        let (new_token, _) = rotated
            .issue(&user, Uuid::new_v4(), OffsetDateTime::now_utc())
            .unwrap();
        assert!(rotated.verify(&old_token).is_ok());
        assert!(rotated.verify(&new_token).is_ok());
        assert!(!rotated.names_unknown_key(&old_token));

        // Only the key named by the token is tried.
        let dropped = JwtKeys::new("new", b"the new key, thirty-two bytes!!!");
        assert!(dropped.names_unknown_key(&old_token));
        assert!(dropped.verify(&old_token).is_err());

        // No kid: invalid, even when the signature would verify.
        let claims = rotated.verify(&new_token).unwrap();
        let bare = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"the new key, thirty-two bytes!!!"),
        )
        .unwrap();
        assert!(!rotated.names_unknown_key(&bare));
        let err = rotated.verify(&bare).unwrap_err();
        assert!(err.to_string().contains("invalid access token"), "{err}");
    }
}
