//! Mastery per skill and per exam domain by Bayesian Knowledge Tracing (Corbett & Anderson,
//! 1995), updated on every graded answer.
//!
//! BKT treats a skill as a hidden binary state, known or not known, with four parameters:
//!
//! | parameter | value | meaning |
//! |---|---|---|
//! | `p_init` | 0.30 | P(known) before any answer: learners enrol with some background |
//! | `p_transit` | 0.08 | P(not known → known) per answered question: answers come with explanations, so practising teaches a little |
//! | slip | 0.05, 0.08, 0.10, 0.13, 0.16 for difficulty 1..5 | P(wrong \| known) |
//! | guess | `chance + (1 − chance) × bonus`, bonus 0.20, 0.15, 0.10, 0.06, 0.03 for difficulty 1..5 | P(right \| not known) |
//!
//! Slip and guess depend on difficulty because that is what difficulty means to an author:
//! easy questions can be answered from partial knowledge or by eliminating silly
//! distractors (higher guess) and are rarely missed by someone who knows the topic (lower
//! slip); hard questions have plausible distractors and traps that catch even learners who
//! know the material. So a right answer to a hard question is strong evidence of knowing,
//! and a miss on an easy one strong evidence of not knowing. `chance` is what blind guessing
//! earns for the question type: 1/options for single choice, ½ for true/false, 0.1 for
//! multiple response (the typical chance of picking exactly the right set, or partial
//! credit), ½ for ordering (a random order gets half the pairs right, and ordering gives
//! pairwise partial credit), 0.02 for numeric and short text. Guess is capped so that
//! `guess < 1 − slip` (otherwise a right answer would be evidence *against* knowing).
//!
//! **Partial credit as fractional evidence.** A score `s` in `[0, 1]` is treated as soft
//! evidence (Jeffrey's rule): the posterior is `s × P(known | right) + (1 − s) × P(known |
//! wrong)`, so 2/3 credit on a multiple-response question moves the estimate two thirds of
//! the way a full right answer would (from the wrong-answer posterior). Scores 0 and 1 give
//! classic BKT. After the evidence, the learning transition applies:
//! `p_known ← p + (1 − p) × p_transit`.
//!
//! Malformed responses (see [`Graded::reason`]) are not evidence and change nothing. The
//! state also keeps the number of answers and the sum of their scores; per domain,
//! [`Mastery`] also keeps the ability evidence ([`super::ability`]) that the readiness index
//! ([`super::readiness()`]) reads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ability::AbilityEvidence;
use super::grade::Graded;
use crate::course::{Question, QuestionKind};

/// The BKT parameters; [`Default`] gives the documented values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BktParams {
    pub p_init: f64,
    pub p_transit: f64,
    /// P(wrong | known) for difficulty 1..=5.
    pub slip: [f64; 5],
    /// Share of the non-chance range a learner who does not know still gets right, for
    /// difficulty 1..=5.
    pub guess_bonus: [f64; 5],
}

impl Default for BktParams {
    fn default() -> BktParams {
        BktParams {
            p_init: 0.30,
            p_transit: 0.08,
            slip: [0.05, 0.08, 0.10, 0.13, 0.16],
            guess_bonus: [0.20, 0.15, 0.10, 0.06, 0.03],
        }
    }
}

impl BktParams {
    fn level(difficulty: u8) -> usize {
        usize::from(difficulty.clamp(1, 5) - 1)
    }

    /// P(wrong | known) for a question.
    pub fn slip(&self, question: &Question) -> f64 {
        self.slip[Self::level(question.difficulty)]
    }

    /// P(right | not known) for a question.
    pub fn guess(&self, question: &Question) -> f64 {
        let bonus = self.guess_bonus[Self::level(question.difficulty)];
        let guess = chance(&question.kind) + (1.0 - chance(&question.kind)) * bonus;
        guess.min(0.95 - self.slip(question))
    }
}

/// What blind guessing earns on a question of this type (see the module docs).
pub fn chance(kind: &QuestionKind) -> f64 {
    match kind {
        QuestionKind::SingleChoice { options, .. } => 1.0 / options.len().max(2) as f64,
        QuestionKind::TrueFalse { .. } | QuestionKind::Ordering { .. } => 0.5,
        QuestionKind::MultipleResponse { .. } => 0.1,
        QuestionKind::Numeric { .. } | QuestionKind::ShortText { .. } => 0.02,
    }
}

/// The mastery estimate of one skill or domain.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MasteryState {
    /// P(known), in `[0, 1]`.
    pub p_known: f64,
    /// How many graded answers went into the estimate.
    pub evidence_count: u32,
    /// The sum of their scores (partial credit counts as its fraction).
    pub score_sum: f64,
}

impl MasteryState {
    /// The state before any answer.
    pub fn new(params: &BktParams) -> MasteryState {
        MasteryState {
            p_known: params.p_init,
            evidence_count: 0,
            score_sum: 0.0,
        }
    }

    /// Whether BKT's usual mastery threshold (P(known) ≥ 0.95) is reached.
    pub fn is_mastered(&self) -> bool {
        self.p_known >= 0.95
    }

    /// Updates the estimate with one answer to `question` that scored `score`.
    pub fn observe(&mut self, params: &BktParams, question: &Question, score: f64) {
        let score = if score.is_finite() {
            score.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (slip, guess) = (params.slip(question), params.guess(question));
        let p = self.p_known;
        let tiny = f64::MIN_POSITIVE;
        let if_right = p * (1.0 - slip) / (p * (1.0 - slip) + (1.0 - p) * guess).max(tiny);
        let if_wrong = p * slip / (p * slip + (1.0 - p) * (1.0 - guess)).max(tiny);
        let posterior = score * if_right + (1.0 - score) * if_wrong;
        self.p_known = (posterior + (1.0 - posterior) * params.p_transit).clamp(0.0, 1.0);
        self.evidence_count += 1;
        self.score_sum += score;
    }
}

impl Default for MasteryState {
    fn default() -> MasteryState {
        MasteryState::new(&BktParams::default())
    }
}

/// A learner's mastery in one course: per skill and per exam domain, plus the per-domain
/// ability evidence the readiness index reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Mastery {
    pub skills: BTreeMap<String, MasteryState>,
    pub domains: BTreeMap<String, MasteryState>,
    #[serde(default)]
    pub abilities: BTreeMap<String, AbilityEvidence>,
}

impl Mastery {
    /// Updates every skill of `question` and its domain (mastery and ability evidence) with
    /// one graded answer.
    pub fn record(&mut self, params: &BktParams, question: &Question, graded: &Graded) {
        if graded.reason.is_some() {
            return;
        }
        for skill in &question.skills {
            self.skills
                .entry(skill.clone())
                .or_insert_with(|| MasteryState::new(params))
                .observe(params, question, graded.score);
        }
        if let Some(domain) = &question.domain {
            self.domains
                .entry(domain.clone())
                .or_insert_with(|| MasteryState::new(params))
                .observe(params, question, graded.score);
            self.abilities
                .entry(domain.clone())
                .or_default()
                .observe(question, graded.score);
        }
    }

    /// The domain's state, or the prior when it has no evidence yet.
    pub fn domain(&self, params: &BktParams, id: &str) -> MasteryState {
        self.domains
            .get(id)
            .copied()
            .unwrap_or_else(|| MasteryState::new(params))
    }
}

#[cfg(test)]
mod tests {
    use super::super::grade::{Graded, grade};
    use super::super::public::Response;
    use super::super::public::tests::{options, question};
    use super::*;

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

    fn after(difficulty: u8, score: f64) -> f64 {
        let params = BktParams::default();
        let mut state = MasteryState::new(&params);
        state.observe(&params, &single(difficulty), score);
        state.p_known
    }

    #[test]
    fn classic_bkt_update() {
        // p = 0.3, difficulty 3, 4 options: slip 0.10, guess 0.25 + 0.75 × 0.10 = 0.325.
        let p: f64 = 0.3;
        let right = p * 0.9 / (p * 0.9 + 0.7 * 0.325);
        let expected = right + (1.0 - right) * 0.08;
        assert!((after(3, 1.0) - expected).abs() < 1e-12);
        let wrong = p * 0.1 / (p * 0.1 + 0.7 * 0.675);
        assert!((after(3, 0.0) - (wrong + (1.0 - wrong) * 0.08)).abs() < 1e-12);
    }

    #[test]
    fn difficulty_changes_the_weight_of_evidence() {
        // A right answer to a hard question says more than one to an easy question...
        assert!(after(5, 1.0) > after(1, 1.0));
        // ...and a miss on an easy question says more than a miss on a hard one.
        assert!(after(1, 0.0) < after(5, 0.0));
    }

    #[test]
    fn partial_credit_is_fractional_evidence() {
        let (wrong, half, right) = (after(3, 0.0), after(3, 0.5), after(3, 1.0));
        assert!(wrong < half && half < right);
        assert!(
            (half - (wrong + right) / 2.0).abs() < 1e-12,
            "linear in the score"
        );
    }

    #[test]
    fn guess_stays_below_one_minus_slip() {
        let params = BktParams::default();
        for d in 1..=5 {
            let mut q = question("q", QuestionKind::TrueFalse { answer: true });
            q.difficulty = d;
            assert!(params.guess(&q) < 1.0 - params.slip(&q));
            let mut q = single(d);
            q.kind = QuestionKind::Numeric {
                answer: 1.0,
                tolerance: 0.0,
            };
            assert!(params.guess(&q) < 0.25);
        }
    }

    #[test]
    fn converges_with_consistent_evidence() {
        let params = BktParams::default();
        let mut good = MasteryState::new(&params);
        let mut bad = MasteryState::new(&params);
        for _ in 0..15 {
            good.observe(&params, &single(3), 1.0);
            bad.observe(&params, &single(3), 0.0);
        }
        assert!(good.is_mastered(), "{}", good.p_known);
        assert!(bad.p_known < 0.2, "{}", bad.p_known);
        assert_eq!(good.evidence_count, 15);
        assert_eq!(good.score_sum, 15.0);
    }

    #[test]
    fn record_updates_skills_and_domain_and_ignores_malformed_answers() {
        let params = BktParams::default();
        let mut mastery = Mastery::default();
        let q = single(2);
        let graded = grade(&q, &Response::SingleChoice { choice: "a".into() });
        mastery.record(&params, &q, &graded);
        assert_eq!(mastery.skills["iam"].evidence_count, 1);
        assert_eq!(mastery.domains["secure"].evidence_count, 1);
        assert_eq!(mastery.abilities["secure"].weight, 1.0);
        assert!(mastery.domain(&params, "secure").p_known > params.p_init);
        assert_eq!(mastery.domain(&params, "cost"), MasteryState::new(&params));
        let malformed: Graded = grade(&q, &Response::TrueFalse { value: true });
        mastery.record(&params, &q, &malformed);
        assert_eq!(mastery.domains["secure"].evidence_count, 1);
        let json = serde_json::to_value(&mastery).unwrap();
        assert_eq!(json["domains"]["secure"]["evidence_count"], 1);
        let back: Mastery = serde_json::from_value(json).unwrap();
        assert_eq!(back, mastery);
    }
}
