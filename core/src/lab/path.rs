//! Keeping paths inside the workspace.
//!
//! Paths in a lab (check paths, starter and solution files) and in a submitted archive are
//! relative and '/'-separated. [`segments`] refuses absolute paths and `..` before anything
//! touches the disk; [`resolve`] then follows symlinks the learner may have made and refuses
//! one that leads out of the workspace, so a check never reads `/etc/passwd` through
//! `policy.json -> /etc/passwd`.

use std::io;
use std::path::{Path, PathBuf};

/// Why a path was refused.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    /// Absolute, has a `..` component, or leads out through a symlink.
    #[error("`{path}`: path escapes the workspace")]
    Escapes { path: String },
    /// Not usable as a relative file path (empty, a backslash, ...).
    #[error("`{path}`: {reason}")]
    Invalid { path: String, reason: &'static str },
    /// The workspace folder itself cannot be resolved.
    #[error("cannot open the workspace {}", dir.display())]
    Workspace {
        dir: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The components of a relative, '/'-separated path, without empty and `.` segments.
///
/// Refuses absolute paths (including Windows drive and UNC forms), `..` components and
/// backslashes (a separator on Windows, so `..\x` must not slip through there), and paths that
/// name nothing but the workspace itself.
pub fn segments(path: &str) -> Result<Vec<&str>, PathError> {
    let invalid = |reason| PathError::Invalid {
        path: path.to_owned(),
        reason,
    };
    if path.is_empty() {
        return Err(invalid("the path is empty"));
    }
    let bytes = path.as_bytes();
    let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if path.starts_with('/') || drive || Path::new(path).is_absolute() {
        return Err(PathError::Escapes {
            path: path.to_owned(),
        });
    }
    let parts: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if parts.contains(&"..") {
        return Err(PathError::Escapes {
            path: path.to_owned(),
        });
    }
    if path.contains('\\') {
        return Err(invalid(
            "the path contains a backslash; separate folders with /",
        ));
    }
    if path.contains('\0') {
        return Err(invalid("the path contains a NUL byte"));
    }
    if parts.is_empty() {
        return Err(invalid("the path names the workspace itself, not a file"));
    }
    Ok(parts)
}

/// Resolves `path` inside `workspace`, following symlinks.
///
/// `Ok(Some(p))`: the entry exists and `p` is its canonical path, inside the workspace.
/// `Ok(None)`: nothing exists there (a dangling symlink counts as nothing). `Err(Escapes)`:
/// the path, or the nearest existing folder above it, resolves outside the workspace.
pub fn resolve(workspace: &Path, path: &str) -> Result<Option<PathBuf>, PathError> {
    let parts = segments(path)?;
    let root = workspace
        .canonicalize()
        .map_err(|source| PathError::Workspace {
            dir: workspace.to_owned(),
            source,
        })?;
    let escapes = || PathError::Escapes {
        path: path.to_owned(),
    };
    let mut joined = root.clone();
    joined.extend(&parts);
    match joined.canonicalize() {
        Ok(real) if real.starts_with(&root) => Ok(Some(real)),
        Ok(_) => Err(escapes()),
        Err(_) => {
            // Missing (or a dangling or looping link). Still refuse when a folder on the way
            // leads out, so the answer says "escapes" rather than "missing" for `out/x`
            // where `out` links to `/etc`.
            for depth in (0..parts.len()).rev() {
                let mut ancestor = root.clone();
                ancestor.extend(&parts[..depth]);
                if let Ok(real) = ancestor.canonicalize() {
                    return if real.starts_with(&root) {
                        Ok(None)
                    } else {
                        Err(escapes())
                    };
                }
            }
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_refuse_absolute_parent_and_backslash() {
        assert_eq!(segments("./a//b/./c.txt").unwrap(), ["a", "b", "c.txt"]);
        for escaping in ["/etc/passwd", "../x", "a/../../x", "a/..", "C:/x"] {
            assert!(
                matches!(segments(escaping), Err(PathError::Escapes { .. })),
                "{escaping}"
            );
        }
        for invalid in ["", ".", "./", "a\\b", "..\\x"] {
            assert!(
                matches!(segments(invalid), Err(PathError::Invalid { .. })),
                "{invalid}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn resolve_refuses_symlinks_leading_out() {
        use std::os::unix::fs::symlink;
        let ws = tempfile::tempdir().unwrap();
        std::fs::write(ws.path().join("real.json"), "{}").unwrap();
        std::fs::create_dir(ws.path().join("sub")).unwrap();
        symlink("/etc/passwd", ws.path().join("policy.json")).unwrap();
        symlink("/etc", ws.path().join("out")).unwrap();
        symlink("../real.json", ws.path().join("sub/inside.json")).unwrap();
        symlink("/nonexistent/target", ws.path().join("dangling")).unwrap();

        let err = resolve(ws.path(), "policy.json").unwrap_err();
        assert_eq!(err.to_string(), "`policy.json`: path escapes the workspace");
        assert!(matches!(
            resolve(ws.path(), "out/passwd"),
            Err(PathError::Escapes { .. })
        ));
        assert!(matches!(
            resolve(ws.path(), "out/missing"),
            Err(PathError::Escapes { .. })
        ));

        let inside = resolve(ws.path(), "sub/inside.json").unwrap().unwrap();
        assert!(inside.ends_with("real.json"));
        assert_eq!(resolve(ws.path(), "missing/file").unwrap(), None);
        assert_eq!(resolve(ws.path(), "dangling").unwrap(), None);
    }
}
