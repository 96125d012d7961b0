//! Grading a whole attempt: every drawn question is scored (an unanswered one earns 0),
//! the score report per exam domain is built, and each answered question becomes evidence
//! for mastery and spaced review.
//!
//! Pure: the caller supplies the course version the attempt was drawn from, the answers and
//! the time.

use std::collections::BTreeMap;

use cloudmaster_core::api::{AttemptResult, AttemptStatus, DomainScore, QuestionResult};
use cloudmaster_core::assess::{Rating, Response, grade};
use cloudmaster_core::course::{Course, Question, QuestionKind};
use time::OffsetDateTime;

use super::records::{AttemptClosing, AttemptRecord, Evidence};

/// The domain of questions that name none.
pub const GENERAL_DOMAIN: &str = "general";

/// Grades `answers` to the questions of `attempt` and closes it with `status`.
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
        questions.push(QuestionResult {
            question_id: question.id.clone(),
            prompt: question.prompt.clone(),
            domain: question.domain.clone(),
            response,
            score: graded.as_ref().map_or(0.0, |g| g.score),
            correct: graded.as_ref().is_some_and(|g| g.correct),
            correct_answer: correct_answer(question),
            explanation: question.explanation.clone(),
        });
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

/// The right answer of a question, written for people: `b) Use an IAM role`,
/// `a) Markdown; b) HTML`, `True`, `262.8 ± 0.5`, `"RPO" (or "recovery point objective")`,
/// `start → check → submit`.
pub fn correct_answer(question: &Question) -> String {
    match &question.kind {
        QuestionKind::SingleChoice { options, answer } => option_label(options, answer),
        QuestionKind::MultipleResponse { options, answer } => options
            .iter()
            .filter(|o| answer.contains(&o.id))
            .map(|o| option_label(options, &o.id))
            .collect::<Vec<_>>()
            .join("; "),
        QuestionKind::TrueFalse { answer } => if *answer { "True" } else { "False" }.to_owned(),
        QuestionKind::Numeric { answer, tolerance } if *tolerance > 0.0 => {
            format!("{answer} ± {tolerance}")
        }
        QuestionKind::Numeric { answer, .. } => answer.to_string(),
        QuestionKind::ShortText { accept, patterns } => match accept.split_first() {
            Some((first, [])) => format!("\"{first}\""),
            Some((first, others)) => {
                let others: Vec<String> = others.iter().map(|a| format!("\"{a}\"")).collect();
                format!("\"{first}\" (or {})", others.join(", "))
            }
            None => {
                let patterns: Vec<String> = patterns.iter().map(|p| format!("`{p}`")).collect();
                format!("an answer matching {}", patterns.join(" or "))
            }
        },
        QuestionKind::Ordering { answer, .. } => answer.join(" → "),
    }
}

fn option_label(options: &[cloudmaster_core::course::ChoiceOption], id: &str) -> String {
    match options.iter().find(|o| o.id == id) {
        Some(option) => format!("{}) {}", option.id, option.text),
        None => id.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use cloudmaster_core::api::AssessmentKind;
    use cloudmaster_core::course::{ChoiceOption, Domain, Exam};
    use uuid::Uuid;

    use super::*;

    fn options(ids: &[&str]) -> Vec<ChoiceOption> {
        ids.iter()
            .map(|id| ChoiceOption {
                id: (*id).into(),
                text: format!("Option {id}"),
            })
            .collect()
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
    fn correct_answers_read_well() {
        let single = QuestionKind::SingleChoice {
            options: options(&["a", "b"]),
            answer: "b".into(),
        };
        let cases = [
            (single, "b) Option b"),
            (
                QuestionKind::MultipleResponse {
                    options: options(&["a", "b", "c"]),
                    answer: vec!["c".into(), "a".into()],
                },
                "a) Option a; c) Option c",
            ),
            (QuestionKind::TrueFalse { answer: false }, "False"),
            (
                QuestionKind::Numeric {
                    answer: 262.8,
                    tolerance: 0.5,
                },
                "262.8 ± 0.5",
            ),
            (
                QuestionKind::Numeric {
                    answer: 3.0,
                    tolerance: 0.0,
                },
                "3",
            ),
            (
                QuestionKind::ShortText {
                    accept: vec!["RPO".into(), "recovery point objective".into()],
                    patterns: vec![],
                },
                "\"RPO\" (or \"recovery point objective\")",
            ),
            (
                QuestionKind::ShortText {
                    accept: vec![],
                    patterns: vec!["(?i)^s3$".into()],
                },
                "an answer matching `(?i)^s3$`",
            ),
            (
                QuestionKind::Ordering {
                    options: options(&["a", "b", "c"]),
                    answer: vec!["c".into(), "a".into(), "b".into()],
                },
                "c → a → b",
            ),
        ];
        for (kind, expected) in cases {
            assert_eq!(correct_answer(&question("q", None, kind)), expected);
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
        let attempt = AttemptRecord::created(crate::learning::records::NewAttempt {
            id: Uuid::nil(),
            user_id: Uuid::nil(),
            course_id: "c".into(),
            course_version: 1,
            kind: AssessmentKind::MockExam,
            assessment_id: "mock".into(),
            seed: 1,
            question_ids: vec!["t".into(), "f".into(), "u".into()],
            started_at: OffsetDateTime::UNIX_EPOCH,
            deadline: None,
        });
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
}
