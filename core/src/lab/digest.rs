//! A digest of what a workspace holds, so a failing check run counts toward hints only when
//! the learner changed something: saving the same content again, or checking the starter
//! files as they were written, is not another attempt.
//!
//! The digest covers the paths, kinds and bytes of everything under the workspace except
//! `.cloudmaster` (the state) and `.git`, in path order, without following symlinks (a link
//! counts by its target path). It ignores modification times and permissions. Files larger
//! than [`MAX_READ_BYTES`](super::check::MAX_READ_BYTES) count by their size and first bytes,
//! like the checks that read them; past [`MAX_ENTRIES`] entries the rest is left out.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::check::MAX_READ_BYTES;
use super::workspace::state::is_state_path;

/// Entries beyond this many are left out of the digest.
pub const MAX_ENTRIES: usize = 20_000;

/// The hex SHA-256 digest of the workspace at `root`. Blocking: it reads every file.
pub fn content_digest(root: &Path) -> String {
    let mut entries = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        let Ok(read) = std::fs::read_dir(root.join(&rel)) else {
            continue;
        };
        for entry in read.flatten() {
            let child = rel.join(entry.file_name());
            if is_state_path(&child) || child.as_os_str() == ".git" {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                pending.push(child.clone());
            }
            entries.push((child, kind));
            if entries.len() >= MAX_ENTRIES {
                pending.clear();
                break;
            }
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));

    let mut hash = Sha256::new();
    for (rel, kind) in entries {
        hash.update(rel.to_string_lossy().as_bytes());
        hash.update([0]);
        let path = root.join(&rel);
        if kind.is_dir() {
            hash.update(b"dir");
        } else if kind.is_symlink() {
            hash.update(b"link\0");
            if let Ok(target) = std::fs::read_link(&path) {
                hash.update(target.to_string_lossy().as_bytes());
            }
        } else if kind.is_file() {
            hash.update(b"file\0");
            let len = std::fs::metadata(&path).map_or(0, |m| m.len());
            hash.update(len.to_le_bytes());
            let mut bytes = Vec::new();
            if let Ok(file) = std::fs::File::open(&path) {
                let _ = file.take(MAX_READ_BYTES).read_to_end(&mut bytes);
            }
            hash.update(&bytes);
        } else {
            hash.update(b"other");
        }
        hash.update([0]);
    }
    hex::encode(hash.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_changes_the_digest() {
        let ws = tempfile::tempdir().unwrap();
        std::fs::create_dir(ws.path().join("conf")).unwrap();
        std::fs::write(ws.path().join("conf/a.yaml"), "a: 1\n").unwrap();
        let first = content_digest(ws.path());
        assert_eq!(first.len(), 64);

        // Saving the same bytes again, or touching the state and .git, changes nothing.
        std::fs::write(ws.path().join("conf/a.yaml"), "a: 1\n").unwrap();
        std::fs::create_dir_all(ws.path().join(".cloudmaster")).unwrap();
        std::fs::write(ws.path().join(".cloudmaster/lab.json"), "{}").unwrap();
        std::fs::create_dir_all(ws.path().join(".git")).unwrap();
        std::fs::write(ws.path().join(".git/HEAD"), "ref").unwrap();
        assert_eq!(content_digest(ws.path()), first);

        // New bytes, a new file or a renamed one do.
        std::fs::write(ws.path().join("conf/a.yaml"), "a: 2\n").unwrap();
        let edited = content_digest(ws.path());
        assert_ne!(edited, first);
        std::fs::write(ws.path().join("conf/a.yaml"), "a: 1\n").unwrap();
        assert_eq!(content_digest(ws.path()), first, "back to the same content");
        std::fs::rename(ws.path().join("conf/a.yaml"), ws.path().join("conf/b.yaml")).unwrap();
        assert_ne!(content_digest(ws.path()), first);
        std::fs::write(ws.path().join("notes.md"), "").unwrap();
        assert_ne!(content_digest(ws.path()), first);
    }
}
