//! The one way the HTTP API tests start a server: [`TestApp`], the real server in this
//! process on a port-0 listener over a fresh [`TestDatabase`] (SQLite always, PostgreSQL
//! when `CLOUDMASTER_TEST_POSTGRES_URL` is set; see `support`), with a small JSON client.
//! No sleeps: the listener is bound before the server task starts, so the server is ready
//! once [`TestAppBuilder::spawn`] returns.
//!
//! [`TestApp::builder`] sets what a test needs beyond the defaults: configuration tweaks,
//! a clock the test moves ([`ManualClock`]), courses published before the test starts and
//! a learner enrolled in them. Several servers on one database are replicas.

#![allow(dead_code)]

pub mod smtp;

use std::path::Path;
use std::sync::Arc;

use cloudmaster_core::api::{Role, Tier, TokenPair, User};
use cloudmaster_core::course::{Course, load_course, scaffold_course};
use cloudmaster_server::auth::records::NewUser;
use cloudmaster_server::{AppState, Clock, ServerConfig, SystemClock};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::TcpListener;

pub use crate::support::{Backend, TestDatabase};

/// A password that passes the policy.
pub const PASSWORD: &str = "correct horse battery staple";

/// The instructor who publishes the courses given to [`TestAppBuilder::publish`].
pub const AUTHOR: &str = "author@example.com";

/// Test configuration on `db`: its data directory, and no rate limits unless a test sets
/// them.
pub fn config(db: &TestDatabase) -> ServerConfig {
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
        rate_limit_password_reset: 0,
        ..ServerConfig::default()
    }
}

/// One running server (a replica, when several run on one database), stopped when dropped.
pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub http: reqwest::Client,
    clock: Option<Arc<ManualClock>>,
    author: Option<Session>,
    learner: Option<Session>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// What a [`TestApp`] starts with; see [`TestApp::builder`].
pub struct TestAppBuilder {
    config: ServerConfig,
    clock: Option<Arc<ManualClock>>,
    courses: Vec<Course>,
    learner: Option<String>,
}

impl TestAppBuilder {
    /// Changes the test configuration (see [`config`]).
    pub fn config(mut self, tweak: impl FnOnce(&mut ServerConfig)) -> Self {
        tweak(&mut self.config);
        self
    }

    /// Runs the server on `clock` instead of the system clock; [`TestApp::clock`] returns
    /// it. Give replicas the same clock to move them together.
    pub fn clock(mut self, clock: Arc<ManualClock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Publishes `course` over HTTP before the test starts, as the instructor [`AUTHOR`]
    /// ([`TestApp::author`]).
    pub fn publish(mut self, course: Course) -> Self {
        self.courses.push(course);
        self
    }

    /// Creates the learner `email`, logged in ([`TestApp::learner`]) and enrolled in every
    /// published course.
    pub fn learner(mut self, email: &str) -> Self {
        self.learner = Some(email.to_owned());
        self
    }

    /// Starts the server and sets up the courses and the learner.
    pub async fn spawn(self) -> TestApp {
        let clock: Arc<dyn Clock> = match &self.clock {
            Some(clock) => clock.clone(),
            None => Arc::new(SystemClock),
        };
        let store =
            cloudmaster_server::store::open(&self.config.database_url(), self.config.pool_size)
                .await
                .expect("open store");
        let state = AppState::with_store(&self.config, store, clock)
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
        let mut app = TestApp {
            base,
            state,
            http: reqwest::Client::new(),
            clock: self.clock,
            author: None,
            learner: None,
            _stop: stop,
        };
        if !self.courses.is_empty() {
            let author = app.user(AUTHOR, Role::Instructor).await;
            for course in &self.courses {
                app.publish(&author, course).await;
            }
            app.author = Some(author);
        }
        if let Some(email) = &self.learner {
            let learner = app.user(email, Role::Learner).await;
            for course in &self.courses {
                app.enroll(&learner, &course.id).await;
            }
            app.learner = Some(learner);
        }
        app
    }
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
    /// A server on `db` with the test configuration and nothing else.
    pub async fn spawn(db: &TestDatabase) -> TestApp {
        TestApp::builder(db).spawn().await
    }

    /// A server on `db`, set up as the builder's options say.
    pub fn builder(db: &TestDatabase) -> TestAppBuilder {
        TestAppBuilder {
            config: config(db),
            clock: None,
            courses: Vec::new(),
            learner: None,
        }
    }

    /// The clock given to [`TestAppBuilder::clock`].
    #[track_caller]
    pub fn clock(&self) -> &ManualClock {
        self.clock
            .as_deref()
            .expect("this server runs on the system clock: build it with `.clock(...)`")
    }

    /// The server's time (its clock's).
    pub fn now(&self) -> time::OffsetDateTime {
        self.state.now()
    }

    /// The instructor who published the builder's courses.
    #[track_caller]
    pub fn author(&self) -> &Session {
        self.author
            .as_ref()
            .expect("no course was published: build the server with `.publish(...)`")
    }

    /// The learner enrolled in the builder's courses.
    #[track_caller]
    pub fn learner(&self) -> &Session {
        self.learner
            .as_ref()
            .expect("no learner was made: build the server with `.learner(...)`")
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.state.config().data_dir
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

    /// Creates an API token named `name` with `scopes` for `owner` over HTTP, expecting 201;
    /// returns its secret.
    pub async fn api_token(&self, owner: &Session, name: &str, scopes: &[&str]) -> String {
        self.post(
            "/api/v1/tokens",
            Some(&owner.token),
            &serde_json::json!({"name": name, "scopes": scopes}),
        )
        .await
        .expect(201)
        .body["token"]
            .as_str()
            .expect("the token's secret")
            .to_owned()
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

    /// Enrolls `learner` in `course` over HTTP, expecting 201.
    pub async fn enroll(&self, learner: &Session, course: &str) {
        self.post(
            &format!("/api/v1/courses/{course}/enrollment"),
            learner.t(),
            &serde_json::json!({}),
        )
        .await
        .expect(201);
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

    pub fn set(&self, at: time::OffsetDateTime) {
        *self.0.lock().unwrap() = at;
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
