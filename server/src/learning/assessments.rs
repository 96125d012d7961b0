//! The assessments of a course: one quiz per module that has one, in module order, then the
//! mock exam. Each is described the same way whatever its kind, so attempts treat both alike.

use cloudmaster_core::api::{AssessmentInfo, AssessmentKind, AttemptStatus};
use cloudmaster_core::assess::{Draw, draw_mock_exam, draw_quiz};
use cloudmaster_core::course::{Course, DEFAULT_PASS_MARK, Quiz};

use super::records::AttemptRecord;
use crate::error::ApiError;

/// One quiz or mock exam of a course version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub id: String,
    pub kind: AssessmentKind,
    pub title: String,
    /// Position of the quiz's module; `None` for the mock exam.
    pub module_index: Option<usize>,
    pub module_id: Option<String>,
    /// How many questions an attempt draws (the bank may hold fewer).
    pub requested: u32,
    pub time_limit_minutes: u32,
    pub pass_mark: u32,
    pub max_attempts: u32,
    /// The quiz itself (its draw filters); `None` for the mock exam.
    pub quiz: Option<Quiz>,
}

impl Assessment {
    /// Every assessment of `course`: module quizzes in module order, then the mock exam.
    pub fn all(course: &Course) -> Vec<Assessment> {
        let quizzes = course.modules.iter().enumerate().filter_map(|(i, module)| {
            let quiz = module.quiz.as_ref()?;
            Some(Assessment {
                id: quiz.id.clone(),
                kind: AssessmentKind::Quiz,
                title: quiz.title.clone(),
                module_index: Some(i),
                module_id: Some(module.id.clone()),
                requested: quiz.questions,
                time_limit_minutes: quiz.time_limit_minutes,
                pass_mark: quiz.pass_mark,
                max_attempts: quiz.max_attempts,
                quiz: Some(quiz.clone()),
            })
        });
        let mock = course.mock_exam.as_ref().map(|mock| Assessment {
            id: mock.id.clone(),
            kind: AssessmentKind::MockExam,
            title: mock.title.clone(),
            module_index: None,
            module_id: None,
            requested: mock.questions,
            time_limit_minutes: mock.time_limit_minutes,
            pass_mark: mock_pass_mark(course, mock.pass_mark),
            max_attempts: mock.max_attempts,
            quiz: None,
        });
        quizzes.chain(mock).collect()
    }

    /// The assessment `id` of `course`, or 404.
    pub fn find(course: &Course, id: &str) -> Result<Assessment, ApiError> {
        Assessment::all(course)
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| {
                ApiError::NotFound(format!(
                    "no quiz or mock exam `{id}` in course `{}`; `GET /api/v1/courses/{}/assessments` \
                     lists them",
                    course.id, course.id
                ))
            })
    }

    /// The assessment an attempt was drawn for, from the attempt's course version.
    pub fn of_attempt(course: &Course, attempt: &AttemptRecord) -> Result<Assessment, ApiError> {
        Assessment::all(course)
            .into_iter()
            .find(|a| a.id == attempt.assessment_id && a.kind == attempt.kind)
            .ok_or_else(|| {
                ApiError::internal(
                    "finding the assessment of an attempt in its course version",
                    format!(
                        "attempt {} names `{}`, which version {} of `{}` lacks",
                        attempt.id, attempt.assessment_id, attempt.course_version, course.id
                    ),
                )
            })
    }

    /// How many questions an attempt actually gets.
    pub fn questions(&self, course: &Course) -> u32 {
        let pool = match &self.quiz {
            Some(quiz) => course.eligible_questions(quiz).count(),
            None => course.questions.len(),
        };
        self.requested.min(u32::try_from(pool).unwrap_or(u32::MAX))
    }

    /// Draws the questions of an attempt with `seed`.
    pub fn draw(&self, course: &Course, seed: u64) -> Result<Draw, ApiError> {
        let drawn = match &self.quiz {
            Some(quiz) => draw_quiz(course, quiz, seed),
            None => draw_mock_exam(course, seed),
        };
        drawn.map_err(|e| {
            ApiError::Conflict(format!(
                "cannot start `{}`: {e}; the course's author must add questions it can draw",
                self.id
            ))
        })
    }

    /// What `GET /courses/{course}/assessments` says about it, given the caller's attempts
    /// at this course (any assessment, any order).
    pub fn info(&self, course: &Course, attempts: &[AttemptRecord]) -> AssessmentInfo {
        let mine: Vec<&AttemptRecord> = attempts
            .iter()
            .filter(|a| a.assessment_id == self.id && a.kind == self.kind)
            .collect();
        AssessmentInfo {
            id: self.id.clone(),
            kind: self.kind,
            title: self.title.clone(),
            module_id: self.module_id.clone(),
            questions: self.questions(course),
            time_limit_minutes: self.time_limit_minutes,
            pass_mark: self.pass_mark,
            max_attempts: self.max_attempts,
            attempts_used: u32::try_from(mine.len()).unwrap_or(u32::MAX),
            best_score: mine
                .iter()
                .filter_map(|a| a.score_percent)
                .max_by(f64::total_cmp),
            passed: mine.iter().any(|a| a.passed == Some(true)),
            open_attempt: mine
                .iter()
                .find(|a| a.status == AttemptStatus::Open)
                .map(|a| a.id),
            locked: false,
        }
    }
}

/// The mock exam's own pass mark, else the exam blueprint's, else [`DEFAULT_PASS_MARK`].
fn mock_pass_mark(course: &Course, own: u32) -> u32 {
    if own > 0 {
        return own;
    }
    course
        .exam
        .as_ref()
        .map(|e| e.pass_mark)
        .filter(|&mark| mark > 0)
        .unwrap_or(DEFAULT_PASS_MARK)
}

#[cfg(test)]
mod tests {
    use cloudmaster_core::course::{Exam, MockExam, Module};

    use super::*;

    #[test]
    fn quizzes_in_module_order_then_the_mock_exam() {
        let quiz = |id: &str| Quiz {
            id: id.into(),
            title: id.to_uppercase(),
            questions: 5,
            pass_mark: 80,
            ..Quiz::default()
        };
        let mut course = Course {
            modules: vec![
                Module {
                    id: "m1".into(),
                    quiz: Some(quiz("q1")),
                    ..Module::default()
                },
                Module {
                    id: "m2".into(),
                    ..Module::default()
                },
                Module {
                    id: "m3".into(),
                    quiz: Some(quiz("q3")),
                    ..Module::default()
                },
            ],
            mock_exam: Some(MockExam {
                id: "mock".into(),
                questions: 10,
                ..MockExam::default()
            }),
            ..Course::default()
        };
        let all = Assessment::all(&course);
        let ids: Vec<(&str, Option<usize>)> = all
            .iter()
            .map(|a| (a.id.as_str(), a.module_index))
            .collect();
        assert_eq!(ids, [("q1", Some(0)), ("q3", Some(2)), ("mock", None)]);
        assert_eq!(all[0].pass_mark, 80);
        assert_eq!(all[2].pass_mark, DEFAULT_PASS_MARK);
        course.exam = Some(Exam {
            pass_mark: 72,
            ..Exam::default()
        });
        assert_eq!(Assessment::all(&course)[2].pass_mark, 72);
        course.mock_exam.as_mut().unwrap().pass_mark = 65;
        assert_eq!(Assessment::all(&course)[2].pass_mark, 65);
        assert!(Assessment::find(&course, "nope").is_err());
    }
}
