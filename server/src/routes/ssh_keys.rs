//! The SSH public keys of the caller's account: list, add, remove. A linked key signs in to
//! the terminal UI over SSH; which keys are accepted and how they are named is decided in
//! [`crate::ssh_keys`].

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use cloudmaster_core::api::{AddSshKeyRequest, ErrorBody, MAX_SSH_KEYS_PER_ACCOUNT, Scope, SshKey};
use uuid::Uuid;

use crate::auth::Auth;
use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::ssh_keys::{check_public_key, key_name};
use crate::state::AppState;
use crate::store::{NewSshKey, SshKeyAdded, StoreError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/ssh-keys", get(list).post(add))
        .route("/account/ssh-keys/{id}", delete(remove))
}

/// The caller's keys, oldest first.
#[utoipa::path(get, path = "/api/v1/account/ssh-keys", tag = "account",
    security(("bearer" = [])),
    responses((status = 200, body = [SshKey])))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<SshKey>>, ApiError> {
    auth.require(Scope::Learn)?;
    Ok(Json(state.store().ssh_keys(auth.user.id).await?))
}

/// Link a public key to the caller's account. Needs a login session: a key is a lasting
/// way in, which a leaked API token must not be able to add.
#[utoipa::path(post, path = "/api/v1/account/ssh-keys", tag = "account",
    security(("bearer" = [])),
    request_body = AddSshKeyRequest,
    responses(
        (status = 201, body = SshKey),
        (status = 403, description = "not a login session", body = ErrorBody),
        (status = 409, description = "the key is already linked to an account, or the account has 20 keys", body = ErrorBody),
        (status = 422, description = "not one public key of an accepted kind, or a bad name", body = ErrorBody),
    ))]
pub async fn add(
    State(state): State<AppState>,
    auth: Auth,
    ClientIp(ip): ClientIp,
    Json(req): Json<AddSshKeyRequest>,
) -> Result<(StatusCode, Json<SshKey>), ApiError> {
    auth.require(Scope::Learn)?;
    auth.require_session()?;
    let key = check_public_key(&req.public_key)?;
    let name = key_name(req.name.as_deref(), &key)?;
    let new = NewSshKey {
        id: Uuid::now_v7(),
        user_id: auth.user.id,
        fingerprint: key.fingerprint,
        algorithm: key.algorithm,
        public_key: key.public_key,
        name,
    };
    let added = state
        .store()
        .add_ssh_key(new, MAX_SSH_KEYS_PER_ACCOUNT, state.now())
        .await
        .map_err(|e| match e {
            // Neutral: whose key it is, is not the caller's to learn.
            StoreError::Conflict(_) => ApiError::Conflict(
                "this key is already linked to an account; if it is yours, see \
                 `cloudmaster keys list`, else add another key"
                    .to_owned(),
            ),
            other => other.into(),
        })?;
    let SshKeyAdded::Added(linked) = added else {
        return Err(ApiError::Conflict(format!(
            "your account has {MAX_SSH_KEYS_PER_ACCOUNT} SSH keys, the most it may have: remove \
             one you no longer use (`cloudmaster keys list`, then `cloudmaster keys remove ID`) \
             and add this one again"
        )));
    };
    audit(&state, &auth, ip, "auth.ssh_key_added", &linked).await?;
    tracing::info!(user_id = %auth.user.id, fingerprint = %linked.fingerprint, "SSH key linked");
    Ok((StatusCode::CREATED, Json(linked)))
}

/// Unlink one of the caller's keys: it no longer signs in.
#[utoipa::path(delete, path = "/api/v1/account/ssh-keys/{id}", tag = "account",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "key id")),
    responses(
        (status = 204, description = "unlinked"),
        (status = 404, description = "no such key of the caller's", body = ErrorBody),
    ))]
pub async fn remove(
    State(state): State<AppState>,
    auth: Auth,
    ClientIp(ip): ClientIp,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    auth.require(Scope::Learn)?;
    // What is not a UUID names no key: 404, as for an unknown one.
    let no_key = || ApiError::NotFound(format!("you have no SSH key {raw}"));
    let id = Uuid::parse_str(&raw).map_err(|_| no_key())?;
    let removed = state
        .store()
        .remove_ssh_key(auth.user.id, id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => no_key(),
            other => other.into(),
        })?;
    audit(&state, &auth, ip, "auth.ssh_key_removed", &removed).await?;
    tracing::info!(user_id = %auth.user.id, fingerprint = %removed.fingerprint, "SSH key unlinked");
    Ok(StatusCode::NO_CONTENT)
}

/// Keys are ways into the account, so linking and unlinking one is in the audit log.
async fn audit(
    state: &AppState,
    auth: &Auth,
    ip: Option<std::net::IpAddr>,
    action: &str,
    key: &SshKey,
) -> Result<(), ApiError> {
    let detail = serde_json::json!({
        "key_id": key.id,
        "fingerprint": key.fingerprint,
        "name": key.name,
    });
    super::record_audit(state, auth, ip, action, auth.user.id, detail).await
}
