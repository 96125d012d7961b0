//! `cloudmaster course new`: writes a small course that passes validation and shows each
//! part of the format (a module, two lessons, a bank with several question types, a quiz and
//! a tiny lab with starter and solution files), with comments pointing to the format guide.

use std::io;
use std::path::{Path, PathBuf};

use super::validate::is_valid_id;

/// Why a course could not be scaffolded.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error(
        "`{0}` is not a valid course id: use lower-case letters, digits and `-`, starting with a letter"
    )]
    InvalidId(String),
    #[error("{} already exists and is not empty", path.display())]
    Exists { path: PathBuf },
    #[error("cannot write {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

const COURSE_YAML: &str = r"# A cloudmaster course, format 1. See docs/course-format.md for every key.
format: 1
id: {{id}}
title: {{title}}
summary: What learners will be able to do after this course, in one paragraph.
level: beginner                 # beginner | intermediate | advanced
provider: general               # aws, azure, gcp, kubernetes, terraform, general ...
tags: [getting-started]
objectives:
  - Explain what the course is about.
  - Complete a first hands-on lab.
estimated_hours: 1
# For a course that prepares for a certification, add the exam blueprint; every question
# then names one of its domains:
# exam:
#   name: Example Certification
#   pass_mark: 70
#   domains:
#     - { id: basics, title: Basics, weight: 100 }
modules:
  - id: getting-started
    title: Getting started
    lessons:
      - id: welcome
        title: Welcome
        file: lessons/welcome.md
        minutes: 5
        skills: [basics]
      - id: first-steps
        title: First steps
        file: lessons/first-steps.md
        minutes: 10
        skills: [basics]
        resources:
          - title: CommonMark reference
            url: https://commonmark.org/help/
    quiz:
      id: getting-started-quiz
      title: Getting started check
      questions: 3
      skills: [basics]
      pass_mark: 70
    labs: [hello-file]
";

const WELCOME_MD: &str = "# Welcome

Lessons are Markdown files (CommonMark with tables and fenced code).

| part | where |
|---|---|
| lessons | `lessons/*.md` |
| questions | `questions/*.yaml` |
| labs | `labs/<lab-id>/lab.yaml` |
";

const FIRST_STEPS_MD: &str = "# First steps

Run the checks of a lab with:

```sh
cloudmaster lab check
```
";

const QUESTIONS_YAML: &str = r#"questions:
  - id: lesson-format
    type: single_choice
    skills: [basics]
    difficulty: 1
    prompt: In which format are lessons written?
    options:
      - { id: a, text: Markdown }
      - { id: b, text: HTML }
      - { id: c, text: PDF }
    answer: a
    explanation: Lessons are CommonMark Markdown files under `lessons/`.
  - id: course-parts
    type: multiple_response
    skills: [basics]
    difficulty: 2
    prompt: Which of these are parts of a course folder?
    options:
      - { id: a, text: "lessons/" }
      - { id: b, text: "questions/" }
      - { id: c, text: "node_modules/" }
    answer: [a, b]
    explanation: Lessons, question banks and labs make up a course; node_modules does not.
  - id: ids-are-stable
    type: true_false
    skills: [basics]
    difficulty: 1
    prompt: Progress refers to lessons and questions by their ids.
    answer: true
    explanation: Ids are stable across versions, so renaming an id loses learners' progress.
  - id: lab-order
    type: ordering
    skills: [basics]
    difficulty: 2
    prompt: Put the steps of doing a lab in order.
    options:
      - { id: start, text: Start the lab }
      - { id: check, text: Run the checks }
      - { id: submit, text: Submit the lab }
    answer: [start, check, submit]
    explanation: Start creates the workspace, check gives fast feedback, submit records the result.
"#;

const LAB_YAML: &str = r#"id: hello-file
version: 1
title: Write your first file
difficulty: beginner
estimated_minutes: 5
skills: [basics]
steps:
  - id: create-hello
    title: Create hello.txt
    instructions: steps/create-hello.md
    solution: solution/create-hello
    conditions:
      - id: exists
        check: file_exists
        path: hello.txt
        message: Create hello.txt in the workspace.
      - id: greets
        check: file_contains
        path: hello.txt
        text: hello
        message: hello.txt should say hello.
    hints:
      - text: Any editor will do, or `echo hello > hello.txt`.
      - text: The file must contain the word hello.
        after_failures: 2
"#;

const STEP_MD: &str = "# Create hello.txt

Create a file named `hello.txt` in the workspace that says `hello`.
";

/// Writes a new course with id `id` into `dir` (created if missing; it must not hold files).
pub fn scaffold_course(dir: &Path, id: &str) -> Result<(), ScaffoldError> {
    if !is_valid_id(id) {
        return Err(ScaffoldError::InvalidId(id.to_owned()));
    }
    let io_error = |path: &Path| {
        let path = path.to_owned();
        move |source| ScaffoldError::Io { path, source }
    };
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(io_error(dir))?;
        if entries.next().is_some() {
            return Err(ScaffoldError::Exists {
                path: dir.to_owned(),
            });
        }
    }
    let course_yaml = COURSE_YAML
        .replace("{{id}}", id)
        .replace("{{title}}", &title_of(id));
    let files: [(&str, &str); 8] = [
        ("course.yaml", &course_yaml),
        ("lessons/welcome.md", WELCOME_MD),
        ("lessons/first-steps.md", FIRST_STEPS_MD),
        ("questions/basics.yaml", QUESTIONS_YAML),
        ("labs/hello-file/lab.yaml", LAB_YAML),
        ("labs/hello-file/steps/create-hello.md", STEP_MD),
        (
            "labs/hello-file/starter/README.md",
            "Your workspace. Create hello.txt here.\n",
        ),
        ("labs/hello-file/solution/create-hello/hello.txt", "hello\n"),
    ];
    for (rel, content) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        std::fs::write(&path, content).map_err(io_error(&path))?;
    }
    Ok(())
}

/// `my-first-course` -> `My first course`.
fn title_of(id: &str) -> String {
    let words = id.replace('-', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_ids_and_non_empty_folders() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(
            scaffold_course(tmp.path(), "Bad Id"),
            Err(ScaffoldError::InvalidId(_))
        ));
        std::fs::write(tmp.path().join("x"), "").unwrap();
        assert!(matches!(
            scaffold_course(tmp.path(), "ok"),
            Err(ScaffoldError::Exists { .. })
        ));
        assert_eq!(title_of("my-first-course"), "My first course");
    }
}
