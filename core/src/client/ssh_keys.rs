//! The SSH public keys of the caller's account: `/account/ssh-keys`.

use reqwest::Method;
use uuid::Uuid;

use super::{Client, Request};
use crate::api::{AddSshKeyRequest, SshKey};
use crate::error::Result;

impl Client {
    /// `GET /account/ssh-keys`: the caller's keys, oldest first.
    pub async fn ssh_keys(&self) -> Result<Vec<SshKey>> {
        self.call(Request::get(&["account", "ssh-keys"])).await
    }

    /// `POST /account/ssh-keys`: links a public key to the caller's account (needs a login
    /// session, not an API token).
    pub async fn add_ssh_key(&self, request: &AddSshKeyRequest) -> Result<SshKey> {
        self.call(Request::new(Method::POST, &["account", "ssh-keys"]).json(request))
            .await
    }

    /// `DELETE /account/ssh-keys/{id}`: unlinks one of the caller's keys.
    pub async fn remove_ssh_key(&self, id: Uuid) -> Result<()> {
        let id = id.to_string();
        self.call_empty(Request::new(Method::DELETE, &["account", "ssh-keys", &id]))
            .await
    }
}
