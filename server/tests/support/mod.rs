//! The test databases of the server's integration tests (`store_conformance` and `api`): a
//! fresh, empty database per test on every backend under test, deleted when the test ends.
//!
//! - SQLite is always tested: each [`TestDatabase`] is a new file in its own temporary
//!   directory, deleted with it.
//! - PostgreSQL is tested when `CLOUDMASTER_TEST_POSTGRES_URL` names a server (for example
//!   `postgres://postgres@127.0.0.1:55432/postgres`; the user must be allowed to create
//!   databases). Each [`TestDatabase`] is then a new database `cm_test_<random>` on that
//!   server, dropped (`WITH (FORCE)`, so connections still open do not keep it) when the
//!   value is dropped, also when the test panics. Tests run in parallel without seeing
//!   each other's rows, and a run leaves no database behind.
//!
//! Every [`TestDatabase`] also has a data directory of its own: servers started on it keep
//! their signing keys there, so replicas on one database share them as in production.
//!
//! Nothing here changes the process environment; the variable is only read. Without it,
//! the PostgreSQL variant of a test prints that it skipped and passes, except when `CI` is
//! set: there it fails, so that half of the suite cannot silently not run.
//!
//! Use it from a test binary with `#[macro_use] mod support;`, then
//!
//! ```ignore
//! // one test per backend, named `sqlite::enrolls` and `postgres::enrolls`:
//! async fn enrolls(db: &TestDatabase) { let store = db.open().await; /* ... */ }
//! backend_tests!(enrolls);
//! ```
//!
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

/// The database engines the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A fresh, empty database that is deleted when dropped. Not migrated yet: the first
/// `store::open` of `url` runs the migrations, as the server does at start-up.
pub struct TestDatabase {
    pub backend: Backend,
    /// The database URL, as given to `store::open` or the server's `--database-url`.
    pub url: String,
    /// The data directory of servers on this database (and the SQLite file).
    dir: tempfile::TempDir,
    /// For PostgreSQL: drops the database.
    postgres: Option<DropDatabase>,
}

impl TestDatabase {
    /// A fresh database on `backend`, or `None` when PostgreSQL is not configured (after
    /// printing that the test skipped; a failure on CI).
    pub async fn fresh(backend: Backend) -> Option<TestDatabase> {
        match backend {
            Backend::Sqlite => Some(TestDatabase::sqlite()),
            Backend::Postgres => TestDatabase::postgres().await,
        }
    }

    /// A fresh SQLite database file in a new temporary directory.
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        TestDatabase {
            backend: Backend::Sqlite,
            url: format!("sqlite://{}", dir.path().join("cloudmaster.db").display()),
            dir,
            postgres: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` (after printing why) when
    /// `CLOUDMASTER_TEST_POSTGRES_URL` is not set (a failure on CI). Panics when it is set
    /// but unusable: a configured backend that silently does not run would hide failures.
    pub async fn postgres() -> Option<TestDatabase> {
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
        // From here on the database exists: the guard drops it whatever happens next.
        let postgres = DropDatabase { admin_url, name };
        Some(TestDatabase {
            backend: Backend::Postgres,
            url: with_database(&postgres.admin_url, &postgres.name),
            dir: tempfile::tempdir().expect("create a temporary directory"),
            postgres: Some(postgres),
        })
    }

    /// Another fresh database on the same backend (for a server that must not share data
    /// with this one).
    pub async fn another(&self) -> TestDatabase {
        TestDatabase::fresh(self.backend)
            .await
            .expect("the backend of an existing test database is configured")
    }

    /// Opens a store on this database (running migrations). May be called several times
    /// to get independent stores (like two server replicas) on the same data.
    pub async fn open(&self) -> Arc<dyn Store> {
        store::open(&self.url, TEST_POOL_SIZE)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot open the {} test database: {e:?}",
                    self.backend.name()
                )
            })
    }

    /// The data directory of servers on this database.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The database file, for SQLite.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match self.backend {
            Backend::Sqlite => Some(self.dir.path().join("cloudmaster.db")),
            Backend::Postgres => None,
        }
    }

    /// Stores a secret in `server_secrets` the way servers before the key directory did,
    /// to test that it is moved out (the database must be migrated: open a store first).
    pub async fn put_legacy_secret(&self, name: &str, value: &[u8]) {
        match self.backend {
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::query(
                    "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, now())",
                )
                .bind(name)
                .bind(value)
                .execute(&mut conn)
                .await
                .expect("insert secret");
            }
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::query(
                    "INSERT INTO server_secrets (name, value, created_at) VALUES (?1, ?2, 0)",
                )
                .bind(name)
                .bind(value)
                .execute(&mut conn)
                .await
                .expect("insert secret");
            }
        }
    }
}

/// Drops a PostgreSQL test database when dropped.
struct DropDatabase {
    admin_url: String,
    name: String,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        // Drop may run inside a runtime (at the end of an async test), where blocking on a
        // future is not allowed: a thread with its own small runtime does the work, and
        // waiting for that thread is allowed. It never panics (this may run while a failed
        // test unwinds); a database it could not drop is reported on stderr.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut conn = admin_connect(&admin_url).await.map_err(|e| e.to_string())?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let dropped = sqlx::query(AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string());
                let _ = conn.close().await;
                dropped
            })
        })
        .join()
        .unwrap_or_else(|_| Err("the dropping thread panicked".to_owned()));
        if let Err(err) = dropped {
            eprintln!(
                "warning: could not drop the test database {}: {err}",
                self.name
            );
        }
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
/// and `postgres::name`, each on a fresh database that is deleted when the test ends. The
/// PostgreSQL variant prints "skipped: CLOUDMASTER_TEST_POSTGRES_URL not set" and passes
/// when the variable is unset, except on CI, where it fails.
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::support::TestDatabase::sqlite();
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::support::TestDatabase::postgres().await else {
                        return;
                    };
                    super::$name(&db).await;
                }
            )*
        }
    };
}
