//! Quizzes and mock exams of a preview, graded locally with the server's rules.
//!
//! Questions are drawn by `cloudmaster_core::assess::draw_quiz` / `draw_mock_exam` and
//! graded by `cloudmaster_core::assess::grade`; results carry each question's right answer
//! and explanation. As on the server, options are lettered in the order shown and answers
//! name them by those letters (`cloudmaster_core::assess::Shown`). Attempts follow the server's life cycle: starting again resumes the open
//! attempt, attempt limits hold, and a timed attempt past its deadline (plus the server's
//! grace) is graded on what was saved. Graded answers feed the course's mastery, so the
//! readiness estimate moves as on a server.

use std::collections::{BTreeMap, HashMap};

use cloudmaster_core::api::{
    AssessmentInfo, AssessmentKind, AttemptResult, AttemptStatus, AttemptView, DomainScore,
    QuestionResult,
};
use cloudmaster_core::assess::{
    BktParams, Draw, Mastery, Response, Shown, draw_mock_exam, draw_quiz, grade,
};
use cloudmaster_core::course::{Course, DEFAULT_PASS_MARK};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::backend::{BackendError, BackendResult};

/// Answers are taken this long after the deadline, as on the server (network latency).
const GRACE: Duration = Duration::seconds(5);

/// The domain of questions that name none, as the server calls it.
const GENERAL_DOMAIN: &str = "general";

/// A quiz or the mock exam of a course, reduced to what an attempt needs.
struct Definition {
    id: String,
    kind: AssessmentKind,
    title: String,
    module: Option<String>,
    questions: u32,
    time_limit_minutes: u32,
    pass_mark: u32,
    max_attempts: u32,
}

fn definitions(course: &Course) -> Vec<Definition> {
    let quizzes = course.modules.iter().filter_map(|m| {
        m.quiz.as_ref().map(|q| Definition {
            id: q.id.clone(),
            kind: AssessmentKind::Quiz,
            title: q.title.clone(),
            module: Some(m.id.clone()),
            questions: q.questions,
            time_limit_minutes: q.time_limit_minutes,
            pass_mark: q.pass_mark,
            max_attempts: q.max_attempts,
        })
    });
    let exam = course.mock_exam.as_ref().map(|e| Definition {
        id: e.id.clone(),
        kind: AssessmentKind::MockExam,
        title: e.title.clone(),
        module: None,
        questions: e.questions,
        time_limit_minutes: e.time_limit_minutes,
        pass_mark: if e.pass_mark > 0 {
            e.pass_mark
        } else {
            course
                .exam
                .as_ref()
                .map_or(DEFAULT_PASS_MARK, |x| x.pass_mark)
        },
        max_attempts: e.max_attempts,
    });
    quizzes.chain(exam).collect()
}

/// Every attempt of the preview, and the mastery its graded answers built per course.
#[derive(Default)]
pub struct Attempts {
    /// As the author sees them: answers in the shown letters.
    attempts: Vec<AttemptView>,
    /// The seed of each attempt, which rebuilds how its options are shown.
    seeds: HashMap<Uuid, u64>,
    mastery: HashMap<String, Mastery>,
}

impl Attempts {
    /// The course's quizzes and mock exam with the author's standing; none is locked.
    pub fn infos(&self, course: &Course) -> Vec<AssessmentInfo> {
        definitions(course)
            .into_iter()
            .map(|def| {
                let mine: Vec<&AttemptView> = self
                    .attempts
                    .iter()
                    .filter(|a| a.course_id == course.id && a.assessment_id == def.id)
                    .collect();
                let results = mine.iter().filter_map(|a| a.result.as_ref());
                AssessmentInfo {
                    questions: def.questions,
                    attempts_used: mine.len() as u32,
                    best_score: results.clone().map(|r| r.score_percent).reduce(f64::max),
                    passed: results.clone().any(|r| r.passed),
                    open_attempt: mine
                        .iter()
                        .find(|a| a.status == AttemptStatus::Open)
                        .map(|a| a.id),
                    locked: false,
                    id: def.id,
                    kind: def.kind,
                    title: def.title,
                    module_id: def.module,
                    time_limit_minutes: def.time_limit_minutes,
                    pass_mark: def.pass_mark,
                    max_attempts: def.max_attempts,
                }
            })
            .collect()
    }

    /// Starts an attempt at `assessment`, or resumes the open one.
    pub fn start(
        &mut self,
        course: &Course,
        assessment: &str,
        now: OffsetDateTime,
    ) -> BackendResult<AttemptView> {
        self.expire_overdue(std::slice::from_ref(course), now);
        let def = definitions(course)
            .into_iter()
            .find(|d| d.id == assessment)
            .ok_or_else(|| {
                BackendError::with_code(
                    "not_found",
                    format!(
                        "course `{}` has no quiz or mock exam `{assessment}`",
                        course.id
                    ),
                )
            })?;
        let mine = self
            .attempts
            .iter()
            .filter(|a| a.course_id == course.id && a.assessment_id == def.id);
        if let Some(open) = mine.clone().find(|a| a.status == AttemptStatus::Open) {
            return Ok(open.clone());
        }
        let used = mine.count() as u32;
        if def.max_attempts > 0 && used >= def.max_attempts {
            return Err(BackendError::with_code(
                "attempts_exhausted",
                format!(
                    "you have used all {used} attempts allowed at `{}` (at most {})",
                    def.id, def.max_attempts
                ),
            ));
        }
        let seed = Uuid::new_v4().as_u64_pair().0;
        let drawn: Result<Draw, _> = match def.kind {
            AssessmentKind::MockExam => draw_mock_exam(course, seed),
            AssessmentKind::Quiz => {
                let quiz = course
                    .modules
                    .iter()
                    .filter_map(|m| m.quiz.as_ref())
                    .find(|q| q.id == def.id)
                    .expect("definitions come from the course's quizzes");
                draw_quiz(course, quiz, seed)
            }
        };
        let drawn =
            drawn.map_err(|e| BackendError::with_code("validation_failed", e.to_string()))?;
        let attempt = AttemptView {
            id: Uuid::new_v4(),
            course_id: course.id.clone(),
            assessment_id: def.id,
            kind: def.kind,
            title: def.title,
            status: AttemptStatus::Open,
            started_at: now,
            deadline: (def.time_limit_minutes > 0)
                .then(|| now + Duration::minutes(i64::from(def.time_limit_minutes))),
            pass_mark: def.pass_mark,
            questions: drawn.questions,
            answers: BTreeMap::new(),
            result: None,
        };
        self.seeds.insert(attempt.id, seed);
        self.attempts.push(attempt.clone());
        Ok(attempt)
    }

    pub fn get(
        &mut self,
        courses: &[Course],
        id: Uuid,
        now: OffsetDateTime,
    ) -> BackendResult<AttemptView> {
        self.expire_overdue(courses, now);
        Ok(self.find(id)?.clone())
    }

    pub fn save(
        &mut self,
        courses: &[Course],
        id: Uuid,
        question_id: &str,
        response: &Response,
        now: OffsetDateTime,
    ) -> BackendResult<()> {
        self.expire_overdue(courses, now);
        let seed = self.seed(id)?;
        let attempt = open(self.find(id)?)?;
        check(courses, attempt, seed, question_id, response)?;
        attempt
            .answers
            .insert(question_id.to_owned(), response.clone());
        Ok(())
    }

    pub fn submit(
        &mut self,
        courses: &[Course],
        id: Uuid,
        answers: &BTreeMap<String, Response>,
        now: OffsetDateTime,
    ) -> BackendResult<AttemptResult> {
        self.expire_overdue(courses, now);
        let seed = self.seed(id)?;
        let attempt = open(self.find(id)?)?;
        for (question_id, response) in answers {
            check(courses, attempt, seed, question_id, response)?;
        }
        attempt.answers.extend(answers.clone());
        self.close(courses, id, AttemptStatus::Submitted, now)
    }

    /// What the graded answers of `course` say about the author, for readiness.
    pub fn mastery(&self, course: &str) -> Mastery {
        self.mastery.get(course).cloned().unwrap_or_default()
    }

    fn expire_overdue(&mut self, courses: &[Course], now: OffsetDateTime) {
        let overdue: Vec<Uuid> = self
            .attempts
            .iter()
            .filter(|a| a.status == AttemptStatus::Open)
            .filter(|a| a.deadline.is_some_and(|d| now > d + GRACE))
            .map(|a| a.id)
            .collect();
        for id in overdue {
            let _ = self.close(courses, id, AttemptStatus::Expired, now);
        }
    }

    fn seed(&self, id: Uuid) -> BackendResult<u64> {
        self.seeds
            .get(&id)
            .copied()
            .ok_or_else(|| BackendError::with_code("not_found", format!("no attempt {id}")))
    }

    fn find(&mut self, id: Uuid) -> BackendResult<&mut AttemptView> {
        self.attempts
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or_else(|| BackendError::with_code("not_found", format!("no attempt {id}")))
    }

    /// Grades the attempt on its saved answers, closes it and records the evidence.
    fn close(
        &mut self,
        courses: &[Course],
        id: Uuid,
        status: AttemptStatus,
        now: OffsetDateTime,
    ) -> BackendResult<AttemptResult> {
        let seed = self.seed(id)?;
        let attempt = self.find(id)?;
        let course = courses
            .iter()
            .find(|c| c.id == attempt.course_id)
            .ok_or_else(|| BackendError::new(format!("no course `{}`", attempt.course_id)))?;
        let mut graded_answers = Vec::new();
        let questions: Vec<QuestionResult> = attempt
            .questions
            .iter()
            .filter_map(|shown| course.question(&shown.id))
            .map(|question| {
                let shown = Shown::new(question, seed);
                // Saved answers were checked when saved, so each maps back.
                let response = attempt
                    .answers
                    .get(&question.id)
                    .and_then(|r| shown.to_authored(r).ok());
                let graded = response.as_ref().map(|r| grade(question, r));
                if let Some(graded) = &graded {
                    graded_answers.push((question, graded.clone()));
                }
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
            domains: domain_scores(course, &questions),
            questions,
            // A preview keeps no review queue.
            first_review_due: None,
        };
        attempt.status = status;
        attempt.result = Some(result.clone());
        let mastery = self.mastery.entry(course.id.clone()).or_default();
        let params = BktParams::default();
        for (question, graded) in graded_answers {
            mastery.record(&params, question, &graded);
        }
        Ok(result)
    }
}

fn open(attempt: &mut AttemptView) -> BackendResult<&mut AttemptView> {
    match (attempt.status, attempt.deadline) {
        (AttemptStatus::Open, _) => Ok(attempt),
        (AttemptStatus::Expired, Some(deadline)) => Err(BackendError::with_code(
            "attempt_closed",
            format!(
                "the time limit of this attempt passed at {deadline}; it was graded on the \
                 answers saved in time"
            ),
        )),
        _ => Err(BackendError::with_code(
            "attempt_closed",
            "this attempt is already submitted",
        )),
    }
}

/// `validation_failed` unless `question_id` is part of the attempt and `response` (in the
/// shown letters) can be graded against it, as the server answers.
fn check(
    courses: &[Course],
    attempt: &AttemptView,
    seed: u64,
    question_id: &str,
    response: &Response,
) -> BackendResult<()> {
    let invalid = |message: String| BackendError::with_code("validation_failed", message);
    let question = attempt
        .questions
        .iter()
        .any(|q| q.id == question_id)
        .then(|| {
            courses
                .iter()
                .find(|c| c.id == attempt.course_id)
                .and_then(|c| c.question(question_id))
        })
        .flatten()
        .ok_or_else(|| {
            invalid(format!(
                "question `{question_id}` is not part of this attempt"
            ))
        })?;
    match Shown::new(question, seed).to_authored(response) {
        Err(problem) => Err(invalid(problem.to_string())),
        Ok(_) => Ok(()),
    }
}

/// `points` out of `max` as a percentage with two decimals, as the server rounds it.
fn percent(points: f64, max: u32) -> f64 {
    if max == 0 {
        return 0.0;
    }
    (points / f64::from(max) * 10_000.0).round() / 100.0
}

/// Per domain: blueprint domains first in blueprint order, then any other domain the
/// questions name, then the general one; only domains with questions in the attempt.
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
            let title = if id == GENERAL_DOMAIN { "General" } else { id };
            order.push((id.to_owned(), title.to_owned()));
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
            let count = of_domain.len() as u32;
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
