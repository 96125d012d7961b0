//! Whether a learner has met a course's completion rules, decided from plain facts (what the
//! server's store read: completed lessons, passed assessments, passed labs) so that the rule
//! lives in one place and is tested without a database.

use std::collections::BTreeSet;

use crate::api::{CompletionRule, CompletionStatus};
use crate::course::{Course, Requirement};

/// What a learner has done in one course, as stored. Ids may include items that are no
/// longer in the course's current version; only the current ones count for lessons and
/// assessments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompletionFacts {
    /// Lessons with progress `completed`.
    pub completed_lessons: Vec<String>,
    /// Quizzes and mock exams with at least one closed, passed attempt.
    pub passed_assessments: Vec<String>,
    /// Labs passed (first pass kept).
    pub passed_labs: Vec<String>,
}

/// The completion rules of `course` (version `course_version`) against `facts`.
/// `certificate_id` is left `None` for the caller to fill in.
pub fn completion_status(
    course: &Course,
    course_version: i64,
    facts: &CompletionFacts,
) -> CompletionStatus {
    let rules = &course.completion;
    let lessons_done: BTreeSet<&str> = facts.completed_lessons.iter().map(String::as_str).collect();
    let passed: BTreeSet<&str> = facts
        .passed_assessments
        .iter()
        .map(String::as_str)
        .collect();

    let lessons = match rules.lessons {
        Requirement::All => every(course.lessons().map(|l| l.id.as_str()), &lessons_done),
        Requirement::None => not_required(),
    };
    let quizzes = match rules.quizzes {
        Requirement::All => every(
            course
                .modules
                .iter()
                .filter_map(|m| m.quiz.as_ref())
                .map(|q| q.id.as_str()),
            &passed,
        ),
        Requirement::None => not_required(),
    };
    let mock_exam = match (&course.mock_exam, rules.mock_exam) {
        (Some(mock), true) => every(std::iter::once(mock.id.as_str()), &passed),
        // Validation refuses this course; should one exist, nobody could ever complete
        // it, and saying so beats pretending the rule is met.
        (None, true) => CompletionRule {
            required: 1,
            done: 0,
            met: false,
            missing: vec!["mock-exam (the course has none)".to_owned()],
        },
        (_, false) => not_required(),
    };
    let labs = labs_rule(course, rules.labs, facts);

    CompletionStatus {
        course_id: course.id.clone(),
        course_version,
        complete: lessons.met && quizzes.met && labs.met && mock_exam.met,
        lessons,
        quizzes,
        labs,
        mock_exam,
        certificate_id: None,
    }
}

/// A rule that asks for every one of `items`.
fn every<'a>(items: impl Iterator<Item = &'a str>, done: &BTreeSet<&str>) -> CompletionRule {
    let mut required = 0u32;
    let mut missing = Vec::new();
    for item in items {
        required += 1;
        if !done.contains(item) {
            missing.push(item.to_owned());
        }
    }
    let done = required - missing.len() as u32;
    CompletionRule {
        required,
        done,
        met: missing.is_empty(),
        missing,
    }
}

fn not_required() -> CompletionRule {
    CompletionRule {
        required: 0,
        done: 0,
        met: true,
        missing: Vec::new(),
    }
}

/// At least `required` labs of the course passed. Every recorded pass counts, including
/// labs a later version removed: the learner did the work.
fn labs_rule(course: &Course, required: u32, facts: &CompletionFacts) -> CompletionRule {
    let passed: BTreeSet<&str> = facts.passed_labs.iter().map(String::as_str).collect();
    let done = u32::try_from(passed.len())
        .unwrap_or(u32::MAX)
        .min(required);
    let met = done >= required;
    let missing = if met {
        Vec::new()
    } else {
        course
            .labs
            .iter()
            .map(|l| l.id.as_str())
            .filter(|id| !passed.contains(id))
            .map(str::to_owned)
            .collect()
    };
    CompletionRule {
        required,
        done,
        met,
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::course::{Completion, Lab, Lesson, MockExam, Module, Quiz};

    fn course(completion: Completion) -> Course {
        let lesson = |id: &str| Lesson {
            id: id.to_owned(),
            ..Lesson::default()
        };
        let quiz = |id: &str| Quiz {
            id: id.to_owned(),
            ..Quiz::default()
        };
        Course {
            id: "c".to_owned(),
            completion,
            modules: vec![
                Module {
                    id: "m1".to_owned(),
                    lessons: vec![lesson("l1"), lesson("l2")],
                    quiz: Some(quiz("q1")),
                    ..Module::default()
                },
                Module {
                    id: "m2".to_owned(),
                    lessons: vec![lesson("l3")],
                    quiz: None,
                    ..Module::default()
                },
            ],
            mock_exam: Some(MockExam {
                id: "mock".to_owned(),
                ..MockExam::default()
            }),
            labs: ["lab-a", "lab-b", "lab-c"]
                .into_iter()
                .map(|id| Lab {
                    id: id.to_owned(),
                    ..Lab::default()
                })
                .collect(),
            ..Course::default()
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn everything_required_reports_what_is_missing() {
        let course = course(Completion {
            lessons: Requirement::All,
            quizzes: Requirement::All,
            labs: 2,
            mock_exam: true,
        });
        let facts = CompletionFacts {
            // `old` is a lesson of an earlier version: it does not count.
            completed_lessons: strings(&["l1", "old"]),
            passed_assessments: strings(&[]),
            passed_labs: strings(&["lab-b"]),
        };
        let status = completion_status(&course, 4, &facts);
        assert!(!status.complete);
        assert_eq!(status.course_version, 4);
        assert_eq!(status.lessons.required, 3);
        assert_eq!(status.lessons.done, 1);
        assert_eq!(status.lessons.missing, ["l2", "l3"]);
        assert_eq!(status.quizzes.missing, ["q1"]);
        assert_eq!((status.labs.required, status.labs.done), (2, 1));
        assert_eq!(status.labs.missing, ["lab-a", "lab-c"]);
        assert_eq!(status.mock_exam.missing, ["mock"]);

        let facts = CompletionFacts {
            completed_lessons: strings(&["l1", "l2", "l3"]),
            passed_assessments: strings(&["q1", "mock"]),
            passed_labs: strings(&["lab-b", "retired-lab"]),
        };
        let status = completion_status(&course, 4, &facts);
        assert!(status.complete, "{status:?}");
        assert_eq!((status.labs.done, status.labs.met), (2, true));
        assert!(status.labs.missing.is_empty());
    }

    #[test]
    fn rules_that_ask_for_nothing_are_met() {
        let course = course(Completion {
            lessons: Requirement::All,
            quizzes: Requirement::None,
            labs: 0,
            mock_exam: false,
        });
        let mut facts = CompletionFacts {
            completed_lessons: strings(&["l1", "l2"]),
            ..CompletionFacts::default()
        };
        let status = completion_status(&course, 1, &facts);
        assert!(!status.complete);
        assert!(status.quizzes.met && status.labs.met && status.mock_exam.met);
        assert_eq!(status.quizzes.required, 0);
        facts.completed_lessons.push("l3".to_owned());
        assert!(completion_status(&course, 1, &facts).complete);
    }

    #[test]
    fn a_required_mock_exam_the_course_lacks_is_never_met() {
        let mut course = course(Completion {
            lessons: Requirement::None,
            quizzes: Requirement::None,
            labs: 0,
            mock_exam: true,
        });
        course.mock_exam = None;
        let status = completion_status(&course, 1, &CompletionFacts::default());
        assert!(!status.complete);
        assert!(!status.mock_exam.met);
    }
}
