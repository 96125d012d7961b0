//! Drawing the questions of one quiz or mock-exam attempt.
//!
//! A draw is a pure function of the course, the quiz (or mock exam) and a `u64` seed the
//! server stores with the attempt: the same seed gives the same questions, in the same order,
//! with the same option order. Questions never repeat within an attempt.
//!
//! - **Module quizzes** draw uniformly, without replacement, from the union of their domain
//!   and skill filters ([`Quiz::draws`]); a pool smaller than the quiz gives every question.
//! - **Mock exams** of a course with an exam blueprint apportion their question count across
//!   the blueprint domains by weight with the largest-remainder (Hamilton) method: each domain
//!   gets the floor of its exact quota `n × weight / Σweights`, and the questions left over go
//!   to the largest remainders (ties: larger weight, then blueprint order). A domain with too
//!   few questions gives all it has, and the shortfall is apportioned the same way among the
//!   domains that still have questions, so the exam keeps its length and stays as close to the
//!   blueprint as the bank allows. Within a domain questions are drawn uniformly; the exam is
//!   then shuffled so domains interleave as in the real exam. Without a blueprint a mock exam
//!   draws uniformly from the whole bank.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::public::PublicQuestion;
use crate::course::{Course, Question, Quiz};

/// The questions of one attempt, as the learner sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Draw {
    /// The attempt seed the draw came from.
    pub seed: u64,
    /// How many questions the quiz or mock exam asks for.
    pub requested: u32,
    /// In presentation order, options shuffled. Fewer than `requested` only when the whole
    /// eligible bank is smaller.
    pub questions: Vec<PublicQuestion>,
    /// Per blueprint domain, for mock exams of courses with an exam; empty otherwise.
    #[serde(default)]
    pub domains: Vec<DomainDraw>,
}

impl Draw {
    pub fn question_ids(&self) -> impl Iterator<Item = &str> {
        self.questions.iter().map(|q| q.id.as_str())
    }
}

/// How one blueprint domain is represented in a mock exam.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DomainDraw {
    pub domain: String,
    pub weight: u32,
    /// The domain's largest-remainder share of the requested count.
    pub target: u32,
    /// How many were drawn: less than `target` when the bank is short in this domain, more
    /// when another domain's shortfall was moved here.
    pub drawn: u32,
    /// Questions in the bank for this domain.
    pub available: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    #[error("course `{course}` has no mock exam")]
    NoMockExam { course: String },
    #[error("no question of course `{course}` fits `{what}`")]
    EmptyPool { course: String, what: String },
}

/// Draws the questions of one attempt at `quiz`.
pub fn draw_quiz(course: &Course, quiz: &Quiz, seed: u64) -> Result<Draw, DrawError> {
    let pool: Vec<&Question> = course.eligible_questions(quiz).collect();
    if pool.is_empty() {
        return Err(DrawError::EmptyPool {
            course: course.id.clone(),
            what: quiz.id.clone(),
        });
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let picked = sample(pool, quiz.questions as usize, &mut rng);
    Ok(finish(picked, quiz.questions, Vec::new(), seed, &mut rng))
}

/// Draws the questions of one attempt at the course's mock exam.
pub fn draw_mock_exam(course: &Course, seed: u64) -> Result<Draw, DrawError> {
    let mock = course
        .mock_exam
        .as_ref()
        .ok_or_else(|| DrawError::NoMockExam {
            course: course.id.clone(),
        })?;
    draw_exam(course, mock.questions, seed)
}

/// Draws `count` questions like a mock exam (per blueprint when the course has one). The
/// server uses [`draw_mock_exam`]; this is for simulations of exams of other lengths.
pub fn draw_exam(course: &Course, count: u32, seed: u64) -> Result<Draw, DrawError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let Some(exam) = course.exam.as_ref().filter(|e| !e.domains.is_empty()) else {
        let pool: Vec<&Question> = course.questions.iter().collect();
        if pool.is_empty() {
            return Err(DrawError::EmptyPool {
                course: course.id.clone(),
                what: "mock exam".into(),
            });
        }
        let picked = sample(pool, count as usize, &mut rng);
        return Ok(finish(picked, count, Vec::new(), seed, &mut rng));
    };
    let pools: Vec<Vec<&Question>> = exam
        .domains
        .iter()
        .map(|d| {
            course
                .questions
                .iter()
                .filter(|q| q.domain.as_deref() == Some(d.id.as_str()))
                .collect()
        })
        .collect();
    if pools.iter().all(Vec::is_empty) {
        return Err(DrawError::EmptyPool {
            course: course.id.clone(),
            what: "mock exam".into(),
        });
    }
    let weights: Vec<u32> = exam.domains.iter().map(|d| d.weight).collect();
    let caps: Vec<u32> = pools.iter().map(|p| p.len() as u32).collect();
    let targets = apportion(count, &weights);
    let counts = apportion_capped(count, &weights, &caps);
    let mut picked = Vec::with_capacity(count as usize);
    let mut domains = Vec::with_capacity(pools.len());
    for (i, pool) in pools.into_iter().enumerate() {
        domains.push(DomainDraw {
            domain: exam.domains[i].id.clone(),
            weight: weights[i],
            target: targets[i],
            drawn: counts[i],
            available: caps[i],
        });
        picked.extend(sample(pool, counts[i] as usize, &mut rng));
    }
    Ok(finish(picked, count, domains, seed, &mut rng))
}

/// `k` distinct questions of `pool`, uniformly (all of them when the pool is smaller).
fn sample<'a>(mut pool: Vec<&'a Question>, k: usize, rng: &mut StdRng) -> Vec<&'a Question> {
    pool.shuffle(rng);
    pool.truncate(k);
    pool
}

fn finish(
    mut picked: Vec<&Question>,
    requested: u32,
    domains: Vec<DomainDraw>,
    seed: u64,
    rng: &mut StdRng,
) -> Draw {
    picked.shuffle(rng);
    Draw {
        seed,
        requested,
        questions: picked
            .into_iter()
            .map(|q| PublicQuestion::for_attempt(q, seed))
            .collect(),
        domains,
    }
}

/// Splits `total` seats across `weights` by the largest-remainder (Hamilton) method; the
/// result always sums to `total` (when some weight is positive). Ties in the remainders go
/// to the larger weight, then to the earlier entry, so the split is deterministic.
pub fn apportion(total: u32, weights: &[u32]) -> Vec<u32> {
    let sum: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let total64 = u64::from(total);
    let mut seats: Vec<u32> = weights
        .iter()
        .map(|&w| (total64 * u64::from(w) / sum) as u32)
        .collect();
    let given: u32 = seats.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Remainders compared exactly as integers (total × w mod Σw).
    order.sort_by(|&a, &b| {
        let ra = total64 * u64::from(weights[a]) % sum;
        let rb = total64 * u64::from(weights[b]) % sum;
        rb.cmp(&ra)
            .then(weights[b].cmp(&weights[a]))
            .then(a.cmp(&b))
    });
    for &i in order.iter().take((total - given) as usize) {
        seats[i] += 1;
    }
    seats
}

/// Like [`apportion`], but no entry gets more than its cap: the seats a capped entry cannot
/// take are apportioned again, by weight, among the entries with room left. Sums to
/// `min(total, Σcaps)`. When every entry with a positive weight is full, the rest goes to
/// entries of weight 0 that still have room, evenly.
pub fn apportion_capped(total: u32, weights: &[u32], caps: &[u32]) -> Vec<u32> {
    assert_eq!(weights.len(), caps.len(), "one cap per weight");
    let total = total.min(caps.iter().sum());
    let mut seats = vec![0u32; weights.len()];
    loop {
        let left = total - seats.iter().sum::<u32>();
        if left == 0 {
            return seats;
        }
        let open: Vec<usize> = (0..weights.len()).filter(|&i| seats[i] < caps[i]).collect();
        let mut open_weights: Vec<u32> = open.iter().map(|&i| weights[i]).collect();
        if open_weights.iter().all(|&w| w == 0) {
            open_weights.fill(1);
        }
        let shares = apportion(left, &open_weights);
        for (&i, share) in open.iter().zip(shares) {
            seats[i] += share.min(caps[i] - seats[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::public::tests::{options, question};
    use super::*;
    use crate::course::{Domain, Exam, MockExam, QuestionKind};

    #[test]
    fn apportionment_sums_exactly() {
        let weights = [30, 26, 24, 20];
        for total in 0..200 {
            let seats = apportion(total, &weights);
            assert_eq!(seats.iter().sum::<u32>(), total, "total {total}");
            // Hamilton stays within one seat of the exact quota.
            for (s, w) in seats.iter().zip(weights) {
                let quota = f64::from(total) * f64::from(w) / 100.0;
                assert!((f64::from(*s) - quota).abs() < 1.0, "{s} vs {quota}");
            }
        }
        assert_eq!(apportion(20, &weights), [6, 5, 5, 4]);
        assert_eq!(apportion(65, &weights), [19, 17, 16, 13]);
        assert_eq!(apportion(7, &[1, 1, 1]), [3, 2, 2]);
        assert_eq!(apportion(5, &[0, 0]), [0, 0]);
        assert_eq!(apportion(3, &[]), Vec::<u32>::new());
    }

    #[test]
    fn capped_apportionment_moves_shortfall_by_weight() {
        // secure has only 2 questions: its 4 extra seats go to the others by weight.
        let seats = apportion_capped(20, &[30, 26, 24, 20], &[2, 50, 50, 50]);
        assert_eq!(seats.iter().sum::<u32>(), 20);
        assert_eq!(seats[0], 2);
        assert_eq!(seats, [2, 7, 6, 5]);
        // Not enough questions overall: everything is drawn.
        assert_eq!(apportion_capped(20, &[50, 50], &[3, 4]), [3, 4]);
        // Zero-weight domains only fill in when the weighted ones are exhausted.
        assert_eq!(apportion_capped(6, &[100, 0], &[4, 10]), [4, 2]);
        for total in 0..60 {
            let caps = [5, 0, 12, 30];
            let seats = apportion_capped(total, &[30, 26, 24, 20], &caps);
            assert_eq!(seats.iter().sum::<u32>(), total.min(47));
            assert!(seats.iter().zip(caps).all(|(s, c)| *s <= c));
        }
    }

    fn course(per_domain: &[(&str, u32, usize)]) -> Course {
        let mut questions = Vec::new();
        for (domain, _, n) in per_domain {
            for i in 0..*n {
                let mut q = question(
                    &format!("{domain}-{i}"),
                    QuestionKind::SingleChoice {
                        options: options(&["a", "b", "c", "d"]),
                        answer: "a".into(),
                    },
                );
                q.domain = Some((*domain).to_owned());
                q.skills = vec![format!("{domain}-skill")];
                questions.push(q);
            }
        }
        Course {
            id: "c".into(),
            exam: Some(Exam {
                name: "Exam".into(),
                pass_mark: 72,
                domains: per_domain
                    .iter()
                    .map(|(id, weight, _)| Domain {
                        id: (*id).to_owned(),
                        title: id.to_uppercase(),
                        weight: *weight,
                    })
                    .collect(),
            }),
            mock_exam: Some(MockExam {
                id: "mock".into(),
                title: "Mock".into(),
                questions: 20,
                time_limit_minutes: 40,
                pass_mark: 72,
                max_attempts: 0,
            }),
            questions,
            ..Course::default()
        }
    }

    fn domain_counts(course: &Course, draw: &Draw) -> Vec<u32> {
        let exam = course.exam.as_ref().unwrap();
        exam.domains
            .iter()
            .map(|d| {
                draw.questions
                    .iter()
                    .filter(|q| q.domain.as_deref() == Some(d.id.as_str()))
                    .count() as u32
            })
            .collect()
    }

    #[test]
    fn mock_exam_honours_the_blueprint() {
        let c = course(&[
            ("secure", 30, 24),
            ("resilient", 26, 22),
            ("perf", 24, 20),
            ("cost", 20, 18),
        ]);
        for seed in 0..20 {
            let draw = draw_mock_exam(&c, seed).unwrap();
            assert_eq!(draw.questions.len(), 20);
            assert_eq!(domain_counts(&c, &draw), [6, 5, 5, 4]);
            let ids: std::collections::HashSet<&str> = draw.question_ids().collect();
            assert_eq!(ids.len(), 20, "no duplicates");
            assert_eq!(draw.domains[0].target, 6);
            assert_eq!(draw.domains[0].drawn, 6);
        }
    }

    #[test]
    fn mock_exam_is_deterministic_per_seed() {
        let c = course(&[
            ("secure", 30, 24),
            ("resilient", 26, 22),
            ("perf", 24, 20),
            ("cost", 20, 18),
        ]);
        assert_eq!(
            draw_mock_exam(&c, 9).unwrap(),
            draw_mock_exam(&c, 9).unwrap()
        );
        assert_ne!(
            draw_mock_exam(&c, 9).unwrap().questions,
            draw_mock_exam(&c, 10).unwrap().questions
        );
    }

    #[test]
    fn mock_exam_falls_back_when_a_domain_is_short() {
        let c = course(&[
            ("secure", 30, 2),
            ("resilient", 26, 22),
            ("perf", 24, 20),
            ("cost", 20, 18),
        ]);
        let draw = draw_mock_exam(&c, 1).unwrap();
        assert_eq!(draw.questions.len(), 20);
        assert_eq!(domain_counts(&c, &draw), [2, 7, 6, 5]);
        assert_eq!((draw.domains[0].target, draw.domains[0].drawn), (6, 2));
        // A bank smaller than the exam gives everything, once.
        let tiny = course(&[("secure", 50, 3), ("cost", 50, 4)]);
        let draw = draw_mock_exam(&tiny, 1).unwrap();
        assert_eq!(draw.questions.len(), 7);
        assert_eq!(draw.requested, 20);
    }

    #[test]
    fn mock_exam_errors() {
        let mut c = course(&[("secure", 100, 3)]);
        c.mock_exam = None;
        assert_eq!(
            draw_mock_exam(&c, 1),
            Err(DrawError::NoMockExam { course: "c".into() })
        );
        let empty = course(&[("secure", 100, 0)]);
        assert!(matches!(
            draw_mock_exam(&empty, 1),
            Err(DrawError::EmptyPool { .. })
        ));
    }

    #[test]
    fn weights_are_honoured_over_many_draws() {
        // With a 7-question exam the quotas are fractional; over seeds, counts stay fixed by
        // apportionment (not random), so every draw matches the blueprint as closely as 7 allows.
        let mut c = course(&[
            ("secure", 30, 24),
            ("resilient", 26, 22),
            ("perf", 24, 20),
            ("cost", 20, 18),
        ]);
        c.mock_exam.as_mut().unwrap().questions = 7;
        for seed in 0..10 {
            assert_eq!(
                domain_counts(&c, &draw_mock_exam(&c, seed).unwrap()),
                [2, 2, 2, 1]
            );
        }
    }

    #[test]
    fn quiz_draws_from_the_union_of_its_filters() {
        let c = course(&[
            ("secure", 30, 10),
            ("resilient", 26, 10),
            ("perf", 24, 10),
            ("cost", 20, 10),
        ]);
        let quiz = Quiz {
            id: "quiz".into(),
            questions: 15,
            domains: vec!["secure".into()],
            skills: vec!["cost-skill".into()],
            ..Quiz::default()
        };
        let mut seen = std::collections::HashSet::new();
        for seed in 0..30 {
            let draw = draw_quiz(&c, &quiz, seed).unwrap();
            assert_eq!(draw.questions.len(), 15);
            let ids: std::collections::HashSet<&str> = draw.question_ids().collect();
            assert_eq!(ids.len(), 15);
            for q in &draw.questions {
                let d = q.domain.as_deref().unwrap();
                assert!(d == "secure" || d == "cost", "{d}");
                seen.insert(q.id.clone());
            }
        }
        assert_eq!(
            seen.len(),
            20,
            "every eligible question gets drawn eventually"
        );
        assert_eq!(draw_quiz(&c, &quiz, 4), draw_quiz(&c, &quiz, 4));
        let small = Quiz {
            questions: 50,
            ..quiz.clone()
        };
        assert_eq!(draw_quiz(&c, &small, 1).unwrap().questions.len(), 20);
        let none = Quiz {
            domains: vec!["nowhere".into()],
            skills: vec![],
            ..quiz
        };
        assert!(matches!(
            draw_quiz(&c, &none, 1),
            Err(DrawError::EmptyPool { .. })
        ));
    }

    #[test]
    fn bundled_mock_exams_follow_their_blueprints() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../courses");
        let (courses, _) = crate::course::load_catalog(&dir).unwrap();
        for course in courses
            .iter()
            .filter(|c| c.mock_exam.is_some() && c.exam.is_some())
        {
            let draw = draw_mock_exam(course, 2026).unwrap();
            let requested = course.mock_exam.as_ref().unwrap().questions;
            assert_eq!(draw.questions.len() as u32, requested, "{}", course.id);
            assert_eq!(
                domain_counts(course, &draw),
                draw.domains.iter().map(|d| d.drawn).collect::<Vec<_>>()
            );
            for d in &draw.domains {
                // A short domain gives everything it has; the others at least their share.
                assert!(
                    d.drawn <= d.available && (d.drawn >= d.target || d.drawn == d.available),
                    "{}: {d:?}",
                    course.id
                );
            }
            for quiz in course.modules.iter().filter_map(|m| m.quiz.as_ref()) {
                let draw = draw_quiz(course, quiz, 7).unwrap();
                assert!(draw.questions.len() as u32 <= quiz.questions);
                assert!(!draw.questions.is_empty(), "{}/{}", course.id, quiz.id);
            }
        }
    }
}
