//! Semantic validation of the course model: ids, uniqueness, cross-references, ranges.
//!
//! Works on a [`Course`] alone (no files), because the server re-validates every bundle it
//! is sent. Each problem is found under a structural key (`modules/0/lessons/1/file`, the
//! same keys the decoder records positions under) and a readable logical path
//! (`modules[iam].lessons[iam-basics].file`). [`validate_course_model`] reports the logical
//! path; the loader maps the key back to `file:line:column`. Course metadata, modules and
//! lessons are checked in `course`, questions in `questions`, labs in `labs`; this module
//! holds the shared machinery.

use std::collections::HashSet;

use super::diagnostic::{Diagnostic, did_you_mean, one_of};
use super::model::Course;

mod course;
mod labs;
mod questions;

/// Checks a course without its files and returns every problem, each with a logical path
/// such as `modules[iam].lessons[iam-basics]` (no file, line or column).
///
/// Prerequisites are checked only for syntax and self-reference; whether they exist is the
/// caller's business (see [`check_prerequisites`]).
pub fn validate_course_model(course: &Course) -> Vec<Diagnostic> {
    check_course(course)
        .into_iter()
        .map(|found| found.diagnostic)
        .collect()
}

/// Reports each prerequisite of `course` for which `exists` is false, with `severity`
/// (errors within a catalog, warnings for a lone course whose prerequisites may already be
/// published).
pub fn check_prerequisites(
    course: &Course,
    exists: impl Fn(&str) -> bool,
    severity: super::Severity,
) -> Vec<Diagnostic> {
    prerequisite_problems(course, exists, severity)
        .into_iter()
        .map(|found| found.diagnostic)
        .collect()
}

pub(crate) fn prerequisite_problems(
    course: &Course,
    exists: impl Fn(&str) -> bool,
    severity: super::Severity,
) -> Vec<Found> {
    let mut c = Checker::default();
    let at = At::root().field("prerequisites");
    let mut seen = HashSet::new();
    for (i, prerequisite) in course.prerequisites.iter().enumerate() {
        let repeated = !seen.insert(prerequisite);
        if repeated || prerequisite.is_empty() || *prerequisite == course.id || exists(prerequisite)
        {
            continue;
        }
        let message = format!("unknown prerequisite `{prerequisite}`");
        let d = match severity {
            super::Severity::Error => Diagnostic::error(message)
                .with_help("prerequisites are ids of courses in the same catalog"),
            super::Severity::Warning => Diagnostic::warning(message).with_help(
                "it is not in this folder, so it must already be published on the server",
            ),
        };
        c.push(&at.index(i), d);
    }
    c.found
}

/// A problem under a structural key; `diagnostic.path` holds the logical path.
#[derive(Debug)]
pub(crate) struct Found {
    pub key: String,
    pub diagnostic: Diagnostic,
}

/// Every problem of the course model.
pub(crate) fn check_course(course: &Course) -> Vec<Found> {
    let mut c = Checker::default();
    self::course::metadata(&mut c, course);
    for (i, module) in course.modules.iter().enumerate() {
        let at = At::root().item("modules", i, &module.id);
        self::course::module(&mut c, course, &at, module);
    }
    questions::check(&mut c, course);
    labs::check(&mut c, course);
    self::course::unique_ids(&mut c, course);
    c.found
}

/// A place in the course: a structural key and a readable logical path.
#[derive(Debug, Clone)]
pub(crate) struct At {
    key: String,
    display: String,
}

impl At {
    pub fn root() -> At {
        At {
            key: String::new(),
            display: String::new(),
        }
    }

    pub fn field(&self, name: &str) -> At {
        At {
            key: super::decode::join(&self.key, name),
            display: if self.display.is_empty() {
                name.to_owned()
            } else {
                format!("{}.{name}", self.display)
            },
        }
    }

    /// Item `index` of list `name`, shown by its id when it has one.
    pub fn item(&self, name: &str, index: usize, id: &str) -> At {
        let list = self.field(name);
        let shown = if id.is_empty() {
            index.to_string()
        } else {
            id.to_owned()
        };
        At {
            key: format!("{}/{index}", list.key),
            display: format!("{}[{shown}]", list.display),
        }
    }

    /// Item `index` of this list.
    pub fn index(&self, index: usize) -> At {
        At {
            key: format!("{}/{index}", self.key),
            display: format!("{}[{index}]", self.display),
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Checker {
    found: Vec<Found>,
}

impl Checker {
    pub fn push(&mut self, at: &At, diagnostic: Diagnostic) {
        let path = if at.display.is_empty() {
            "course"
        } else {
            &at.display
        };
        self.found.push(Found {
            key: at.key.clone(),
            diagnostic: diagnostic.with_path(path),
        });
    }

    pub fn error(&mut self, at: &At, message: impl Into<String>) {
        self.push(at, Diagnostic::error(message));
    }

    pub fn warning(&mut self, at: &At, message: impl Into<String>) {
        self.push(at, Diagnostic::warning(message));
    }

    /// Checks id syntax; an empty id was already reported as missing by the decoder.
    pub fn id(&mut self, at: &At, id: &str, what: &str) {
        if !is_valid_id(id) {
            let mut help = ID_RULE.to_owned();
            let fixed = suggest_id(id);
            if is_valid_id(&fixed) {
                help = format!("{help}; try `{fixed}`");
            }
            let message = if id.is_empty() {
                format!("{what} id is empty")
            } else {
                format!("invalid {what} id `{id}`")
            };
            self.push(at, Diagnostic::error(message).with_help(help));
        }
    }

    pub fn ids(&mut self, at: &At, ids: &[String], what: &str) {
        for (i, id) in ids.iter().enumerate() {
            self.id(&at.index(i), id, what);
        }
    }

    /// Text that must not be empty or blank.
    pub fn text(&mut self, at: &At, text: &str, what: &str) {
        if text.trim().is_empty() {
            self.error(at, format!("{what} is empty"));
        }
    }

    pub fn percent(&mut self, at: &At, value: u32, what: &str) {
        if value > 100 {
            self.push(
                at,
                Diagnostic::error(format!("{what} is {value}, above 100"))
                    .with_help("pass marks are percentages from 0 to 100"),
            );
        }
    }

    /// A path relative to the course, lab or workspace folder that stays inside it.
    pub fn relative_path(&mut self, at: &At, path: &str, what: &str) {
        if let Err(problem) = check_relative_path(path) {
            self.error(at, format!("{what} `{path}` {problem}"));
        }
    }

    /// Reports each id of `items` that an earlier item already has.
    pub fn unique<'a>(
        &mut self,
        what: &str,
        scope: &str,
        items: impl IntoIterator<Item = (At, &'a str)>,
    ) {
        let mut seen = HashSet::new();
        for (at, id) in items {
            if !id.is_empty() && !seen.insert(id) {
                self.push(
                    &at.field("id"),
                    Diagnostic::error(format!("duplicate {what} id `{id}`"))
                        .with_help(format!("{what} ids are unique within their {scope}")),
                );
            }
        }
    }

    /// Reports `id` unless it is one of `known`, suggesting the closest.
    pub fn reference(&mut self, at: &At, id: &str, what: &str, known: &[&str]) {
        if id.is_empty() || known.contains(&id) {
            return;
        }
        let d = Diagnostic::error(format!("unknown {what} `{id}`"));
        let d = match did_you_mean(id, known) {
            Some(close) => d.with_help(format!("did you mean `{close}`?")),
            None if known.is_empty() => d,
            None if known.len() <= 12 => d.with_help(format!("expected {}", one_of(known))),
            None => d,
        };
        self.push(at, d);
    }
}

const ID_RULE: &str =
    "ids are lower-case ASCII letters, digits and `-`, start with a letter, at most 64 characters";

/// Whether `id` is a valid id: lower-case ASCII letters, digits and `-`, starting with a
/// letter, at most 64 characters.
pub fn is_valid_id(id: &str) -> bool {
    id.len() <= 64
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A valid id close to `id` (lower-cased, other characters turned into `-`), for help texts.
fn suggest_id(id: &str) -> String {
    let mut out = String::new();
    for c in id.trim().chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(64).collect()
}

/// Why `path` is not a safe relative '/'-separated path, if it is not.
pub(crate) fn check_relative_path(path: &str) -> Result<(), &'static str> {
    if path.trim().is_empty() {
        Err("is empty")
    } else if path.starts_with('/') || path.starts_with('\\') || path.get(1..2) == Some(":") {
        Err("must be relative, not absolute")
    } else if path.contains('\\') {
        Err("must use `/` to separate folders")
    } else if path.split('/').any(|s| s == "..") {
        Err("may not contain `..`")
    } else if path.contains('\0') {
        Err("contains a NUL character")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_syntax() {
        assert!(is_valid_id("aws-saa"));
        assert!(is_valid_id("s3"));
        assert!(!is_valid_id("3s"));
        assert!(!is_valid_id("AWS"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id(&"a".repeat(65)));
        assert_eq!(suggest_id("IAM Basics!"), "iam-basics");
    }

    #[test]
    fn relative_paths() {
        assert!(check_relative_path("lessons/a.md").is_ok());
        assert!(check_relative_path("./policy.json").is_ok());
        assert!(check_relative_path("/etc/passwd").is_err());
        assert!(check_relative_path("a/../../b").is_err());
        assert!(check_relative_path("C:/x").is_err());
        assert!(check_relative_path("a\\b").is_err());
        assert!(check_relative_path("").is_err());
    }

    #[test]
    fn logical_paths() {
        let at = At::root().item("modules", 0, "iam").item("lessons", 2, "");
        assert_eq!(at.key, "modules/0/lessons/2");
        assert_eq!(at.display, "modules[iam].lessons[2]");
        assert_eq!(
            at.field("answer").index(1).display,
            "modules[iam].lessons[2].answer[1]"
        );
    }
}
