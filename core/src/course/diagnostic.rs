//! Diagnostics: every problem found in a course, with where it is and how to fix it.
//!
//! A [`Diagnostic`] found while loading files points at `file:line:column` (1-based, columns
//! in characters); one found by [`validate_course_model`](super::validate_course_model) on a
//! bundle without files has a logical `path` such as `modules[iam].lessons[iam-basics]`.
//! `Display` renders it like rustc, in plain text (the CLI adds colour); `Serialize` gives the
//! JSON of `cloudmaster course validate -o json`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How bad a problem is. Errors block publishing; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem in a course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// '/'-separated, relative to the folder that was loaded (a course or a catalog).
    pub file: Option<String>,
    /// 1-based.
    pub line: Option<u32>,
    /// 1-based, in characters.
    pub column: Option<u32>,
    /// Logical location in the course, such as `modules[iam].lessons[iam-basics].file`.
    pub path: Option<String>,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, message)
    }

    pub fn warning(message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Warning, message)
    }

    fn new(severity: Severity, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity,
            file: None,
            line: None,
            column: None,
            path: None,
            message: message.into(),
            help: None,
        }
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn with_path(mut self, path: impl Into<String>) -> Diagnostic {
        self.path = Some(path.into());
        self
    }

    /// Points the diagnostic at `file:line:column`; a line of 0 means "the whole file".
    #[must_use]
    pub fn at(mut self, file: impl Into<String>, line: u32, column: u32) -> Diagnostic {
        self.file = Some(file.into());
        (self.line, self.column) = if line == 0 {
            (None, None)
        } else {
            (Some(line), Some(column.max(1)))
        };
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:column`, `file`, the logical path, or `course` when nothing better is known.
    pub fn location(&self) -> String {
        match (&self.file, self.line, self.column, &self.path) {
            (Some(file), Some(line), Some(column), _) => format!("{file}:{line}:{column}"),
            (Some(file), Some(line), None, _) => format!("{file}:{line}"),
            (Some(file), None, _, _) => file.clone(),
            (None, _, _, Some(path)) => path.clone(),
            (None, _, _, None) => "course".to_owned(),
        }
    }

    /// Puts `prefix` (a folder, '/'-separated) in front of `file`, for callers that show
    /// paths relative to somewhere else than the loaded folder.
    pub fn rebase(&mut self, prefix: &str) {
        if let Some(file) = &mut self.file {
            let prefix = prefix.trim_end_matches('/');
            if !prefix.is_empty() && prefix != "." {
                *file = format!("{prefix}/{file}");
            }
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}\n  --> {}",
            self.severity.as_str(),
            self.message,
            self.location()
        )?;
        if let Some(help) = &self.help {
            write!(f, "\n   = help: {help}")?;
        }
        Ok(())
    }
}

/// Whether any diagnostic is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

/// "2 errors, 1 warning", "no problems".
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    match (errors, warnings) {
        (0, 0) => "no problems".to_owned(),
        (e, 0) => plural(e, "error"),
        (0, w) => plural(w, "warning"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

/// Sorts by file, line and column (located diagnostics first), keeping the order of equals.
pub(crate) fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.file.is_none(), &a.file, a.line, a.column).cmp(&(
            b.file.is_none(),
            &b.file,
            b.line,
            b.column,
        ))
    });
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(word, c),
                strsim::jaro_winkler(word, c),
                *c,
            )
        })
        .filter(|(distance, similarity, c)| {
            *distance <= (c.chars().count() / 3).max(1) || *similarity >= 0.9
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map(|(_, _, c)| c)
}

/// "`a`, `b` or `c`".
pub(crate) fn one_of(candidates: &[&str]) -> String {
    let mut quoted: Vec<String> = Vec::with_capacity(candidates.len());
    for c in candidates {
        let c = format!("`{c}`");
        if !quoted.contains(&c) {
            quoted.push(c);
        }
    }
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc() {
        let d = Diagnostic::error("unknown key `titel` in lesson")
            .at("aws-saa/course.yaml", 12, 9)
            .with_help("did you mean `title`?");
        assert_eq!(
            d.to_string(),
            "error: unknown key `titel` in lesson\n  --> aws-saa/course.yaml:12:9\n   = help: did you mean `title`?"
        );
        let d = Diagnostic::warning("lesson is empty").with_path("modules[iam].lessons[a]");
        assert_eq!(
            d.to_string(),
            "warning: lesson is empty\n  --> modules[iam].lessons[a]"
        );
    }

    #[test]
    fn suggests_close_keys_only() {
        let keys = ["id", "title", "file", "minutes", "time_limit_minutes"];
        assert_eq!(did_you_mean("titel", &keys), Some("title"));
        assert_eq!(did_you_mean("minuts", &keys), Some("minutes"));
        assert_eq!(
            did_you_mean("time_limit", &keys),
            Some("time_limit_minutes")
        );
        assert_eq!(did_you_mean("colour", &keys), None);
    }

    #[test]
    fn summaries_and_lists() {
        assert_eq!(summary(&[]), "no problems");
        let e = Diagnostic::error("x");
        let w = Diagnostic::warning("y");
        assert_eq!(summary(&[e.clone(), e, w]), "2 errors, 1 warning");
        assert_eq!(one_of(&["a", "b", "c"]), "`a`, `b` or `c`");
    }

    #[test]
    fn rebases_files() {
        let mut d = Diagnostic::error("x").at("course.yaml", 1, 1);
        d.rebase("courses/aws-saa/");
        assert_eq!(d.location(), "courses/aws-saa/course.yaml:1:1");
    }
}
