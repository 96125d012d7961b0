//! The Certification Readiness Index: the probability that the learner would pass the real
//! exam now, with an uncertainty band, the weakest domains, and whether there is enough
//! evidence to trust it. The model, the simulation that validates it and its limits are in
//! `docs/readiness.md`; in short:
//!
//! 1. **Ability per domain.** The learner has an ability `θ_d` per blueprint domain on the
//!    logit scale of [`super::ability`], where each answer is evidence through a Rasch-type
//!    response model with item locations from the author's difficulty ratings and a guessing
//!    floor per question type (recent answers weigh more, so learning is followed).
//! 2. **Hierarchical prior.** Domains share the learner's general level:
//!    `θ_d = θ_g + δ_d`, `δ_d ~ N(0, τ²)`, `θ_g ~ N(μ₀, σ₀²)`. A domain never practised
//!    borrows the learner's level from the other domains, with wide uncertainty; a
//!    well-practised domain speaks for itself. The posterior is computed exactly on the
//!    ability grid (no approximation beyond the grid).
//! 3. **The exam.** The real exam has `N` questions apportioned to domains by blueprint
//!    weight (largest remainder, as the mock exam), drawn from the domain's questions. Given
//!    `θ`, a drawn question of domain `d` scores `p_d(θ_d)` on average (the mean expected score
//!    over the domain's questions in the bank), so the exam score has mean
//!    `μ = Σ n_d p_d / N` and variance at most `Σ n_d p_d (1 − p_d) / N²`; by the normal
//!    approximation with continuity correction
//!    `P(pass | θ) = Φ((N·μ − ⌈pass·N⌉ + ½) / (N·σ))`.
//! 4. **Prediction and band.** Monte Carlo over the posterior (fixed seed: the same evidence
//!    always gives the same answer). `probability` is the mean of `P(pass | θ)`, the
//!    posterior predictive pass probability; `low` and `high` are the 10th and 90th
//!    percentiles of `P(pass | θ)`, the range in which the learner's pass probability lies
//!    with 80% credibility given how much we know about them, widened when needed to take
//!    in `probability` itself (a skewed posterior can put its mean outside them).
//! 5. **Weakest domains**: domains whose expected score is below the pass mark, ordered by
//!    `weight × gap` (the exam points at stake; gap = pass mark − expected score).
//! 6. **Evidence**: insufficient when fewer than [`ReadinessConfig::min_answers`] answers
//!    were given in blueprint domains, or some domain has none (named in
//!    [`Readiness::domains_without_evidence`]). The numbers are still computed; clients
//!    show them as provisional.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ability::{self, AbilityEvidence, GRID_POINTS, grid};
use super::draw::apportion;
use super::mastery::{BktParams, Mastery};
use crate::course::{Course, Exam, Question, QuestionKind};

/// Parameters of the readiness model; [`Default`] gives the documented values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReadinessConfig {
    /// Scored questions of the real exam (its sampling noise depends on it).
    pub exam_questions: u32,
    /// Fewer answers than this (in blueprint domains) is insufficient evidence.
    pub min_answers: u32,
    /// μ₀, σ₀: the population prior on a learner's general ability, in logits.
    pub population_mean: f64,
    pub population_sd: f64,
    /// τ: how far a learner's domains spread around their general ability, in logits.
    pub domain_sd: f64,
    /// Monte Carlo draws from the posterior.
    pub draws: u32,
}

impl Default for ReadinessConfig {
    fn default() -> ReadinessConfig {
        ReadinessConfig {
            exam_questions: 50,
            min_answers: 20,
            population_mean: 0.0,
            population_sd: 1.5,
            domain_sd: 0.7,
            draws: 2000,
        }
    }
}

/// The Certification Readiness Index of one learner for one exam.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    /// Predicted probability of passing the real exam now, in `[0, 1]`.
    pub probability: f64,
    /// 80% credible band of the pass probability.
    pub low: f64,
    pub high: f64,
    /// Expected exam score, as a fraction, with its 80% credible band.
    pub expected_score: f64,
    pub score_low: f64,
    pub score_high: f64,
    /// The exam's pass mark, as a fraction.
    pub pass_mark: f64,
    /// Enough answers overall and at least one in every domain.
    pub sufficient_evidence: bool,
    /// Answers in blueprint domains.
    pub answers: u32,
    pub min_answers: u32,
    /// Blueprint domains without a single answer, in blueprint order.
    pub domains_without_evidence: Vec<String>,
    /// Domain ids below the pass mark, most exam points at stake first.
    pub weakest_domains: Vec<String>,
    /// Per domain, in blueprint order.
    pub domains: Vec<DomainReadiness>,
}

/// Readiness in one blueprint domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DomainReadiness {
    pub id: String,
    pub title: String,
    /// Blueprint weight, percent.
    pub weight: u32,
    pub answers: u32,
    /// Posterior mean of the expected score on this domain's exam questions, with an 80% band.
    pub expected_score: f64,
    pub low: f64,
    pub high: f64,
    /// BKT mastery of the domain (P(known)).
    pub p_known: f64,
    /// Pass mark minus expected score, when positive.
    pub gap: f64,
}

/// Computes the readiness index of a learner with `mastery` for the exam of `course`;
/// `None` when the course prepares for no exam.
pub fn readiness(
    course: &Course,
    mastery: &Mastery,
    config: &ReadinessConfig,
) -> Option<Readiness> {
    let exam = course.exam.as_ref().filter(|e| !e.domains.is_empty())?;
    let posterior = Posterior::new(course, exam, mastery, config);
    let params = BktParams::default();
    let pass = f64::from(exam.pass_mark.min(100)) / 100.0;
    let n_total = config.exam_questions.max(1);
    let seats = apportion(
        n_total,
        &exam.domains.iter().map(|d| d.weight).collect::<Vec<_>>(),
    );
    let needed = (pass * f64::from(n_total) - 1e-9).ceil();

    let mut rng = StdRng::seed_from_u64(0x5eed_ca11_ab1e);
    let draws = config.draws.max(1) as usize;
    let mut pass_probs = Vec::with_capacity(draws);
    let mut scores = Vec::with_capacity(draws);
    let mut domain_scores: Vec<Vec<f64>> = vec![Vec::with_capacity(draws); exam.domains.len()];
    for _ in 0..draws {
        let (mut mean, mut var) = (0.0, 0.0);
        let general = pick(&posterior.general_cdf, rng.random());
        for d in 0..exam.domains.len() {
            let k = pick(&posterior.domain_cdf[d][general], rng.random());
            let p = posterior.curves[d][k];
            domain_scores[d].push(p);
            let n = f64::from(seats[d]);
            mean += n * p;
            var += n * p * (1.0 - p);
        }
        scores.push(mean / f64::from(n_total));
        pass_probs.push(normal_cdf((mean - needed + 0.5) / var.max(1e-12).sqrt()));
    }

    let probability = average(&pass_probs);
    let (low, high) = band(&mut pass_probs, probability);
    let expected_score = average(&scores);
    let (score_low, score_high) = band(&mut scores, expected_score);
    let domains: Vec<DomainReadiness> = exam
        .domains
        .iter()
        .zip(domain_scores.iter_mut())
        .map(|(d, draws)| {
            let state = mastery.domain(&params, &d.id);
            let expected = average(draws);
            let (low, high) = band(draws, expected);
            DomainReadiness {
                id: d.id.clone(),
                title: d.title.clone(),
                weight: d.weight,
                answers: state.evidence_count,
                expected_score: expected,
                low,
                high,
                p_known: state.p_known,
                gap: (pass - expected).max(0.0),
            }
        })
        .collect();
    let mut weakest: Vec<&DomainReadiness> = domains.iter().filter(|d| d.gap > 0.0).collect();
    let stake = |d: &DomainReadiness| f64::from(d.weight) * d.gap;
    weakest.sort_by(|a, b| stake(b).total_cmp(&stake(a)));
    let weakest_domains = weakest.into_iter().map(|d| d.id.clone()).collect();
    let domains_without_evidence: Vec<String> = domains
        .iter()
        .filter(|d| d.answers == 0)
        .map(|d| d.id.clone())
        .collect();
    let answers = domains.iter().map(|d| d.answers).sum();
    Some(Readiness {
        probability,
        low,
        high,
        expected_score,
        score_low,
        score_high,
        pass_mark: pass,
        sufficient_evidence: answers >= config.min_answers && domains_without_evidence.is_empty(),
        answers,
        min_answers: config.min_answers,
        domains_without_evidence,
        weakest_domains,
        domains,
    })
}

/// The posterior over abilities on the grid, as cumulative tables for sampling.
struct Posterior {
    /// CDF of the general ability θ_g over grid points.
    general_cdf: Vec<f64>,
    /// Per domain, per general-ability grid point: CDF of θ_d given θ_g and the evidence.
    domain_cdf: Vec<Vec<Vec<f64>>>,
    /// Per domain, per grid point: the mean expected score over the domain's questions.
    curves: Vec<Vec<f64>>,
}

impl Posterior {
    fn new(course: &Course, exam: &Exam, mastery: &Mastery, config: &ReadinessConfig) -> Posterior {
        let tau = config.domain_sd.max(1e-3);
        let sd0 = config.population_sd.max(1e-3);
        // Row j: N(θ_k; θ_j, τ²) over k, normalized on the grid.
        let spread: Vec<Vec<f64>> = (0..GRID_POINTS)
            .map(|j| {
                let row: Vec<f64> = (0..GRID_POINTS)
                    .map(|k| (-0.5 * ((grid(k) - grid(j)) / tau).powi(2)).exp())
                    .collect();
                let sum: f64 = row.iter().sum();
                row.into_iter().map(|v| v / sum).collect()
            })
            .collect();
        let mut log_general: Vec<f64> = (0..GRID_POINTS)
            .map(|j| -0.5 * ((grid(j) - config.population_mean) / sd0).powi(2))
            .collect();
        let mut domain_cdf = Vec::with_capacity(exam.domains.len());
        let mut curves = Vec::with_capacity(exam.domains.len());
        for domain in &exam.domains {
            let evidence = mastery.abilities.get(&domain.id);
            let likelihood =
                evidence.map_or_else(|| vec![1.0; GRID_POINTS], AbilityEvidence::likelihood);
            let mut rows = Vec::with_capacity(GRID_POINTS);
            for (j, row) in spread.iter().enumerate() {
                let joint: Vec<f64> = row.iter().zip(&likelihood).map(|(a, l)| a * l).collect();
                let marginal: f64 = joint.iter().sum();
                log_general[j] += marginal.max(f64::MIN_POSITIVE).ln();
                rows.push(cumulative(&joint));
            }
            domain_cdf.push(rows);
            curves.push(curve(course, &domain.id));
        }
        let max = log_general
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let general: Vec<f64> = log_general.iter().map(|v| (v - max).exp()).collect();
        Posterior {
            general_cdf: cumulative(&general),
            domain_cdf,
            curves,
        }
    }
}

/// Mean expected score over the domain's questions at each grid ability; a generic
/// four-option medium question stands in when the bank has none in the domain.
fn curve(course: &Course, domain: &str) -> Vec<f64> {
    let questions: Vec<&Question> = course
        .questions
        .iter()
        .filter(|q| q.domain.as_deref() == Some(domain))
        .collect();
    let generic = Question {
        difficulty: 3,
        kind: QuestionKind::SingleChoice {
            options: vec![Default::default(); 4],
            answer: String::new(),
        },
        ..Question::default()
    };
    let questions = if questions.is_empty() {
        vec![&generic]
    } else {
        questions
    };
    (0..GRID_POINTS)
        .map(|k| {
            questions
                .iter()
                .map(|q| ability::expected_score(q, grid(k)))
                .sum::<f64>()
                / questions.len() as f64
        })
        .collect()
}

/// Running sums normalized to end at 1 (uniform when all weights are 0).
fn cumulative(weights: &[f64]) -> Vec<f64> {
    let total: f64 = weights.iter().sum();
    let mut acc = 0.0;
    weights
        .iter()
        .map(|w| {
            acc += if total > 0.0 {
                w / total
            } else {
                1.0 / weights.len() as f64
            };
            acc
        })
        .collect()
}

/// The grid point where the CDF first reaches `u`.
fn pick(cdf: &[f64], u: f64) -> usize {
    cdf.partition_point(|&c| c < u).min(cdf.len() - 1)
}

fn average(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// The 10th and 90th percentiles (sorts `values`), widened to take in `estimate`, their
/// mean: in a skewed distribution (most draws near certain, a few far lower) the mean can
/// fall outside the percentiles, and a band that leaves out its own estimate reads as a
/// contradiction. Widening keeps at least 80% of the draws inside.
fn band(values: &mut [f64], estimate: f64) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.10).min(estimate), at(0.90).max(estimate))
}

/// Standard normal CDF, via the complementary error function (the rational Chebyshev
/// approximation of Numerical Recipes' `erfcc`, relative error below 1.2e-7).
pub(crate) fn normal_cdf(x: f64) -> f64 {
    let z = -x / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z.abs());
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    let erfc = if z >= 0.0 { erfc } else { 2.0 - erfc };
    0.5 * erfc
}

#[cfg(test)]
mod tests {
    use super::super::grade::Graded;
    use super::super::public::tests::{options, question};
    use super::*;
    use crate::course::Domain;

    const DOMAINS: [(&str, u32); 4] = [
        ("secure", 30),
        ("resilient", 26),
        ("performance", 24),
        ("cost", 20),
    ];

    /// Ten four-option questions per domain, difficulties 1..5 twice.
    fn course() -> Course {
        let mut questions = Vec::new();
        for (domain, _) in DOMAINS {
            for i in 0..10u8 {
                let mut q = question(
                    &format!("{domain}-{i}"),
                    QuestionKind::SingleChoice {
                        options: options(&["a", "b", "c", "d"]),
                        answer: "a".into(),
                    },
                );
                q.domain = Some(domain.into());
                q.difficulty = 1 + i % 5;
                questions.push(q);
            }
        }
        Course {
            id: "c".into(),
            exam: Some(Exam {
                name: "SAA".into(),
                pass_mark: 72,
                domains: DOMAINS
                    .iter()
                    .map(|(id, weight)| Domain {
                        id: (*id).into(),
                        title: id.to_uppercase(),
                        weight: *weight,
                    })
                    .collect(),
            }),
            questions,
            ..Course::default()
        }
    }

    /// `n` answers per listed domain, cycling through its questions, right with probability
    /// `rate` at every difficulty (a Weyl sequence stands in for random numbers, so results
    /// are exact and domains with the same rate get the same evidence).
    fn practise(course: &Course, evidence: &[(&str, u32, f64)]) -> Mastery {
        let params = BktParams::default();
        let mut m = Mastery::default();
        for (domain, n, rate) in evidence {
            let bank: Vec<&Question> = course
                .questions
                .iter()
                .filter(|q| q.domain.as_deref() == Some(*domain))
                .collect();
            for i in 0..*n as usize {
                let u = ((i + 1) as f64 * 0.618_033_988_749_895).fract();
                let score = if u < *rate { 1.0 } else { 0.0 };
                let graded = Graded {
                    score,
                    correct: score == 1.0,
                    reason: None,
                };
                m.record(&params, bank[i % bank.len()], &graded);
            }
        }
        m
    }

    fn all(course: &Course, n: u32, rate: f64) -> Mastery {
        let evidence: Vec<(&str, u32, f64)> = DOMAINS.iter().map(|(d, _)| (*d, n, rate)).collect();
        practise(course, &evidence)
    }

    fn ready(course: &Course, mastery: &Mastery) -> Readiness {
        readiness(course, mastery, &ReadinessConfig::default()).unwrap()
    }

    #[test]
    fn normal_cdf_matches_known_values() {
        for (x, p) in [
            (0.0, 0.5),
            (1.0, 0.841_344_746),
            (-1.96, 0.024_997_895),
            (3.0, 0.998_650_102),
        ] {
            assert!((normal_cdf(x) - p).abs() < 1e-6, "{x}: {}", normal_cdf(x));
        }
    }

    #[test]
    fn strong_learners_pass_weak_ones_fail() {
        let c = course();
        let strong = ready(&c, &all(&c, 40, 0.92));
        let weak = ready(&c, &all(&c, 40, 0.45));
        assert!(strong.probability > 0.95, "{strong:?}");
        assert!(weak.probability < 0.05, "{weak:?}");
        assert!(strong.sufficient_evidence && weak.sufficient_evidence);
        assert!(weak.weakest_domains.len() == 4 && strong.weakest_domains.is_empty());
        // Around the pass mark the outcome is uncertain.
        let borderline = ready(&c, &all(&c, 60, 0.72));
        assert!(
            (0.2..0.8).contains(&borderline.probability),
            "{borderline:?}"
        );
        assert!(
            (borderline.expected_score - 0.72).abs() < 0.05,
            "{borderline:?}"
        );
    }

    #[test]
    fn a_skewed_band_still_contains_its_mean() {
        // Most draws near certain, a few far lower: the mean is below the 10th percentile.
        let mut draws: Vec<f64> = std::iter::repeat_n(0.9999, 95)
            .chain(std::iter::repeat_n(0.9, 5))
            .collect();
        let mean = average(&draws);
        assert!(mean < 0.9999);
        let (low, high) = band(&mut draws, mean);
        assert!(low <= mean && mean <= high, "{low} {mean} {high}");
        assert_eq!(high, 0.9999);
        // A symmetric sample keeps its percentiles.
        let mut even: Vec<f64> = (0..=100).map(|i| f64::from(i) / 100.0).collect();
        assert_eq!(band(&mut even, 0.5), (0.1, 0.9));
    }

    #[test]
    fn band_narrows_with_evidence_and_contains_the_estimate() {
        let c = course();
        let few = ready(&c, &all(&c, 3, 0.8));
        let many = ready(&c, &all(&c, 100, 0.8));
        for r in [&few, &many] {
            assert!(r.low <= r.probability && r.probability <= r.high, "{r:?}");
            assert!(r.score_low <= r.expected_score && r.expected_score <= r.score_high);
        }
        assert!(many.score_high - many.score_low < few.score_high - few.score_low);
        assert!(!few.sufficient_evidence, "12 answers < 20");
        assert!(many.sufficient_evidence);
    }

    #[test]
    fn insufficient_evidence_names_the_missing_domains() {
        let c = course();
        let r = ready(
            &c,
            &practise(&c, &[("secure", 30, 0.8), ("performance", 30, 0.8)]),
        );
        assert!(!r.sufficient_evidence);
        assert_eq!(r.domains_without_evidence, ["resilient", "cost"]);
        assert_eq!(r.answers, 60);
        // Unpractised domains borrow the learner's level, with a wider band.
        let (secure, cost) = (&r.domains[0], &r.domains[3]);
        assert!(
            (cost.expected_score - secure.expected_score).abs() < 0.1,
            "{r:?}"
        );
        assert!(cost.high - cost.low > secure.high - secure.low);
        let none = ready(&c, &Mastery::default());
        assert!(!none.sufficient_evidence);
        assert_eq!(none.domains_without_evidence.len(), 4);
        assert!(none.probability > 0.0 && none.probability < 1.0);
        let mut no_exam = c.clone();
        no_exam.exam = None;
        assert!(readiness(&no_exam, &Mastery::default(), &ReadinessConfig::default()).is_none());
    }

    #[test]
    fn weakest_domains_are_ordered_by_weight_times_gap() {
        let c = course();
        let r = ready(
            &c,
            &practise(
                &c,
                &[
                    ("secure", 80, 0.6),
                    ("resilient", 80, 0.95),
                    ("performance", 80, 0.45),
                    ("cost", 80, 0.6),
                ],
            ),
        );
        // performance has the largest gap; secure and cost the same gap, secure more weight.
        assert_eq!(
            r.weakest_domains,
            ["performance", "secure", "cost"],
            "{r:?}"
        );
    }

    #[test]
    fn heavier_domains_matter_more() {
        let c = course();
        let weak_secure = practise(
            &c,
            &[
                ("secure", 50, 0.5),
                ("resilient", 50, 0.85),
                ("performance", 50, 0.85),
                ("cost", 50, 0.85),
            ],
        );
        let weak_cost = practise(
            &c,
            &[
                ("secure", 50, 0.85),
                ("resilient", 50, 0.85),
                ("performance", 50, 0.85),
                ("cost", 50, 0.5),
            ],
        );
        let (a, b) = (ready(&c, &weak_secure), ready(&c, &weak_cost));
        assert!(
            a.probability < b.probability,
            "{} vs {}",
            a.probability,
            b.probability
        );
    }

    #[test]
    fn hard_practice_counts_for_more_than_easy_practice() {
        let c = course();
        let params = BktParams::default();
        let right = Graded {
            score: 1.0,
            correct: true,
            reason: None,
        };
        let wrong = Graded {
            score: 0.0,
            correct: false,
            reason: None,
        };
        // Same 70% correct, once on the hardest questions, once on the easiest.
        let mut on_hard = Mastery::default();
        let mut on_easy = Mastery::default();
        for q in &c.questions {
            for i in 0..10 {
                let graded = if i < 7 { &right } else { &wrong };
                if q.difficulty >= 4 {
                    on_hard.record(&params, q, graded);
                } else if q.difficulty <= 2 {
                    on_easy.record(&params, q, graded);
                }
            }
        }
        let (hard, easy) = (ready(&c, &on_hard), ready(&c, &on_easy));
        assert!(
            hard.expected_score > easy.expected_score + 0.05,
            "{hard:?} {easy:?}"
        );
    }

    #[test]
    fn deterministic_and_serializable() {
        let c = course();
        let a = ready(&c, &all(&c, 10, 0.7));
        assert_eq!(a, ready(&c, &all(&c, 10, 0.7)));
        let json = serde_json::to_value(&a).unwrap();
        assert!(json["probability"].is_number());
        assert_eq!(json["domains"][0]["id"], "secure");
    }
}
