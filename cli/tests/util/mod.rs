//! Helpers for the CLI tests: a real server on port 0 over a temporary SQLite database, and
//! the `cloudmaster` binary run in an isolated home (XDG folders, file credentials), set on
//! the child process only — the test process's environment is never changed.

#![allow(dead_code)]

pub mod learning;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use cloudmaster_core::api::{Role, User};
use cloudmaster_core::course::load_course;
use cloudmaster_server::{AppState, ServerConfig};
use tempfile::TempDir;

/// A server running in the background of this test, stopped when dropped.
pub struct TestServer {
    pub url: String,
    pub state: AppState,
    runtime: tokio::runtime::Runtime,
    _dir: TempDir,
}

impl TestServer {
    pub fn start() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (state, url) = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let config = ServerConfig {
                listen: addr,
                data_dir: dir.path().to_owned(),
                database_url: None,
                ..ServerConfig::default()
            };
            let state = AppState::open(&config).await.unwrap();
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
            runtime,
            _dir: dir,
        }
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
}

impl Home {
    pub fn new(server: &str) -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
            server: server.to_owned(),
        }
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

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
