//! Reading what `course.yaml` and the folder layout refer to: lesson and transcript files,
//! question banks, labs and every file of each lab folder.

use std::collections::HashSet;
use std::path::Path;
use std::{fs, io};

use crate::course::decode::{self, Dec, Sources};
use crate::course::diagnostic::{Diagnostic, did_you_mean};
use crate::course::model::{Course, FileContent, Lab, LabFile};
use crate::course::validate::check_relative_path;
use crate::course::yaml::{self, Pos};

/// Largest file a lab may contain.
pub const MAX_LAB_FILE_BYTES: u64 = 1024 * 1024;
/// Largest total size of a lab's files.
pub const MAX_LAB_BYTES: u64 = 10 * 1024 * 1024;

/// Position meaning "the whole file".
const WHOLE_FILE: Pos = Pos { line: 0, column: 0 };

/// The bytes as text, or `None` after reporting that the file is not UTF-8.
pub(super) fn utf8(dec: &mut Dec<'_>, bytes: Vec<u8>) -> Option<String> {
    match String::from_utf8(bytes) {
        Ok(text) => Some(strip_bom(text)),
        Err(_) => {
            dec.error(WHOLE_FILE, "the file is not UTF-8 text");
            None
        }
    }
}

fn strip_bom(text: String) -> String {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    }
}

/// Reports `diagnostic` where the model part under `key` came from.
fn emit_at(sources: &mut Sources, key: &str, diagnostic: Diagnostic) {
    let diagnostic = match sources.resolve(key) {
        Some((file, pos)) => diagnostic.at(file, pos.line, pos.column),
        None => diagnostic,
    };
    sources.diagnostics.push(diagnostic);
}

/// Reads the lesson bodies and transcripts.
pub(super) fn lessons(sources: &mut Sources, dir: &Path, course: &mut Course) {
    for (i, module) in course.modules.iter_mut().enumerate() {
        for (j, lesson) in module.lessons.iter_mut().enumerate() {
            let key = format!("modules/{i}/lessons/{j}");
            match read_referenced(
                sources,
                dir,
                &lesson.file,
                &format!("{key}/file"),
                "lesson file",
            ) {
                Some(body) => lesson.body = body,
                // The missing file was reported; an empty body is no further news.
                None => sources.poison(&format!("{key}/body")),
            }
            if let Some(transcript) = &lesson.transcript {
                let transcript_key = format!("{key}/transcript");
                lesson.transcript_text =
                    read_referenced(sources, dir, transcript, &transcript_key, "transcript");
                if lesson.transcript_text.is_none() {
                    sources.poison(&transcript_key);
                }
            }
        }
    }
}

/// Reads the text file at `rel` (relative to `dir`) that the value under `key` names.
fn read_referenced(
    sources: &mut Sources,
    dir: &Path,
    rel: &str,
    key: &str,
    what: &str,
) -> Option<String> {
    // Bad or missing paths are reported by the decoder or the model validator.
    if sources.is_poisoned(key) || check_relative_path(rel).is_err() {
        return None;
    }
    let problem = match fs::read(dir.join(rel)) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => return Some(strip_bom(text)),
            Err(_) => Diagnostic::error(format!("{what} `{rel}` is not UTF-8 text")),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let d = Diagnostic::error(format!("{what} `{rel}` not found"));
            match similar_file(dir, rel) {
                Some(close) => d.with_help(format!("did you mean `{close}`?")),
                None => d.with_help("paths are relative to the course folder"),
            }
        }
        Err(e) => Diagnostic::error(format!("cannot read {what} `{rel}`: {e}")),
    };
    emit_at(sources, key, problem);
    None
}

/// An existing file in the same folder whose path is close to `rel`.
fn similar_file(dir: &Path, rel: &str) -> Option<String> {
    let (folder, _) = rel.rsplit_once('/').unwrap_or(("", rel));
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    let candidates: Vec<String> = fs::read_dir(dir.join(folder))
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .map(|name| format!("{prefix}{name}"))
        .collect();
    let refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
    did_you_mean(rel, &refs).map(str::to_owned)
}

/// Names of the regular files in `dir`, sorted; empty when it does not exist.
fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

/// Reads every `questions/*.yaml` in name order into `course.questions`.
pub(super) fn question_banks(sources: &mut Sources, dir: &Path, prefix: &str, course: &mut Course) {
    for (n, name) in file_names(&dir.join("questions")).iter().enumerate() {
        let rel = format!("{prefix}questions/{name}");
        let mut dec = sources.file(rel);
        if name.ends_with(".yml") {
            dec.emit(
                WHOLE_FILE,
                Diagnostic::warning("this file is ignored: question banks end in `.yaml`")
                    .with_help(format!(
                        "rename it to `{}.yaml`",
                        name.trim_end_matches(".yml")
                    )),
            );
            continue;
        }
        if !name.ends_with(".yaml") {
            continue;
        }
        let Some(root) = read_yaml(&mut dec, &dir.join("questions").join(name)) else {
            continue;
        };
        decode::question::bank(&mut dec, &root, format!("banks/{n}"), &mut course.questions);
    }
}

/// Reads and parses a YAML file, reporting I/O, encoding and syntax errors.
fn read_yaml(dec: &mut Dec<'_>, path: &Path) -> Option<yaml::Node> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            dec.error(WHOLE_FILE, format!("cannot read the file: {e}"));
            return None;
        }
    };
    let text = utf8(dec, bytes)?;
    match yaml::parse(&text) {
        Ok(root) => Some(root),
        Err(e) => {
            dec.error(e.pos, format!("invalid YAML: {}", e.message));
            None
        }
    }
}

/// Reads every `labs/<lab-id>/` in name order into `course.labs`.
pub(super) fn labs(sources: &mut Sources, dir: &Path, prefix: &str, course: &mut Course) {
    let folder = dir.join("labs");
    if !folder.is_dir() {
        return;
    }
    let mut folders = match super::read_dir(&folder) {
        Ok(folders) => folders,
        Err(e) => {
            let d = Diagnostic::error(format!("cannot read the labs folder: {}", io_reason(&e)));
            sources.file(format!("{prefix}labs")).emit(WHOLE_FILE, d);
            return;
        }
    };
    folders.sort();
    for (name, path) in folders {
        let rel = format!("{prefix}labs/{name}");
        if !path.join("lab.yaml").is_file() {
            let d = Diagnostic::error(format!("lab folder `labs/{name}` has no lab.yaml"))
                .with_help("every folder under `labs/` is a lab with a `lab.yaml`");
            sources.file(rel).emit(WHOLE_FILE, d);
            continue;
        }
        let key = format!("labs/{}", course.labs.len());
        let mut dec = sources.file(format!("{rel}/lab.yaml"));
        dec.span(&key, Pos { line: 1, column: 1 });
        let lab = read_yaml(&mut dec, &path.join("lab.yaml"))
            .and_then(|root| decode::lab::lab(&mut dec, &root, key.clone()));
        let mut lab = lab.unwrap_or_else(|| {
            // Keep a placeholder so modules that list the lab do not report it as unknown.
            dec.poison(&key);
            Lab {
                id: name.clone(),
                ..Lab::default()
            }
        });
        let id_key = format!("{key}/id");
        if !lab.id.is_empty() && lab.id != name && !sources.is_poisoned(&id_key) {
            let d = Diagnostic::error(format!(
                "lab id `{}` does not match its folder `labs/{name}`",
                lab.id
            ))
            .with_help("a lab's id equals its folder name; rename one of them");
            emit_at(sources, &id_key, d);
            sources.poison(&format!("{key}/modules"));
        }
        if check_relative_path(&lab.starter).is_ok() && !path.join(&lab.starter).is_dir() {
            let d = Diagnostic::error(format!("starter folder `{}` not found", lab.starter)).with_help(format!(
                "create `labs/{name}/{}/` with the files learners start from (a `.gitkeep` keeps an empty folder in git)",
                lab.starter
            ));
            emit_at(sources, &format!("{key}/starter"), d);
        }
        lab.files = lab_files(sources, &path, &rel, &key);
        course.labs.push(lab);
    }
}

fn io_reason(e: &super::LoadError) -> String {
    match e {
        super::LoadError::Io { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

/// Every file under the lab folder except `lab.yaml`, sorted by path. Symbolic links and
/// oversized files are reported and left out.
fn lab_files(sources: &mut Sources, root: &Path, rel_root: &str, key: &str) -> Vec<LabFile> {
    let mut files = Vec::new();
    let mut total = 0u64;
    let mut folders = vec![(root.to_owned(), String::new())];
    while let Some((folder, rel)) = folders.pop() {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let Ok(name) = entry.file_name().into_string() else {
                let d = Diagnostic::error("a file name is not UTF-8");
                sources
                    .file(format!("{rel_root}/{rel}"))
                    .emit(WHOLE_FILE, d);
                continue;
            };
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let Ok(meta) = fs::symlink_metadata(entry.path()) else {
                continue;
            };
            let mut dec = sources.file(format!("{rel_root}/{path}"));
            if meta.file_type().is_symlink() {
                let d = Diagnostic::error("symbolic links are not allowed in labs")
                    .with_help("copy the file instead");
                dec.emit(WHOLE_FILE, d);
            } else if meta.is_dir() {
                folders.push((entry.path(), path));
            } else if path == "lab.yaml" {
            } else if meta.len() > MAX_LAB_FILE_BYTES {
                let d = Diagnostic::error(format!(
                    "the file has {} bytes; lab files are at most {MAX_LAB_FILE_BYTES}",
                    meta.len()
                ));
                dec.emit(WHOLE_FILE, d);
            } else {
                match fs::read(entry.path()) {
                    Ok(bytes) => {
                        total += bytes.len() as u64;
                        files.push(LabFile {
                            path,
                            content: FileContent::from_bytes(bytes),
                            executable: is_executable(&meta),
                        });
                    }
                    Err(e) => dec.error(WHOLE_FILE, format!("cannot read the file: {e}")),
                }
            }
        }
    }
    if total > MAX_LAB_BYTES {
        let d = Diagnostic::error(format!(
            "the lab's files have {total} bytes; a lab has at most {MAX_LAB_BYTES}"
        ));
        sources.file(rel_root.to_owned()).emit(WHOLE_FILE, d);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    for (i, file) in files.iter().enumerate() {
        sources
            .file(format!("{rel_root}/{}", file.path))
            .span(&format!("{key}/files/{i}"), WHOLE_FILE);
    }
    files
}

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &fs::Metadata) -> bool {
    false
}

/// Warns about `lessons/*.md` files that no lesson uses (a typo in `file:` often leaves one).
pub(super) fn unused_lesson_files(
    sources: &mut Sources,
    dir: &Path,
    prefix: &str,
    course: &Course,
) {
    if sources.is_poisoned("") {
        return;
    }
    let used: HashSet<String> = course
        .lessons()
        .flat_map(|l| std::iter::once(&l.file).chain(l.transcript.iter()))
        .map(|p| p.trim_start_matches("./").to_owned())
        .collect();
    for name in file_names(&dir.join("lessons")) {
        let rel = format!("lessons/{name}");
        if name.ends_with(".md") && !used.contains(&rel) {
            let d = Diagnostic::warning(format!("`{rel}` is not used by any lesson"));
            sources.file(format!("{prefix}{rel}")).emit(WHOLE_FILE, d);
        }
    }
}
