//! A real SMTP server for mail tests: `scripts/smtp-sink` (aiosmtpd, from PyPI) on a port
//! the kernel picks, one per test, storing what it receives in a maildir the test reads.
//! Without aiosmtpd a test that needs it prints that it skipped, except on CI, where it
//! fails.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct SmtpSink {
    /// `smtp://127.0.0.1:PORT`.
    pub url: String,
    maildir: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

/// One message as the sink stored it: its headers and body, as text.
#[derive(Debug, Clone)]
pub struct Received {
    pub text: String,
}

impl Received {
    /// The value of the first header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.text
            .lines()
            .take_while(|line| !line.is_empty())
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name).then(|| value.trim())
            })
    }

    /// The first word of the message that starts with `prefix`.
    pub fn word_starting(&self, prefix: &str) -> Option<&str> {
        self.text
            .split_whitespace()
            .find(|word| word.starts_with(prefix))
    }
}

impl SmtpSink {
    /// Starts a sink; None (the test skips) when aiosmtpd is missing, a failure on CI.
    pub fn start() -> Option<SmtpSink> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let maildir = dir.path().join("mail");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/smtp-sink");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg(&maildir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start scripts/smtp-sink with python3");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("read the sink's URL");
        if line.trim().is_empty() {
            let status = child.wait().expect("sink exit status");
            if std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false") {
                panic!(
                    "CI is set but the SMTP sink did not start ({status}): install aiosmtpd \
                     (python3 -m pip install aiosmtpd)"
                );
            }
            eprintln!("skipped: the SMTP sink did not start ({status}); pip install aiosmtpd");
            return None;
        }
        Some(SmtpSink {
            url: line.trim().to_owned(),
            maildir,
            child,
            _dir: dir,
        })
    }

    /// What arrived so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
            .filter_map(Result::ok)
            .map(|e| (e.metadata().and_then(|m| m.modified()).unwrap(), e.path()))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, path)| Received {
                text: std::fs::read_to_string(path).expect("read a stored message"),
            })
            .collect()
    }

    /// Waits until `count` messages arrived (a minute at most, for a loaded machine).
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..1_200 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{count} messages did not arrive; got {:?}", self.received());
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
