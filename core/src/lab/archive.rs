//! Workspace archives (`.tar.gz`) for `lab submit`: packed by the CLI, unpacked by the server.
//!
//! An archive holds regular files and folders only. Packing skips `.git` and anything else
//! (symlinks, sockets), reporting what it skipped. Unpacking ([`unpack_into`]) trusts nothing
//! in the archive: it refuses `..`, absolute paths, links and special entries, counts entries,
//! and counts the bytes it actually decompresses (headers can lie, and a few kilobytes of
//! gzip can expand to gigabytes), stopping the moment a limit is passed. It writes only into
//! a fresh, empty folder, and empties it again when it refuses an archive half-way.

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use flate2::Compression;
use flate2::write::GzEncoder;

mod unpack;

pub use unpack::{UnpackedSummary, unpack_into};

/// Sizes an archive may have. The same limits bound packing (the CLI fails early, with a
/// clear message) and unpacking (the server's defence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Entries (files and folders).
    pub max_files: u64,
    /// Total size of the files, uncompressed.
    pub max_bytes: u64,
    /// Size of the `.tar.gz` itself.
    pub max_compressed_bytes: u64,
}

impl Default for ArchiveLimits {
    fn default() -> ArchiveLimits {
        ArchiveLimits {
            max_files: 2_000,
            max_bytes: 20 * 1024 * 1024,
            max_compressed_bytes: 5 * 1024 * 1024,
        }
    }
}

/// Longest name of one file or folder, in bytes: what Linux, macOS and Windows file
/// systems accept (`NAME_MAX`).
pub const MAX_NAME_BYTES: usize = 255;
/// Longest path of an entry inside the workspace, in bytes. Far below the 4,096 bytes of
/// `PATH_MAX`, so the folder the workspace is unpacked in never pushes a path over it.
pub const MAX_PATH_BYTES: usize = 1024;

/// Why an archive could not be packed or was refused.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("the compressed archive is larger than {limit} bytes{}", bytes(size))]
    CompressedTooLarge { size: Option<u64>, limit: u64 },
    #[error("the archive has more than {limit} entries (refused at `{entry}`)")]
    TooManyFiles { limit: u64, entry: String },
    #[error("the archive holds more than {limit} bytes uncompressed{}", at(entry))]
    TooLarge { limit: u64, entry: Option<String> },
    #[error("entry `{entry}` has a `..` component, which would write outside the workspace")]
    ParentDir { entry: String },
    #[error("entry `{entry}` has an absolute path")]
    AbsolutePath { entry: String },
    #[error("entry `{entry}` is a symlink (to `{target}`); only files and folders are allowed")]
    Symlink { entry: String, target: String },
    #[error("entry `{entry}` is a hard link (to `{target}`); only files and folders are allowed")]
    HardLink { entry: String, target: String },
    #[error("entry `{entry}` is a {kind}; only files and folders are allowed")]
    SpecialEntry { entry: String, kind: String },
    #[error("entry `{entry}`: {reason}")]
    InvalidPath { entry: String, reason: &'static str },
    #[error(
        "entry `{entry}` has a name of {length} bytes in its path; file systems allow at most \
         {limit}: shorten it"
    )]
    NameTooLong {
        entry: String,
        length: usize,
        limit: usize,
    },
    #[error(
        "entry `{entry}` has a path of {length} bytes (folders nested too deeply, or names too \
         long); at most {limit} are allowed: flatten or shorten it"
    )]
    PathTooLong {
        entry: String,
        length: usize,
        limit: usize,
    },
    #[error("entry `{entry}` appears twice or conflicts with another entry")]
    Duplicate { entry: String },
    #[error("not a valid .tar.gz archive: {message}")]
    Corrupt { message: String },
    #[error("{} must be an existing, empty folder", dir.display())]
    NotFresh { dir: PathBuf },
    #[error("cannot access {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn bytes(size: &Option<u64>) -> String {
    size.map(|s| format!(" ({s} bytes)")).unwrap_or_default()
}

fn at(entry: &Option<String>) -> String {
    entry
        .as_ref()
        .map(|e| format!(" (refused at `{e}`)"))
        .unwrap_or_default()
}

fn io_error(path: &Path) -> impl Fn(io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A packed workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedWorkspace {
    /// The `.tar.gz`.
    pub bytes: Vec<u8>,
    /// Files and folders in it.
    pub entries: u64,
    /// Total size of the files.
    pub uncompressed_bytes: u64,
    /// Workspace-relative paths left out because they are neither files nor folders
    /// (symlinks, sockets) or have names that are not UTF-8. `.git` and the local state folder
    /// are left out silently.
    pub skipped: Vec<String>,
}

/// The folder at the top of a lab workspace where the CLI keeps its session state; it is
/// the learner's machine's business, so it is never packed.
pub const LOCAL_STATE_DIR: &str = ".cloudmaster";

/// Packs the files and folders of `dir` (not following symlinks, skipping `.git` and the
/// top-level [`LOCAL_STATE_DIR`]) into a
/// `.tar.gz`, in name order, without owners or times so the same workspace packs the same.
/// `progress` is called with the number of file bytes packed so far.
pub fn pack_workspace(
    dir: &Path,
    limits: &ArchiveLimits,
    mut progress: impl FnMut(u64),
) -> Result<PackedWorkspace, ArchiveError> {
    let tripped = Rc::new(Cell::new(false));
    let sink = LimitedWriter {
        inner: Vec::new(),
        left: limits.max_compressed_bytes,
        tripped: tripped.clone(),
    };
    let mut packer = Packer {
        builder: tar::Builder::new(GzEncoder::new(sink, Compression::default())),
        limits,
        progress: &mut progress,
        packed: PackedWorkspace {
            bytes: Vec::new(),
            entries: 0,
            uncompressed_bytes: 0,
            skipped: Vec::new(),
        },
    };
    let too_big = |e: io::Error| {
        if tripped.get() {
            ArchiveError::CompressedTooLarge {
                size: None,
                limit: limits.max_compressed_bytes,
            }
        } else {
            ArchiveError::Io {
                path: dir.to_owned(),
                source: e,
            }
        }
    };
    let result = packer.walk(dir, "");
    match result {
        Err(ArchiveError::Io { source, .. }) if tripped.get() => return Err(too_big(source)),
        other => other?,
    }
    let Packer {
        builder,
        mut packed,
        ..
    } = packer;
    let sink = builder
        .into_inner()
        .and_then(GzEncoder::finish)
        .map_err(too_big)?;
    packed.bytes = sink.inner;
    Ok(packed)
}

struct Packer<'a, W: Write> {
    builder: tar::Builder<W>,
    limits: &'a ArchiveLimits,
    progress: &'a mut dyn FnMut(u64),
    packed: PackedWorkspace,
}

impl<W: Write> Packer<'_, W> {
    fn walk(&mut self, dir: &Path, prefix: &str) -> Result<(), ArchiveError> {
        let mut children: Vec<_> = std::fs::read_dir(dir)
            .map_err(io_error(dir))?
            .collect::<Result<_, _>>()
            .map_err(io_error(dir))?;
        children.sort_by_key(std::fs::DirEntry::file_name);
        for child in children {
            let path = child.path();
            let Ok(name) = child.file_name().into_string() else {
                self.packed
                    .skipped
                    .push(format!("{prefix}{}", child.file_name().to_string_lossy()));
                continue;
            };
            if name == ".git" || (prefix.is_empty() && name == LOCAL_STATE_DIR) {
                continue;
            }
            let rel = format!("{prefix}{name}");
            let kind = child.file_type().map_err(io_error(&path))?;
            if kind.is_dir() {
                self.count(&rel)?;
                let mut header = header(tar::EntryType::Directory, 0o755, 0);
                self.append(&mut header, &format!("{rel}/"), io::empty(), &path)?;
                self.walk(&path, &format!("{rel}/"))?;
            } else if kind.is_file() {
                self.count(&rel)?;
                self.file(&path, &rel)?;
            } else {
                self.packed.skipped.push(rel);
            }
        }
        Ok(())
    }

    fn count(&mut self, rel: &str) -> Result<(), ArchiveError> {
        self.packed.entries += 1;
        if self.packed.entries > self.limits.max_files {
            return Err(ArchiveError::TooManyFiles {
                limit: self.limits.max_files,
                entry: rel.to_owned(),
            });
        }
        Ok(())
    }

    fn file(&mut self, path: &Path, rel: &str) -> Result<(), ArchiveError> {
        let file = std::fs::File::open(path).map_err(io_error(path))?;
        let meta = file.metadata().map_err(io_error(path))?;
        // Read whole (bounded by the budget) so the header's size is the size written even if
        // the file changes meanwhile.
        let budget = self.limits.max_bytes - self.packed.uncompressed_bytes;
        let mut data = Vec::new();
        file.take(budget.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(io_error(path))?;
        let size = data.len() as u64;
        if size > budget {
            return Err(ArchiveError::TooLarge {
                limit: self.limits.max_bytes,
                entry: Some(rel.to_owned()),
            });
        }
        let mut header = header(tar::EntryType::Regular, file_mode(&meta), size);
        self.append(&mut header, rel, data.as_slice(), path)?;
        self.packed.uncompressed_bytes += size;
        (self.progress)(self.packed.uncompressed_bytes);
        Ok(())
    }

    fn append(
        &mut self,
        header: &mut tar::Header,
        rel: &str,
        data: impl Read,
        path: &Path,
    ) -> Result<(), ArchiveError> {
        self.builder
            .append_data(header, rel, data)
            .map_err(io_error(path))
    }
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header
}

#[cfg(unix)]
fn file_mode(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    if meta.permissions().mode() & 0o111 != 0 {
        0o755
    } else {
        0o644
    }
}

#[cfg(not(unix))]
fn file_mode(_meta: &std::fs::Metadata) -> u32 {
    0o644
}

/// A writer that fails once more than `left` bytes were written, noting why in `tripped`.
struct LimitedWriter {
    inner: Vec<u8>,
    left: u64,
    tripped: Rc<Cell<bool>>,
}

impl Write for LimitedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len() as u64;
        if n > self.left {
            self.tripped.set(true);
            return Err(io::Error::other("compressed size limit reached"));
        }
        self.left -= n;
        self.inner.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
