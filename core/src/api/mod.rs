//! The HTTP API's wire types, shared by the server and the client so the two never drift.
//!
//! Every type here is JSON with snake_case keys. Ids that come from course YAML (course,
//! module, lesson ids) are strings; ids the server makes (users, tokens) are UUIDs.
//! Routes live under [`API_PREFIX`]; the server documents them in its OpenAPI document.

mod auth;
mod billing;
mod catalog;
mod certificates;
mod error;
mod labs;
mod learning;
mod progress;
mod publish;
mod ssh_keys;
mod tutor;
pub mod whole;

pub use auth::*;
pub use billing::*;
pub use catalog::*;
pub use certificates::*;
pub use error::*;
pub use labs::*;
pub use learning::*;
pub use progress::*;
pub use publish::*;
pub use ssh_keys::*;
pub use tutor::*;

/// Every API route starts with this prefix.
pub const API_PREFIX: &str = "/api/v1";

/// Where a server says who it is (public, outside the API prefix).
pub const SERVER_IDENTITY_PATH: &str = "/.well-known/cloudmaster/server.json";

/// `GET /.well-known/cloudmaster/server.json`: the server's identity, made once when its
/// database is first used and kept there. It stays the same across restarts, addresses and
/// ports, so a client can tell that a server it knew under one URL is the one now answering
/// at another (a lab workspace follows its session there).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ServerIdentity {
    /// 32 hex digits.
    pub server_id: String,
}
