//! Loading courses and catalogs from disk, with every problem reported at once.
//!
//! A course folder is read in full even when parts of it are broken: each YAML file is
//! parsed into a located tree ([`yaml`](super::yaml)), decoded with diagnostics
//! ([`decode`](super::decode)), referenced files are read ([`content`]), and the resulting
//! model is checked by [`validate`](super::validate), whose findings are mapped back to
//! `file:line:column`. The caller gets the (possibly partial) course plus all diagnostics;
//! only an unusable folder is an `Err`. File names in diagnostics are relative to the folder
//! passed in (`course.yaml` for a course, `aws-saa/course.yaml` for a catalog).

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use super::decode::{self, Sources};
use super::diagnostic::{self, Diagnostic, Severity};
use super::model::{Course, FORMAT_VERSION};
use super::validate::{self, Found};
use super::yaml::{self, Pos};

pub(super) mod content;

/// Why a folder could not be loaded at all. Problems inside a course are diagnostics.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{} does not exist", path.display())]
    NotFound { path: PathBuf },
    #[error("{} is not a course folder: it has no course.yaml", path.display())]
    NotACourse { path: PathBuf },
    #[error("no course in {}: neither it nor its sub-folders have a course.yaml", path.display())]
    NoCourses { path: PathBuf },
    #[error("cannot read {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Loads and validates the course in `dir` (a folder holding `course.yaml`).
///
/// Returns the course and every problem found; the course is complete only when no
/// diagnostic is an error. Prerequisites that are not this course are reported as warnings,
/// since they may already be published on the server.
pub fn load_course(dir: &Path) -> Result<(Course, Vec<Diagnostic>), LoadError> {
    exists(dir)?;
    if !dir.join("course.yaml").is_file() {
        return Err(LoadError::NotACourse {
            path: dir.to_owned(),
        });
    }
    let (course, mut sources) = load_one(dir, "")?;
    let unknown = validate::prerequisite_problems(&course, |_| false, Severity::Warning);
    place_all(&mut sources, unknown);
    Ok((course, finish(sources)))
}

/// Loads and validates every course of a catalog: `dir` is either one course folder or a
/// folder whose sub-folders are courses (like the bundled `courses/`).
///
/// Within a catalog, course ids must be unique and prerequisites must name courses of the
/// catalog, without cycles.
pub fn load_catalog(dir: &Path) -> Result<(Vec<Course>, Vec<Diagnostic>), LoadError> {
    exists(dir)?;
    if dir.join("course.yaml").is_file() {
        let (course, diagnostics) = load_course(dir)?;
        return Ok((vec![course], diagnostics));
    }
    let mut folders: Vec<(String, PathBuf)> = read_dir(dir)?
        .into_iter()
        .filter(|(_, path)| path.join("course.yaml").is_file())
        .collect();
    folders.sort();
    if folders.is_empty() {
        return Err(LoadError::NoCourses {
            path: dir.to_owned(),
        });
    }
    let mut loaded = Vec::with_capacity(folders.len());
    for (name, path) in &folders {
        loaded.push(load_one(path, &format!("{name}/"))?);
    }
    catalog_checks(&mut loaded);
    let mut courses = Vec::with_capacity(loaded.len());
    let mut diagnostics = Vec::new();
    for (course, sources) in loaded {
        courses.push(course);
        diagnostics.extend(finish(sources));
    }
    diagnostic::sort(&mut diagnostics);
    Ok((courses, diagnostics))
}

fn exists(dir: &Path) -> Result<(), LoadError> {
    if dir.exists() {
        Ok(())
    } else {
        Err(LoadError::NotFound {
            path: dir.to_owned(),
        })
    }
}

/// Sub-folders of `dir` with UTF-8 names, unsorted.
pub(crate) fn read_dir(dir: &Path) -> Result<Vec<(String, PathBuf)>, LoadError> {
    let io_error = |source| LoadError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        if entry.file_type().map_err(io_error)?.is_dir()
            && let Ok(name) = entry.file_name().into_string()
        {
            out.push((name, entry.path()));
        }
    }
    Ok(out)
}

/// Loads one course folder; `prefix` ("" or "aws-saa/") goes in front of file names.
fn load_one(dir: &Path, prefix: &str) -> Result<(Course, Sources), LoadError> {
    let mut sources = Sources::default();
    let path = dir.join("course.yaml");
    let bytes = std::fs::read(&path).map_err(|source| LoadError::Io {
        path: path.clone(),
        source,
    })?;
    let mut dec = sources.file(format!("{prefix}course.yaml"));
    dec.span("", Pos { line: 1, column: 1 });
    let mut course = match content::utf8(&mut dec, bytes).map(|text| yaml::parse(&text)) {
        Some(Ok(root)) => decode::course::course(&mut dec, &root),
        Some(Err(e)) => {
            dec.error(e.pos, format!("invalid YAML: {}", e.message));
            dec.poison("");
            Course {
                format: FORMAT_VERSION,
                ..Course::default()
            }
        }
        None => {
            dec.poison("");
            Course::default()
        }
    };
    content::lessons(&mut sources, dir, &mut course);
    content::question_banks(&mut sources, dir, prefix, &mut course);
    content::labs(&mut sources, dir, prefix, &mut course);
    content::unused_lesson_files(&mut sources, dir, prefix, &course);
    let mut found = validate::check_course(&course);
    if sources.is_poisoned("") {
        // course.yaml could not be read: only the banks' and labs' own errors still mean
        // something; everything else would be noise about an empty course.
        found.retain(|f| {
            f.diagnostic.is_error()
                && (f.key.starts_with("questions/") || f.key.starts_with("labs/"))
        });
    }
    place_all(&mut sources, found);
    Ok((course, sources))
}

/// Turns model findings into located diagnostics, dropping those already reported.
fn place_all(sources: &mut Sources, found: Vec<Found>) {
    for Found { key, diagnostic } in found {
        if sources.is_poisoned(&key) {
            continue;
        }
        let diagnostic = match sources.resolve(&key) {
            Some((file, pos)) => diagnostic.at(file, pos.line, pos.column),
            None => diagnostic,
        };
        sources.diagnostics.push(diagnostic);
    }
}

fn finish(sources: Sources) -> Vec<Diagnostic> {
    let mut diagnostics = sources.diagnostics;
    diagnostic::sort(&mut diagnostics);
    diagnostics.dedup();
    diagnostics
}

/// Unique course ids, known prerequisites and no prerequisite cycles.
fn catalog_checks(loaded: &mut [(Course, Sources)]) {
    let mut first: HashMap<String, usize> = HashMap::new();
    for (i, (course, sources)) in loaded.iter_mut().enumerate() {
        if course.id.is_empty() {
            continue;
        }
        if let Some(&earlier) = first.get(&course.id) {
            let found = Found {
                key: "id".to_owned(),
                diagnostic: Diagnostic::error(format!("duplicate course id `{}`", course.id))
                    .with_help(format!(
                        "course ids are unique in a catalog; course number {} has it too",
                        earlier + 1
                    ))
                    .with_path("id"),
            };
            place_all(sources, vec![found]);
        } else {
            first.insert(course.id.clone(), i);
        }
    }
    let ids: HashSet<String> = first.keys().cloned().collect();
    for (course, sources) in loaded.iter_mut() {
        let unknown =
            validate::prerequisite_problems(course, |id| ids.contains(id), Severity::Error);
        place_all(sources, unknown);
    }
    prerequisite_cycles(loaded, &first);
}

/// Reports each prerequisite cycle once, at the first course (in folder order) on it.
fn prerequisite_cycles(loaded: &mut [(Course, Sources)], index: &HashMap<String, usize>) {
    let requires: Vec<Vec<usize>> = loaded
        .iter()
        .map(|(course, _)| {
            // Self-references are reported by the model validator.
            course
                .prerequisites
                .iter()
                .filter(|p| **p != course.id)
                .filter_map(|p| index.get(p).copied())
                .collect()
        })
        .collect();
    let mut reported: HashSet<usize> = HashSet::new();
    for start in 0..loaded.len() {
        if reported.contains(&start) {
            continue;
        }
        let Some(cycle) = find_cycle(start, &requires) else {
            continue;
        };
        reported.extend(cycle.iter().copied());
        let names: Vec<String> = cycle
            .iter()
            .chain(std::iter::once(&start))
            .map(|&i| loaded[i].0.id.clone())
            .collect();
        let next = loaded[cycle[1 % cycle.len()]].0.id.clone();
        let (course, sources) = &mut loaded[start];
        let position = course
            .prerequisites
            .iter()
            .position(|p| *p == next)
            .unwrap_or(0);
        let found = Found {
            key: format!("prerequisites/{position}"),
            diagnostic: Diagnostic::error(format!(
                "prerequisites form a cycle: {}",
                names.join(" -> ")
            ))
            .with_help("a course cannot, directly or through others, require itself")
            .with_path(format!("prerequisites[{position}]")),
        };
        place_all(sources, vec![found]);
    }
}

/// A path of courses from `start` back to `start`, if there is one (`start` first).
fn find_cycle(start: usize, requires: &[Vec<usize>]) -> Option<Vec<usize>> {
    let mut stack = vec![(start, 0usize)];
    let mut on_path = vec![start];
    let mut visited = HashSet::from([start]);
    while let Some((node, next)) = stack.last_mut() {
        let Some(&to) = requires[*node].get(*next) else {
            stack.pop();
            on_path.pop();
            continue;
        };
        *next += 1;
        if to == start {
            return Some(on_path);
        }
        if visited.insert(to) {
            stack.push((to, 0));
            on_path.push(to);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cycles_through_the_start_only() {
        // 0 -> 1 -> 2 -> 0, and 3 -> 1 (on no cycle through 3).
        let requires = vec![vec![1], vec![2], vec![0], vec![1]];
        assert_eq!(find_cycle(0, &requires), Some(vec![0, 1, 2]));
        assert_eq!(find_cycle(3, &requires), None);
    }

    #[test]
    fn a_missing_folder_is_an_error() {
        let err = load_catalog(Path::new("/definitely/not/here")).unwrap_err();
        assert!(matches!(err, LoadError::NotFound { .. }), "{err}");
    }
}
