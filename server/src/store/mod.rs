//! Storage: one [`Store`] trait of domain operations, with a SQLite and a PostgreSQL
//! implementation chosen once at start-up from the database URL.
//!
//! Handlers never see SQL. Every method is one logical operation and, where it writes more
//! than one row, one transaction. Both backends pass the same conformance suite
//! (`server/tests/store_conformance.rs`).
//!
//! # One implementation, two dialects
//!
//! [`Store`] is made of one trait per area (`accounts.rs`, `catalog.rs`, `progress.rs`, ...,
//! each beside this file). The queries are written once, in `store/sql/`, and compiled once
//! per backend: each backend module (`sqlite/`, `postgres/`) declares `type Backend` (its
//! store, with a `reader` and a `writer` pool) and `type Db` (its sqlx database) with
//! `sql_backend!`, which includes the folder as the backend's own `sql` module, where
//! `store/sql/<area>.rs` implements the area's trait for `Backend`. So one text of SQL and
//! one Rust function serve both. Time is bound and read as [`Timestamp`] (INTEGER
//! microseconds on SQLite, TIMESTAMPTZ on PostgreSQL), JSON as `sqlx::types::Json` (TEXT or
//! JSONB), and parameters are numbered (`$1`), which both accept.
//!
//! Where a new query goes: in the shared file of its area under `store/sql/`, written in the
//! SQL both dialects agree on (`CAST($1 AS TEXT)` rather than `$1::text`, `CASE` rather than
//! `max`/`GREATEST`, `->>` on JSON, sorting of text in Rust or with `bytewise!()`). It may
//! differ per backend only where the dialects truly do; then the shared code uses a macro or
//! constant that each backend gives `sql_backend!` (row locks with `for_update!()`, empty
//! on SQLite where `BEGIN IMMEDIATE` holds the write lock; how a transaction that writes
//! begins; text in byte order; the rows of a JSON array), or a function of the same name
//! that each backend defines in its `mod.rs` (and `store/sql/mod.rs` imports): advisory
//! locks (`lock_start`, nothing on SQLite), the progress commit (`write_progress`: SQLite
//! commits in groups) and full-text search (`search_hits`: FTS5 against tsvector). Pool
//! setup and migrations are the backend's own.
//!
//! The records the store keeps and returns belong to their domains (`crate::auth::records`,
//! `crate::learning::records`, `crate::learning::progress`, `crate::labs::records`,
//! `crate::publish`, `crate::certificates`, `crate::billing::records`, `crate::mail`; the tutor's are API types,
//! and SSH keys' are checked by `crate::ssh_keys`), with the rules that need no database; the
//! store only persists them.
//!
//! Every timestamp a method writes comes from its caller (a `now` argument or a field the
//! caller set), never from the system clock, so the server's injected clock reaches them all.

use async_trait::async_trait;

mod accounts;
mod billing;
mod catalog;
mod certificates;
mod labs;
mod learning;
mod mail;
mod password_resets;
mod payments;
mod progress;
mod security;
mod ssh_keys;
mod state;
mod subscriptions;
mod tutor;

/// Declares, inside a backend module, what the shared queries in `store/sql/` need to know
/// of it, and includes them as its `sql` module (compiled once per backend):
/// - `Backend` (its store, with `reader` and `writer` pools), `Db` (its sqlx database) and
///   `NAME` (for logs and `/readyz`);
/// - `BEGIN_WRITE`: the statement that begins a transaction that will write;
/// - `for_update!()`: appended to a `SELECT` that a write transaction reads before it
///   writes, to lock the rows read, so replicas editing the same rows take turns;
/// - `bytewise!()`: appended to an `ORDER BY` text column to order by bytes whatever the
///   database's collation, so both backends list alike;
/// - `json_elements!()`: the table function whose rows are the elements of a JSON array,
///   each as the column `value`.
macro_rules! sql_backend {
    (
        store: $store:ty,
        database: $db:ty,
        name: $name:literal,
        begin_write: $begin_write:literal,
        for_update: $for_update:literal,
        bytewise: $bytewise:literal,
        json_elements: $json_elements:literal $(,)?
    ) => {
        type Backend = $store;
        type Db = $db;
        const NAME: &str = $name;
        const BEGIN_WRITE: &str = $begin_write;
        macro_rules! for_update {
            () => {
                $for_update
            };
        }
        macro_rules! bytewise {
            () => {
                $bytewise
            };
        }
        macro_rules! json_elements {
            () => {
                $json_elements
            };
        }
        #[path = "../sql/mod.rs"]
        #[allow(clippy::duplicate_mod)] // compiled once per backend, by design
        mod sql;
    };
}

pub mod postgres;
mod shared;
pub mod sqlite;
mod timestamp;

pub use accounts::AccountStore;
pub use billing::BillingStore;
pub use catalog::CatalogStore;
pub use certificates::{CertificateStore, CompletionFacts};
pub use labs::LabStore;
pub use learning::LearningStore;
pub use mail::MailStore;
pub use password_resets::PasswordResetStore;
pub use payments::PaymentStore;
pub use progress::ProgressStore;
pub use security::SecurityStore;
pub use ssh_keys::{LinkedSshKey, NewSshKey, SshKeyAdded, SshKeyStore};
pub use state::{RateCount, StateStore};
pub use subscriptions::SubscriptionStore;
pub use timestamp::Timestamp;
pub use tutor::{TutorStore, TutorTurn};

/// Errors from storage. Constraint violations the API turns into 409/422 have their own
/// variants so handlers never inspect database error codes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Conflict(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The group of writes this one was committed with failed as a whole (SQLite's group
    /// commit of lesson progress): the group's database error, shared by each of its writes.
    #[error("a group of writes failed to commit")]
    Batch(#[source] std::sync::Arc<sqlx::Error>),
    /// The database file or its directory could not be made ready to open (SQLite): created,
    /// locked or made owner-only.
    #[error("{what}")]
    File {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    /// Whether the database refused a text value it cannot hold: PostgreSQL stores no NUL
    /// character in text (SQLSTATE 22021). That is the request's fault, not the server's.
    pub fn is_unstorable_text(&self) -> bool {
        let database_error = match self {
            StoreError::Database(e) => e,
            StoreError::Batch(e) => &**e,
            _ => return false,
        };
        database_error
            .as_database_error()
            .and_then(|e| e.code())
            .is_some_and(|code| code == "22021")
    }

    fn file(what: String, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StoreError::File {
            what,
            source: source.into(),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Every storage operation: one trait per area (`accounts.rs`, `catalog.rs`, ...), each
/// implemented once for both backends by the file of the same name in `store/sql/`.
#[async_trait]
pub trait Store:
    AccountStore
    + StateStore
    + CatalogStore
    + ProgressStore
    + LearningStore
    + CertificateStore
    + LabStore
    + SecurityStore
    + BillingStore
    + PaymentStore
    + SubscriptionStore
    + TutorStore
    + SshKeyStore
    + PasswordResetStore
    + MailStore
    + Send
    + Sync
    + 'static
{
    /// Which backend this is, for logs and `/readyz`: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Cheap round trip to the database, for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;
}

/// Opens the store named by `database_url` (`sqlite://...` or `postgres://...`) and runs
/// its migrations.
pub async fn open(database_url: &str, pool_size: u32) -> StoreResult<std::sync::Arc<dyn Store>> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(
            postgres::PgStore::connect(database_url, pool_size).await?,
        ))
    } else {
        Ok(std::sync::Arc::new(
            sqlite::SqliteStore::connect(database_url, pool_size).await?,
        ))
    }
}
