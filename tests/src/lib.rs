//! Cross-crate end-to-end tests live in `tests/`; this library holds what they share: a
//! real `cloudmaster-server` process started on port 0.
//!
//! The server picks its own free port (`--listen 127.0.0.1:0`) and writes the URL it
//! listens on to `--url-file`; the tests read it from there. Nothing picks a free port
//! beforehand and hands it over, which another process could take in between.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long to wait for a server to start before failing: generous, since a loaded
/// machine may be slow to start a process, and waiting ends as soon as it is up.
const START_LIMIT: Duration = Duration::from_secs(60);

/// A running `cloudmaster-server` process, killed when dropped.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`, as the server wrote it.
    pub url: String,
    log: PathBuf,
}

impl ServerProcess {
    /// Starts `server` (a `cloudmaster-server` command with the flags of the test) on a
    /// free port and waits until it listens. `work` is a folder for its URL file and log
    /// (`<name>.url`, `<name>.log`), so that several servers can share one folder.
    pub fn start(mut server: Command, work: &Path, name: &str) -> ServerProcess {
        let url_file = work.join(format!("{name}.url"));
        let log = work.join(format!("{name}.log"));
        // A file left by an earlier server of that name (killed without cleaning up) must
        // not be taken for this one's.
        let _ = std::fs::remove_file(&url_file);
        let log_file = std::fs::File::create(&log).expect("create the server log");
        let child = server
            .args(["--listen", "127.0.0.1:0"])
            .arg("--url-file")
            .arg(&url_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("start cloudmaster-server");
        let mut process = ServerProcess {
            child,
            url: String::new(),
            log,
        };
        process.url = process.wait_for_url(&url_file);
        process
    }

    /// Waits until the server wrote its URL file (it renames the file into place whole, so
    /// a file that exists is complete), or fails with its log when it ended instead.
    fn wait_for_url(&mut self, url_file: &Path) -> String {
        let deadline = Instant::now() + START_LIMIT;
        loop {
            if let Ok(text) = std::fs::read_to_string(url_file) {
                return text.trim().to_owned();
            }
            if let Some(status) = self.child.try_wait().expect("poll the server") {
                panic!(
                    "cloudmaster-server ended ({status}) before listening\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "cloudmaster-server did not listen within {START_LIMIT:?}\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the server with SIGKILL (`Child::kill` on Unix), as a crash would, and waits
    /// for it to be gone.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL the server");
        self.child.wait().expect("reap the server");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
