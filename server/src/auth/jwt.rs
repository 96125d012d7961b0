//! Access tokens: HS256 JWTs valid for 15 minutes.
//!
//! The signing key comes from the database (`Store::get_or_init_secret("jwt", ..)`), so
//! every replica signs and verifies with the same key and a token issued by one is accepted
//! by all. Claims: `sub` (user id), `role`, `tier`, `exp`, `iat`, `jti`, `sid` (the login
//! session).

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

/// The shared HMAC key, ready to sign and verify.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    pub fn from_secret(secret: &[u8]) -> JwtKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        // Replicas' clocks may differ a little; a few seconds of grace is plenty.
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
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
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal("signing an access token", e))?;
        Ok((token, ACCESS_TOKEN_SECS as u64))
    }

    /// Checks signature and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
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
        let keys = JwtKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let user = user();
        let (token, secs) = keys
            .issue(&user, Uuid::new_v4(), OffsetDateTime::now_utc())
            .unwrap();
        assert_eq!(secs, 900);
        let claims = keys.verify(&token).unwrap();
        assert_eq!(claims.sub, user.id);
        assert_eq!(claims.role, Role::Instructor);

        let other = JwtKeys::from_secret(b"another key entirely, 32 bytes!!");
        assert!(matches!(
            other.verify(&token),
            Err(ApiError::Unauthenticated(_))
        ));

        let old = OffsetDateTime::now_utc() - time::Duration::hours(1);
        let (expired, _) = keys.issue(&user, Uuid::new_v4(), old).unwrap();
        let err = keys.verify(&expired).unwrap_err();
        assert!(err.to_string().contains("expired"), "{err}");
    }
}
