//! Helpers for the CLI tests: a real server on a port-0 listener over a temporary SQLite
//! database ([`TestServer`], the one way these tests start one), the `cloudmaster` binary
//! run in an isolated home (XDG folders, file credentials, set on the child process only —
//! the test process's environment is never changed), and a server address that refuses
//! connections ([`ClosedPort`]).

#![allow(dead_code)]

pub mod labs;
pub mod learning;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use assert_cmd::Command;
use cloudmaster_core::api::{Role, User};
use cloudmaster_core::course::load_course;
use cloudmaster_server::{AppState, Clock, ServerConfig};
use tempfile::TempDir;
use time::OffsetDateTime;

/// A server running in the background of this test, stopped when dropped, on a clock the
/// test can move forward (review items come due, attempts run out of time).
pub struct TestServer {
    pub url: String,
    pub state: AppState,
    clock: Arc<ShiftedClock>,
    runtime: tokio::runtime::Runtime,
    _dir: TempDir,
}

/// The system clock plus a shift.
#[derive(Default)]
struct ShiftedClock(Mutex<time::Duration>);

impl Clock for ShiftedClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + *self.0.lock().unwrap()
    }
}

impl TestServer {
    pub fn start() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let clock = Arc::new(ShiftedClock::default());
        let (state, url) = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let config = ServerConfig {
                listen: addr,
                data_dir: dir.path().to_owned(),
                database_url: None,
                ..ServerConfig::default()
            };
            let store = cloudmaster_server::store::open(&config.database_url(), config.pool_size)
                .await
                .unwrap();
            let state = AppState::with_store(&config, store, clock.clone())
                .await
                .unwrap();
            tokio::spawn(cloudmaster_server::serve(
                listener,
                state.clone(),
                std::future::pending(),
            ));
            (state, format!("http://{addr}/"))
        });
        TestServer {
            url,
            state,
            clock,
            runtime,
            _dir: dir,
        }
    }

    /// Moves the server's clock forward.
    pub fn advance(&self, by: time::Duration) {
        *self.clock.0.lock().unwrap() += by;
    }

    /// The same server (same database) answering on a new port too, as after a restart on
    /// another port; returns its URL.
    pub fn listen_again(&self) -> String {
        let state = self.state.clone();
        self.runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(cloudmaster_server::serve(
                listener,
                state,
                std::future::pending(),
            ));
            format!("http://{addr}/")
        })
    }

    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Creates an account directly in the server.
    pub fn create_user(&self, email: &str, password: &str, role: Role) -> User {
        self.block_on(self.state.create_user(email, "Test User", password, role))
            .unwrap()
    }

    /// Publishes the course folder `dir` as `publisher`, in-process.
    pub fn publish(&self, publisher: &User, dir: &Path) {
        let (course, diagnostics) = load_course(dir).unwrap();
        assert!(
            !cloudmaster_core::course::has_errors(&diagnostics),
            "{diagnostics:?}"
        );
        self.block_on(self.state.publish(publisher, course, false))
            .unwrap();
    }
}

/// An isolated home for the binary.
pub struct Home {
    pub dir: TempDir,
    pub server: String,
    /// For [`Home::offline`]: keeps its server address refusing connections.
    _unreachable: Option<ClosedPort>,
}

impl Home {
    pub fn new(server: &str) -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
            server: server.to_owned(),
            _unreachable: None,
        }
    }

    /// A home whose server cannot be reached (for commands that need none).
    pub fn offline() -> Home {
        let closed = ClosedPort::new();
        let mut home = Home::new(&closed.url);
        home._unreachable = Some(closed);
        home
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `cloudmaster` with this home's environment, run in the home folder.
    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cloudmaster"));
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy().into_owned();
            if name.starts_with("CLOUDMASTER_") || name == "NO_COLOR" || name == "RUST_LOG" {
                cmd.env_remove(name);
            }
        }
        let root = self.path();
        cmd.current_dir(root)
            .env("HOME", root)
            .env("XDG_CONFIG_HOME", root.join("config"))
            .env("XDG_DATA_HOME", root.join("data"))
            .env("XDG_STATE_HOME", root.join("state"))
            .env("CLOUDMASTER_CREDENTIALS", "file")
            .env("CLOUDMASTER_SERVER", &self.server);
        cmd
    }

    /// [`Home::std_cmd`] for assert_cmd, with a time limit.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::from_std(self.std_cmd());
        cmd.timeout(std::time::Duration::from_secs(60));
        cmd
    }

    /// Runs `args` and returns stdout, asserting success.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.cmd().args(args).output().unwrap();
        assert!(
            output.status.success(),
            "cloudmaster {args:?} failed with {:?}\nstdout:\n{}\nstderr:\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs `args` with `-o json` and parses stdout.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }

    /// Runs `args` and returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let output = self.cmd().args(args).output().unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    }

    /// Registers and logs in through the CLI.
    pub fn register(&self, email: &str, password: &str) {
        self.cmd()
            .args([
                "register",
                "--email",
                email,
                "--name",
                "Learner",
                "--password-stdin",
            ])
            .write_stdin(format!("{password}\n"))
            .assert()
            .success();
    }

    /// Logs in through the CLI.
    pub fn login(&self, email: &str, password: &str, extra: &[&str]) {
        self.cmd()
            .args(["login", "--email", email, "--password-stdin"])
            .args(extra)
            .write_stdin(format!("{password}\n"))
            .assert()
            .success();
    }

    pub fn credentials_file(&self) -> PathBuf {
        self.path().join("config/cloudmaster/credentials.json")
    }

    /// The stored credentials file as JSON.
    pub fn credentials(&self) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.credentials_file()).unwrap()).unwrap()
    }

    /// The stored pair of the default profile on this server.
    pub fn stored_pair(&self) -> (String, String) {
        let key = format!("default@{}", self.server);
        let entry = &self.credentials()["credentials"][&key];
        (
            entry["access_token"].as_str().unwrap().to_owned(),
            entry["refresh_token"].as_str().unwrap().to_owned(),
        )
    }
}

/// A local server address that refuses connections, for as long as this value lives: a
/// socket bound to a free port that never listens. Connecting gets "connection refused",
/// and since the socket does not allow address reuse, no other socket can take the port
/// meanwhile (a port found free and then released could be taken by anyone, so the "no
/// server here" of a test could become someone's server answering).
pub struct ClosedPort {
    /// `http://127.0.0.1:PORT/`
    pub url: String,
    _socket: tokio::net::TcpSocket,
}

impl ClosedPort {
    pub fn new() -> ClosedPort {
        let socket = tokio::net::TcpSocket::new_v4().expect("create a socket");
        socket
            .bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bind a free port");
        let addr = socket.local_addr().expect("bound address");
        ClosedPort {
            url: format!("http://{addr}/"),
            _socket: socket,
        }
    }
}
