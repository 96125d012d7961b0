//! The queries both backends share, written once and compiled once per backend: each backend
//! module includes this folder as its own `sql` module (see the docs of `crate::store`), so
//! `Backend`, `Db` and the few functions whose SQL differs per dialect below are that
//! backend's.

use super::{BEGIN_WRITE, Backend, Db, NAME, lock_start, search_hits, write_progress};

mod accounts;
mod billing;
mod catalog;
mod certificates;
mod labs;
mod learning;
mod mail;
mod password_resets;
mod payments;
pub(super) mod progress;
mod security;
mod ssh_keys;
mod state;
mod store;
mod subscriptions;
mod tutor;
