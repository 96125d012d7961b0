//! Evaluating one condition against a workspace.
//!
//! A failed condition carries the author's message (what to do) and, when there is more to
//! say, a detail (what was found: the parse error, the value at the pointer, the exit code).
//! The detail names what was expected (the text, pattern, value or exit code) only with
//! [`RunOptions::reveal_expected`], which only the author's `lab test` sets: to a learner the
//! expected value is the answer.
//! Two failures replace the author's message, because it would mislead: a path that escapes
//! the workspace, and a timeout. A script's `FAIL:` line replaces it by contract.
//!
//! Declarative checks only read regular files (never a FIFO that would block), at most
//! [`MAX_READ_BYTES`] of them, and finish in linear time (the `regex` crate has no
//! backtracking), so only `command` and `script` need the timeout machinery.

use std::ffi::OsString;
use std::io::Read as _;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::document::{self, Format};
use super::path::{self, PathError};
use super::process;
use super::runner::RunOptions;
use crate::course::lab::DEFAULT_TIMEOUT_SECONDS;
use crate::course::{Check, Condition, LabFile};

/// Largest file a declarative check reads.
pub const MAX_READ_BYTES: u64 = 16 * 1024 * 1024;

/// Why `command` and `script` conditions are skipped on the server.
pub const SKIPPED_NO_EXEC: &str = "runs on the learner's machine only";

/// Why they are skipped on a learner's machine that did not allow the course's programs.
pub const SKIPPED_DECLINED: &str =
    "not run: the course's programs were not allowed to run on this machine";

/// What became of one condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed {
        /// The author's message, a script's `FAIL:` line, or why the check could not run
        /// safely (path escapes the workspace, timeout).
        message: String,
        /// What was found, for the curious: a parse error, the actual value, an exit code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// Not run here (`command` and `script` on the server).
    Skipped {
        reason: String,
    },
}

/// The result of one condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionResult {
    /// The condition id.
    pub id: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    #[serde(rename = "duration_ms", with = "super::millis")]
    pub duration: Duration,
}

impl ConditionResult {
    pub fn passed(&self) -> bool {
        matches!(self.outcome, Outcome::Passed)
    }

    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed { .. })
    }

    pub fn skipped(&self) -> bool {
        matches!(self.outcome, Outcome::Skipped { .. })
    }

    /// The failure message, when it failed.
    pub fn message(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Failed { message, .. } => Some(message),
            _ => None,
        }
    }
}

/// Evaluates `condition` in `workspace`. `files` are the lab's files (where `script`
/// conditions find their script). Never panics on learner input; every problem is a failure.
pub fn run_condition(
    workspace: &Path,
    files: &[LabFile],
    condition: &Condition,
    opts: &RunOptions,
) -> ConditionResult {
    let start = Instant::now();
    let outcome = match evaluate(workspace, files, condition, opts) {
        Ok(outcome) => outcome,
        Err(Miss::Detail(detail)) => Outcome::Failed {
            message: condition.message.clone(),
            detail: Some(detail),
        },
        Err(Miss::Replace(message)) => Outcome::Failed {
            message,
            detail: None,
        },
    };
    ConditionResult {
        id: condition.id.clone(),
        outcome,
        duration: start.elapsed(),
    }
}

/// A failure: either explained by a detail under the author's message, or one that replaces
/// the message.
enum Miss {
    Detail(String),
    Replace(String),
}

impl From<PathError> for Miss {
    fn from(err: PathError) -> Miss {
        match err {
            PathError::Escapes { .. } => Miss::Replace(err.to_string()),
            PathError::Invalid { .. } | PathError::Workspace { .. } => {
                Miss::Detail(error_chain(&err))
            }
        }
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

fn evaluate(
    workspace: &Path,
    files: &[LabFile],
    condition: &Condition,
    opts: &RunOptions,
) -> Result<Outcome, Miss> {
    if !condition.check.is_declarative() && !opts.allow_exec {
        return Ok(Outcome::Skipped {
            reason: opts.skip_reason.to_owned(),
        });
    }
    let reveal = opts.reveal_expected;
    let timeout = Duration::from_secs(u64::from(match condition.timeout_seconds {
        0 => DEFAULT_TIMEOUT_SECONDS,
        n => n,
    }));
    match &condition.check {
        Check::FileExists { path } => match path::resolve(workspace, path)? {
            Some(_) => Ok(Outcome::Passed),
            None => Err(Miss::Detail(format!("`{path}` does not exist"))),
        },
        Check::FileContains { path, text } => {
            let content = read_text(workspace, path)?;
            expect(content.contains(text.as_str()), || {
                if reveal {
                    format!("`{path}` does not contain {text:?}")
                } else {
                    format!("`{path}` does not contain the expected text")
                }
            })
        }
        Check::FileMatches { path, pattern } => {
            let regex = compile(pattern)?;
            let content = read_text(workspace, path)?;
            expect(regex.is_match(&content), || {
                if reveal {
                    format!("no match for /{pattern}/ in `{path}`")
                } else {
                    format!("`{path}` does not match the expected pattern")
                }
            })
        }
        Check::ValidJson { path } => {
            read_doc(workspace, path, Format::Json).map(|_| Outcome::Passed)
        }
        Check::ValidYaml { path } => {
            read_doc(workspace, path, Format::Yaml).map(|_| Outcome::Passed)
        }
        Check::JsonExists { path, pointer } => exists(workspace, path, pointer, Format::Json),
        Check::YamlExists { path, pointer } => exists(workspace, path, pointer, Format::Yaml),
        Check::JsonEquals {
            path,
            pointer,
            value,
        } => equals(workspace, path, pointer, value, Format::Json, reveal),
        Check::YamlEquals {
            path,
            pointer,
            value,
        } => equals(workspace, path, pointer, value, Format::Yaml, reveal),
        Check::Command {
            run,
            exit_code,
            stdout_contains,
            stdout_matches,
        } => command(
            workspace,
            run,
            *exit_code,
            stdout_contains.as_deref(),
            stdout_matches.as_deref(),
            timeout,
            reveal,
        ),
        Check::Script { script } => run_script(workspace, files, script, timeout),
    }
}

fn expect(ok: bool, detail: impl FnOnce() -> String) -> Result<Outcome, Miss> {
    if ok {
        Ok(Outcome::Passed)
    } else {
        Err(Miss::Detail(detail()))
    }
}

fn compile(pattern: &str) -> Result<regex::Regex, Miss> {
    regex::Regex::new(pattern)
        .map_err(|e| Miss::Detail(format!("the check's pattern is invalid: {e}")))
}

/// The bytes of the regular file at `path` in the workspace.
fn read(workspace: &Path, path: &str) -> Result<Vec<u8>, Miss> {
    let Some(real) = path::resolve(workspace, path)? else {
        return Err(Miss::Detail(format!("`{path}` does not exist")));
    };
    let cannot = |e: std::io::Error| Miss::Detail(format!("cannot read `{path}`: {e}"));
    let meta = std::fs::metadata(&real).map_err(cannot)?;
    if !meta.is_file() {
        return Err(Miss::Detail(format!("`{path}` is not a regular file")));
    }
    if meta.len() > MAX_READ_BYTES {
        return Err(Miss::Detail(format!(
            "`{path}` is too large to check ({} bytes; the limit is {MAX_READ_BYTES})",
            meta.len()
        )));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(&real)
        .and_then(|f| f.take(MAX_READ_BYTES).read_to_end(&mut bytes))
        .map_err(cannot)?;
    Ok(bytes)
}

/// The file as text; invalid UTF-8 is replaced, so binary files can still be searched.
fn read_text(workspace: &Path, path: &str) -> Result<String, Miss> {
    read(workspace, path).map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn read_doc(workspace: &Path, path: &str, format: Format) -> Result<serde_json::Value, Miss> {
    let bytes = read(workspace, path)?;
    document::parse(format, &bytes).map_err(|e| Miss::Detail(format!("`{path}`: {e}")))
}

fn exists(workspace: &Path, path: &str, pointer: &str, format: Format) -> Result<Outcome, Miss> {
    let doc = read_doc(workspace, path, format)?;
    document::lookup(&doc, pointer)
        .map(|_| Outcome::Passed)
        .map_err(|e| Miss::Detail(format!("`{path}`: {e}")))
}

fn equals(
    workspace: &Path,
    path: &str,
    pointer: &str,
    expected: &serde_json::Value,
    format: Format,
    reveal: bool,
) -> Result<Outcome, Miss> {
    let doc = read_doc(workspace, path, format)?;
    let found =
        document::lookup(&doc, pointer).map_err(|e| Miss::Detail(format!("`{path}`: {e}")))?;
    expect(document::equal(found, expected), || {
        let found = format!("`{path}` has {} at `{pointer}`", document::describe(found));
        if reveal {
            format!("{found}, expected {}", document::describe(expected))
        } else {
            found
        }
    })
}

fn command(
    workspace: &Path,
    argv: &[String],
    exit_code: i32,
    stdout_contains: Option<&str>,
    stdout_matches: Option<&str>,
    timeout: Duration,
    reveal: bool,
) -> Result<Outcome, Miss> {
    let Some((program, args)) = argv.split_first() else {
        return Err(Miss::Detail("the check's `run` list is empty".to_owned()));
    };
    let regex = stdout_matches.map(compile).transpose()?;
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let out = process::run(&program.into(), &args, workspace, timeout)
        .map_err(|e| Miss::Detail(spawn_error(program, &e)))?;
    let Some(status) = out.status else {
        return Err(Miss::Replace(timed_out(timeout)));
    };
    if status.code() != Some(exit_code) {
        let expected = if reveal {
            format!(", expected exit code {exit_code}")
        } else {
            String::new()
        };
        return Err(Miss::Detail(format!(
            "`{}` {}{expected}{}",
            argv.join(" "),
            describe_exit(status),
            stderr_tail(&out.stderr)
        )));
    }
    if let Some(text) = stdout_contains
        && !out.stdout.contains(text)
    {
        return Err(Miss::Detail(if reveal {
            format!("the output does not contain {text:?}")
        } else {
            "the output does not contain the expected text".to_owned()
        }));
    }
    if let Some(regex) = regex
        && !regex.is_match(&out.stdout)
    {
        return Err(Miss::Detail(if reveal {
            format!("no match for /{}/ in the output", regex.as_str())
        } else {
            "the output does not match the expected pattern".to_owned()
        }));
    }
    Ok(Outcome::Passed)
}

/// Runs `sh SCRIPT`, the script written from the lab's files to a temp folder outside the
/// workspace (so the learner can neither see nor edit it there).
fn run_script(
    workspace: &Path,
    files: &[LabFile],
    script: &str,
    timeout: Duration,
) -> Result<Outcome, Miss> {
    let wanted = normalize(script);
    let Some(bytes) = files
        .iter()
        .find(|f| normalize(&f.path) == wanted)
        .and_then(LabFile::bytes)
    else {
        return Err(Miss::Detail(format!("the lab has no script `{script}`")));
    };
    let cannot = |e: std::io::Error| Miss::Detail(format!("cannot write the check script: {e}"));
    let dir = tempfile::Builder::new()
        .prefix("cloudmaster-check-")
        .tempdir()
        .map_err(cannot)?;
    let name = wanted.rsplit('/').next().unwrap_or("check.sh");
    let file = dir.path().join(name);
    std::fs::write(&file, bytes).map_err(cannot)?;

    let out = process::run(&"sh".into(), &[file.into_os_string()], workspace, timeout)
        .map_err(|e| Miss::Detail(spawn_error("sh", &e)))?;
    let Some(status) = out.status else {
        return Err(Miss::Replace(timed_out(timeout)));
    };
    if status.success() {
        return Ok(Outcome::Passed);
    }
    let fail_line = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("FAIL:"))
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty());
    let detail = format!(
        "`{script}` {}{}",
        describe_exit(status),
        stderr_tail(&out.stderr)
    );
    match fail_line {
        Some(message) => Ok(Outcome::Failed {
            message,
            detail: Some(detail),
        }),
        None => Err(Miss::Detail(detail)),
    }
}

fn normalize(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
}

fn timed_out(timeout: Duration) -> String {
    format!(
        "the check timed out after {} s; it and the processes it started were stopped",
        timeout.as_secs()
    )
}

fn spawn_error(program: &str, err: &std::io::Error) -> String {
    if err.kind() == std::io::ErrorKind::NotFound {
        format!("`{program}` was not found on PATH (or the workspace is missing)")
    } else {
        format!("cannot run `{program}`: {err}")
    }
}

fn describe_exit(status: std::process::ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with code {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = status.signal() {
            return format!("was killed by signal {signal}");
        }
    }
    "ended abnormally".to_owned()
}

/// The last few lines of standard error, for the detail.
fn stderr_tail(stderr: &str) -> String {
    const LINES: usize = 5;
    const CHARS: usize = 500;
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    if lines.is_empty() {
        return String::new();
    }
    let tail = lines[lines.len().saturating_sub(LINES)..].join("\n");
    let tail: String = if tail.chars().count() > CHARS {
        let skip = tail.chars().count() - CHARS;
        format!("…{}", tail.chars().skip(skip).collect::<String>())
    } else {
        tail
    };
    format!("; stderr:\n{tail}")
}

#[cfg(test)]
mod tests;
