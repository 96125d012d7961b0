//! Validation of labs: steps, conditions and their check-specific fields, hints, and the
//! lab's files (instructions, solutions and scripts must be among them; every file path must
//! be safe to write inside a workspace, since bundles come from the network).

use std::collections::HashSet;

use base64::Engine as _;

use super::{At, Checker, check_relative_path};
use crate::course::diagnostic::Diagnostic;
use crate::course::model::{Check, Condition, Course, FileContent, Lab, Step};

pub(super) fn check(c: &mut Checker, course: &Course) {
    let in_modules: HashSet<&str> = course
        .modules
        .iter()
        .flat_map(|m| &m.labs)
        .map(String::as_str)
        .collect();
    for (i, lab) in course.labs.iter().enumerate() {
        let at = At::root().item("labs", i, &lab.id);
        self::lab(c, course, &at, lab);
        if !lab.id.is_empty() && !in_modules.contains(lab.id.as_str()) {
            // Under its own key so the loader can drop it when the lab's id does not match
            // its folder (modules then usually list the folder name).
            c.push(
                &at.field("modules"),
                Diagnostic::warning(format!("lab `{}` is not part of any module", lab.id))
                    .with_help("list it under `labs:` of a module in course.yaml"),
            );
        }
    }
}

fn lab(c: &mut Checker, course: &Course, at: &At, lab: &Lab) {
    c.id(&at.field("id"), &lab.id, "lab");
    if lab.version == 0 {
        c.error(&at.field("version"), "lab version 0; versions start at 1");
    }
    c.text(&at.field("title"), &lab.title, "lab title");
    if lab.estimated_minutes == 0 {
        c.warning(&at.field("estimated_minutes"), "estimated_minutes is 0");
    }
    c.ids(&at.field("skills"), &lab.skills, "skill");
    for (i, domain) in lab.domains.iter().enumerate() {
        super::questions::domain_ref(c, course, &at.field("domains").index(i), domain);
    }
    for (i, tool) in lab.tools.iter().enumerate() {
        if tool.trim().is_empty() || tool.contains(char::is_whitespace) || tool.contains('/') {
            c.error(
                &at.field("tools").index(i),
                format!("tool `{tool}` is not a program name"),
            );
        }
    }
    if lab.time_limit_minutes == 0 {
        c.error(
            &at.field("time_limit_minutes"),
            "a lab needs a time limit above 0",
        );
    }
    c.relative_path(&at.field("starter"), &lab.starter, "starter folder");
    files(c, at, lab);
    if lab.steps.is_empty() {
        c.error(&at.field("steps"), format!("lab `{}` has no steps", lab.id));
    }
    for (i, step) in lab.steps.iter().enumerate() {
        self::step(c, lab, &at.item("steps", i, &step.id), step);
    }
    let steps = lab
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (at.item("steps", i, &s.id), s.id.as_str()));
    c.unique("step", "lab", steps);
}

/// Every file path is relative, '/'-separated, without `.`, `..` or empty segments, and
/// unique; binary content decodes.
fn files(c: &mut Checker, at: &At, lab: &Lab) {
    let mut seen = HashSet::new();
    for (i, file) in lab.files.iter().enumerate() {
        let at = at.field("files").index(i);
        let strict = file
            .path
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..");
        match check_relative_path(&file.path) {
            Err(problem) => c.error(&at, format!("lab file path `{}` {problem}", file.path)),
            Ok(()) if !strict => c.error(
                &at,
                format!("lab file path `{}` has an empty or `.` segment", file.path),
            ),
            Ok(()) => {}
        }
        if !seen.insert(file.path.as_str()) {
            c.error(&at, format!("lab file `{}` appears twice", file.path));
        }
        if let FileContent::Base64(data) = &file.content
            && base64::engine::general_purpose::STANDARD
                .decode(data)
                .is_err()
        {
            c.error(&at, format!("lab file `{}` is not valid base64", file.path));
        }
    }
}

fn step(c: &mut Checker, lab: &Lab, at: &At, step: &Step) {
    c.id(&at.field("id"), &step.id, "step");
    c.text(&at.field("title"), &step.title, "step title");
    let instructions = at.field("instructions");
    c.relative_path(&instructions, &step.instructions, "instructions file");
    if check_relative_path(&step.instructions).is_ok() && lab.file(&step.instructions).is_none() {
        c.push(
            &instructions,
            Diagnostic::error(format!(
                "instructions file `{}` not found",
                step.instructions
            ))
            .with_help(format!("create it in the folder of lab `{}`", lab.id)),
        );
    }
    let solution = at.field("solution");
    c.relative_path(&solution, &step.solution, "solution folder");
    if check_relative_path(&step.solution).is_ok()
        && lab.files_under(&step.solution).next().is_none()
    {
        c.push(
            &solution,
            Diagnostic::error(format!("solution folder `{}` is missing or empty", step.solution)).with_help(
                "put the files that solve this step there; `cloudmaster lab test` copies them over the starter files",
            ),
        );
    }
    if step.conditions.is_empty() {
        c.error(
            &at.field("conditions"),
            format!("step `{}` has no conditions", step.id),
        );
    }
    for (i, condition) in step.conditions.iter().enumerate() {
        self::condition(c, lab, &at.item("conditions", i, &condition.id), condition);
    }
    let conditions = step
        .conditions
        .iter()
        .enumerate()
        .map(|(i, k)| (at.item("conditions", i, &k.id), k.id.as_str()));
    c.unique("condition", "step", conditions);
    for (i, hint) in step.hints.iter().enumerate() {
        c.text(
            &at.field("hints").index(i).field("text"),
            &hint.text,
            "hint",
        );
    }
}

fn condition(c: &mut Checker, lab: &Lab, at: &At, condition: &Condition) {
    c.id(&at.field("id"), &condition.id, "condition");
    c.text(
        &at.field("message"),
        &condition.message,
        "condition message",
    );
    if !(1..=3600).contains(&condition.timeout_seconds) {
        c.error(
            &at.field("timeout_seconds"),
            format!(
                "timeout of {} seconds is not between 1 and 3600",
                condition.timeout_seconds
            ),
        );
    }
    if let Some(path) = condition.check.path() {
        c.relative_path(&at.field("path"), path, "path");
    }
    match &condition.check {
        Check::FileContains { text, .. } => c.text(&at.field("text"), text, "`text`"),
        Check::FileMatches { pattern, .. } => {
            super::questions::regex(c, &at.field("pattern"), pattern);
        }
        Check::JsonExists { pointer, .. }
        | Check::YamlExists { pointer, .. }
        | Check::JsonEquals { pointer, .. }
        | Check::YamlEquals { pointer, .. } => self::pointer(c, &at.field("pointer"), pointer),
        Check::Command {
            run,
            exit_code,
            stdout_matches,
            ..
        } => {
            if run.first().is_none_or(|program| program.trim().is_empty()) {
                c.push(
                    &at.field("run"),
                    Diagnostic::error("`run` names no program")
                        .with_help("`run` is the argv list, such as `[terraform, validate]`"),
                );
            }
            if !(0..=255).contains(exit_code) {
                c.error(
                    &at.field("exit_code"),
                    format!("exit code {exit_code} is not between 0 and 255"),
                );
            }
            if let Some(pattern) = stdout_matches {
                super::questions::regex(c, &at.field("stdout_matches"), pattern);
            }
        }
        Check::Script { script } => {
            c.relative_path(&at.field("script"), script, "script");
            if check_relative_path(script).is_ok() && lab.file(script).is_none() {
                c.push(
                    &at.field("script"),
                    Diagnostic::error(format!("script `{script}` not found"))
                        .with_help(format!("create it in the folder of lab `{}`", lab.id)),
                );
            }
        }
        Check::FileExists { .. } | Check::ValidJson { .. } | Check::ValidYaml { .. } => {}
    }
}

/// An RFC 6901 JSON pointer: empty (the whole document) or `/`-prefixed, `~` only as `~0`
/// or `~1`.
fn pointer(c: &mut Checker, at: &At, pointer: &str) {
    let bad_escape = pointer
        .split('~')
        .skip(1)
        .any(|rest| !rest.starts_with(['0', '1']));
    if !(pointer.is_empty() || pointer.starts_with('/')) || bad_escape {
        c.push(
            at,
            Diagnostic::error(format!("`{pointer}` is not a JSON pointer")).with_help(
                "a JSON pointer starts with `/`, like `/Statement/0/Effect`; write `~` as `~0` and `/` in a key as `~1`",
            ),
        );
    }
}
