//! Evidence about a learner's ability in one exam domain, on a logit scale, for the
//! readiness index.
//!
//! The response model is Rasch-type with item parameters taken from the course, not fitted:
//! a learner of ability `θ` is expected to score
//!
//! ```text
//! E[score | θ, q] = c_q + (1 − c_q) · σ(θ − β · (difficulty_q − 3))
//! ```
//!
//! where `c_q` is what blind guessing earns on the question type ([`chance`]), `σ` the
//! logistic function and `β` = [`LOGITS_PER_LEVEL`]: each step of the author's 1..5
//! difficulty rating is one logit, the textbook spread of a test's items (about −2..2
//! logits) against a population of learners whose abilities spread about 1.5 logits.
//! Author ratings are only a rough guide to real difficulty; the point is to correct for
//! the *mix* of easy and hard questions a learner happened to practise, which otherwise
//! biases any raw "fraction correct" (see `docs/readiness.md`). Once the server has item
//! statistics (§10 item analysis), fitted item locations can replace the ratings.
//!
//! The evidence is the log-likelihood of the learner's answers at each point of a fixed
//! grid of abilities (−6..6 logits in steps of 0.25), updated answer by answer; partial
//! credit `s` contributes `s·ln P + (1 − s)·ln(1 − P)` (a fractional Bernoulli outcome).
//! Older answers are discounted by [`DECAY`] per new answer in the domain, so the estimate
//! follows a learner who is learning (the effective memory is about 50 answers) instead of
//! averaging over their whole history. The grid makes the evidence a fixed-size, exactly
//! updatable summary the server can store as JSON.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::mastery::chance;
use crate::course::Question;

/// Logits per step of the author's difficulty rating (β).
pub const LOGITS_PER_LEVEL: f64 = 1.0;
/// Weight kept by earlier answers each time a new answer in the domain arrives.
pub const DECAY: f64 = 0.98;
/// The ability grid: `GRID_POINTS` points from `GRID_MIN` in steps of `GRID_STEP` logits.
pub const GRID_MIN: f64 = -6.0;
pub const GRID_STEP: f64 = 0.25;
pub const GRID_POINTS: usize = 49;

/// The ability at grid point `k`.
pub fn grid(k: usize) -> f64 {
    GRID_MIN + GRID_STEP * k as f64
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Where the question sits on the ability scale.
pub fn location(question: &Question) -> f64 {
    LOGITS_PER_LEVEL * (f64::from(question.difficulty.clamp(1, 5)) - 3.0)
}

/// `(E[score], 1 − E[score])` for a learner of ability `theta`, each computed without
/// cancellation so their logarithms stay finite at the ends of the grid.
fn expected_pair(question: &Question, theta: f64) -> (f64, f64) {
    let c = chance(&question.kind);
    let x = theta - location(question);
    (c + (1.0 - c) * sigmoid(x), (1.0 - c) * sigmoid(-x))
}

/// The expected score of a learner of ability `theta` on `question`.
pub fn expected_score(question: &Question, theta: f64) -> f64 {
    expected_pair(question, theta).0
}

/// Recency-weighted log-likelihood of a learner's answers in one domain over the grid.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AbilityEvidence {
    /// One value per grid point; empty before the first answer.
    #[serde(default)]
    pub log_likelihood: Vec<f64>,
    /// Effective number of answers after decay.
    #[serde(default)]
    pub weight: f64,
}

impl AbilityEvidence {
    /// Adds one answer to `question` that scored `score` (in `[0, 1]`).
    pub fn observe(&mut self, question: &Question, score: f64) {
        let score = if score.is_finite() {
            score.clamp(0.0, 1.0)
        } else {
            0.0
        };
        if self.log_likelihood.len() != GRID_POINTS {
            self.log_likelihood = vec![0.0; GRID_POINTS];
            self.weight = 0.0;
        }
        for (k, ll) in self.log_likelihood.iter_mut().enumerate() {
            let (p, q) = expected_pair(question, grid(k));
            *ll = DECAY * *ll + score * p.ln() + (1.0 - score) * q.ln();
        }
        self.weight = DECAY * self.weight + 1.0;
    }

    /// The likelihood at each grid point, scaled so its maximum is 1 (all ones without
    /// evidence).
    pub fn likelihood(&self) -> Vec<f64> {
        if self.log_likelihood.len() != GRID_POINTS {
            return vec![1.0; GRID_POINTS];
        }
        let max = self
            .log_likelihood
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(f64::NEG_INFINITY, f64::max);
        self.log_likelihood
            .iter()
            .map(|v| if v.is_finite() { (v - max).exp() } else { 0.0 })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::public::tests::{options, question};
    use super::*;
    use crate::course::QuestionKind;

    fn single(difficulty: u8) -> Question {
        let mut q = question(
            "q",
            QuestionKind::SingleChoice {
                options: options(&["a", "b", "c", "d"]),
                answer: "a".into(),
            },
        );
        q.difficulty = difficulty;
        q
    }

    fn argmax(v: &[f64]) -> f64 {
        let k = (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap();
        grid(k)
    }

    #[test]
    fn expected_score_rises_with_ability_from_the_chance_floor() {
        let q = single(3);
        assert!((expected_score(&q, 0.0) - (0.25 + 0.75 * 0.5)).abs() < 1e-12);
        assert!(expected_score(&q, -6.0) > 0.25 && expected_score(&q, -6.0) < 0.26);
        assert!(expected_score(&q, 6.0) > 0.99);
        assert!(expected_score(&single(1), 0.0) > expected_score(&single(5), 0.0));
    }

    #[test]
    fn evidence_locates_the_learner() {
        // Right on 3 of 4 medium questions where chance is 1/4: 0.25 + 0.75 σ(θ) = 0.75,
        // so θ = ln 2.
        let mut e = AbilityEvidence::default();
        for score in [1.0, 1.0, 1.0, 0.0].repeat(10) {
            e.observe(&single(3), score);
        }
        let best = argmax(&e.likelihood());
        assert!((best - 2f64.ln()).abs() <= 0.5, "{best}");
        // The same 75% on hard questions means a higher ability.
        let mut hard = AbilityEvidence::default();
        for score in [1.0, 1.0, 1.0, 0.0].repeat(10) {
            hard.observe(&single(5), score);
        }
        assert!(argmax(&hard.likelihood()) > argmax(&e.likelihood()) + 1.0);
        assert!(e.weight < 40.0 && e.weight > 20.0, "decayed: {}", e.weight);
    }

    #[test]
    fn recent_answers_count_more() {
        let mut improving = AbilityEvidence::default();
        let mut declining = AbilityEvidence::default();
        for i in 0..60 {
            improving.observe(&single(3), if i < 30 { 0.0 } else { 1.0 });
            declining.observe(&single(3), if i < 30 { 1.0 } else { 0.0 });
        }
        assert!(argmax(&improving.likelihood()) > argmax(&declining.likelihood()));
    }

    #[test]
    fn no_evidence_is_flat_and_extremes_stay_finite() {
        assert_eq!(
            AbilityEvidence::default().likelihood(),
            vec![1.0; GRID_POINTS]
        );
        let mut e = AbilityEvidence::default();
        let numeric = question(
            "n",
            QuestionKind::Numeric {
                answer: 1.0,
                tolerance: 0.0,
            },
        );
        for _ in 0..200 {
            e.observe(&numeric, 1.0);
            e.observe(&single(1), 0.0);
        }
        assert!(e.log_likelihood.iter().all(|v| v.is_finite()));
        assert!(e.likelihood().iter().all(|v| (0.0..=1.0).contains(v)));
    }
}
