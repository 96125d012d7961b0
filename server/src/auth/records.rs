//! The records authentication keeps in the store: accounts with their password hashes,
//! refresh and API tokens (by hash only), how sessions ended, failed-login counts and the
//! audit log.
//!
//! Whatever holds a password hash or a token hash shows `***` for it in `Debug`, so a record
//! logged by mistake never leaks one.

use cloudmaster_core::api::{Role, Scope, Tier, User};
use time::OffsetDateTime;
use uuid::Uuid;

/// A user row with its password hash; never serialized to clients, and `Debug` shows
/// `***` for the hash.
#[derive(Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
    pub suspended: bool,
}

/// `Debug` shows `***` for the password hash.
#[derive(Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    pub tier: Tier,
}

/// A refresh token as stored: only its SHA-256 hash is kept (`Debug` shows `***`).
#[derive(Clone)]
pub struct NewRefreshToken {
    pub id: Uuid,
    /// All tokens descending from one login share a family; reuse revokes the family.
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub token_hash: Vec<u8>,
    pub expires_at: OffsetDateTime,
}

/// What happened when a refresh token was presented.
#[derive(Debug, Clone, PartialEq)]
pub enum RefreshOutcome {
    /// The token was live; it is now marked used. The caller issues its successor in the
    /// same family.
    Rotated {
        user_id: Uuid,
        family_id: Uuid,
    },
    /// The token had already been used or its family revoked: the family is now revoked.
    Reused {
        user_id: Uuid,
        family_id: Uuid,
    },
    /// The token's login was ended by logging out.
    LoggedOut,
    Expired,
    Unknown,
}

/// `Debug` shows `***` for the token hash.
#[derive(Clone)]
pub struct NewApiToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub prefix: String,
    pub token_hash: Vec<u8>,
    pub expires_at: Option<OffsetDateTime>,
}

/// What `Debug` shows instead of a password hash or token hash.
const HIDDEN: &str = "***";

impl std::fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCredentials")
            .field("user", &self.user)
            .field("password_hash", &HIDDEN)
            .field("suspended", &self.suspended)
            .finish()
    }
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field("name", &self.name)
            .field("password_hash", &HIDDEN)
            .field("role", &self.role)
            .field("tier", &self.tier)
            .finish()
    }
}

impl std::fmt::Debug for NewRefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewRefreshToken")
            .field("id", &self.id)
            .field("family_id", &self.family_id)
            .field("user_id", &self.user_id)
            .field("token_hash", &HIDDEN)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl std::fmt::Debug for NewApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiToken")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .field("prefix", &self.prefix)
            .field("token_hash", &HIDDEN)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A live API token and its owner, as found by the hash of the presented secret.
#[derive(Debug, Clone)]
pub struct ApiTokenOwner {
    pub token_id: Uuid,
    pub scopes: Vec<Scope>,
    pub user: User,
    pub suspended: bool,
}

/// Why a login session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// The user logged out.
    Logout,
    /// A used refresh token was presented again, so the whole family was revoked.
    Reuse,
    /// The account's password was reset, which ends every session it had.
    PasswordReset,
}

impl SessionEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionEnd::Logout => "logout",
            SessionEnd::Reuse => "reuse",
            SessionEnd::PasswordReset => "password_reset",
        }
    }

    /// The reason named by [`Self::as_str`].
    pub fn parse(s: &str) -> Option<SessionEnd> {
        match s {
            "logout" => Some(SessionEnd::Logout),
            "reuse" => Some(SessionEnd::Reuse),
            "password_reset" => Some(SessionEnd::PasswordReset),
            _ => None,
        }
    }
}

/// Consecutive failed logins of one subject (an account or a client address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailures {
    pub failures: u32,
    pub last_failure_at: OffsetDateTime,
}

/// An audit-log entry to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    pub at: OffsetDateTime,
    /// Who acted (None: someone without an account).
    pub actor_id: Option<Uuid>,
    /// Dotted name of what happened (`auth.login_backoff`, ...).
    pub action: String,
    /// The account acted on, if any.
    pub subject_id: Option<Uuid>,
    pub client_ip: Option<String>,
    /// A JSON object with the details.
    pub detail: serde_json::Value,
}

/// A stored audit-log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub entry: NewAuditEntry,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_password_or_token_hashes() {
        let user = User {
            id: Uuid::nil(),
            email: "ada@example.com".into(),
            name: "Ada".into(),
            role: Role::Learner,
            tier: Tier::Free,
            created_at: OffsetDateTime::UNIX_EPOCH,
        };
        let shown = [
            format!(
                "{:?}",
                UserCredentials {
                    user,
                    password_hash: "$argon2id$secret-hash".into(),
                    suspended: false,
                }
            ),
            format!(
                "{:?}",
                NewUser {
                    email: "ada@example.com".into(),
                    name: "Ada".into(),
                    password_hash: "$argon2id$secret-hash".into(),
                    role: Role::Learner,
                    tier: Tier::Free,
                }
            ),
            format!(
                "{:?}",
                NewRefreshToken {
                    id: Uuid::nil(),
                    family_id: Uuid::nil(),
                    user_id: Uuid::nil(),
                    token_hash: vec![0xab; 32],
                    expires_at: OffsetDateTime::UNIX_EPOCH,
                }
            ),
            format!(
                "{:?}",
                NewApiToken {
                    id: Uuid::nil(),
                    user_id: Uuid::nil(),
                    name: "ci".into(),
                    scopes: vec![],
                    prefix: "cm_pat_ab".into(),
                    token_hash: vec![0xab; 32],
                    expires_at: None,
                }
            ),
        ];
        for text in &shown {
            assert!(
                !text.contains("secret-hash") && !text.contains("171"),
                "{text}"
            );
            assert!(text.contains("***"), "{text}");
        }
    }
}

/// A password reset code as stored: only its SHA-256 hash is kept (`Debug` shows `***`).
#[derive(Clone)]
pub struct NewPasswordReset {
    pub user_id: Uuid,
    pub code_hash: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for NewPasswordReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewPasswordReset")
            .field("user_id", &self.user_id)
            .field("code_hash", &"***")
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// How many reset codes one account may be sent: at most `max` made since `since`, so that
/// no one can flood a mailbox by asking for codes for someone else's email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetQuota {
    pub max: u32,
    pub since: OffsetDateTime,
}

/// What redeeming a reset code changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordResetRedeemed {
    pub user_id: Uuid,
    /// The login sessions the reset ended (each access token of theirs is now refused).
    pub sessions_ended: Vec<Uuid>,
}
