//! Grading one response against one question.
//!
//! Every question type has one documented rule; the score is always in `[0, 1]` and
//! `correct` means full credit. A malformed response (wrong type, an option id the question
//! does not have, a number that is not finite, an ordering that is not a permutation of the
//! options) scores 0 and says why in [`Graded::reason`].
//!
//! | type | score | correct when |
//! |---|---|---|
//! | `single_choice` | 1 if the chosen id is the answer, else 0 | score is 1 |
//! | `true_false` | 1 if the value is the answer, else 0 | score is 1 |
//! | `multiple_response` | `max(0, (right picks − wrong picks) / number of right options)`; the selection is a set (repeats ignored) | the selection is exactly the answer set |
//! | `numeric` | 1 if `|value − answer| ≤ tolerance + ε`, else 0; ε = 1e-9 × max(1, |answer|) absorbs binary rounding (`263.3 − 262.8` is `0.5000000000000114` in `f64`) and is far below any meaningful tolerance; NaN and ±∞ score 0 | score is 1 |
//! | `short_text` | 1 if the normalized text equals a normalized accepted answer or matches a pattern, else 0 | score is 1 |
//! | `ordering` | fraction of all pairs of options the learner put in the correct relative order (1 − normalized Kendall τ distance) | the order is exactly the answer |
//!
//! Short text is normalized by trimming, collapsing every run of Unicode whitespace to one
//! space and lower-casing (`str::to_lowercase`, Unicode's default case mapping). Patterns are
//! Rust regular expressions matched case-insensitively against the normalized text and always
//! against the *whole* of it: the pattern `P` is compiled as `^(?:P)$`, so an unanchored
//! `shield` does not accept "aws shield advanced", and an anchored `(?i)^…$` pattern (the
//! style of the bundled courses) means what it says. A pattern that does not compile is
//! ignored here; course validation rejects it before publishing.
//!
//! Ordering uses all pairs rather than only adjacent ones: with adjacent pairs, moving the
//! first two steps of a five-step procedure to the end (`c d e a b`) would still earn 0.75,
//! while it gets 6 of 10 pairs wrong (0.4 here). Each misplaced step costs in proportion to
//! how far it was moved, which is what partial knowledge of a sequence looks like.

use std::collections::{BTreeSet, HashMap};

use regex::RegexBuilder;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::public::{QuestionType, Response};
use crate::course::{ChoiceOption, Question, QuestionKind};

/// Relative slack added to a numeric tolerance; see the module docs.
pub const NUMERIC_EPSILON: f64 = 1e-9;

/// The outcome of grading one response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Graded {
    /// Credit in `[0, 1]`.
    pub score: f64,
    /// Full credit.
    pub correct: bool,
    /// Why a malformed response scored 0; `None` for every well-formed response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ResponseProblem>,
}

impl Graded {
    fn score(score: f64) -> Graded {
        let score = score.clamp(0.0, 1.0);
        Graded {
            score,
            correct: score >= 1.0,
            reason: None,
        }
    }

    fn right_if(correct: bool) -> Graded {
        Graded::score(if correct { 1.0 } else { 0.0 })
    }

    fn rejected(reason: ResponseProblem) -> Graded {
        Graded {
            score: 0.0,
            correct: false,
            reason: Some(reason),
        }
    }
}

/// Why a response could not be graded on its merits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize, ToSchema)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ResponseProblem {
    #[error("a {got} response cannot answer a {expected} question")]
    WrongType {
        expected: QuestionType,
        got: QuestionType,
    },
    #[error("`{id}` is not an option of this question")]
    UnknownOption { id: String },
    #[error("option `{id}` appears more than once in the order")]
    RepeatedOption { id: String },
    #[error("the order leaves out option `{id}`")]
    MissingOption { id: String },
    #[error("the number is not finite")]
    NotFinite,
}

/// Grades `response` against `question` by the rules in the module docs.
pub fn grade(question: &Question, response: &Response) -> Graded {
    match (&question.kind, response) {
        (QuestionKind::SingleChoice { options, answer }, Response::SingleChoice { choice }) => {
            match known(options, std::slice::from_ref(choice)) {
                Err(problem) => Graded::rejected(problem),
                Ok(()) => Graded::right_if(choice == answer),
            }
        }
        (QuestionKind::TrueFalse { answer }, Response::TrueFalse { value }) => {
            Graded::right_if(value == answer)
        }
        (
            QuestionKind::MultipleResponse { options, answer },
            Response::MultipleResponse { choices },
        ) => match known(options, choices) {
            Err(problem) => Graded::rejected(problem),
            Ok(()) => multiple_response(answer, choices),
        },
        (QuestionKind::Numeric { answer, tolerance }, Response::Numeric { value }) => {
            if value.is_finite() {
                Graded::right_if(within(*value, *answer, *tolerance))
            } else {
                Graded::rejected(ResponseProblem::NotFinite)
            }
        }
        (QuestionKind::ShortText { accept, patterns }, Response::ShortText { text }) => {
            Graded::right_if(short_text(accept, patterns, text))
        }
        (QuestionKind::Ordering { options, answer }, Response::Ordering { order }) => {
            match permutation(options, order) {
                Err(problem) => Graded::rejected(problem),
                Ok(()) => ordering(answer, order),
            }
        }
        (kind, response) => Graded::rejected(ResponseProblem::WrongType {
            expected: QuestionType::of(kind),
            got: response.question_type(),
        }),
    }
}

/// Every id names an option.
fn known(options: &[ChoiceOption], ids: &[String]) -> Result<(), ResponseProblem> {
    match ids.iter().find(|id| !options.iter().any(|o| &o.id == *id)) {
        Some(id) => Err(ResponseProblem::UnknownOption { id: id.clone() }),
        None => Ok(()),
    }
}

fn multiple_response(answer: &[String], choices: &[String]) -> Graded {
    let right: BTreeSet<&str> = answer.iter().map(String::as_str).collect();
    let picked: BTreeSet<&str> = choices.iter().map(String::as_str).collect();
    if right.is_empty() {
        // Not a valid question (validation requires an answer); only "nothing" is right.
        return Graded::right_if(picked.is_empty());
    }
    if picked == right {
        return Graded::score(1.0);
    }
    let hits = picked.intersection(&right).count() as f64;
    let misses = picked.difference(&right).count() as f64;
    Graded::score(((hits - misses) / right.len() as f64).max(0.0))
}

/// `value` is within `tolerance` of `answer`, edges included, up to float rounding.
fn within(value: f64, answer: f64, tolerance: f64) -> bool {
    if !answer.is_finite() || !tolerance.is_finite() {
        return false;
    }
    let slack = NUMERIC_EPSILON * answer.abs().max(1.0);
    (value - answer).abs() <= tolerance.max(0.0) + slack
}

/// Trimmed, whitespace runs collapsed to one space, lower-cased.
pub fn normalize_text(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn short_text(accept: &[String], patterns: &[String], text: &str) -> bool {
    let text = normalize_text(text);
    if accept.iter().any(|a| normalize_text(a) == text) {
        return true;
    }
    patterns.iter().any(|pattern| {
        RegexBuilder::new(&format!("^(?:{pattern})$"))
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
            .is_ok_and(|re| re.is_match(&text))
    })
}

/// `order` lists every option exactly once.
fn permutation(options: &[ChoiceOption], order: &[String]) -> Result<(), ResponseProblem> {
    known(options, order)?;
    let mut seen = BTreeSet::new();
    for id in order {
        if !seen.insert(id.as_str()) {
            return Err(ResponseProblem::RepeatedOption { id: id.clone() });
        }
    }
    match options.iter().find(|o| !seen.contains(o.id.as_str())) {
        Some(missing) => Err(ResponseProblem::MissingOption {
            id: missing.id.clone(),
        }),
        None => Ok(()),
    }
}

fn ordering(answer: &[String], order: &[String]) -> Graded {
    if order == answer {
        return Graded::score(1.0);
    }
    let rank: HashMap<&str, usize> = answer
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    // Options missing from the key (an invalid question) rank last, in learner order.
    let ranks: Vec<usize> = order
        .iter()
        .map(|id| rank.get(id.as_str()).copied().unwrap_or(usize::MAX))
        .collect();
    let n = ranks.len();
    if n < 2 {
        return Graded::score(1.0);
    }
    let mut concordant = 0usize;
    for i in 0..n {
        for j in i + 1..n {
            if ranks[i] < ranks[j] {
                concordant += 1;
            }
        }
    }
    let pairs = n * (n - 1) / 2;
    // Never full credit for an order that differs from the key.
    Graded::score((concordant as f64 / pairs as f64).min(1.0 - f64::EPSILON))
}

#[cfg(test)]
mod tests {
    use super::super::public::tests::{options, question};
    use super::*;

    fn ids(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    fn single() -> Question {
        question(
            "q",
            QuestionKind::SingleChoice {
                options: options(&["a", "b", "c"]),
                answer: "b".into(),
            },
        )
    }

    fn multi() -> Question {
        question(
            "q",
            QuestionKind::MultipleResponse {
                options: options(&["a", "b", "c", "d", "e"]),
                answer: ids(&["a", "b", "c"]),
            },
        )
    }

    fn numeric(answer: f64, tolerance: f64) -> Question {
        question("q", QuestionKind::Numeric { answer, tolerance })
    }

    fn text(accept: &[&str], patterns: &[&str]) -> Question {
        question(
            "q",
            QuestionKind::ShortText {
                accept: ids(accept),
                patterns: ids(patterns),
            },
        )
    }

    fn order() -> Question {
        question(
            "q",
            QuestionKind::Ordering {
                options: options(&["a", "b", "c", "d", "e"]),
                answer: ids(&["a", "b", "c", "d", "e"]),
            },
        )
    }

    fn mr(choices: &[&str]) -> Graded {
        grade(
            &multi(),
            &Response::MultipleResponse {
                choices: ids(choices),
            },
        )
    }

    fn num(q: &Question, value: f64) -> Graded {
        grade(q, &Response::Numeric { value })
    }

    fn txt(q: &Question, t: &str) -> bool {
        grade(q, &Response::ShortText { text: t.into() }).correct
    }

    fn ord(o: &[&str]) -> Graded {
        grade(&order(), &Response::Ordering { order: ids(o) })
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn single_choice_is_exact() {
        let right = grade(&single(), &Response::SingleChoice { choice: "b".into() });
        assert_eq!(
            (right.score, right.correct, right.reason),
            (1.0, true, None)
        );
        let wrong = grade(&single(), &Response::SingleChoice { choice: "a".into() });
        assert_eq!((wrong.score, wrong.correct), (0.0, false));
        let unknown = grade(&single(), &Response::SingleChoice { choice: "z".into() });
        assert_eq!(unknown.score, 0.0);
        assert_eq!(
            unknown.reason,
            Some(ResponseProblem::UnknownOption { id: "z".into() })
        );
    }

    #[test]
    fn true_false_is_exact() {
        let q = question("q", QuestionKind::TrueFalse { answer: false });
        assert!(grade(&q, &Response::TrueFalse { value: false }).correct);
        let wrong = grade(&q, &Response::TrueFalse { value: true });
        assert_eq!((wrong.score, wrong.correct), (0.0, false));
    }

    #[test]
    fn multiple_response_partial_credit() {
        assert!(mr(&["a", "b", "c"]).correct);
        assert!(
            mr(&["c", "a", "b", "a"]).correct,
            "a set: order and repeats ignored"
        );
        // Two of three right, nothing wrong: 2/3.
        let g = mr(&["a", "b"]);
        assert!(close(g.score, 2.0 / 3.0) && !g.correct);
        // Three right, one wrong: (3 - 1) / 3, and not correct.
        let g = mr(&["a", "b", "c", "d"]);
        assert!(close(g.score, 2.0 / 3.0) && !g.correct);
        // One right, one wrong: 0.
        assert_eq!(mr(&["a", "d"]).score, 0.0);
        // More wrong than right is clamped at 0, not negative.
        assert_eq!(mr(&["a", "d", "e"]).score, 0.0);
        // Selecting everything: (3 - 2) / 3.
        assert!(close(mr(&["a", "b", "c", "d", "e"]).score, 1.0 / 3.0));
        assert_eq!(mr(&[]).score, 0.0);
        assert_eq!(
            mr(&["a", "x"]).reason,
            Some(ResponseProblem::UnknownOption { id: "x".into() })
        );
    }

    #[test]
    fn numeric_tolerance_edges_are_inclusive() {
        let q = numeric(262.8, 0.5);
        assert!(num(&q, 262.8).correct);
        // Exactly at ±tolerance, though 263.3 - 262.8 is 0.5000000000000114 in f64.
        assert!(num(&q, 263.3).correct);
        assert!(num(&q, 262.3).correct);
        assert!(!num(&q, 263.31).correct);
        assert!(!num(&q, 262.29).correct);
        let q = numeric(4.32, 0.05);
        assert!(num(&q, 4.37).correct && num(&q, 4.27).correct);
        assert!(!num(&q, 4.3701).correct);
        let exact = numeric(30.0, 0.0);
        assert!(num(&exact, 30.0).correct);
        assert!(num(&exact, 0.1 * 300.0).correct);
        assert!(!num(&exact, 30.001).correct);
        let q = numeric(0.3, 0.0);
        assert!(
            num(&q, 0.1 + 0.2).correct,
            "0.1 + 0.2 is 0.30000000000000004"
        );
    }

    #[test]
    fn numeric_non_finite_is_never_correct() {
        let q = numeric(1.0, f64::MAX);
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let g = num(&q, value);
            assert_eq!((g.score, g.correct), (0.0, false));
            assert_eq!(g.reason, Some(ResponseProblem::NotFinite));
        }
    }

    #[test]
    fn short_text_normalizes_accepted_answers() {
        let q = text(&["Shield  Advanced"], &[]);
        assert!(txt(&q, "shield advanced"));
        assert!(txt(&q, "  SHIELD\t\n advanced  "));
        assert!(
            txt(&q, "Shield\u{a0}Advanced"),
            "non-breaking space is whitespace"
        );
        assert!(!txt(&q, "shieldadvanced"));
        assert!(!txt(&q, "aws shield advanced"));
        assert!(!txt(&q, ""));
    }

    #[test]
    fn short_text_patterns_match_the_whole_normalized_answer() {
        let q = text(&[], &[r"(?i)^(aws\s+)?shield\s+advanced$"]);
        assert!(txt(&q, "AWS   Shield Advanced"));
        assert!(txt(&q, " shield advanced "));
        assert!(!txt(&q, "shield"));
        // Unanchored patterns are anchored for the author.
        let q = text(&[], &["shield"]);
        assert!(txt(&q, "Shield"));
        assert!(!txt(&q, "aws shield advanced"));
        // Alternation is grouped before anchoring: not `^rpo|recovery point$`.
        let q = text(&[], &["rpo|recovery point objective"]);
        assert!(txt(&q, "RPO"));
        assert!(!txt(&q, "rpo is the answer"));
        // Patterns are case-insensitive even without (?i), like accepted answers.
        let q = text(&[], &["RPO"]);
        assert!(txt(&q, "rpo"));
        // A broken pattern accepts nothing (and does not panic).
        let q = text(&[], &["(unclosed"]);
        assert!(!txt(&q, "(unclosed"));
    }

    #[test]
    fn ordering_partial_credit_is_pairwise() {
        assert!(ord(&["a", "b", "c", "d", "e"]).correct);
        // One adjacent swap: 9 of 10 pairs in order.
        let g = ord(&["b", "a", "c", "d", "e"]);
        assert!(close(g.score, 0.9) && !g.correct);
        // Rotation: c d e a b has 4 of 10 pairs in order.
        assert!(close(ord(&["c", "d", "e", "a", "b"]).score, 0.4));
        // Reversed: nothing in order.
        assert_eq!(ord(&["e", "d", "c", "b", "a"]).score, 0.0);
        // Last moved to first: 6 of 10.
        assert!(close(ord(&["e", "a", "b", "c", "d"]).score, 0.6));
    }

    #[test]
    fn ordering_must_be_a_permutation() {
        assert_eq!(
            ord(&["a", "b", "c", "d"]).reason,
            Some(ResponseProblem::MissingOption { id: "e".into() })
        );
        assert_eq!(
            ord(&["a", "a", "b", "c", "d", "e"]).reason,
            Some(ResponseProblem::RepeatedOption { id: "a".into() })
        );
        assert_eq!(
            ord(&["a", "b", "c", "d", "x"]).reason,
            Some(ResponseProblem::UnknownOption { id: "x".into() })
        );
        assert_eq!(ord(&[]).score, 0.0);
    }

    #[test]
    fn wrong_type_scores_zero_with_a_reason() {
        let g = grade(&single(), &Response::TrueFalse { value: true });
        assert_eq!((g.score, g.correct), (0.0, false));
        let reason = g.reason.unwrap();
        assert_eq!(
            reason,
            ResponseProblem::WrongType {
                expected: QuestionType::SingleChoice,
                got: QuestionType::TrueFalse
            }
        );
        assert_eq!(
            reason.to_string(),
            "a true_false response cannot answer a single_choice question"
        );
        let json = serde_json::to_value(&reason).unwrap();
        assert_eq!(json["code"], "wrong_type");
        assert_eq!(json["expected"], "single_choice");
    }

    #[test]
    fn scores_stay_in_unit_interval() {
        let responses = [
            Response::MultipleResponse {
                choices: ids(&["d", "e"]),
            },
            Response::Ordering {
                order: ids(&["e", "d", "c", "b", "a"]),
            },
        ];
        for (q, r) in [multi(), order()].iter().zip(&responses) {
            let g = grade(q, r);
            assert!((0.0..=1.0).contains(&g.score));
        }
    }

    /// The answer key of every question in the bundled catalog earns full credit, and a
    /// wrong answer does not.
    #[test]
    fn bundled_answer_keys_grade_as_correct() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../courses");
        let (courses, _) = crate::course::load_catalog(&dir).unwrap();
        let mut graded = 0;
        for course in &courses {
            for q in &course.questions {
                let (key, wrong) = match &q.kind {
                    QuestionKind::SingleChoice { options, answer } => (
                        Response::SingleChoice {
                            choice: answer.clone(),
                        },
                        options
                            .iter()
                            .find(|o| &o.id != answer)
                            .map(|o| Response::SingleChoice {
                                choice: o.id.clone(),
                            }),
                    ),
                    QuestionKind::MultipleResponse { answer, .. } => (
                        Response::MultipleResponse {
                            choices: answer.iter().rev().cloned().collect(),
                        },
                        Some(Response::MultipleResponse { choices: vec![] }),
                    ),
                    QuestionKind::TrueFalse { answer } => (
                        Response::TrueFalse { value: *answer },
                        Some(Response::TrueFalse { value: !answer }),
                    ),
                    QuestionKind::Numeric { answer, tolerance } => (
                        Response::Numeric {
                            value: answer + tolerance,
                        },
                        Some(Response::Numeric {
                            value: answer + 2.0 * tolerance + 1.0,
                        }),
                    ),
                    QuestionKind::ShortText { accept, .. } => match accept.first() {
                        Some(text) => (
                            Response::ShortText {
                                text: format!(" {} ", text.to_uppercase()),
                            },
                            Some(Response::ShortText {
                                text: "certainly not this".into(),
                            }),
                        ),
                        None => continue,
                    },
                    QuestionKind::Ordering { answer, .. } => (
                        Response::Ordering {
                            order: answer.clone(),
                        },
                        Some(Response::Ordering {
                            order: answer.iter().rev().cloned().collect(),
                        }),
                    ),
                };
                let right = grade(q, &key);
                assert!(right.correct, "{}/{}: {right:?}", course.id, q.id);
                if let Some(wrong) = wrong {
                    let g = grade(q, &wrong);
                    assert!(
                        !g.correct && g.reason.is_none(),
                        "{}/{}: {g:?}",
                        course.id,
                        q.id
                    );
                }
                graded += 1;
            }
        }
        assert!(graded > 200, "{graded} questions");
    }
}
