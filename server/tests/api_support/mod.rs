//! Helpers for the HTTP API tests: a fresh database per test (SQLite always, PostgreSQL
//! when `CLOUDMASTER_TEST_POSTGRES_URL` is set), the real server on a port-0 listener, and
//! a small JSON client. No sleeps: the server is ready once `bind` returns.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use cloudmaster_core::api::{Role, Tier, TokenPair, User};
use cloudmaster_core::course::{Course, load_course, scaffold_course};
use cloudmaster_server::auth::records::NewUser;
use cloudmaster_server::{AppState, Clock, ServerConfig, SystemClock};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::TcpListener;

/// A password that passes the policy.
pub const PASSWORD: &str = "correct horse battery staple";

/// A fresh, empty database, and a temporary data directory that lives as long as it:
/// servers on one `TestDb` (replicas) share its key directory.
pub struct TestDb {
    pub url: String,
    pub backend: &'static str,
    _dir: tempfile::TempDir,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        TestDb {
            url: format!("sqlite://{}", dir.path().join("cloudmaster.db").display()),
            backend: "sqlite",
            _dir: dir,
        }
    }

    /// A new database on the server named by `CLOUDMASTER_TEST_POSTGRES_URL`, if set.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var("CLOUDMASTER_TEST_POSTGRES_URL").ok()?;
        let name = format!("cm_api_{}", uuid::Uuid::new_v4().simple());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url)
            .await
            .expect("connect to CLOUDMASTER_TEST_POSTGRES_URL");
        // The name is generated above, never user input.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let mut url = url::Url::parse(&admin_url).expect("postgres url");
        url.set_path(&name);
        Some(TestDb {
            url: url.to_string(),
            backend: "postgres",
            _dir: tempfile::tempdir().expect("temp dir"),
        })
    }

    /// The data directory of servers on this database.
    pub fn data_dir(&self) -> &Path {
        self._dir.path()
    }

    /// Stores a secret in `server_secrets` the way servers before the key directory did
    /// (the database must be migrated: open a store on it first).
    pub async fn put_legacy_secret(&self, name: &str, value: &[u8]) {
        use sqlx::Connection as _;
        if self.backend == "postgres" {
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
        } else {
            let mut conn = sqlx::SqliteConnection::connect(&self.url)
                .await
                .expect("connect");
            sqlx::query("INSERT INTO server_secrets (name, value, created_at) VALUES (?1, ?2, 0)")
                .bind(name)
                .bind(value)
                .execute(&mut conn)
                .await
                .expect("insert secret");
        }
    }

    pub async fn of(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(TestDb::sqlite().await),
            Backend::Postgres => TestDb::postgres().await,
        }
    }
}

/// Fails the test when PostgreSQL is missing on CI (`CI` set), where a PostgreSQL test
/// that passes by skipping would hide that half of the suite never ran.
pub fn require_postgres_on_ci() {
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false") {
        panic!(
            "CI is set but CLOUDMASTER_TEST_POSTGRES_URL is not: the PostgreSQL tests cannot \
             run (run them through scripts/test, which starts a PostgreSQL server)"
        );
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs the async test `$name(Backend)` once per backend: `$name::sqlite` and
/// `$name::postgres` (which passes trivially without `CLOUDMASTER_TEST_POSTGRES_URL`,
/// except on CI, where it fails).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::api_support::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if std::env::var_os("CLOUDMASTER_TEST_POSTGRES_URL").is_some() {
                    super::$name($crate::api_support::Backend::Postgres).await;
                } else {
                    $crate::api_support::require_postgres_on_ci();
                }
            }
        }
    )*};
}

/// Test configuration: no rate limits unless a test sets them.
pub fn config(db: &TestDb) -> ServerConfig {
    ServerConfig {
        database_url: Some(db.url.clone()),
        data_dir: db.data_dir().to_owned(),
        pool_size: 8,
        rate_limit_free: 0,
        rate_limit_premium: 0,
        rate_limit_staff: 0,
        rate_limit_anonymous: 0,
        rate_limit_login: 0,
        rate_limit_register: 0,
        rate_limit_refresh: 0,
        ..ServerConfig::default()
    }
}

/// One running server (a replica).
pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// A response: status, headers and the body as JSON (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Reply {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Asserts an error response with `status` and `code` in the standard shape.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Reply {
        let reply = self.expect(status);
        assert_eq!(reply.body["error"]["code"], code, "body: {}", reply.text);
        assert!(
            reply.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "error without message: {}",
            reply.text
        );
        reply
    }

    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> (TestApp, TestDb) {
        let db = TestDb::of(backend).await.expect("backend available");
        let app = TestApp::on(&db, |_| {}).await;
        (app, db)
    }

    /// A server on `db` with `tweak` applied to the test configuration.
    pub async fn on(db: &TestDb, tweak: impl FnOnce(&mut ServerConfig)) -> TestApp {
        TestApp::on_clock(db, Arc::new(SystemClock), tweak).await
    }

    /// Like [`TestApp::on`], with the server's clock given (see [`ManualClock`]).
    pub async fn on_clock(
        db: &TestDb,
        clock: Arc<dyn Clock>,
        tweak: impl FnOnce(&mut ServerConfig),
    ) -> TestApp {
        let mut config = config(db);
        tweak(&mut config);
        let store = cloudmaster_server::store::open(&config.database_url(), config.pool_size)
            .await
            .expect("open store");
        let state = AppState::with_store(&config, store, clock)
            .await
            .expect("open state");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = state.clone();
        tokio::spawn(async move {
            let _ = cloudmaster_server::serve(listener, serving, async {
                let _ = stopped.await;
            })
            .await;
        });
        TestApp {
            base,
            state,
            http: reqwest::Client::new(),
            _stop: stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    fn with_token(
        request: reqwest::RequestBuilder,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(Self::with_token(self.http.get(self.url(path)), token))
            .await
    }

    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &impl serde::Serialize,
    ) -> Reply {
        self.send(Self::with_token(self.http.post(self.url(path)), token).json(body))
            .await
    }

    pub async fn put(
        &self,
        path: &str,
        token: Option<&str>,
        body: &impl serde::Serialize,
    ) -> Reply {
        self.send(Self::with_token(self.http.put(self.url(path)), token).json(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(Self::with_token(self.http.delete(self.url(path)), token))
            .await
    }

    /// Creates an account directly and logs in over HTTP.
    pub async fn user(&self, email: &str, role: Role) -> Session {
        self.state
            .create_user(email, email, PASSWORD, role)
            .await
            .expect("create user");
        self.login(email).await
    }

    /// A premium learner, created through the store (there is no API for tiers yet).
    pub async fn premium_learner(&self, email: &str) -> Session {
        let hash = {
            // Any valid Argon2 hash works: create a throwaway user to get one.
            let tmp = format!("hash-source-{email}");
            self.state
                .create_user(&tmp, "tmp", PASSWORD, Role::Learner)
                .await
                .expect("hash source");
            self.state
                .store()
                .user_by_email(&tmp)
                .await
                .unwrap()
                .unwrap()
                .password_hash
        };
        self.state
            .store()
            .create_user(
                NewUser {
                    email: email.to_owned(),
                    name: "Premium".to_owned(),
                    password_hash: hash,
                    role: Role::Learner,
                    tier: Tier::Premium,
                },
                self.state.now(),
            )
            .await
            .expect("premium user");
        self.login(email).await
    }

    pub async fn login(&self, email: &str) -> Session {
        let reply = self
            .post(
                "/api/v1/auth/login",
                None,
                &serde_json::json!({"email": email, "password": PASSWORD}),
            )
            .await
            .expect(200);
        let pair: TokenPair = serde_json::from_value(reply.body).expect("token pair");
        Session {
            token: pair.access_token,
            refresh: pair.refresh_token,
            user: pair.user,
        }
    }

    /// Publishes `course` over HTTP as `session`, expecting 200.
    pub async fn publish(&self, session: &Session, course: &Course) -> Value {
        self.post(
            &format!("/api/v1/courses/{}/versions", course.id),
            Some(&session.token),
            course,
        )
        .await
        .expect(200)
        .body
    }
}

/// A clock that moves only when the test says so; starts at the real time (whole
/// seconds), so the tokens it stamps are valid.
pub struct ManualClock(std::sync::Mutex<time::OffsetDateTime>);

impl ManualClock {
    pub fn new() -> Arc<ManualClock> {
        let now = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap();
        Arc::new(ManualClock(std::sync::Mutex::new(now)))
    }

    pub fn advance(&self, by: time::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> time::OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

/// A logged-in user.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub refresh: String,
    pub user: User,
}

impl Session {
    pub fn t(&self) -> Option<&str> {
        Some(&self.token)
    }
}

/// A small valid course with id `id`, made by the core scaffold and loaded by the core
/// loader (one module `getting-started` with lessons `welcome` and `first-steps`).
pub fn course(id: &str) -> Course {
    let dir = tempfile::tempdir().expect("temp dir");
    let path: &Path = &dir.path().join(id);
    scaffold_course(path, id).expect("scaffold");
    let (course, diagnostics) = load_course(path).expect("load");
    assert!(
        !cloudmaster_core::course::has_errors(&diagnostics),
        "scaffolded course invalid: {diagnostics:?}"
    );
    course
}
