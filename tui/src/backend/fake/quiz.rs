//! The fake's assessments and exam: a module quiz of the AWS course with one question of
//! every type, a timed mock exam, and a readiness estimate for the exam. Options are
//! shuffled and lettered in the order shown, and answers name them by those letters, as on
//! the server (`cloudmaster_core::assess::Shown`). Answers are graded by
//! `cloudmaster_core::assess::grade` (the server's own rules) and attempts follow the
//! server's life cycle: starting again resumes the open attempt, attempt limits hold, and
//! after the deadline (plus the server's grace) answers are refused with `attempt_closed`
//! and the attempt is graded on what was saved.

use std::collections::BTreeMap;

use cloudmaster_core::api::{
    AssessmentInfo, AssessmentKind, AttemptResult, AttemptStatus, AttemptView, DomainScore,
    QuestionResult,
};
use cloudmaster_core::assess::{
    DomainReadiness, Graded, Rating, Readiness, Response, Shown, grade, schedule,
};
use cloudmaster_core::course::{ChoiceOption, Question, QuestionKind};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::backend::{BackendError, BackendResult};

/// The only course of the fake with assessments and an exam.
pub const COURSE: &str = "aws-cloud-practitioner";
pub const QUIZ: &str = "concepts-check";
pub const EXAM: &str = "practice-exam";
pub const EXAM_NAME: &str = "AWS Certified Cloud Practitioner";
/// The exam blueprint's domains, in order.
pub const DOMAINS: [(&str, &str); 2] = [
    ("cloud-concepts", "Cloud Concepts"),
    ("technology", "Technology and Services"),
];

/// Answers readiness needs before it gives a number.
const READINESS_MIN_ANSWERS: u32 = 10;

/// Answers are taken this long after the deadline, as on the server (network latency).
const GRACE: Duration = Duration::seconds(5);

/// A quiz or mock exam of the fake course.
pub struct Definition {
    pub id: &'static str,
    pub kind: AssessmentKind,
    pub title: &'static str,
    /// The module a quiz belongs to (its lessons unlock it).
    pub module: Option<&'static str>,
    pub time_limit_minutes: u32,
    pub pass_mark: u32,
    pub max_attempts: u32,
    /// Question ids, in the order an attempt shows them.
    pub questions: &'static [&'static str],
}

pub const DEFINITIONS: [Definition; 2] = [
    Definition {
        id: QUIZ,
        kind: AssessmentKind::Quiz,
        title: "Cloud concepts check",
        module: Some("cloud-concepts"),
        time_limit_minutes: 0,
        pass_mark: 80,
        max_attempts: 0,
        questions: &[
            "service-models",
            "cloud-benefits",
            "az-isolation",
            "az-minimum",
            "pricing-model",
            "launch-steps",
        ],
    },
    Definition {
        id: EXAM,
        kind: AssessmentKind::MockExam,
        title: "Cloud Practitioner practice exam",
        module: None,
        time_limit_minutes: 30,
        pass_mark: 70,
        max_attempts: 2,
        questions: &[
            "service-models",
            "az-isolation",
            "az-minimum",
            "launch-steps",
        ],
    },
];

pub fn definition(id: &str) -> Option<&'static Definition> {
    DEFINITIONS.iter().find(|d| d.id == id)
}

fn options(items: &[(&str, &str)]) -> Vec<ChoiceOption> {
    items
        .iter()
        .map(|(id, text)| ChoiceOption {
            id: (*id).to_owned(),
            text: (*text).to_owned(),
        })
        .collect()
}

fn ids(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The question bank, with the answers.
fn bank() -> Vec<Question> {
    let question = |id: &str, domain: &str, prompt: &str, explanation: &str, kind| Question {
        id: id.to_owned(),
        domain: Some(domain.to_owned()),
        skills: Vec::new(),
        difficulty: 2,
        scenario: None,
        prompt: prompt.to_owned(),
        explanation: explanation.to_owned(),
        kind,
    };
    vec![
        question(
            "service-models",
            "cloud-concepts",
            "Which cloud service model leaves the **operating system** to you?",
            "With IaaS you run the operating system and everything above it; PaaS and SaaS \
             manage it for you.",
            QuestionKind::SingleChoice {
                options: options(&[
                    ("a", "Software as a Service (SaaS)"),
                    ("b", "Platform as a Service (PaaS)"),
                    ("c", "Infrastructure as a Service (IaaS)"),
                ]),
                answer: "c".to_owned(),
            },
        ),
        question(
            "cloud-benefits",
            "cloud-concepts",
            "Which of these are benefits of cloud computing? Choose two.",
            "You pay for what you use and can deploy worldwide in minutes. Downtime still \
             happens, and security is shared.",
            QuestionKind::MultipleResponse {
                options: options(&[
                    ("a", "Trade fixed expense for variable expense"),
                    ("b", "Guaranteed zero downtime"),
                    ("c", "Go global in minutes"),
                    ("d", "No responsibility for security"),
                ]),
                answer: ids(&["a", "c"]),
            },
        ),
        question(
            "az-isolation",
            "technology",
            "Availability Zones in a Region are isolated from each other's failures.",
            "Each AZ has its own power, cooling and network.",
            QuestionKind::TrueFalse { answer: true },
        ),
        Question {
            scenario: Some(
                "Your web shop runs in `eu-west-1`. Last year one data centre lost power for \
                 an hour."
                    .to_owned(),
            ),
            ..question(
                "az-minimum",
                "technology",
                "How many Availability Zones should the shop use, at least?",
                "Two AZs survive the loss of one.",
                QuestionKind::Numeric {
                    answer: 2.0,
                    tolerance: 0.0,
                },
            )
        },
        question(
            "pricing-model",
            "cloud-concepts",
            "What is the pricing model called in which you pay only for what you use?",
            "*Pay as you go*: no up-front commitment.",
            QuestionKind::ShortText {
                accept: ids(&["pay as you go", "pay-as-you-go"]),
                patterns: Vec::new(),
            },
        ),
        question(
            "launch-steps",
            "technology",
            "Put the steps to launch an EC2 instance in order.",
            "The image comes first, then its size; only a running instance can be reached.",
            QuestionKind::Ordering {
                options: options(&[
                    ("a", "Choose an AMI"),
                    ("b", "Choose an instance type"),
                    ("c", "Launch the instance"),
                    ("d", "Connect to it"),
                ]),
                answer: ids(&["a", "b", "c", "d"]),
            },
        ),
    ]
}

pub(super) fn question(id: &str) -> Question {
    bank()
        .into_iter()
        .find(|q| q.id == id)
        .expect("definitions name questions of the bank")
}

/// The attempts of the one learner the fake knows.
#[derive(Default)]
pub struct Attempts {
    attempts: Vec<AttemptView>,
    /// Graded answers so far, and how many of them were wrong (those come up for review).
    pub graded: u32,
    pub missed: u32,
}

impl Attempts {
    /// Every assessment with the learner's standing.
    pub fn infos(&self) -> Vec<AssessmentInfo> {
        DEFINITIONS
            .iter()
            .map(|def| {
                let mine: Vec<&AttemptView> = self
                    .attempts
                    .iter()
                    .filter(|a| a.assessment_id == def.id)
                    .collect();
                let scores = mine.iter().filter_map(|a| a.result.as_ref());
                AssessmentInfo {
                    id: def.id.to_owned(),
                    kind: def.kind,
                    title: def.title.to_owned(),
                    module_id: def.module.map(str::to_owned),
                    questions: def.questions.len() as u32,
                    time_limit_minutes: def.time_limit_minutes,
                    pass_mark: def.pass_mark,
                    max_attempts: def.max_attempts,
                    attempts_used: mine.len() as u32,
                    best_score: scores.clone().map(|r| r.score_percent).reduce(f64::max),
                    passed: scores.clone().any(|r| r.passed),
                    open_attempt: mine
                        .iter()
                        .find(|a| a.status == AttemptStatus::Open)
                        .map(|a| a.id),
                    locked: false,
                }
            })
            .collect()
    }

    /// Starts an attempt at `def`, or resumes the open one.
    pub fn start(&mut self, def: &Definition, now: OffsetDateTime) -> BackendResult<AttemptView> {
        self.expire_overdue(now);
        let mine = self.attempts.iter().filter(|a| a.assessment_id == def.id);
        if let Some(open) = mine.clone().find(|a| a.status == AttemptStatus::Open) {
            return Ok(open.clone());
        }
        let used = mine.count() as u32;
        if def.max_attempts > 0 && used >= def.max_attempts {
            return Err(BackendError::with_code(
                "attempts_exhausted",
                format!(
                    "you have used all {used} attempts allowed at `{}` (at most {}); \
                     `cloudmaster attempts {COURSE}` lists them",
                    def.id, def.max_attempts
                ),
            ));
        }
        let seed = self.attempts.len() as u64 + 1;
        let attempt = AttemptView {
            id: Uuid::from_u128(u128::from(seed)),
            course_id: COURSE.to_owned(),
            assessment_id: def.id.to_owned(),
            kind: def.kind,
            title: def.title.to_owned(),
            status: AttemptStatus::Open,
            started_at: now,
            deadline: (def.time_limit_minutes > 0)
                .then(|| now + Duration::minutes(i64::from(def.time_limit_minutes))),
            pass_mark: def.pass_mark,
            questions: def
                .questions
                .iter()
                .map(|id| Shown::new(&question(id), seed).public())
                .collect(),
            answers: BTreeMap::new(),
            result: None,
        };
        self.attempts.push(attempt.clone());
        Ok(attempt)
    }

    pub fn get(&mut self, id: Uuid, now: OffsetDateTime) -> BackendResult<AttemptView> {
        self.expire_overdue(now);
        Ok(self.find(id)?.clone())
    }

    pub fn save(
        &mut self,
        id: Uuid,
        question_id: &str,
        response: &Response,
        now: OffsetDateTime,
    ) -> BackendResult<()> {
        self.expire_overdue(now);
        let attempt = self.open(id)?;
        check(attempt, question_id, response)?;
        attempt
            .answers
            .insert(question_id.to_owned(), response.clone());
        Ok(())
    }

    pub fn submit(
        &mut self,
        id: Uuid,
        answers: &BTreeMap<String, Response>,
        now: OffsetDateTime,
    ) -> BackendResult<AttemptResult> {
        self.expire_overdue(now);
        let attempt = self.open(id)?;
        for (question_id, response) in answers {
            check(attempt, question_id, response)?;
        }
        attempt.answers.extend(answers.clone());
        let mut result = self.close(id, AttemptStatus::Submitted, now)?;
        // As the server schedules a first review card per answered question.
        result.first_review_due = result
            .questions
            .iter()
            .filter(|q| q.response.is_some())
            .map(|q| {
                let graded = Graded {
                    score: q.score,
                    correct: q.correct,
                    reason: None,
                };
                schedule(None, Rating::from_graded(&graded, false), now).due
            })
            .min();
        Ok(result)
    }

    /// Closes every open attempt as if its time had run out.
    pub fn expire_open(&mut self, now: OffsetDateTime) {
        let open: Vec<Uuid> = self
            .attempts
            .iter()
            .filter(|a| a.status == AttemptStatus::Open)
            .map(|a| a.id)
            .collect();
        for id in open {
            let _ = self.close(id, AttemptStatus::Expired, now);
        }
    }

    fn expire_overdue(&mut self, now: OffsetDateTime) {
        let overdue: Vec<Uuid> = self
            .attempts
            .iter()
            .filter(|a| a.status == AttemptStatus::Open)
            .filter(|a| a.deadline.is_some_and(|d| now > d + GRACE))
            .map(|a| a.id)
            .collect();
        for id in overdue {
            let _ = self.close(id, AttemptStatus::Expired, now);
        }
    }

    fn find(&mut self, id: Uuid) -> BackendResult<&mut AttemptView> {
        self.attempts
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or_else(|| BackendError::with_code("not_found", format!("no attempt {id}")))
    }

    fn open(&mut self, id: Uuid) -> BackendResult<&mut AttemptView> {
        let attempt = self.find(id)?;
        match (attempt.status, attempt.deadline) {
            (AttemptStatus::Open, _) => Ok(attempt),
            (AttemptStatus::Expired, Some(deadline)) => Err(BackendError::with_code(
                "attempt_closed",
                format!(
                    "the time limit of attempt {id} passed at {deadline}; the attempt was \
                     graded on the answers saved in time"
                ),
            )),
            _ => Err(BackendError::with_code(
                "attempt_closed",
                format!("attempt {id} is already submitted"),
            )),
        }
    }

    /// Grades the attempt on its saved answers and closes it.
    fn close(
        &mut self,
        id: Uuid,
        status: AttemptStatus,
        now: OffsetDateTime,
    ) -> BackendResult<AttemptResult> {
        let attempt = self.find(id)?;
        let questions: Vec<QuestionResult> = attempt
            .questions
            .iter()
            .map(|public| {
                let question = question(&public.id);
                let shown = Shown::new(&question, seed_of(attempt));
                // Saved answers were checked when saved, so each maps back.
                let response = attempt
                    .answers
                    .get(&public.id)
                    .and_then(|r| shown.to_authored(r).ok());
                let graded = response.as_ref().map(|r| grade(&question, r));
                shown.result(response.as_ref(), graded.as_ref())
            })
            .collect();
        let points: f64 = questions.iter().map(|q| q.score).sum();
        let max_points = questions.len() as u32;
        let score_percent = percent(points, max_points);
        let result = AttemptResult {
            score_percent,
            points,
            max_points,
            passed: score_percent >= f64::from(attempt.pass_mark),
            pass_mark: attempt.pass_mark,
            closed_by: status,
            finished_at: now,
            domains: domain_scores(&questions),
            first_review_due: None,
            questions,
        };
        attempt.status = status;
        attempt.result = Some(result.clone());
        let answered = result.questions.iter().filter(|q| q.response.is_some());
        self.graded += answered.clone().count() as u32;
        self.missed += answered.filter(|q| !q.correct).count() as u32;
        Ok(result)
    }
}

/// The seed an attempt's options were shuffled with: the fake numbers its attempts from 1
/// and makes the id of that number.
fn seed_of(attempt: &AttemptView) -> u64 {
    attempt.id.as_u64_pair().1
}

/// 422 unless `question_id` is part of the attempt and `response` (in the shown letters) can
/// be graded against it.
fn check(attempt: &AttemptView, question_id: &str, response: &Response) -> BackendResult<()> {
    let invalid = |message: String| BackendError::with_code("validation_failed", message);
    if !attempt.questions.iter().any(|q| q.id == question_id) {
        return Err(invalid(format!(
            "question `{question_id}` is not part of this attempt"
        )));
    }
    let question = question(question_id);
    match Shown::new(&question, seed_of(attempt)).to_authored(response) {
        Err(problem) => Err(invalid(problem.to_string())),
        Ok(_) => Ok(()),
    }
}

fn percent(points: f64, max: u32) -> f64 {
    if max == 0 {
        return 0.0;
    }
    (points / f64::from(max) * 10_000.0).round() / 100.0
}

fn domain_scores(questions: &[QuestionResult]) -> Vec<DomainScore> {
    DOMAINS
        .iter()
        .filter_map(|(domain, title)| {
            let of_domain: Vec<&QuestionResult> = questions
                .iter()
                .filter(|q| q.domain.as_deref() == Some(domain))
                .collect();
            if of_domain.is_empty() {
                return None;
            }
            let points: f64 = of_domain.iter().map(|q| q.score).sum();
            let count = of_domain.len() as u32;
            Some(DomainScore {
                domain: (*domain).to_owned(),
                title: (*title).to_owned(),
                points,
                questions: count,
                percent: percent(points, count),
            })
        })
        .collect()
}

/// A readiness estimate with fixed numbers, sufficient once `answers` reach the minimum.
pub fn readiness(answers: u32) -> Readiness {
    let sufficient = answers >= READINESS_MIN_ANSWERS;
    let domain = |(id, title): &(&str, &str), expected: f64| DomainReadiness {
        id: (*id).to_owned(),
        title: (*title).to_owned(),
        weight: 50,
        answers: answers / 2,
        expected_score: expected,
        low: expected - 0.1,
        high: expected + 0.1,
        p_known: expected,
        gap: (0.7 - expected).max(0.0),
    };
    Readiness {
        probability: 0.72,
        low: 0.58,
        high: 0.84,
        expected_score: 0.76,
        score_low: 0.68,
        score_high: 0.83,
        pass_mark: 0.7,
        sufficient_evidence: sufficient,
        answers,
        min_answers: READINESS_MIN_ANSWERS,
        domains_without_evidence: Vec::new(),
        weakest_domains: vec![DOMAINS[1].0.to_owned()],
        domains: vec![domain(&DOMAINS[0], 0.82), domain(&DOMAINS[1], 0.66)],
    }
}
