//! Administration: `/admin/users`.

use reqwest::Method;
use uuid::Uuid;

use super::{Client, Request};
use crate::api::{
    AccountErased, AccountExport, PasswordResetIssued, Role, SetRoleRequest, SetSuspendedRequest,
    User, UserAccount,
};
use crate::error::Result;

impl Client {
    /// `GET /admin/users`.
    pub async fn admin_users(&self) -> Result<Vec<UserAccount>> {
        self.call(Request::get(&["admin", "users"])).await
    }

    /// `PUT /admin/users/{user}/role`.
    pub async fn set_role(&self, user_id: Uuid, role: Role) -> Result<User> {
        let user = user_id.to_string();
        self.call(
            Request::new(Method::PUT, &["admin", "users", &user, "role"])
                .json(&SetRoleRequest { role }),
        )
        .await
    }

    /// `PUT /admin/users/{user}/suspended`.
    pub async fn set_suspended(&self, user_id: Uuid, suspended: bool) -> Result<UserAccount> {
        let user = user_id.to_string();
        self.call(
            Request::new(Method::PUT, &["admin", "users", &user, "suspended"])
                .json(&SetSuspendedRequest { suspended }),
        )
        .await
    }

    /// `POST /admin/users/{user}/password-reset`: a reset code to hand to the account's owner.
    pub async fn issue_password_reset(&self, user_id: Uuid) -> Result<PasswordResetIssued> {
        let user = user_id.to_string();
        self.call(Request::new(
            Method::POST,
            &["admin", "users", &user, "password-reset"],
        ))
        .await
    }

    /// `GET /admin/users/{user}/export`: everything kept about an account.
    pub async fn export_user(&self, user_id: Uuid) -> Result<AccountExport> {
        let user = user_id.to_string();
        self.call(Request::get(&["admin", "users", &user, "export"]))
            .await
    }

    /// `DELETE /admin/users/{user}`: erases an account.
    pub async fn erase_user(&self, user_id: Uuid) -> Result<AccountErased> {
        let user = user_id.to_string();
        self.call(Request::new(Method::DELETE, &["admin", "users", &user]))
            .await
    }
}
