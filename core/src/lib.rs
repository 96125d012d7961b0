//! cloudmaster's shared library.
//!
//! - [`api`]: the HTTP API's wire types, used by both the server and the client.
//! - [`course`]: the course format (YAML + Markdown), its validation and publish plans.
//! - [`lab`]: the lab runner (checks, workspaces, `lab test`) and safe workspace archives;
//!   the server uses it too, to re-run declarative checks on submitted work.
//! - [`assess`]: grading, exam draws, mastery, spaced review and readiness.
//! - [`cert`]: signed certificates (Ed25519 over canonical JSON), offline verification,
//!   Open Badges 3.0 export and the course completion rules.
//! - [`money`]: integer minor units of a currency, parsed and printed without floating point.
//! - [`display`]: numbers and times written for people, the same in every client.
//!
//! With the `client` feature (on by default) it also carries what only clients need:
//! the HTTP client, configuration and credential storage. The server builds without that
//! feature so it never links client-only dependencies.

pub mod api;
pub mod assess;
pub mod cert;
pub mod course;
pub mod display;
pub mod lab;
pub mod money;
pub mod plain;
pub mod sse;

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
pub mod config;
#[cfg(feature = "client")]
pub mod credentials;
#[cfg(feature = "client")]
pub mod device;
#[cfg(feature = "client")]
pub mod error;

#[cfg(feature = "client")]
pub use client::Client;
#[cfg(feature = "client")]
pub use error::{Error, Result};
