//! Decoding `labs/<lab-id>/lab.yaml`: the lab, its steps, conditions and hints. Which keys a
//! condition takes depends on its `check`. The lab's files are read by the loader.

use super::{Dec, Obj, choice, int, objects, string, strings, uint};
use crate::course::model::lab::{
    DEFAULT_LAB_TIME_LIMIT_MINUTES, DEFAULT_STARTER, DEFAULT_TIMEOUT_SECONDS,
};
use crate::course::model::{Check, Condition, Hint, Lab, Step};
use crate::course::yaml::Node;

const LAB_KEYS: &[&str] = &[
    "id",
    "version",
    "title",
    "difficulty",
    "estimated_minutes",
    "skills",
    "domains",
    "tools",
    "time_limit_minutes",
    "starter",
    "steps",
];
const STEP_KEYS: &[&str] = &[
    "id",
    "title",
    "instructions",
    "solution",
    "conditions",
    "hints",
];
const CONDITION_KEYS: &[&str] = &[
    "id",
    "check",
    "message",
    "timeout_seconds",
    "path",
    "text",
    "pattern",
    "pointer",
    "value",
    "run",
    "exit_code",
    "stdout_contains",
    "stdout_matches",
    "script",
];
/// The condition keys that only some checks take.
const CHECK_KEYS: &[&str] = &[
    "path",
    "text",
    "pattern",
    "pointer",
    "value",
    "run",
    "exit_code",
    "stdout_contains",
    "stdout_matches",
    "script",
];
const HINT_KEYS: &[&str] = &["text", "after_failures", "after_minutes"];

/// Decodes the root of a `lab.yaml` into a lab under the structural key `path`.
pub(crate) fn lab(dec: &mut Dec<'_>, root: &Node, path: String) -> Option<Lab> {
    let obj = Obj::new(dec, root, "lab", path, LAB_KEYS)?;
    Some(Lab {
        id: obj.req(dec, "id", string).unwrap_or_default(),
        version: obj.opt(dec, "version", uint).unwrap_or(1),
        title: obj.req(dec, "title", string).unwrap_or_default(),
        difficulty: obj
            .req(dec, "difficulty", super::course::level)
            .unwrap_or_default(),
        estimated_minutes: obj.req(dec, "estimated_minutes", uint).unwrap_or_default(),
        skills: obj.opt(dec, "skills", strings).unwrap_or_default(),
        domains: obj.opt(dec, "domains", strings).unwrap_or_default(),
        tools: obj.opt(dec, "tools", strings).unwrap_or_default(),
        time_limit_minutes: obj
            .opt(dec, "time_limit_minutes", uint)
            .unwrap_or(DEFAULT_LAB_TIME_LIMIT_MINUTES),
        starter: obj
            .opt(dec, "starter", string)
            .unwrap_or_else(|| DEFAULT_STARTER.to_owned()),
        steps: objects(&obj, dec, "steps", true, step),
        files: Vec::new(),
    })
}

fn step(dec: &mut Dec<'_>, node: &Node, path: String) -> Option<Step> {
    let obj = Obj::new(dec, node, "step", path, STEP_KEYS)?;
    Some(Step {
        id: obj.req(dec, "id", string).unwrap_or_default(),
        title: obj.req(dec, "title", string).unwrap_or_default(),
        instructions: obj.req(dec, "instructions", string).unwrap_or_default(),
        solution: obj.req(dec, "solution", string).unwrap_or_default(),
        conditions: objects(&obj, dec, "conditions", true, condition),
        hints: objects(&obj, dec, "hints", false, hint),
    })
}

/// The keys `check` takes besides `id`, `check`, `message` and `timeout_seconds`; the
/// required ones first.
fn check_keys(check: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match check {
        "file_contains" => (&["path", "text"], &[]),
        "file_matches" => (&["path", "pattern"], &[]),
        "json_exists" | "yaml_exists" => (&["path", "pointer"], &[]),
        "json_equals" | "yaml_equals" => (&["path", "pointer", "value"], &[]),
        "command" => (
            &["run"],
            &["exit_code", "stdout_contains", "stdout_matches"],
        ),
        "script" => (&["script"], &[]),
        // file_exists, valid_json, valid_yaml
        _ => (&["path"], &[]),
    }
}

fn condition(dec: &mut Dec<'_>, node: &Node, path: String) -> Option<Condition> {
    let obj = Obj::new(dec, node, "condition", path, CONDITION_KEYS)?;
    let id = obj.req(dec, "id", string).unwrap_or_default();
    let check = obj.req(dec, "check", |dec, node, path| {
        choice(dec, node, path, &Check::NAMES)
    });
    let message = obj.req(dec, "message", string).unwrap_or_default();
    let timeout_seconds = obj
        .opt(dec, "timeout_seconds", uint)
        .unwrap_or(DEFAULT_TIMEOUT_SECONDS);
    let Some(name) = check else {
        for key in CHECK_KEYS {
            dec.poison(&obj.key(key));
        }
        return Some(Condition {
            id,
            message,
            timeout_seconds,
            check: Check::default(),
        });
    };

    let (required, optional) = check_keys(name);
    let takes: Vec<&str> = required.iter().chain(optional).copied().collect();
    for key in CHECK_KEYS {
        if !takes.contains(key) {
            let message = format!("`{name}` checks take no `{key}`");
            let help = format!(
                "`{name}` takes {}",
                super::one_of(&takes).replace(" or ", " and ")
            );
            obj.reject(dec, key, message, Some(help));
            dec.poison(&obj.key(key));
        }
    }
    let text = |dec: &mut Dec<'_>, key: &str| obj.req(dec, key, string).unwrap_or_default();
    let check = match name {
        "file_contains" => Check::FileContains {
            path: text(dec, "path"),
            text: text(dec, "text"),
        },
        "file_matches" => Check::FileMatches {
            path: text(dec, "path"),
            pattern: text(dec, "pattern"),
        },
        "valid_json" => Check::ValidJson {
            path: text(dec, "path"),
        },
        "valid_yaml" => Check::ValidYaml {
            path: text(dec, "path"),
        },
        "json_exists" => Check::JsonExists {
            path: text(dec, "path"),
            pointer: text(dec, "pointer"),
        },
        "yaml_exists" => Check::YamlExists {
            path: text(dec, "path"),
            pointer: text(dec, "pointer"),
        },
        "json_equals" | "yaml_equals" => {
            let path = text(dec, "path");
            let pointer = text(dec, "pointer");
            // `value: null` is a legitimate expectation, so only absence is an error.
            let value = match obj.raw(dec, "value") {
                Some(node) => node.to_json(),
                None => {
                    obj.req(dec, "value", |_, _, _| Some(()));
                    serde_json::Value::Null
                }
            };
            if name == "json_equals" {
                Check::JsonEquals {
                    path,
                    pointer,
                    value,
                }
            } else {
                Check::YamlEquals {
                    path,
                    pointer,
                    value,
                }
            }
        }
        "command" => Check::Command {
            run: obj.req(dec, "run", strings).unwrap_or_default(),
            exit_code: obj
                .opt(dec, "exit_code", |dec, node, path| {
                    // Out-of-range codes are reported by the model validator.
                    int(dec, node, path).map(|i| i32::try_from(i).unwrap_or(i32::MAX))
                })
                .unwrap_or_default(),
            stdout_contains: obj.opt(dec, "stdout_contains", string),
            stdout_matches: obj.opt(dec, "stdout_matches", string),
        },
        "script" => Check::Script {
            script: text(dec, "script"),
        },
        _ => Check::FileExists {
            path: text(dec, "path"),
        },
    };
    Some(Condition {
        id,
        message,
        timeout_seconds,
        check,
    })
}

fn hint(dec: &mut Dec<'_>, node: &Node, path: String) -> Option<Hint> {
    let obj = Obj::new(dec, node, "hint", path, HINT_KEYS)?;
    Some(Hint {
        text: obj.req(dec, "text", string).unwrap_or_default(),
        after_failures: obj.opt(dec, "after_failures", uint),
        after_minutes: obj.opt(dec, "after_minutes", uint),
    })
}
