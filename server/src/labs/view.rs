//! What a learner sees of a lab and a session: the wire types built from the stored session
//! and the published lab, and the lab with its solutions and unrevealed hint texts taken out.

use cloudmaster_core::api::{LabSession, LabStepState, LabSummary};
use cloudmaster_core::course::{Course, Lab, LabFile, Step};
use cloudmaster_core::lab::is_self_reported;
use uuid::Uuid;

use super::records::LabSessionRecord;
use crate::config::ServerConfig;

/// The session as the API shows it. `lab` is the lab of the session's course version; a
/// step is self-reported when `config` has the server skip its `command` or `script`
/// conditions.
pub fn session_view(record: &LabSessionRecord, lab: &Lab, config: &ServerConfig) -> LabSession {
    let run = config.lab_run_options();
    let steps: Vec<LabStepState> = lab
        .steps
        .iter()
        .map(|step| {
            let stored = record.steps.get(&step.id).copied().unwrap_or_default();
            LabStepState {
                id: step.id.clone(),
                title: step.title.clone(),
                passed: stored.passed,
                skipped: stored.skipped,
                failed_checks: stored.failed_checks,
                hints_shown: stored.hints_shown,
                hints: u32::try_from(step.hints.len()).unwrap_or(u32::MAX),
                self_reported: is_self_reported(step, &run),
            }
        })
        .collect();
    let current_step = steps
        .iter()
        .find(|s| !s.passed && !s.skipped)
        .map(|s| s.id.clone());
    LabSession {
        id: record.id,
        course_id: record.course_id.clone(),
        lab_id: record.lab_id.clone(),
        lab_title: lab.title.clone(),
        lab_version: u32::try_from(record.lab_version).unwrap_or(u32::MAX),
        status: record.status,
        started_at: record.started_at,
        expires_at: record.expires_at,
        idle_expires_at: record.idle_expires_at(config.lab_idle_timeout()),
        ended_at: record.ended_at,
        submissions: record.submissions,
        steps,
        current_step,
    }
}

/// One lab of a course in the listing.
pub fn summary(
    lab: &Lab,
    module_id: Option<&str>,
    passed: bool,
    active_session: Option<Uuid>,
) -> LabSummary {
    LabSummary {
        id: lab.id.clone(),
        title: lab.title.clone(),
        difficulty: lab.difficulty.as_str().to_owned(),
        estimated_minutes: lab.estimated_minutes,
        time_limit_minutes: lab.time_limit_minutes,
        module_id: module_id.map(str::to_owned),
        skills: lab.skills.clone(),
        domains: lab.domains.clone(),
        tools: lab.tools.clone(),
        steps: u32::try_from(lab.steps.len()).unwrap_or(u32::MAX),
        passed,
        active_session,
        locked: false,
    }
}

/// The labs of `course` in course order: those each module lists, in module order, then
/// any lab no module lists. Each comes with the module that lists it first.
pub fn labs_in_order(course: &Course) -> Vec<(&Lab, Option<&str>)> {
    let mut ordered: Vec<(&Lab, Option<&str>)> = Vec::with_capacity(course.labs.len());
    for module in &course.modules {
        for lab_id in &module.labs {
            let listed = ordered.iter().any(|(lab, _)| &lab.id == lab_id);
            if let Some(lab) = course.labs.iter().find(|l| &l.id == lab_id)
                && !listed
            {
                ordered.push((lab, Some(module.id.as_str())));
            }
        }
    }
    for lab in &course.labs {
        if !ordered.iter().any(|(l, _)| l.id == lab.id) {
            ordered.push((lab, None));
        }
    }
    ordered
}

/// `path` without `.` and empty segments, as lab file paths are stored.
fn normalize(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// `file`'s path relative to `folder` when the file is inside it.
fn relative_to<'a>(file: &'a LabFile, folder: &str) -> Option<&'a str> {
    let folder = normalize(folder);
    file.path.strip_prefix(folder.as_str())?.strip_prefix('/')
}

/// The lab as the learner of `record` gets it: everything but the files of the steps'
/// solution folders, which are revealed step by step ([`solution_files`]), and but the text
/// of hints the session has not revealed, which come from the hint endpoint as they unlock.
pub fn learner_lab(lab: &Lab, record: &LabSessionRecord) -> Lab {
    let mut public = without_solutions(lab);
    public.hide_unrevealed_hints(|step| record.steps.get(step).map_or(0, |s| s.hints_shown));
    public
}

/// The lab without the files of the steps' solution folders.
fn without_solutions(lab: &Lab) -> Lab {
    let mut public = lab.clone();
    public.files.retain(|file| {
        !lab.steps
            .iter()
            .any(|step| relative_to(file, &step.solution).is_some())
    });
    public
}

/// The files of `step`'s solution folder, with paths relative to the workspace (the
/// solution folder's prefix removed), as `lab solution` writes them.
pub fn solution_files(lab: &Lab, step: &Step) -> Vec<LabFile> {
    lab.solution_files(step)
}

#[cfg(test)]
mod tests {
    use cloudmaster_core::course::{FileContent, Module};

    use super::*;

    fn file(path: &str) -> LabFile {
        LabFile {
            path: path.to_owned(),
            content: FileContent::Text(format!("content of {path}")),
            executable: false,
        }
    }

    fn lab() -> Lab {
        Lab {
            id: "lab".into(),
            starter: "starter".into(),
            steps: vec![
                Step {
                    id: "one".into(),
                    solution: "./solution/one/".into(),
                    ..Step::default()
                },
                Step {
                    id: "two".into(),
                    solution: "solution/two".into(),
                    ..Step::default()
                },
            ],
            files: vec![
                file("checks/ok.sh"),
                file("solution/one/a.yaml"),
                file("solution/one/dir/b.txt"),
                file("solution/two/a.yaml"),
                file("solution/twofold.txt"),
                file("starter/a.yaml"),
            ],
            ..Lab::default()
        }
    }

    #[test]
    fn solutions_are_taken_out_and_given_relative_to_the_workspace() {
        let lab = lab();
        let public: Vec<String> = without_solutions(&lab)
            .files
            .into_iter()
            .map(|f| f.path)
            .collect();
        assert_eq!(
            public,
            ["checks/ok.sh", "solution/twofold.txt", "starter/a.yaml"]
        );
        let one: Vec<String> = solution_files(&lab, &lab.steps[0])
            .into_iter()
            .map(|f| f.path)
            .collect();
        assert_eq!(one, ["a.yaml", "dir/b.txt"]);
        let two = solution_files(&lab, &lab.steps[1]);
        assert_eq!(two.len(), 1);
        assert_eq!(two[0].text(), Some("content of solution/two/a.yaml"));
    }

    #[test]
    fn labs_follow_the_modules_then_the_unlisted() {
        let lab = |id: &str| Lab {
            id: id.into(),
            ..Lab::default()
        };
        let module = |id: &str, labs: &[&str]| Module {
            id: id.into(),
            labs: labs.iter().map(|l| (*l).to_owned()).collect(),
            ..Module::default()
        };
        let course = Course {
            modules: vec![module("m1", &["c", "a"]), module("m2", &["a", "b"])],
            labs: vec![lab("a"), lab("b"), lab("c"), lab("d")],
            ..Course::default()
        };
        let order: Vec<(&str, Option<&str>)> = labs_in_order(&course)
            .into_iter()
            .map(|(lab, module)| (lab.id.as_str(), module))
            .collect();
        assert_eq!(
            order,
            [
                ("c", Some("m1")),
                ("a", Some("m1")),
                ("b", Some("m2")),
                ("d", None)
            ]
        );
    }
}
