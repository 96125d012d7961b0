//! Writing a lab's files into a workspace: the starter files, a step's solution, and resets;
//! [`state`] keeps which session the workspace belongs to and the learner's progress.
//!
//! Every write stays inside the workspace folder: lab paths are checked with
//! [`path::segments`](super::path::segments), folders on the way must be real folders (never
//! symlinks, which could lead out), and an existing file is removed before the new one is
//! created, so a symlink or hard link the learner put there is replaced, not written through.

use std::collections::BTreeMap;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use super::path::{self, PathError};

pub mod state;
use super::{UnknownStep, find_step};
use crate::course::{Lab, LabFile};

/// Why the workspace could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("{} is not empty; choose an empty folder or allow overwriting", dir.display())]
    NotEmpty { dir: PathBuf },
    #[error(transparent)]
    UnknownStep(#[from] UnknownStep),
    /// A lab path that is not a safe relative path.
    #[error("lab file {0}")]
    Path(#[from] PathError),
    /// Something in the workspace is in the way (a symlink or a file where a folder goes).
    #[error("`{path}` in the workspace: {reason}")]
    InTheWay { path: String, reason: &'static str },
    #[error("lab file `{path}` has content that does not decode")]
    BadContent { path: String },
    #[error("cannot write {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// What to do when the target folder of [`materialize_starter`] already holds files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfNotEmpty {
    Refuse,
    /// Write the starter files over what is there (other files stay).
    Overwrite,
}

/// What a reset did, with workspace-relative paths.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ResetSummary {
    pub written: Vec<String>,
    pub removed: Vec<String>,
}

/// Writes the lab's starter files into `dir` (created when missing). Returns the paths
/// written, relative to `dir`.
pub fn materialize_starter(
    lab: &Lab,
    dir: &Path,
    if_not_empty: IfNotEmpty,
) -> Result<Vec<String>, WorkspaceError> {
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    if if_not_empty == IfNotEmpty::Refuse
        && std::fs::read_dir(dir)
            .map_err(io_error(dir))?
            .next()
            .is_some()
    {
        return Err(WorkspaceError::NotEmpty {
            dir: dir.to_owned(),
        });
    }
    write_all(dir, files_in(lab, &lab.starter))
}

/// Copies the solution files of step `step_id` over `dir`. Returns the paths written.
pub fn apply_solution(lab: &Lab, step_id: &str, dir: &Path) -> Result<Vec<String>, WorkspaceError> {
    let (_, step) = find_step(lab, step_id)?;
    write_all(dir, files_in(lab, &step.solution))
}

/// Puts `dir` back to how step `step_id` starts: the starter files with the solutions of the
/// earlier steps applied. Files of this or later steps' solutions that are not part of that
/// state are removed; files the lab does not know (the learner's notes) stay.
pub fn reset_step(lab: &Lab, step_id: &str, dir: &Path) -> Result<ResetSummary, WorkspaceError> {
    let (index, _) = find_step(lab, step_id)?;
    reset_to(lab, index, dir)
}

/// Puts `dir` back to the starter files, like [`reset_step`] for the first step.
pub fn reset_all(lab: &Lab, dir: &Path) -> Result<ResetSummary, WorkspaceError> {
    reset_to(lab, 0, dir)
}

fn reset_to(lab: &Lab, steps_done: usize, dir: &Path) -> Result<ResetSummary, WorkspaceError> {
    let mut target: BTreeMap<String, &LabFile> = files_in(lab, &lab.starter).into_iter().collect();
    for step in &lab.steps[..steps_done] {
        target.extend(files_in(lab, &step.solution));
    }
    let mut summary = ResetSummary::default();
    for step in &lab.steps[steps_done..] {
        for (rel, _) in files_in(lab, &step.solution) {
            if !target.contains_key(&rel) && remove_file(dir, &rel)? {
                summary.removed.push(rel);
            }
        }
    }
    summary.removed.sort();
    summary.removed.dedup();
    summary.written = write_all(dir, target.into_iter().collect())?;
    Ok(summary)
}

/// The files under `folder` of the lab, with paths relative to that folder.
fn files_in<'a>(lab: &'a Lab, folder: &str) -> Vec<(String, &'a LabFile)> {
    let prefix = format!("{}/", normalize(folder));
    lab.files
        .iter()
        .filter_map(|f| {
            let rel = normalize(&f.path).strip_prefix(&prefix)?.to_owned();
            Some((rel, f))
        })
        .collect()
}

fn normalize(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
}

fn write_all(dir: &Path, files: Vec<(String, &LabFile)>) -> Result<Vec<String>, WorkspaceError> {
    let mut written = Vec::with_capacity(files.len());
    for (rel, file) in files {
        let bytes = file.bytes().ok_or_else(|| WorkspaceError::BadContent {
            path: file.path.clone(),
        })?;
        write_file(dir, &rel, &bytes, file.executable)?;
        written.push(rel);
    }
    Ok(written)
}

/// Writes `bytes` to `rel` inside `dir`, creating folders on the way.
pub(crate) fn write_file(
    dir: &Path,
    rel: &str,
    bytes: &[u8],
    executable: bool,
) -> Result<(), WorkspaceError> {
    let target = prepare(dir, rel, true)?.expect("folders are created");
    if let Ok(meta) = std::fs::symlink_metadata(&target) {
        if meta.is_dir() {
            return Err(WorkspaceError::InTheWay {
                path: rel.to_owned(),
                reason: "a folder is where the lab puts a file",
            });
        }
        std::fs::remove_file(&target).map_err(io_error(&target))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&target)
        .map_err(io_error(&target))?;
    file.write_all(bytes).map_err(io_error(&target))?;
    set_mode(&target, executable)
}

#[cfg(unix)]
fn set_mode(path: &Path, executable: bool) -> Result<(), WorkspaceError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io_error(path))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _executable: bool) -> Result<(), WorkspaceError> {
    Ok(())
}

/// Removes the file (or symlink) at `rel`; `Ok(false)` when there was none.
fn remove_file(dir: &Path, rel: &str) -> Result<bool, WorkspaceError> {
    let Some(target) = prepare(dir, rel, false)? else {
        return Ok(false);
    };
    match std::fs::symlink_metadata(&target) {
        Ok(meta) if !meta.is_dir() => {
            std::fs::remove_file(&target).map_err(io_error(&target))?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// The path of `rel` inside `dir` after checking that every folder on the way is a real
/// folder. Missing folders are created when `create`, else the answer is `None`.
fn prepare(dir: &Path, rel: &str, create: bool) -> Result<Option<PathBuf>, WorkspaceError> {
    let parts = path::segments(rel)?;
    let (name, folders) = parts.split_last().expect("segments are never empty");
    let mut here = dir.to_path_buf();
    for (i, folder) in folders.iter().enumerate() {
        here.push(folder);
        match std::fs::symlink_metadata(&here) {
            Ok(meta) if meta.is_dir() => {}
            Ok(meta) => {
                return Err(WorkspaceError::InTheWay {
                    path: parts[..=i].join("/"),
                    reason: if meta.file_type().is_symlink() {
                        "a symlink is where the lab needs a folder; remove it"
                    } else {
                        "a file is where the lab needs a folder; remove it"
                    },
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                std::fs::create_dir(&here).map_err(io_error(&here))?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(&here)(e)),
        }
    }
    Ok(Some(here.join(name)))
}

fn io_error(path: &Path) -> impl Fn(io::Error) -> WorkspaceError + '_ {
    move |source| WorkspaceError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests;
