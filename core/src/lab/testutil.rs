//! Small labs for the unit tests.

use crate::course::{Check, Condition, FileContent, Lab, LabFile, Step};

pub fn file(path: &str, text: &str) -> LabFile {
    LabFile {
        path: path.into(),
        content: FileContent::Text(text.into()),
        executable: false,
    }
}

pub fn condition(id: &str, check: Check) -> Condition {
    Condition {
        id: id.into(),
        message: format!("{id} failed"),
        timeout_seconds: 10,
        check,
    }
}

/// A step whose solution folder is `solution/<id>`; `solution` files must live there.
pub fn step(id: &str, conditions: Vec<Condition>, solution: Vec<LabFile>) -> (Step, Vec<LabFile>) {
    let step = Step {
        id: id.into(),
        title: id.into(),
        instructions: format!("steps/{id}.md"),
        solution: format!("solution/{id}"),
        conditions,
        hints: Vec::new(),
    };
    (step, solution)
}

pub fn lab(mut files: Vec<LabFile>, steps: Vec<(Step, Vec<LabFile>)>) -> Lab {
    let mut lab_steps = Vec::new();
    for (step, solution) in steps {
        files.extend(solution);
        lab_steps.push(step);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Lab {
        id: "test-lab".into(),
        version: 1,
        title: "Test lab".into(),
        time_limit_minutes: 60,
        starter: "starter".into(),
        steps: lab_steps,
        files,
        ..Lab::default()
    }
}
