//! Accounts and tokens: `/auth/*`, `/me`, `/tokens`.

use reqwest::Method;
use uuid::Uuid;

use super::{Client, Request};
use crate::api::{
    AccountErased, AccountExport, ApiTokenInfo, ChangePasswordRequest, CreateTokenRequest,
    CreatedToken, DeleteAccountRequest, LoginRequest, PasswordResetConfirm, PasswordResetRequest,
    RefreshRequest, RegisterRequest, TokenPair, User, WhoAmI,
};
use crate::credentials::Credential;
use crate::error::{Error, Result};

impl Client {
    /// `POST /auth/register`: creates a learner account. Does not log in.
    pub async fn register(&self, email: &str, name: &str, password: &str) -> Result<User> {
        let body = RegisterRequest {
            email: email.to_owned(),
            name: name.to_owned(),
            password: password.to_owned(),
        };
        self.call(
            Request::new(Method::POST, &["auth", "register"])
                .public()
                .json(&body),
        )
        .await
    }

    /// `POST /auth/login`. On success this client uses the new session from then on.
    pub async fn login(&self, email: &str, password: &str) -> Result<TokenPair> {
        let body = LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
            device_token: self.device_token(),
        };
        let pair: TokenPair = self
            .call(
                Request::new(Method::POST, &["auth", "login"])
                    .public()
                    .json(&body),
            )
            .await?;
        self.set_credential(Some(Credential::from_pair(&pair)));
        Ok(pair)
    }

    /// `POST /auth/refresh`: trades the session's refresh token for a new pair (the old one
    /// stops working), uses it from then on and hands it to the refresh callback.
    pub async fn refresh(&self) -> Result<TokenPair> {
        let refresh_token = self
            .credential()
            .and_then(|c| c.refresh_token().map(str::to_owned))
            .ok_or_else(|| Error::not_logged_in(self.base_url().as_str()))?;
        let _guard = self.inner.refresh_lock.lock().await;
        let pair = self.refresh_token_pair(refresh_token).await?;
        let fresh = Credential::from_pair(&pair);
        self.set_credential(Some(fresh.clone()));
        let callback = self.inner.on_refresh.read().expect("lock").clone();
        if let Some(callback) = callback {
            callback(&fresh)?;
        }
        Ok(pair)
    }

    /// `POST /auth/logout`: revokes the session on the server and forgets it here. With an
    /// API token (nothing to revoke by logging out) it only forgets it.
    pub async fn logout(&self) -> Result<()> {
        let refresh_token = self
            .credential()
            .and_then(|c| c.refresh_token().map(str::to_owned));
        if let Some(refresh_token) = refresh_token {
            self.call_empty(
                Request::new(Method::POST, &["auth", "logout"])
                    .public()
                    .json(&RefreshRequest { refresh_token }),
            )
            .await?;
        }
        self.set_credential(None);
        Ok(())
    }

    /// `GET /me`.
    pub async fn whoami(&self) -> Result<WhoAmI> {
        self.call(Request::get(&["me"])).await
    }

    /// `POST /tokens`: a personal API token; its secret is in the answer, and only there.
    pub async fn create_token(&self, request: &CreateTokenRequest) -> Result<CreatedToken> {
        self.call(Request::new(Method::POST, &["tokens"]).json(request))
            .await
    }

    /// `GET /tokens`.
    pub async fn list_tokens(&self) -> Result<Vec<ApiTokenInfo>> {
        self.call(Request::get(&["tokens"])).await
    }

    /// `DELETE /tokens/{id}`.
    pub async fn revoke_token(&self, id: Uuid) -> Result<()> {
        let id = id.to_string();
        self.call_empty(Request::new(Method::DELETE, &["tokens", &id]))
            .await
    }

    /// `POST /auth/password`: changes the signed-in account's password.
    pub async fn change_password(&self, current: &str, new: &str) -> Result<()> {
        let body = ChangePasswordRequest {
            current_password: current.to_owned(),
            new_password: new.to_owned(),
        };
        self.call_empty(Request::new(Method::POST, &["auth", "password"]).json(&body))
            .await
    }

    /// `POST /auth/password-reset`: asks for a reset code by mail (the server answers alike
    /// whether or not the email has an account).
    pub async fn request_password_reset(&self, email: &str) -> Result<()> {
        let body = PasswordResetRequest {
            email: email.to_owned(),
        };
        self.call_empty(
            Request::new(Method::POST, &["auth", "password-reset"])
                .public()
                .json(&body),
        )
        .await
    }

    /// `POST /auth/password-reset/confirm`: sets a new password with a reset code.
    pub async fn confirm_password_reset(&self, code: &str, new_password: &str) -> Result<()> {
        let body = PasswordResetConfirm {
            code: code.to_owned(),
            new_password: new_password.to_owned(),
        };
        self.call_empty(
            Request::new(Method::POST, &["auth", "password-reset", "confirm"])
                .public()
                .json(&body),
        )
        .await
    }

    /// `GET /account/export`: everything kept about the signed-in account.
    pub async fn export_account(&self) -> Result<AccountExport> {
        self.call(Request::get(&["account", "export"])).await
    }

    /// `DELETE /account`: deletes the signed-in account, given its password again.
    pub async fn delete_account(&self, password: &str) -> Result<AccountErased> {
        let body = DeleteAccountRequest {
            password: password.to_owned(),
        };
        self.call(Request::new(Method::DELETE, &["account"]).json(&body))
            .await
    }
}
