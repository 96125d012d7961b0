//! `<data-dir>/quickstart.json`: which quickstart serves a data folder, and where.
//!
//! Written once the listener is bound, removed when the server stops. A file left behind by
//! a quickstart that was killed is recognised as stale: its process is gone, or nothing
//! answers `/healthz` at its address.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use cloudmaster_core::Client;
use serde::{Deserialize, Serialize};
use url::Url;

const FILE: &str = "quickstart.json";

/// How long to wait for the health check of a server that may be gone.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(3);

/// A quickstart server found serving the data folder.
#[derive(Debug)]
pub struct Running {
    pub url: Url,
    pub pid: u32,
}

/// The file's content.
#[derive(Serialize, Deserialize)]
struct Record {
    url: String,
    pid: u32,
}

/// The file of the running quickstart; removed when dropped.
pub struct Marker {
    path: PathBuf,
}

impl Marker {
    pub fn write(data_dir: &Path, url: &Url) -> anyhow::Result<Marker> {
        let path = data_dir.join(FILE);
        let running = Record {
            url: url.to_string(),
            pid: std::process::id(),
        };
        let text = serde_json::to_string_pretty(&running)?;
        std::fs::write(&path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Marker { path })
    }
}

impl Drop for Marker {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The quickstart serving `data_dir`, when its file names a live process whose server
/// answers.
pub async fn find(data_dir: &Path, timeout: Duration) -> Option<Running> {
    let text = std::fs::read_to_string(data_dir.join(FILE)).ok()?;
    let record: Record = serde_json::from_str(&text).ok()?;
    let running = Running {
        url: Url::parse(&record.url).ok()?,
        pid: record.pid,
    };
    if running.pid == std::process::id() || !process_alive(running.pid) {
        return None;
    }
    let client =
        Client::with_timeout(running.url.clone(), None, timeout.min(HEALTH_TIMEOUT)).ok()?;
    client.health().await.ok()?;
    Some(running)
}

/// Whether process `pid` exists; assumed so where that cannot be told cheaply (the health
/// check still has to pass).
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if cfg!(target_os = "linux") && proc.is_dir() {
        return proc.join(pid.to_string()).exists();
    }
    true
}
