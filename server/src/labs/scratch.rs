//! Scratch folders where submitted workspaces are unpacked for grading:
//! `<root>/<session id>/<random>/`, a fresh one per submission.
//!
//! A folder is removed when grading ends, whatever happens (its guard's `Drop` runs on
//! errors and panics too). Only a crash of the process can leave one behind; because the
//! folders are named by session, the expiry job finds those of sessions that have ended and
//! removes them ([`leftovers`]). Folders of sessions the database does not know are left
//! alone: another server sharing the folder may own them.

use std::io;
use std::path::{Path, PathBuf};

use uuid::Uuid;

use crate::config::ServerConfig;

/// Where scratch folders go: the data directory, or the system's temporary directory when
/// the data directory cannot be written.
pub fn roots(config: &ServerConfig) -> [PathBuf; 2] {
    [
        config.lab_scratch_dir(),
        std::env::temp_dir().join("cloudmaster-lab-submissions"),
    ]
}

/// A fresh, empty folder for one submission of one session, removed on drop.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
    session_dir: PathBuf,
}

impl ScratchDir {
    /// Creates the folder under the first of `roots` that can be written.
    pub fn create(roots: &[PathBuf], session: Uuid) -> io::Result<ScratchDir> {
        let mut last_error = io::Error::other("no scratch folder configured");
        for root in roots {
            match ScratchDir::create_in(root, session) {
                Ok(dir) => return Ok(dir),
                Err(err) => {
                    tracing::warn!(
                        root = %root.display(),
                        error = %err,
                        "cannot create a lab scratch folder here"
                    );
                    last_error = err;
                }
            }
        }
        Err(last_error)
    }

    fn create_in(root: &Path, session: Uuid) -> io::Result<ScratchDir> {
        let session_dir = root.join(session.to_string());
        private_dir_builder(true).create(&session_dir)?;
        let path = session_dir.join(Uuid::new_v4().simple().to_string());
        // Not recursive: fails if the folder exists, so it is always fresh.
        private_dir_builder(false).create(&path)?;
        Ok(ScratchDir { path, session_dir })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Err(err) = std::fs::remove_dir_all(&self.path)
            && err.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(path = %self.path.display(), error = %err,
                "cannot remove a lab scratch folder; the expiry job retries once the session ends");
        }
        // Fails (and stays) while another submission of the session is being graded.
        let _ = std::fs::remove_dir(&self.session_dir);
    }
}

/// Learner files are nobody else's business: folders are created `0700` on Unix.
fn private_dir_builder(recursive: bool) -> std::fs::DirBuilder {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(recursive);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
}

/// The session folders under `roots`: `(session id, folder)`. Blocking.
pub fn leftovers(roots: &[PathBuf]) -> Vec<(Uuid, PathBuf)> {
    let mut found = Vec::new();
    for root in roots {
        let Ok(entries) = std::fs::read_dir(root) else {
            continue;
        };
        for entry in entries.flatten() {
            let session = entry
                .file_name()
                .to_str()
                .and_then(|n| Uuid::parse_str(n).ok());
            if let Some(session) = session
                && entry.file_type().is_ok_and(|t| t.is_dir())
            {
                found.push((session, entry.path()));
            }
        }
    }
    found
}

/// Removes a session folder found by [`leftovers`]. Blocking.
pub fn remove(path: &Path) {
    if let Err(err) = std::fs::remove_dir_all(path)
        && err.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %err, "cannot remove a lab scratch folder");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_folders_are_fresh_and_removed() {
        let root = tempfile::tempdir().unwrap();
        let roots = [root.path().join("missing/deeper"), root.path().join("b")];
        let session = Uuid::new_v4();
        let first = ScratchDir::create(&roots, session).unwrap();
        let second = ScratchDir::create(&roots, session).unwrap();
        assert_ne!(first.path(), second.path());
        std::fs::write(first.path().join("f"), "x").unwrap();
        assert_eq!(
            leftovers(&roots),
            vec![(session, roots[0].join(session.to_string()))]
        );
        drop(first);
        assert!(
            roots[0].join(session.to_string()).exists(),
            "second is in use"
        );
        drop(second);
        assert!(leftovers(&roots).is_empty());
    }
}
