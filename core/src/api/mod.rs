//! The HTTP API's wire types, shared by the server and the client so the two never drift.
//!
//! Every type here is JSON with snake_case keys. Ids that come from course YAML (course,
//! module, lesson ids) are strings; ids the server makes (users, tokens) are UUIDs.
//! Routes live under [`API_PREFIX`]; the server documents them in its OpenAPI document.

mod auth;
mod catalog;
mod certificates;
mod error;
mod labs;
mod learning;
mod progress;
mod publish;
pub mod whole;

pub use auth::*;
pub use catalog::*;
pub use certificates::*;
pub use error::*;
pub use labs::*;
pub use learning::*;
pub use progress::*;
pub use publish::*;

/// Every API route starts with this prefix.
pub const API_PREFIX: &str = "/api/v1";
