//! The HTTP API, end to end: the real server on a port-0 listener, real HTTP with reqwest.
//!
//! Every test runs on SQLite (`<area>::sqlite::<test>`) and, when
//! `CLOUDMASTER_TEST_POSTGRES_URL` names a PostgreSQL server, on a fresh PostgreSQL database
//! too (`<area>::postgres::<test>`), so `cargo test --test api postgres` runs one backend.
//! The cases are grouped by area under `api_cases/`; servers are started by `TestApp`
//! (`api_support/`) on the databases of `support/`.

#[macro_use]
mod support;

mod api_support;
#[path = "api_cases/labs_support.rs"]
mod labs_support;
#[path = "api_cases/learning_support.rs"]
mod learning_support;
#[path = "api_cases/tutor_support.rs"]
mod tutor_support;

#[path = "api_cases/account_data.rs"]
mod account_data;
#[path = "api_cases/attempt_rules.rs"]
mod attempt_rules;

#[path = "api_cases/auth.rs"]
mod auth;
#[path = "api_cases/billing.rs"]
mod billing;
#[path = "api_cases/billing_stripe.rs"]
mod billing_stripe;
#[path = "api_cases/billing_subscriptions.rs"]
mod billing_subscriptions;
#[path = "api_cases/billing_support.rs"]
mod billing_support;
#[path = "api_cases/catalog.rs"]
mod catalog;
#[path = "api_cases/certificates.rs"]
mod certificates;
#[path = "api_cases/clock.rs"]
mod clock;
#[path = "api_cases/contract.rs"]
mod contract;
#[path = "api_cases/keys.rs"]
mod keys;
#[path = "api_cases/lab_submissions.rs"]
mod lab_submissions;
#[path = "api_cases/labs.rs"]
mod labs;
#[path = "api_cases/learning.rs"]
mod learning;
#[path = "api_cases/ops.rs"]
mod ops;
#[path = "api_cases/password_reset.rs"]
mod password_reset;
#[path = "api_cases/publish.rs"]
mod publish;
#[path = "api_cases/replicas.rs"]
mod replicas;
#[path = "api_cases/security.rs"]
mod security;
#[path = "api_cases/ssh.rs"]
mod ssh;
#[path = "api_cases/ssh_keys.rs"]
mod ssh_keys;
#[path = "api_cases/tutor.rs"]
mod tutor;
#[path = "api_cases/tutor_llm.rs"]
mod tutor_llm;
