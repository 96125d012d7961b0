//! Labs: steps, the conditions that check them, hints, and the lab's files.
//!
//! A loaded [`Lab`] carries every file of its folder (starter files, step solutions,
//! instructions, check scripts) as [`LabFile`]s with '/'-separated paths relative to the lab
//! folder, so a lab can be started, checked and re-checked from the bundle alone.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// Session time limit of a lab that does not set one.
pub const DEFAULT_LAB_TIME_LIMIT_MINUTES: u32 = 120;
/// Timeout of a condition that does not set one.
pub const DEFAULT_TIMEOUT_SECONDS: u32 = 60;
/// Starter folder of a lab that does not set one.
pub const DEFAULT_STARTER: &str = "starter";

/// A hands-on lab.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lab {
    /// Equals the lab's folder name under `labs/`.
    pub id: String,
    pub version: u32,
    pub title: String,
    pub difficulty: super::Level,
    pub estimated_minutes: u32,
    #[serde(default)]
    pub skills: Vec<String>,
    /// Exam domain ids.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Local programs the lab needs.
    #[serde(default)]
    pub tools: Vec<String>,
    pub time_limit_minutes: u32,
    /// Folder of starter files, relative to the lab folder.
    pub starter: String,
    pub steps: Vec<Step>,
    /// Every file of the lab folder except `lab.yaml`, sorted by path.
    #[serde(default)]
    pub files: Vec<LabFile>,
}

impl Lab {
    /// The file at `path` (relative to the lab folder).
    pub fn file(&self, path: &str) -> Option<&LabFile> {
        let path = normalize(path);
        self.files.iter().find(|f| f.path == path)
    }

    /// The files under `folder`, with paths still relative to the lab folder.
    pub fn files_under<'a>(&'a self, folder: &str) -> impl Iterator<Item = &'a LabFile> {
        let prefix = format!("{}/", normalize(folder).trim_end_matches('/'));
        self.files
            .iter()
            .filter(move |f| f.path.starts_with(&prefix))
    }

    /// The files of `step`'s solution folder, with paths relative to the workspace (the
    /// folder's prefix removed), as `lab solution` writes them.
    pub fn solution_files(&self, step: &Step) -> Vec<LabFile> {
        let prefix = format!("{}/", normalize(&step.solution).trim_end_matches('/'));
        self.files
            .iter()
            .filter_map(|file| {
                Some(LabFile {
                    path: file.path.strip_prefix(&prefix)?.to_owned(),
                    ..file.clone()
                })
            })
            .collect()
    }

    /// The starter files.
    pub fn starter_files(&self) -> impl Iterator<Item = &LabFile> {
        self.files_under(&self.starter)
    }

    /// Empties the text of every hint past the first `shown(step id)` of its step, keeping
    /// how many hints each step has and when they unlock. What a learner receives: a hint's
    /// text may spell out the answer, so it is sent only once revealed.
    pub fn hide_unrevealed_hints(&mut self, shown: impl Fn(&str) -> u32) {
        for step in &mut self.steps {
            let shown = shown(&step.id) as usize;
            for hint in step.hints.iter_mut().skip(shown) {
                hint.text.clear();
            }
        }
    }
}

/// Drops `./` segments so `./steps/a.md` and `steps/a.md` name the same file.
fn normalize(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// One step of a lab.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    pub title: String,
    /// Markdown file in the lab folder.
    pub instructions: String,
    /// Folder whose files, copied over the workspace, solve this step.
    pub solution: String,
    pub conditions: Vec<Condition>,
    #[serde(default)]
    pub hints: Vec<Hint>,
}

impl Step {
    /// The Markdown instructions, from the lab's files.
    pub fn instructions_text<'a>(&self, lab: &'a Lab) -> Option<&'a str> {
        lab.file(&self.instructions).and_then(LabFile::text)
    }
}

/// A named check with the message shown when it fails.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub id: String,
    pub message: String,
    pub timeout_seconds: u32,
    #[serde(flatten)]
    pub check: Check,
}

/// What a condition checks. Paths are relative to the lab workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum Check {
    FileExists {
        path: String,
    },
    FileContains {
        path: String,
        text: String,
    },
    FileMatches {
        path: String,
        pattern: String,
    },
    ValidJson {
        path: String,
    },
    ValidYaml {
        path: String,
    },
    JsonExists {
        path: String,
        pointer: String,
    },
    YamlExists {
        path: String,
        pointer: String,
    },
    JsonEquals {
        path: String,
        pointer: String,
        value: serde_json::Value,
    },
    YamlEquals {
        path: String,
        pointer: String,
        value: serde_json::Value,
    },
    /// Runs `run` (argv) in the workspace.
    Command {
        run: Vec<String>,
        #[serde(default)]
        exit_code: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stdout_contains: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stdout_matches: Option<String>,
    },
    /// Runs `sh SCRIPT` where SCRIPT is a file of the lab folder.
    Script {
        script: String,
    },
}

/// A placeholder (`file_exists` of an empty path), used for conditions that failed to load.
impl Default for Check {
    fn default() -> Check {
        Check::FileExists {
            path: String::new(),
        }
    }
}

impl Check {
    /// Every check name, as written after `check:`.
    pub const NAMES: [&'static str; 11] = [
        "file_exists",
        "file_contains",
        "file_matches",
        "valid_json",
        "valid_yaml",
        "json_exists",
        "yaml_exists",
        "json_equals",
        "yaml_equals",
        "command",
        "script",
    ];

    /// The check name, as written after `check:`.
    pub fn name(&self) -> &'static str {
        match self {
            Check::FileExists { .. } => "file_exists",
            Check::FileContains { .. } => "file_contains",
            Check::FileMatches { .. } => "file_matches",
            Check::ValidJson { .. } => "valid_json",
            Check::ValidYaml { .. } => "valid_yaml",
            Check::JsonExists { .. } => "json_exists",
            Check::YamlExists { .. } => "yaml_exists",
            Check::JsonEquals { .. } => "json_equals",
            Check::YamlEquals { .. } => "yaml_equals",
            Check::Command { .. } => "command",
            Check::Script { .. } => "script",
        }
    }

    /// The workspace file this check reads, if any.
    pub fn path(&self) -> Option<&str> {
        match self {
            Check::FileExists { path }
            | Check::FileContains { path, .. }
            | Check::FileMatches { path, .. }
            | Check::ValidJson { path }
            | Check::ValidYaml { path }
            | Check::JsonExists { path, .. }
            | Check::YamlExists { path, .. }
            | Check::JsonEquals { path, .. }
            | Check::YamlEquals { path, .. } => Some(path),
            Check::Command { .. } | Check::Script { .. } => None,
        }
    }

    /// Whether the server re-runs this check on submit (everything but `command` and
    /// `script`, which run only on the learner's machine unless a sandbox is enabled).
    pub fn is_declarative(&self) -> bool {
        !matches!(self, Check::Command { .. } | Check::Script { .. })
    }
}

/// A progressive hint: on request, or shown by itself after failures or time.
///
/// In the lab a learner receives, the text of a hint not revealed yet is empty (and left out
/// of the JSON): hint texts come from the hint endpoint as they unlock
/// ([`Lab::hide_unrevealed_hints`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hint {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// Shown automatically after this many failed checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_failures: Option<u32>,
    /// Shown automatically after this many minutes on the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_minutes: Option<u32>,
}

/// One file of a lab folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabFile {
    /// Relative to the lab folder, '/'-separated, without `.` or `..` segments.
    pub path: String,
    #[serde(flatten)]
    pub content: FileContent,
    /// The file has an executable bit (Unix).
    #[serde(default)]
    pub executable: bool,
}

impl LabFile {
    /// The file as UTF-8 text, unless it is binary.
    pub fn text(&self) -> Option<&str> {
        match &self.content {
            FileContent::Text(text) => Some(text),
            FileContent::Base64(_) => None,
        }
    }

    /// The file's bytes; `None` when base64 content does not decode.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        match &self.content {
            FileContent::Text(text) => Some(text.as_bytes().to_vec()),
            FileContent::Base64(b64) => base64::engine::general_purpose::STANDARD.decode(b64).ok(),
        }
    }
}

/// File content: UTF-8 text as is, anything else base64-encoded. In JSON it is a `text` or a
/// `base64` field next to `path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileContent {
    Text(String),
    Base64(String),
}

impl FileContent {
    /// Text when `bytes` are UTF-8 without NUL bytes, base64 otherwise.
    pub fn from_bytes(bytes: Vec<u8>) -> FileContent {
        if !bytes.contains(&0)
            && let Ok(text) = String::from_utf8(bytes.clone())
        {
            return FileContent::Text(text);
        }
        FileContent::Base64(base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_file_json_has_text_or_base64_next_to_path() {
        let text = LabFile {
            path: "starter/a.txt".into(),
            content: FileContent::from_bytes(b"hi".to_vec()),
            executable: false,
        };
        let json = serde_json::to_value(&text).unwrap();
        assert_eq!(json["text"], "hi");
        let binary = LabFile {
            path: "starter/b.bin".into(),
            content: FileContent::from_bytes(vec![0, 159, 146]),
            executable: true,
        };
        let json = serde_json::to_value(&binary).unwrap();
        assert_eq!(json["base64"], "AJ+S");
        let back: LabFile = serde_json::from_value(json).unwrap();
        assert_eq!(back.bytes(), Some(vec![0, 159, 146]));
    }

    #[test]
    fn condition_json_carries_the_check_name() {
        let c = Condition {
            id: "v".into(),
            message: "m".into(),
            timeout_seconds: 60,
            check: Check::JsonEquals {
                path: "p.json".into(),
                pointer: "/Version".into(),
                value: serde_json::json!("2012-10-17"),
            },
        };
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["check"], "json_equals");
        let back: Condition = serde_json::from_value(json).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn unrevealed_hints_keep_their_thresholds_but_not_their_text() {
        let hint = |text: &str, after_failures| Hint {
            text: text.into(),
            after_failures,
            after_minutes: None,
        };
        let step = |id: &str| Step {
            id: id.into(),
            hints: vec![hint("first", None), hint("the answer is 42", Some(2))],
            ..Step::default()
        };
        let mut lab = Lab {
            steps: vec![step("one"), step("two")],
            ..Lab::default()
        };
        lab.hide_unrevealed_hints(|id| u32::from(id == "one"));
        assert_eq!(lab.steps[0].hints[0].text, "first");
        assert_eq!(lab.steps[0].hints[1], hint("", Some(2)));
        assert!(lab.steps[1].hints.iter().all(|h| h.text.is_empty()));
        let json = serde_json::to_string(&lab).unwrap();
        assert!(!json.contains("answer"), "{json}");
        assert!(json.contains(r#"{"after_failures":2}"#), "{json}");
        let back: Lab = serde_json::from_str(&json).unwrap();
        assert_eq!(back.steps[1].hints.len(), 2);
    }

    #[test]
    fn files_under_a_folder() {
        let file = |p: &str| LabFile {
            path: p.into(),
            content: FileContent::Text(String::new()),
            executable: false,
        };
        let lab = Lab {
            starter: "./starter/".into(),
            files: vec![file("starter/a"), file("starterx/b"), file("steps/one.md")],
            ..Lab::default()
        };
        assert_eq!(lab.starter_files().count(), 1);
        assert!(lab.file("./steps/one.md").is_some());
    }
}
