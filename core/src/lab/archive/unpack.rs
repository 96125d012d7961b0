//! Unpacking a submitted workspace archive without trusting it.

use std::cell::Cell;
use std::io::{self, Read, Write as _};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use flate2::read::GzDecoder;
use tar::EntryType;

use super::{ArchiveError, ArchiveLimits, MAX_NAME_BYTES, MAX_PATH_BYTES, io_error};

/// Decompressed bytes allowed per entry beyond its file content: its header, padding, and
/// a long name or PAX header. Only bounds the raw stream; file content is counted exactly.
const OVERHEAD_PER_ENTRY: u64 = 8 * 1024;
/// Room for the end-of-archive blocks and the record padding tar writers add.
const OVERHEAD_SLACK: u64 = 64 * 1024;

/// What an archive held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct UnpackedSummary {
    pub files: u64,
    pub dirs: u64,
    /// Total size of the files.
    pub bytes: u64,
}

/// Unpacks the `.tar.gz` `bytes` into `fresh_dir`, which must exist and be empty.
///
/// Refuses, naming the entry: `..` components, absolute paths, names longer than
/// [`MAX_NAME_BYTES`] and paths longer than [`MAX_PATH_BYTES`], symlinks, hard links, devices,
/// FIFOs and other special entries, duplicate entries, more than `limits.max_files` entries,
/// more than `limits.max_bytes` of file content (counted while decompressing, so a lying
/// header or a gzip bomb is stopped at the limit, never expanded in full), and input larger
/// than `limits.max_compressed_bytes`. Nothing is written outside `fresh_dir`; on refusal
/// the folder is emptied again.
pub fn unpack_into(
    bytes: &[u8],
    fresh_dir: &Path,
    limits: &ArchiveLimits,
) -> Result<UnpackedSummary, ArchiveError> {
    let size = bytes.len() as u64;
    if size > limits.max_compressed_bytes {
        return Err(ArchiveError::CompressedTooLarge {
            size: Some(size),
            limit: limits.max_compressed_bytes,
        });
    }
    ensure_fresh(fresh_dir)?;
    let result = unpack(bytes, fresh_dir, limits);
    if result.is_err() {
        empty(fresh_dir);
    }
    result
}

fn ensure_fresh(dir: &Path) -> Result<(), ArchiveError> {
    let not_fresh = || ArchiveError::NotFresh {
        dir: dir.to_owned(),
    };
    let meta = std::fs::symlink_metadata(dir).map_err(|_| not_fresh())?;
    if !meta.is_dir() {
        return Err(not_fresh());
    }
    if std::fs::read_dir(dir)
        .map_err(io_error(dir))?
        .next()
        .is_some()
    {
        return Err(not_fresh());
    }
    Ok(())
}

/// Best effort: removes what a refused archive left in `dir` (which was empty before).
fn empty(dir: &Path) {
    let Ok(children) = std::fs::read_dir(dir) else {
        return;
    };
    for child in children.flatten() {
        let path = child.path();
        // `remove_dir_all` does not follow symlinks, and we never create any.
        let _ = match child.file_type() {
            Ok(kind) if kind.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
    }
}

fn unpack(
    bytes: &[u8],
    root: &Path,
    limits: &ArchiveLimits,
) -> Result<UnpackedSummary, ArchiveError> {
    let tripped = Rc::new(Cell::new(false));
    let raw_cap = limits
        .max_bytes
        .saturating_add(
            limits
                .max_files
                .saturating_add(1)
                .saturating_mul(OVERHEAD_PER_ENTRY),
        )
        .saturating_add(OVERHEAD_SLACK);
    let stream = LimitedReader {
        inner: GzDecoder::new(bytes),
        left: raw_cap,
        tripped: tripped.clone(),
    };
    let stream_error = |e: io::Error| {
        if tripped.get() {
            ArchiveError::TooLarge {
                limit: limits.max_bytes,
                entry: None,
            }
        } else {
            ArchiveError::Corrupt {
                message: e.to_string(),
            }
        }
    };

    let mut archive = tar::Archive::new(stream);
    let mut summary = UnpackedSummary::default();
    let mut entries_seen = 0u64;
    for entry in archive.entries().map_err(stream_error)? {
        let mut entry = entry.map_err(stream_error)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        entries_seen += 1;
        if entries_seen > limits.max_files {
            return Err(ArchiveError::TooManyFiles {
                limit: limits.max_files,
                entry: name,
            });
        }
        let parts = segments(&entry.path_bytes(), &name)?;
        let kind = entry.header().entry_type();
        check_kind(&entry, kind, &name)?;
        // Headers can lie, but one that admits to too much is refused before reading it.
        if entry.size() > limits.max_bytes - summary.bytes {
            return Err(ArchiveError::TooLarge {
                limit: limits.max_bytes,
                entry: Some(name),
            });
        }
        match kind {
            EntryType::Directory => {
                if !parts.is_empty() {
                    make_dirs(root, &parts, &name)?;
                    summary.dirs += 1;
                }
            }
            EntryType::XGlobalHeader => {}
            _ => {
                let Some((file_name, folders)) = parts.split_last() else {
                    return Err(ArchiveError::InvalidPath {
                        entry: name,
                        reason: "a file entry must have a name",
                    });
                };
                let dir = make_dirs(root, folders, &name)?;
                let executable = entry.header().mode().is_ok_and(|m| m & 0o111 != 0);
                let budget = limits.max_bytes - summary.bytes;
                let written =
                    write_file(&dir.join(file_name), &mut entry, budget, executable, &name)
                        .map_err(|e| match e {
                            Failure::Archive(e) => e,
                            Failure::Read(e) => stream_error(e),
                            Failure::OverBudget => ArchiveError::TooLarge {
                                limit: limits.max_bytes,
                                entry: Some(name.clone()),
                            },
                        })?;
                summary.bytes += written;
                summary.files += 1;
            }
        }
    }
    Ok(summary)
}

/// The path's components, refusing anything that could leave the folder.
fn segments(raw: &[u8], name: &str) -> Result<Vec<String>, ArchiveError> {
    let Ok(path) = std::str::from_utf8(raw) else {
        return Err(ArchiveError::InvalidPath {
            entry: name.to_owned(),
            reason: "the name is not UTF-8",
        });
    };
    let b = path.as_bytes();
    let drive = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
    if path.starts_with('/') || path.starts_with('\\') || drive {
        return Err(ArchiveError::AbsolutePath {
            entry: name.to_owned(),
        });
    }
    let parts: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .map(str::to_owned)
        .collect();
    if parts.iter().any(|p| p == "..") {
        return Err(ArchiveError::ParentDir {
            entry: name.to_owned(),
        });
    }
    if path.contains('\\') {
        return Err(ArchiveError::InvalidPath {
            entry: name.to_owned(),
            reason: "the name contains a backslash",
        });
    }
    // Refused here with a clear message, rather than failing half-way in the file system
    // (ENAMETOOLONG) as if the server were at fault.
    if let Some(long) = parts.iter().find(|p| p.len() > MAX_NAME_BYTES) {
        return Err(ArchiveError::NameTooLong {
            entry: shortened(name),
            length: long.len(),
            limit: MAX_NAME_BYTES,
        });
    }
    let length = parts
        .iter()
        .map(|p| p.len() + 1)
        .sum::<usize>()
        .saturating_sub(1);
    if length > MAX_PATH_BYTES {
        return Err(ArchiveError::PathTooLong {
            entry: shortened(name),
            length,
            limit: MAX_PATH_BYTES,
        });
    }
    Ok(parts)
}

/// An entry name short enough for a message: its start and end around an ellipsis.
fn shortened(name: &str) -> String {
    const HEAD: usize = 60;
    const TAIL: usize = 30;
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= HEAD + TAIL + 1 {
        return name.to_owned();
    }
    let head: String = chars[..HEAD].iter().collect();
    let tail: String = chars[chars.len() - TAIL..].iter().collect();
    format!("{head}…{tail}")
}

/// Refuses every kind of entry but files, folders and PAX global headers.
fn check_kind<R: Read>(
    entry: &tar::Entry<'_, R>,
    kind: EntryType,
    name: &str,
) -> Result<(), ArchiveError> {
    let target = || {
        entry
            .link_name_bytes()
            .map(|t| String::from_utf8_lossy(&t).into_owned())
            .unwrap_or_default()
    };
    let special = |kind: &str| ArchiveError::SpecialEntry {
        entry: name.to_owned(),
        kind: kind.to_owned(),
    };
    match kind {
        EntryType::Regular
        | EntryType::Continuous
        | EntryType::Directory
        | EntryType::XGlobalHeader => Ok(()),
        EntryType::Symlink => Err(ArchiveError::Symlink {
            entry: name.to_owned(),
            target: target(),
        }),
        EntryType::Link => Err(ArchiveError::HardLink {
            entry: name.to_owned(),
            target: target(),
        }),
        EntryType::Char => Err(special("character device")),
        EntryType::Block => Err(special("block device")),
        EntryType::Fifo => Err(special("FIFO (named pipe)")),
        EntryType::GNUSparse => Err(special("sparse file")),
        other => Err(special(&format!(
            "entry of type {:?}",
            other.as_byte() as char
        ))),
    }
}

/// Creates the folders `parts` under `root` (each must be a real folder or missing).
fn make_dirs(root: &Path, parts: &[String], name: &str) -> Result<PathBuf, ArchiveError> {
    let mut here = root.to_path_buf();
    for part in parts {
        here.push(part);
        match std::fs::symlink_metadata(&here) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(ArchiveError::Duplicate {
                    entry: name.to_owned(),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                std::fs::create_dir(&here).map_err(io_error(&here))?;
            }
            Err(e) => return Err(io_error(&here)(e)),
        }
    }
    Ok(here)
}

enum Failure {
    Archive(ArchiveError),
    /// Reading the entry failed (corrupt data, or the raw stream limit).
    Read(io::Error),
    OverBudget,
}

/// Copies the entry to a new file at `path`, stopping once more than `budget` bytes came out.
fn write_file(
    path: &Path,
    entry: &mut impl Read,
    budget: u64,
    executable: bool,
    name: &str,
) -> Result<u64, Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(if executable { 0o755 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = executable;
    let mut file = options.open(path).map_err(|e| {
        Failure::Archive(if e.kind() == io::ErrorKind::AlreadyExists {
            ArchiveError::Duplicate {
                entry: name.to_owned(),
            }
        } else {
            io_error(path)(e)
        })
    })?;
    let mut written = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match entry.read(&mut buf) {
            Ok(0) => return Ok(written),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Failure::Read(e)),
        };
        written += n as u64;
        if written > budget {
            return Err(Failure::OverBudget);
        }
        file.write_all(&buf[..n])
            .map_err(|e| Failure::Archive(io_error(path)(e)))?;
    }
}

/// A reader that fails once more than `left` bytes were read, noting why in `tripped`: the
/// bound on decompression, whatever the entries claim.
struct LimitedReader<R> {
    inner: R,
    left: u64,
    tripped: Rc<Cell<bool>>,
}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            self.tripped.set(true);
            return Err(io::Error::other("decompressed size limit reached"));
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}
