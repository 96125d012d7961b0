//! Grading a whole attempt: every drawn question is scored (an unanswered one earns 0),
//! the score report per exam domain is built, and each answered question becomes evidence
//! for mastery and spaced review.
//!
//! Answers are graded in the authored option ids; the result reads in the letters the
//! attempt showed the options under ([`Shown`]).
//!
//! Pure: the caller supplies the course version the attempt was drawn from, the answers and
//! the time.

use std::collections::BTreeMap;

use cloudmaster_core::api::{AttemptResult, AttemptStatus, DomainScore, QuestionResult};
use cloudmaster_core::assess::{Rating, Response, Shown, grade};
use cloudmaster_core::course::Course;
use time::OffsetDateTime;

use super::records::{AttemptClosing, AttemptRecord, Evidence};

/// The domain of questions that name none.
pub const GENERAL_DOMAIN: &str = "general";

/// Grades `answers` (in the authored option ids) to the questions of `attempt` and closes
/// it with `status`.
///
/// A review card's rating needs how long the learner took; attempts do not time single
/// questions, so no answer counts as fast (a correct answer is rated Good, not Easy).
pub fn close(
    course: &Course,
    attempt: &AttemptRecord,
    answers: BTreeMap<String, Response>,
    pass_mark: u32,
    status: AttemptStatus,
    now: OffsetDateTime,
) -> AttemptClosing {
    let mut questions = Vec::with_capacity(attempt.question_ids.len());
    let mut evidence = Vec::new();
    for question in attempt
        .question_ids
        .iter()
        .filter_map(|id| course.question(id))
    {
        let response = answers.get(&question.id).cloned();
        let graded = response.as_ref().map(|r| grade(question, r));
        if let Some(graded) = &graded {
            evidence.push(Evidence {
                question: question.clone(),
                graded: graded.clone(),
                rating: Rating::from_graded(graded, false),
            });
        }
        questions
            .push(Shown::new(question, attempt.seed).result(response.as_ref(), graded.as_ref()));
    }
    let points: f64 = questions.iter().map(|q| q.score).sum();
    let max_points = u32::try_from(questions.len()).unwrap_or(u32::MAX);
    let score_percent = percent(points, max_points);
    AttemptClosing {
        status,
        answers,
        result: AttemptResult {
            score_percent,
            points,
            max_points,
            passed: score_percent >= f64::from(pass_mark),
            pass_mark,
            closed_by: status,
            finished_at: now,
            domains: domain_scores(course, &questions),
            first_review_due: None,
            questions,
        },
        finished_at: now,
        evidence,
    }
}

/// `points` out of `max` as a percentage, rounded to two decimals (what the learner sees is
/// what the pass mark is compared with).
fn percent(points: f64, max: u32) -> f64 {
    if max == 0 {
        return 0.0;
    }
    (points / f64::from(max) * 10_000.0).round() / 100.0
}

/// Per domain, blueprint domains first in blueprint order, then any other domain the
/// questions name, then [`GENERAL_DOMAIN`]; only domains with questions in the attempt.
fn domain_scores(course: &Course, questions: &[QuestionResult]) -> Vec<DomainScore> {
    let mut order: Vec<(String, String)> = course
        .exam
        .iter()
        .flat_map(|e| e.domains.iter())
        .map(|d| (d.id.clone(), d.title.clone()))
        .collect();
    for q in questions {
        let id = q.domain.as_deref().unwrap_or(GENERAL_DOMAIN);
        if !order.iter().any(|(known, _)| known == id) {
            let title = if id == GENERAL_DOMAIN {
                "General".to_owned()
            } else {
                id.to_owned()
            };
            order.push((id.to_owned(), title));
        }
    }
    if let Some(general) = order.iter().position(|(id, _)| id == GENERAL_DOMAIN) {
        let entry = order.remove(general);
        order.push(entry);
    }
    order
        .into_iter()
        .filter_map(|(domain, title)| {
            let of_domain: Vec<&QuestionResult> = questions
                .iter()
                .filter(|q| q.domain.as_deref().unwrap_or(GENERAL_DOMAIN) == domain)
                .collect();
            if of_domain.is_empty() {
                return None;
            }
            let points: f64 = of_domain.iter().map(|q| q.score).sum();
            let count = u32::try_from(of_domain.len()).unwrap_or(u32::MAX);
            Some(DomainScore {
                domain,
                title,
                points,
                questions: count,
                percent: percent(points, count),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use cloudmaster_core::api::AssessmentKind;
    use cloudmaster_core::course::{ChoiceOption, Domain, Exam, Question, QuestionKind};
    use uuid::Uuid;

    use super::*;

    fn attempt_of(question_ids: &[&str], seed: u64) -> AttemptRecord {
        AttemptRecord::created(crate::learning::records::NewAttempt {
            id: Uuid::nil(),
            user_id: Uuid::nil(),
            course_id: "c".into(),
            course_version: 1,
            kind: AssessmentKind::MockExam,
            assessment_id: "mock".into(),
            seed,
            question_ids: question_ids.iter().map(|id| (*id).to_owned()).collect(),
            started_at: OffsetDateTime::UNIX_EPOCH,
            deadline: None,
        })
    }

    fn question(id: &str, domain: Option<&str>, kind: QuestionKind) -> Question {
        Question {
            id: id.into(),
            domain: domain.map(Into::into),
            skills: vec!["s".into()],
            difficulty: 3,
            prompt: format!("Prompt {id}?"),
            explanation: format!("Because {id}."),
            kind,
            ..Question::default()
        }
    }

    #[test]
    fn grades_every_drawn_question_and_reports_per_domain() {
        let course = Course {
            exam: Some(Exam {
                name: "E".into(),
                pass_mark: 60,
                domains: vec![
                    Domain {
                        id: "d1".into(),
                        title: "Domain one".into(),
                        weight: 50,
                    },
                    Domain {
                        id: "d2".into(),
                        title: "Domain two".into(),
                        weight: 50,
                    },
                ],
            }),
            questions: vec![
                question("t", Some("d2"), QuestionKind::TrueFalse { answer: true }),
                question("f", Some("d2"), QuestionKind::TrueFalse { answer: false }),
                question("u", None, QuestionKind::TrueFalse { answer: true }),
            ],
            ..Course::default()
        };
        let attempt = attempt_of(&["t", "f", "u"], 1);
        let answers = BTreeMap::from([
            ("t".to_owned(), Response::TrueFalse { value: true }),
            ("f".to_owned(), Response::TrueFalse { value: true }),
        ]);
        let now = OffsetDateTime::UNIX_EPOCH;
        let closing = close(
            &course,
            &attempt,
            answers,
            60,
            AttemptStatus::Submitted,
            now,
        );
        let result = &closing.result;
        assert_eq!((result.points, result.max_points), (1.0, 3));
        assert_eq!(result.score_percent, 33.33);
        assert!(!result.passed);
        assert_eq!(
            closing.evidence.len(),
            2,
            "the unanswered question is no evidence"
        );
        assert_eq!(closing.evidence[1].rating, Rating::Again);
        let domains: Vec<(&str, &str, f64, u32)> = result
            .domains
            .iter()
            .map(|d| (d.domain.as_str(), d.title.as_str(), d.percent, d.questions))
            .collect();
        assert_eq!(
            domains,
            [
                ("d2", "Domain two", 50.0, 2),
                ("general", "General", 0.0, 1)
            ]
        );
        assert_eq!(result.questions[2].response, None);
        assert_eq!(result.questions[2].correct_answer, "True");
    }

    #[test]
    fn answers_are_graded_as_authored_and_read_in_the_letters_shown() {
        let options = ["first", "second", "third", "fourth"]
            .map(|id| ChoiceOption {
                id: id.into(),
                text: format!("Option {id}"),
            })
            .to_vec();
        let course = Course {
            questions: vec![question(
                "pick",
                None,
                QuestionKind::SingleChoice {
                    options,
                    answer: "third".into(),
                },
            )],
            ..Course::default()
        };
        // A seed that moves the right option away from its authored place (the third).
        let seed = (0..)
            .find(|&seed| {
                Shown::new(&course.questions[0], seed).options()[2].text != "Option third"
            })
            .unwrap();
        let attempt = attempt_of(&["pick"], seed);
        let answers = BTreeMap::from([(
            "pick".to_owned(),
            Response::SingleChoice {
                choice: "third".into(),
            },
        )]);
        let closing = close(
            &course,
            &attempt,
            answers.clone(),
            60,
            AttemptStatus::Submitted,
            OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(closing.answers, answers, "stored as authored");
        let result = &closing.result.questions[0];
        assert!(result.correct);
        let shown = result
            .options
            .iter()
            .find(|o| o.text == "Option third")
            .unwrap();
        assert_ne!(
            shown.id, "c",
            "this seed moves the option from its authored place"
        );
        assert_eq!(
            result.response,
            Some(Response::SingleChoice {
                choice: shown.id.clone()
            })
        );
        assert_eq!(result.correct_options, std::slice::from_ref(&shown.id));
        assert_eq!(result.correct_answer, format!("{}) Option third", shown.id));
    }
}
