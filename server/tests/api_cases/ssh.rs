//! The TUI over SSH, driven by OpenSSH's `ssh` client in a pseudo-terminal, as a learner
//! would: a key linked with the API, the dashboard, a lesson, a resize, quitting; an unknown
//! key told what to run; a session over the account's limit refused. The screen is read
//! back through a terminal emulator (vt100).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cloudmaster_core::api::Role;
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use serde_json::json;
use tokio::net::TcpListener;

use crate::api_support::{TestApp, course};
use crate::support::TestDatabase;

/// How long a screen may take to show what a test waits for (a loaded CI machine).
const WAIT: Duration = Duration::from_secs(60);
const COURSE: &str = "ssh-course";

backend_tests!(
    a_linked_key_opens_the_tui_which_resizes_and_quits,
    an_unknown_key_is_told_how_to_link_one,
    a_suspension_ends_open_sessions_and_refuses_the_key,
    a_session_over_the_account_limit_is_refused,
    a_stopping_server_says_goodbye_to_its_sessions,
);

/// A server with the SSH listener on, a learner enrolled in one course, and a folder for
/// keys; `per_account` sessions allowed per account.
struct SshServer {
    app: TestApp,
    port: u16,
    keys: tempfile::TempDir,
    /// Dropping it stops the SSH server.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl SshServer {
    async fn start(db: &TestDatabase, per_account: u32) -> SshServer {
        let app = TestApp::builder(db)
            .publish(course(COURSE))
            .learner("ada@example.com")
            .config(|c| c.ssh.ssh_sessions_per_account = per_account)
            .spawn()
            .await;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let api = url::Url::parse(&app.base).expect("base URL");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = app.state.clone();
        tokio::spawn(async move {
            let stopped = async {
                let _ = stopped.await;
            };
            cloudmaster_server::ssh::serve(listener, state, api, stopped)
                .await
                .expect("ssh server");
        });
        SshServer {
            app,
            port,
            keys: tempfile::tempdir().expect("temp dir"),
            stop: Some(stop),
        }
    }

    /// A new key pair named `name`; its private key's path.
    fn key(&self, name: &str) -> PathBuf {
        let path = self.keys.path().join(name);
        let made = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(&path)
            .status()
            .expect("ssh-keygen (Debian: openssh-client) must be installed");
        assert!(made.success());
        path
    }

    /// Links the public half of `key` to the learner's account.
    async fn link(&self, key: &Path) {
        let public = std::fs::read_to_string(key.with_extension("pub")).expect("public key");
        self.app
            .post(
                "/api/v1/account/ssh-keys",
                self.app.learner().t(),
                &json!({ "public_key": public }),
            )
            .await
            .expect(201);
    }

    /// `ssh -t` to the server with `key` only, in an 80x24 pseudo-terminal of a 256-colour
    /// xterm.
    fn connect(&self, key: &Path) -> SshClient {
        self.connect_as(key, "xterm-256color")
    }

    /// The same, with `TERM` set to `term`.
    fn connect_as(&self, key: &Path, term: &str) -> SshClient {
        SshClient::spawn(self.port, key, self.keys.path(), term)
    }
}

/// OpenSSH's client in a pseudo-terminal, and the screen it shows.
struct SshClient {
    master: Box<dyn MasterPty + Send>,
    child: Box<dyn Child + Send + Sync>,
    input: Box<dyn Write + Send>,
    screen: Arc<Mutex<vt100::Parser>>,
    /// Everything received, for the messages printed outside the TUI.
    output: Arc<Mutex<Vec<u8>>>,
}

impl SshClient {
    fn spawn(port: u16, key: &Path, home: &Path, term: &str) -> SshClient {
        let size = PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        };
        let pty = native_pty_system()
            .openpty(size)
            .expect("a pseudo-terminal");
        let mut command = CommandBuilder::new("ssh");
        command.args(["-F", "/dev/null", "-t", "-p", &port.to_string(), "-i"]);
        command.arg(key);
        command.args([
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "PreferredAuthentications=publickey,keyboard-interactive",
            "learner@127.0.0.1",
        ]);
        // Nothing of the user's own SSH setup: no agent, no ~/.ssh.
        command.env_remove("SSH_AUTH_SOCK");
        command.env("HOME", home);
        command.env("TERM", term);
        let child = pty
            .slave
            .spawn_command(command)
            .expect("ssh (openssh-client)");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let input = pty.master.take_writer().expect("pty writer");
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            24.try_into().unwrap(),
            80.try_into().unwrap(),
            0,
        )));
        let output = Arc::new(Mutex::new(Vec::new()));
        let (screen_w, output_w) = (Arc::clone(&screen), Arc::clone(&output));
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                screen_w.lock().unwrap().process(&buf[..n]);
                output_w.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        SshClient {
            master: pty.master,
            child,
            input,
            screen,
            output,
        }
    }

    fn screen(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn output(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// Waits until `ready` holds for the screen, or fails with the screen.
    async fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return;
            }
            assert!(
                started.elapsed() < WAIT,
                "waited for {what}; the screen:\n{screen}\noutput: {:?}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn wait_for_text(&self, text: &str) {
        self.wait_for(text, |screen| screen.contains(text)).await;
    }

    fn press(&mut self, keys: &str) {
        self.input.write_all(keys.as_bytes()).expect("typing");
        self.input.flush().expect("typing");
    }

    /// Resizes the terminal, as a window manager would: the kernel tells ssh (SIGWINCH),
    /// which tells the server.
    fn resize(&self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize");
        self.screen
            .lock()
            .unwrap()
            .screen_mut()
            .set_size(rows.try_into().unwrap(), cols.try_into().unwrap());
    }

    /// Waits for ssh to exit; its exit code and everything it printed.
    async fn finish(mut self) -> (u32, String) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("ssh status") {
                // Let the reader take the last bytes.
                tokio::time::sleep(Duration::from_millis(100)).await;
                return (status.exit_code(), self.output());
            }
            if started.elapsed() > WAIT {
                let _ = self.child.kill();
                panic!("ssh did not exit; output: {:?}", self.output());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The palette indices of the foreground colours `output` sets (`ESC [ 38;5;N m`, which
/// is how the named colours are written too, as 0 to 15).
fn colours(output: &str) -> Vec<u16> {
    output
        .split("38;5;")
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

async fn a_linked_key_opens_the_tui_which_resizes_and_quits(db: &TestDatabase) {
    let server = SshServer::start(db, 3).await;
    let key = server.key("ada");
    server.link(&key).await;

    let mut client = server.connect(&key);
    client.wait_for_text("Dashboard").await;
    client.wait_for_text("Welcome back").await;

    // The course's first lesson, from the dashboard.
    client.press("\r");
    client.wait_for_text("Lessons are Markdown files").await;

    // A bigger window: the TUI draws into all of it (the status bar moves to the last row).
    client.resize(100, 30);
    client
        .wait_for("the status bar on row 30", |screen| {
            screen
                .lines()
                .nth(29)
                .is_some_and(|row| row.contains("quit"))
        })
        .await;

    client.press("q");
    let (status, output) = client.finish().await;
    assert_eq!(status, 0, "{output}");
    assert!(output.contains("Goodbye"), "{output}");
    // Colours for the TERM ssh sent: beyond the 16 named ones for an xterm-256color.
    assert!(colours(&output).iter().any(|&c| c >= 16), "{output}");

    // Nothing is left open: the login session it used is revoked, and the key may open a
    // session again.
    let again = server.connect(&key);
    again.wait_for_text("Dashboard").await;
}

async fn an_unknown_key_is_told_how_to_link_one(db: &TestDatabase) {
    let server = SshServer::start(db, 3).await;
    let linked = server.key("ada");
    server.link(&linked).await;
    let stranger = server.key("stranger");

    let client = server.connect(&stranger);
    let (status, output) = client.finish().await;
    assert_ne!(status, 0, "{output}");
    assert!(output.contains("linked to no account"), "{output}");
    assert!(output.contains("cloudmaster keys add"), "{output}");
    assert!(!output.contains("Dashboard"), "{output}");
}

async fn a_suspension_ends_open_sessions_and_refuses_the_key(db: &TestDatabase) {
    let server = SshServer::start(db, 3).await;
    let key = server.key("ada");
    server.link(&key).await;
    let open = server.connect(&key);
    open.wait_for_text("Dashboard").await;

    let admin = server.app.user("admin@example.com", Role::Admin).await;
    let learner = server.app.learner().user.id;
    server
        .app
        .put(
            &format!("/api/v1/admin/users/{learner}/suspended"),
            admin.t(),
            &json!({ "suspended": true }),
        )
        .await
        .expect(200);

    // The session open ends at once, saying why.
    let (status, output) = open.finish().await;
    assert_eq!(status, 1, "{output}");
    assert!(output.contains("Your account was suspended"), "{output}");

    // The key no longer opens one.
    let (status, output) = server.connect(&key).finish().await;
    assert_ne!(status, 0, "{output}");
    assert!(output.contains("is suspended"), "{output}");
    assert!(!output.contains("Dashboard"), "{output}");
}

async fn a_session_over_the_account_limit_is_refused(db: &TestDatabase) {
    let server = SshServer::start(db, 1).await;
    let key = server.key("ada");
    server.link(&key).await;

    let mut first = server.connect(&key);
    first.wait_for_text("Dashboard").await;

    let second = server.connect(&key);
    let (status, output) = second.finish().await;
    assert_ne!(status, 0, "{output}");
    assert!(output.contains("the most it may have"), "{output}");

    first.press("q");
    let (status, output) = first.finish().await;
    assert_eq!(status, 0, "{output}");
}

async fn a_stopping_server_says_goodbye_to_its_sessions(db: &TestDatabase) {
    let mut server = SshServer::start(db, 3).await;
    let key = server.key("ada");
    server.link(&key).await;
    // The Linux console: 16 colours only.
    let client = server.connect_as(&key, "linux");
    client.wait_for_text("Dashboard").await;

    server.stop.take();
    let (status, output) = client.finish().await;
    assert_eq!(status, 0, "{output}");
    assert!(output.contains("The server is shutting down"), "{output}");
    let used = colours(&output);
    assert!(!used.is_empty() && used.iter().all(|&c| c < 16), "{used:?}");
}
