//! The storage conformance suite: every test runs against SQLite (a fresh file) and, when
//! `CLOUDMASTER_TEST_POSTGRES_URL` is set, against PostgreSQL (a fresh database), through
//! the `Store` trait only. Both backends must behave identically.
//!
//! Tests are named `<area>::<backend>::<behaviour>`, e.g. `progress::postgres::...`, so
//! `cargo test --test store_conformance postgres` runs one backend.

#[macro_use]
mod support;

#[path = "store_conformance/fixtures.rs"]
mod fixtures;

#[path = "store_conformance/accounts.rs"]
mod accounts;
#[path = "store_conformance/catalog.rs"]
mod catalog;
#[path = "store_conformance/labs.rs"]
mod labs;
#[path = "store_conformance/learning.rs"]
mod learning;
#[path = "store_conformance/password_resets.rs"]
mod password_resets;
#[path = "store_conformance/progress.rs"]
mod progress;
#[path = "store_conformance/security.rs"]
mod security;
#[path = "store_conformance/ssh_keys.rs"]
mod ssh_keys;
