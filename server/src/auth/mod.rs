//! Authentication and authorization.
//!
//! A request authenticates with `Authorization: Bearer <token>`, where the token is either a
//! session access token (a JWT, see [`jwt`]) or a personal API token (`cm_pat_...`, see
//! [`tokens`]). [`authenticate`] runs once per request in the API gate (which also rate
//! limits by the identity it finds) and leaves an [`Auth`] in the request extensions; handlers
//! take [`Auth`] as an extractor and call [`Auth::require`] for the scope they need.
//!
//! Scopes: a session has every scope of its user's role; an API token has its own scopes
//! intersected with its owner's *current* role, so demoting a user also narrows their tokens.
//! Suspended users are rejected whatever the credential.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use cloudmaster_core::api::{Role, Scope, User};
use uuid::Uuid;

use self::records::SessionEnd;
use crate::error::ApiError;
use crate::state::AppState;

mod argon;
pub mod backoff;
pub mod cache;
pub mod jwt;
pub mod password;
pub mod records;
pub mod recovery;
pub mod session;
pub mod tokens;

/// Which kind of credential authenticated a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A login's access token.
    Session,
    /// A personal API token, by id.
    ApiToken(Uuid),
}

impl Credential {
    pub fn as_str(self) -> &'static str {
        match self {
            Credential::Session => "session",
            Credential::ApiToken(_) => "api_token",
        }
    }
}

/// A small set of [`Scope`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScopeSet(u8);

impl ScopeSet {
    const ALL: [Scope; 3] = [Scope::Learn, Scope::Publish, Scope::Admin];

    fn bit(scope: Scope) -> u8 {
        match scope {
            Scope::Learn => 1,
            Scope::Publish => 2,
            Scope::Admin => 4,
        }
    }

    /// Everything a role may do.
    pub fn for_role(role: Role) -> ScopeSet {
        match role {
            Role::Learner => ScopeSet::from_iter([Scope::Learn]),
            Role::Instructor => ScopeSet::from_iter([Scope::Learn, Scope::Publish]),
            Role::Admin => ScopeSet::from_iter(Self::ALL),
        }
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & Self::bit(scope) != 0
    }

    pub fn intersect(self, other: ScopeSet) -> ScopeSet {
        ScopeSet(self.0 & other.0)
    }

    pub fn to_vec(self) -> Vec<Scope> {
        Self::ALL
            .into_iter()
            .filter(|s| self.contains(*s))
            .collect()
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        ScopeSet(iter.into_iter().fold(0, |acc, s| acc | Self::bit(s)))
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user: User,
    pub scopes: ScopeSet,
    pub credential: Credential,
}

impl Auth {
    /// Fails with 403 unless the request carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(scope) {
            return Ok(());
        }
        let why = match self.credential {
            Credential::ApiToken(_) if ScopeSet::for_role(self.user.role).contains(scope) => {
                "this API token was not given that scope"
            }
            _ => "your role does not allow it",
        };
        Err(ApiError::Forbidden(format!(
            "this needs the `{}` scope and {why} (role: {})",
            scope.as_str(),
            self.user.role.as_str()
        )))
    }

    /// Fails with 403 unless the request was made with a login session (not an API token).
    pub fn require_session(&self) -> Result<(), ApiError> {
        match self.credential {
            Credential::Session => Ok(()),
            Credential::ApiToken(_) => Err(ApiError::Forbidden(
                "this needs a login session, not an API token (log in with `cloudmaster login`)"
                    .to_owned(),
            )),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.scopes.contains(Scope::Admin)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Arc<Auth>>() {
            Some(auth) => Ok(Auth::clone(auth)),
            None => Err(ApiError::Unauthenticated(
                "authentication required: send `Authorization: Bearer <token>` \
                 (log in with `cloudmaster login`)"
                    .to_owned(),
            )),
        }
    }
}

/// For routes open to everyone that say more to a signed-in caller (search marks locked
/// lessons): `None` without credentials. Bad credentials never get here: the API gate
/// answers 401 for them first.
impl<S: Send + Sync> OptionalFromRequestParts<S> for Auth {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Arc<Auth>>()
            .map(|auth| Auth::clone(auth)))
    }
}

/// Resolves the request's credentials, if it has any.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Option<Auth>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthenticated(
                "the Authorization header must be `Bearer <token>`".to_owned(),
            )
        })?;
    let now = state.now();
    if token.starts_with(tokens::PAT_PREFIX) {
        let owner = state
            .store()
            .api_token_owner(&tokens::hash_secret(token), now)
            .await?
            .ok_or_else(|| {
                ApiError::Unauthenticated("unknown, revoked or expired API token".to_owned())
            })?;
        if owner.suspended {
            return Err(suspended());
        }
        state.token_uses().record(owner.token_id, now);
        let scopes = owner
            .scopes
            .iter()
            .copied()
            .collect::<ScopeSet>()
            .intersect(ScopeSet::for_role(owner.user.role));
        return Ok(Some(Auth {
            user: owner.user,
            scopes,
            credential: Credential::ApiToken(owner.token_id),
        }));
    }
    let claims = state.jwt().verify(token)?;
    // The role comes from the database (through the short-lived cache), not the token, so
    // a role change applies without waiting for the token to expire.
    let (user, is_suspended) = match state.auth_cache().user(claims.sub) {
        Some(known) => known,
        None => {
            let account = state.store().user_by_id(claims.sub).await?.ok_or_else(|| {
                ApiError::Unauthenticated("the account of this token no longer exists".to_owned())
            })?;
            state
                .auth_cache()
                .put_user(&account.user, account.suspended);
            (account.user, account.suspended)
        }
    };
    if is_suspended {
        return Err(suspended());
    }
    if let Some(session) = claims.sid {
        check_session(state, session).await?;
    }
    Ok(Some(Auth {
        scopes: ScopeSet::for_role(user.role),
        user,
        credential: Credential::Session,
    }))
}

/// Refuses the access token of a login session that was ended (logout, or a refresh
/// token reused). Live answers are cached for the auth cache window, so an ending applies
/// on every replica within it.
async fn check_session(state: &AppState, session: Uuid) -> Result<(), ApiError> {
    let end = match state.auth_cache().session(session) {
        Some(end) => end,
        None => {
            let end = state.store().session_end(session).await?;
            state.auth_cache().put_session(session, end);
            end
        }
    };
    match end {
        None => Ok(()),
        Some(SessionEnd::Logout) => Err(ApiError::Unauthenticated(
            "this session was logged out; log in again".to_owned(),
        )),
        Some(SessionEnd::Reuse) => Err(ApiError::Unauthenticated(
            "this session was revoked because its refresh token was used twice; log in again"
                .to_owned(),
        )),
        Some(SessionEnd::PasswordReset) => Err(ApiError::Unauthenticated(
            "this session ended when the account's password was reset; log in again".to_owned(),
        )),
    }
}

fn suspended() -> ApiError {
    ApiError::Forbidden("this account is suspended; contact an administrator".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_scopes() {
        assert_eq!(
            ScopeSet::for_role(Role::Learner).to_vec(),
            vec![Scope::Learn]
        );
        assert_eq!(
            ScopeSet::for_role(Role::Instructor).to_vec(),
            vec![Scope::Learn, Scope::Publish]
        );
        let token: ScopeSet = [Scope::Publish, Scope::Admin].into_iter().collect();
        assert_eq!(
            token
                .intersect(ScopeSet::for_role(Role::Instructor))
                .to_vec(),
            vec![Scope::Publish]
        );
    }
}
