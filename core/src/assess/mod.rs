//! The assessment engine: what a learner sees of a question, how answers are graded, how
//! quizzes and mock exams are drawn, and what the answers say about the learner.
//!
//! Everything here is pure: no I/O, no clock, no global randomness. Randomness comes from a
//! caller-supplied `u64` seed (stored with the attempt, so the server can reproduce a draw)
//! and time from a caller-supplied `now`. The server wires it to HTTP and storage.
//!
//! How the pieces fit, following one attempt:
//! 1. [`draw`] picks the questions of a quiz or mock exam (mock exams per blueprint weight)
//!    and turns each into a [`PublicQuestion`] with shuffled options, lettered in the order
//!    shown ([`Shown`], which also maps responses back to the authored options): no answers
//!    leave the server before submission.
//! 2. [`grade()`] scores each [`Response`] against the [`Question`](crate::course::Question),
//!    with partial credit where the question type allows it.
//! 3. [`mastery`] updates Bayesian Knowledge Tracing estimates per skill and exam domain with
//!    each graded answer, and the per-domain ability evidence of [`ability`];
//!    [`review`] schedules the question for spaced review with FSRS.
//! 4. [`readiness()`] turns the per-domain evidence and the exam blueprint into a predicted
//!    pass probability with an uncertainty band (the Certification Readiness Index); see
//!    `docs/readiness.md` for the model and the simulation that checks it.
//!
//! What the server stores per learner and course is [`Mastery`] (JSON) and one
//! [`ReviewCard`] per reviewed question; per attempt, the seed and the question ids.

pub mod ability;
pub mod draw;
pub mod grade;
pub mod mastery;
pub mod public;
pub mod readiness;
pub mod review;
pub mod shown;

pub use ability::AbilityEvidence;
pub use draw::{Draw, DrawError, apportion, draw_exam, draw_mock_exam, draw_quiz};
pub use grade::{Graded, ResponseProblem, grade};
pub use mastery::{BktParams, Mastery, MasteryState};
pub use public::{PublicOption, PublicQuestion, QuestionType, Response};
pub use readiness::{DomainReadiness, Readiness, ReadinessConfig, readiness};
pub use review::{Rating, ReviewCard, schedule};
pub use shown::{Shown, letter, option_label};

/// Derives an independent seed for one part of an attempt (`label` is, say, a question id)
/// from the attempt's seed.
///
/// A question's option order then depends only on the attempt seed and the question id, so
/// the server can rebuild any one question of an attempt without replaying the whole draw.
/// FNV-1a over the label, mixed with the seed by SplitMix64's finaliser: stable across
/// platforms and Rust versions (unlike `std`'s `DefaultHasher`).
pub fn sub_seed(seed: u64, label: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in label.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut z = seed ^ hash.rotate_left(17);
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_seeds_are_stable_and_distinct() {
        assert_eq!(sub_seed(7, "q1"), sub_seed(7, "q1"));
        assert_ne!(sub_seed(7, "q1"), sub_seed(7, "q2"));
        assert_ne!(sub_seed(7, "q1"), sub_seed(8, "q1"));
    }
}
