use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// What a user may do. Checked on the server for every request.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Learner,
    Instructor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Learner => "learner",
            Role::Instructor => "instructor",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "learner" => Ok(Role::Learner),
            "instructor" => Ok(Role::Instructor),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role `{other}`: expected learner, instructor or admin"
            )),
        }
    }
}

/// A learner's plan; premium lifts rate limits and unlocks paid courses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Free,
    Premium,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Free => "free",
            Tier::Premium => "premium",
        }
    }
}

impl std::str::FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "free" => Ok(Tier::Free),
            "premium" => Ok(Tier::Premium),
            other => Err(format!("unknown tier `{other}`: expected free or premium")),
        }
    }
}

/// Scopes of a personal API token. A token never grants more than its owner's role.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Learning: catalog, enrollment, progress, assessments, labs.
    Learn,
    /// Publishing courses (instructors and admins).
    Publish,
    /// Administration (admins).
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Learn => "learn",
            Scope::Publish => "publish",
            Scope::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "learn" => Ok(Scope::Learn),
            "publish" => Ok(Scope::Publish),
            "admin" => Ok(Scope::Admin),
            other => Err(format!(
                "unknown scope `{other}`: expected learn, publish or admin"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub tier: Tier,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

/// `Debug` shows `***` for the password.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// At most 254 bytes: something `@` a domain, without spaces.
    #[schema(max_length = 254, pattern = r"^[^@\s]+@[^\s.]([^\s]*[^\s.])?$")]
    pub email: String,
    /// 1 to 200 characters, not only spaces.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    /// At least 10 characters, at most 1,024 bytes, not only spaces.
    #[schema(min_length = 10, max_length = 1024, pattern = r"\S")]
    pub password: String,
}

/// `Debug` shows `***` for the password.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// A random token this device keeps for this server. Logins from a device the account
    /// used before are not slowed down by failed-login back-off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 16, max_length = 256)]
    pub device_token: Option<String>,
}

/// `POST /auth/password`.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    #[schema(min_length = 10, max_length = 1024)]
    pub new_password: String,
}

impl std::fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangePasswordRequest")
            .field("current_password", &"***")
            .field("new_password", &"***")
            .finish()
    }
}

/// `POST /auth/password-reset`: mail a reset code to the account with this email, if any.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PasswordResetRequest {
    pub email: String,
}

/// `POST /auth/password-reset/confirm`: set a new password with a reset code.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct PasswordResetConfirm {
    /// The code from the mail, or from an administrator (`cm_reset_...`).
    pub code: String,
    #[schema(min_length = 10, max_length = 1024)]
    pub new_password: String,
}

impl std::fmt::Debug for PasswordResetConfirm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordResetConfirm")
            .field("code", &"***")
            .field("new_password", &"***")
            .finish()
    }
}

/// A reset code an administrator made for an account (`POST
/// /admin/users/{user}/password-reset`), to hand over where the server sends no mail.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct PasswordResetIssued {
    pub user_id: Uuid,
    pub email: String,
    /// Works once, until `expires_at`.
    pub code: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for PasswordResetIssued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordResetIssued")
            .field("user_id", &self.user_id)
            .field("email", &self.email)
            .field("code", &"***")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Everything the server keeps about one account, for its owner (`GET /account/export`,
/// `GET /admin/users/{user}/export`): the data-access copy data protection law asks for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountExport {
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub exported_at: OffsetDateTime,
    pub account: UserAccount,
    pub api_tokens: Vec<ApiTokenInfo>,
    pub ssh_keys: Vec<super::SshKey>,
    pub enrollments: Vec<super::Enrollment>,
    /// Progress in every course the account has a record in, also courses it left.
    pub progress: Vec<super::CourseProgress>,
    /// Quiz and exam attempts, newest first within each course.
    pub attempts: Vec<super::AttemptSummary>,
    pub certificates: Vec<super::CertificateInfo>,
    pub payments: Vec<super::Payment>,
    pub tutor_conversations: Vec<super::Conversation>,
}

/// `DELETE /account`: the account's password, asked again before it is erased.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct DeleteAccountRequest {
    pub password: String,
}

impl std::fmt::Debug for DeleteAccountRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeleteAccountRequest")
            .field("password", &"***")
            .finish()
    }
}

/// What erasing an account did (`DELETE /admin/users/{user}`, `DELETE /account`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccountErased {
    pub user_id: Uuid,
    /// Payments kept for the accounts, now of an anonymous account.
    pub payments_kept: u64,
    /// Courses the account owned, which stay published (administrators manage them).
    pub courses_kept: Vec<String>,
}

/// One entry of the audit log (`GET /admin/audit`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// Who acted; none for someone without an account.
    pub actor_id: Option<Uuid>,
    /// What happened, as a dotted name (`auth.account_backoff`, `auth.password_changed`).
    pub action: String,
    /// The account acted on, if any.
    pub subject_id: Option<Uuid>,
    pub client_ip: Option<String>,
    /// Details of the action.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// `Debug` shows `***` for the token.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Issued on login and on every refresh. The refresh token is single-use: presenting a
/// used one again revokes its whole family (reuse detection). `Debug` shows `***` for the
/// tokens.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    /// Seconds until `access_token` expires.
    pub expires_in: u64,
    pub refresh_token: String,
    pub user: User,
}

/// Who the caller is, and with which credential.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WhoAmI {
    pub user: User,
    /// `session` for a login, `api_token` for a personal API token.
    pub credential: String,
    /// Scopes in force for this request.
    pub scopes: Vec<Scope>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateTokenRequest {
    /// 1 to 100 characters, not only spaces.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// At least one; none beyond what the caller's role allows (403).
    #[schema(min_items = 1)]
    pub scopes: Vec<Scope>,
    /// Days until the token expires (1 to 3,650); none means it never expires.
    #[serde(default, deserialize_with = "super::whole::optional")]
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiTokenInfo {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// The first characters of the token, to recognise it; never the secret.
    pub prefix: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<OffsetDateTime>,
}

/// Returned once, when the token is made: the secret is not stored and cannot be shown again.
/// `Debug` shows `***` for it.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    pub token: String,
    pub info: ApiTokenInfo,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SetRoleRequest {
    pub role: Role,
}

/// An account as administrators see it: the user, and whether it is suspended (a suspended
/// account cannot log in, and none of its sessions, tokens or SSH keys is let in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserAccount {
    #[serde(flatten)]
    pub user: User,
    pub suspended: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SetSuspendedRequest {
    pub suspended: bool,
}

/// What `Debug` shows instead of a password or token.
const HIDDEN: &str = "***";

impl std::fmt::Debug for RegisterRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterRequest")
            .field("email", &self.email)
            .field("name", &self.name)
            .field("password", &HIDDEN)
            .finish()
    }
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .field("password", &HIDDEN)
            .field("device_token", &self.device_token.as_ref().map(|_| HIDDEN))
            .finish()
    }
}

impl std::fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshRequest")
            .field("refresh_token", &HIDDEN)
            .finish()
    }
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &HIDDEN)
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &HIDDEN)
            .field("user", &self.user)
            .finish()
    }
}

impl std::fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedToken")
            .field("token", &HIDDEN)
            .field("info", &self.info)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_passwords_or_tokens() {
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
                RegisterRequest {
                    email: "ada@example.com".into(),
                    name: "Ada".into(),
                    password: "hunter2-register".into(),
                }
            ),
            format!(
                "{:?}",
                LoginRequest {
                    email: "ada@example.com".into(),
                    password: "hunter2-login".into(),
                    device_token: Some("secret-device-token".into()),
                }
            ),
            format!(
                "{:?}",
                RefreshRequest {
                    refresh_token: "secret-refresh".into(),
                }
            ),
            format!(
                "{:?}",
                TokenPair {
                    access_token: "secret-access".into(),
                    expires_in: 900,
                    refresh_token: "secret-refresh".into(),
                    user,
                }
            ),
            format!(
                "{:?}",
                CreatedToken {
                    token: "cm_pat_secret-api-token".into(),
                    info: ApiTokenInfo {
                        id: Uuid::nil(),
                        name: "ci".into(),
                        scopes: vec![],
                        prefix: "cm_pat_se".into(),
                        created_at: OffsetDateTime::UNIX_EPOCH,
                        expires_at: None,
                        last_used_at: None,
                    },
                }
            ),
        ];
        for text in &shown {
            assert!(
                !text.contains("hunter2") && !text.contains("secret"),
                "{text}"
            );
            assert!(text.contains("***"), "{text}");
        }
        assert!(
            shown[0].contains("ada@example.com"),
            "other fields still show"
        );
        assert!(shown[3].contains("expires_in: 900"), "{}", shown[3]);
    }
}
