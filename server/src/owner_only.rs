//! Files and directories that only the server's own user may read: the data directory, the
//! SQLite database and the signing keys.
//!
//! New directories are made with mode 0700 and new files with 0600, set when they are
//! created (never chmod-ed afterwards, so there is no moment in which others could open
//! them). Existing ones that group or others may read are tightened, with a warning, except
//! key files, which [`check_file`] refuses: a key others could read may have been copied,
//! and only its owner can decide whether to rotate it.

use std::fs::{self, DirBuilder, OpenOptions, Permissions};
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use rand::RngCore as _;

use crate::server_error::{Context as _, ServerError};

/// Permission bits that let anyone but the owner in.
const OTHERS: u32 = 0o077;
/// The sticky bit: set on shared directories such as `/tmp`.
const STICKY: u32 = 0o1000;

/// Creates `dir` (and missing parents) with mode 0700, or tightens an existing directory
/// that others may enter. `what` names it in messages ("data directory").
pub fn ensure_dir(dir: &Path, what: &str) -> Result<(), ServerError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create the {what} {}", dir.display()))?;
    let mode = fs::metadata(dir)
        .with_context(|| format!("cannot read the {what} {}", dir.display()))?
        .permissions()
        .mode();
    if mode & OTHERS == 0 {
        return Ok(());
    }
    if mode & STICKY != 0 {
        return Err(ServerError::Refused(format!(
            "the {what} {} is a shared directory (mode {:o}); give the server a directory \
             of its own",
            dir.display(),
            mode & 0o7777
        )));
    }
    fs::set_permissions(dir, Permissions::from_mode(0o700)).with_context(|| {
        format!(
            "the {what} {} has mode {:o}, open to other users, and cannot be changed; \
             run `chmod 700 {}`",
            dir.display(),
            mode & 0o777,
            dir.display()
        )
    })?;
    tracing::warn!(
        path = %dir.display(),
        was = format!("{:o}", mode & 0o777),
        "the {what} was open to other users; changed its mode to 700"
    );
    Ok(())
}

/// Creates `path` empty with mode 0600 if it does not exist; tightens it to 0600 if it
/// does and others may read it.
pub fn ensure_file(path: &Path, what: &str) -> Result<(), ServerError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create the {what} {}", path.display()))?;
    tighten_file(path, what)
}

/// Tightens `path` to 0600 if it exists and others may read it.
pub fn tighten_file(path: &Path, what: &str) -> Result<(), ServerError> {
    let mode = match fs::metadata(path) {
        Ok(meta) => meta.permissions().mode(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read the {what} {}", path.display()));
        }
    };
    if mode & OTHERS == 0 {
        return Ok(());
    }
    fs::set_permissions(path, Permissions::from_mode(0o600)).with_context(|| {
        format!(
            "the {what} {} has mode {:o}, readable by other users, and cannot be changed; \
             run `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        )
    })?;
    tracing::warn!(
        path = %path.display(),
        was = format!("{:o}", mode & 0o777),
        "the {what} was readable by other users; changed its mode to 600"
    );
    Ok(())
}

/// Refuses a file that others may read (see the module docs for why it is not tightened).
pub fn check_file(path: &Path, what: &str) -> Result<(), ServerError> {
    let mode = fs::metadata(path)
        .with_context(|| format!("cannot read the {what} {}", path.display()))?
        .permissions()
        .mode();
    if mode & OTHERS != 0 {
        return Err(ServerError::Refused(format!(
            "the {what} {} has mode {:o}: other users may read it. Run `chmod 600 {}`; if \
             someone else could have copied it, also run `cloudmaster-server keys rotate`",
            path.display(),
            mode & 0o777,
            path.display()
        )));
    }
    Ok(())
}

/// Replaces `path` with `contents` so that readers see the old file or the new one, never
/// a part: written to a 0600 temporary file in the same directory, flushed to disk, then
/// renamed over `path`.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), ServerError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = dir.join(format!(".{name}.{:016x}.tmp", rand::rng().next_u64()));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        // Make the rename itself durable.
        fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written.with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn dirs_are_created_and_tightened() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a").join("b");
        ensure_dir(&dir, "test directory").unwrap();
        assert_eq!(mode(&dir), 0o700);
        fs::set_permissions(&dir, Permissions::from_mode(0o755)).unwrap();
        ensure_dir(&dir, "test directory").unwrap();
        assert_eq!(mode(&dir), 0o700);

        fs::set_permissions(&dir, Permissions::from_mode(0o1777)).unwrap();
        let err = ensure_dir(&dir, "test directory").unwrap_err().to_string();
        assert!(err.contains("shared directory"), "{err}");
    }

    #[test]
    fn files_are_created_tightened_and_checked() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("f");
        ensure_file(&file, "test file").unwrap();
        assert_eq!(mode(&file), 0o600);
        fs::set_permissions(&file, Permissions::from_mode(0o644)).unwrap();
        let err = check_file(&file, "key file").unwrap_err().to_string();
        assert!(
            err.contains("mode 644") && err.contains("chmod 600"),
            "{err}"
        );
        tighten_file(&file, "test file").unwrap();
        assert_eq!(mode(&file), 0o600);
        check_file(&file, "key file").unwrap();
    }

    #[test]
    fn atomic_writes_replace_with_owner_only_files() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("k");
        fs::write(&file, b"old").unwrap();
        fs::set_permissions(&file, Permissions::from_mode(0o644)).unwrap();
        write_atomic(&file, b"new").unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"new");
        assert_eq!(mode(&file), 0o600);
        assert_eq!(
            fs::read_dir(root.path()).unwrap().count(),
            1,
            "no temp left"
        );
    }
}
