//! Helpers shared by the server's integration tests: a fresh, empty database per test, on
//! every backend under test.
//!
//! - SQLite is always tested: each [`TestDatabase`] is a new file in its own temporary
//!   directory, deleted when the value is dropped.
//! - PostgreSQL is tested when `CLOUDMASTER_TEST_POSTGRES_URL` names a server (for example
//!   `postgres://postgres@127.0.0.1:55432/postgres`; the user must be allowed to create
//!   databases). Each [`TestDatabase`] is then a new database `cm_test_<random>` on that
//!   server, dropped (`WITH (FORCE)`) when the value is dropped, so tests run in parallel
//!   without seeing each other's rows.
//!
//! Nothing here changes the process environment; the variable is only read.
//!
//! Use it from a test binary with `#[macro_use] mod support;`, then either
//!
//! ```ignore
//! // one test per backend, named `sqlite::enrolls` and `postgres::enrolls`:
//! async fn enrolls(db: &TestDatabase) { let store = db.open().await; /* ... */ }
//! backend_tests!(enrolls);
//! ```
//!
//! or, inside one test, `for db in support::test_databases().await { ... db.url ... }`.
//! Keep each [`TestDatabase`] alive for as long as anything uses its URL.

#![allow(dead_code, unused_macros)]

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use cloudmaster_server::store::{self, Store};
use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};

/// The variable naming the PostgreSQL server to test against.
pub const POSTGRES_URL_VAR: &str = "CLOUDMASTER_TEST_POSTGRES_URL";

/// Reader-pool size of stores opened by [`TestDatabase::open`].
pub const TEST_POOL_SIZE: u32 = 4;

/// A fresh, empty database that is deleted when dropped. Not migrated yet: the first
/// `store::open` of `url` runs the migrations, as the server does at start-up.
pub struct TestDatabase {
    /// `sqlite` or `postgres`, for messages.
    pub label: &'static str,
    /// The database URL, as given to `store::open` or the server's `--database-url`.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
    },
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl TestDatabase {
    /// Opens a store on this database (running migrations). May be called several times
    /// to get independent stores (like two server replicas) on the same data.
    pub async fn open(&self) -> Arc<dyn Store> {
        store::open(&self.url, TEST_POOL_SIZE)
            .await
            .unwrap_or_else(|e| panic!("cannot open the {} test database: {e:?}", self.label))
    }

    /// The database file, for SQLite.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.cleanup {
            Cleanup::Sqlite { path, .. } => Some(path),
            Cleanup::Postgres { .. } => None,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Cleanup::Postgres { admin_url, name } = &self.cleanup else {
            return; // the TempDir removes the SQLite files
        };
        // Drop may run inside a runtime, where blocking on a future is not allowed: use a
        // thread with its own small runtime. Errors only leave a stray database behind.
        let (admin_url, name) = (admin_url.clone(), name.clone());
        let dropper = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut conn) = admin_connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(AssertSqlSafe(sql)).execute(&mut conn).await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// A fresh SQLite database file in a new temporary directory.
pub async fn fresh_sqlite() -> TestDatabase {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let path = dir.path().join("cloudmaster.db");
    TestDatabase {
        label: "sqlite",
        url: format!("sqlite://{}", path.display()),
        cleanup: Cleanup::Sqlite { _dir: dir, path },
    }
}

/// The PostgreSQL server under test, if `CLOUDMASTER_TEST_POSTGRES_URL` is set.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// Fails the test when PostgreSQL is missing on CI (`CI` set): there, a PostgreSQL test
/// that passes by skipping would hide that half of the suite never ran.
pub fn require_postgres_on_ci() {
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false") {
        panic!(
            "CI is set but {POSTGRES_URL_VAR} is not: the PostgreSQL tests cannot run \
             (run them through scripts/test, which starts a PostgreSQL server)"
        );
    }
}

/// A fresh PostgreSQL database, or `None` (after printing why) when
/// `CLOUDMASTER_TEST_POSTGRES_URL` is not set (a failure on CI). Panics when it is set but
/// unusable: a configured backend that silently does not run would hide failures.
pub async fn fresh_postgres() -> Option<TestDatabase> {
    let Some(admin_url) = postgres_admin_url() else {
        require_postgres_on_ci();
        println!("skipped: {POSTGRES_URL_VAR} not set");
        return None;
    };
    // Only [a-z0-9_]: safe to splice into DDL, which cannot take bind parameters.
    let name = format!("cm_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = admin_connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_URL_VAR}={admin_url}: {e}"));
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
    let _ = conn.close().await;
    Some(TestDatabase {
        label: "postgres",
        url: with_database(&admin_url, &name),
        cleanup: Cleanup::Postgres { admin_url, name },
    })
}

/// One fresh database per backend under test: SQLite always, then PostgreSQL when
/// configured (otherwise a "skipped" line is printed).
pub async fn test_databases() -> Vec<TestDatabase> {
    let mut dbs = vec![fresh_sqlite().await];
    dbs.extend(fresh_postgres().await);
    dbs
}

/// Stores a secret in `server_secrets` the way servers before the key directory did, to
/// test that it is moved out.
pub async fn put_legacy_secret(url: &str, name: &str, value: &[u8]) {
    if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query("INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, now())")
            .bind(name)
            .bind(value)
            .execute(&mut conn)
            .await
            .expect("insert secret");
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query("INSERT INTO server_secrets (name, value, created_at) VALUES (?1, ?2, 0)")
            .bind(name)
            .bind(value)
            .execute(&mut conn)
            .await
            .expect("insert secret");
    }
}

async fn admin_connect(admin_url: &str) -> Result<sqlx::PgConnection, sqlx::Error> {
    PgConnectOptions::from_str(admin_url)?
        .disable_statement_logging()
        .connect()
        .await
}

/// `url` with its database (path) replaced by `database`, keeping any query parameters.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    match query {
        Some(query) => format!("{}/{database}?{query}", &base[..path]),
        None => format!("{}/{database}", &base[..path]),
    }
}

/// Declares, for each `async fn name(db: &TestDatabase)` given, the tests `sqlite::name`
/// and `postgres::name`, each on a fresh database. The PostgreSQL variant prints
/// "skipped: CLOUDMASTER_TEST_POSTGRES_URL not set" and passes when the variable is unset.
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::support::fresh_sqlite().await;
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::support::fresh_postgres().await else {
                        return;
                    };
                    super::$name(&db).await;
                }
            )*
        }
    };
}
