//! How an attempt (or one review) shows a question's options, and the way back to the
//! options as authored.
//!
//! Options are shuffled per attempt from a seed, then lettered `a`, `b`, `c`, … in the
//! order shown: those letters are the option ids a client sees, sends back and prints, so
//! the screen reads a, b, c, d from the top whatever the shuffle. The server keeps only the
//! seed and rebuilds the same order whenever it needs it ([`Shown::new`]). A response in
//! the shown letters becomes one in the authored ids ([`Shown::to_authored`]) before it is
//! checked, graded or stored; saved answers, results and the answer key go out in the shown
//! letters again ([`Shown::to_shown`], [`Shown::result`]). Authored ids never reach a client,
//! so neither does anything they might say about the authored order.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::grade::{Graded, ResponseProblem, grade};
use super::public::{PublicOption, PublicQuestion, QuestionType, Response};
use super::sub_seed;
use crate::api::QuestionResult;
use crate::course::{ChoiceOption, Question, QuestionKind};

/// The letter of the option shown at `index` (from 0): `a` … `z`, then `aa`, `ab`, … for the
/// rare question with more than 26 options.
pub fn letter(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        n -= 1;
        letters.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
    }
    letters.iter().rev().collect()
}

/// One question as one attempt (or review) shows it.
#[derive(Debug, Clone)]
pub struct Shown<'q> {
    question: &'q Question,
    /// Indexes into the authored options, in the order shown.
    order: Vec<usize>,
}

impl<'q> Shown<'q> {
    /// `question` as shown in the attempt (or review) with seed `seed`.
    ///
    /// The options are shuffled with a [`StdRng`] seeded from `seed` and the question id
    /// ([`sub_seed`]), so the order is reproducible from what the server stores. An ordering
    /// question is never shown in its correct order (that would give the answer away): a
    /// shuffle that lands on it is rotated by one place.
    pub fn new(question: &'q Question, seed: u64) -> Shown<'q> {
        let mut rng = StdRng::seed_from_u64(sub_seed(seed, &question.id));
        let count = question.kind.options().map_or(0, <[ChoiceOption]>::len);
        let mut order: Vec<usize> = (0..count).collect();
        order.shuffle(&mut rng);
        if let QuestionKind::Ordering { options, answer } = &question.kind
            && order.len() > 1
            && order.iter().map(|&i| &options[i].id).eq(answer.iter())
        {
            order.rotate_left(1);
        }
        Shown { question, order }
    }

    /// The question as authored.
    pub fn question(&self) -> &'q Question {
        self.question
    }

    fn authored_options(&self) -> &'q [ChoiceOption] {
        self.question.kind.options().unwrap_or_default()
    }

    /// The options in the order shown, lettered.
    pub fn options(&self) -> Vec<PublicOption> {
        let authored = self.authored_options();
        self.order
            .iter()
            .enumerate()
            .map(|(shown, &index)| PublicOption {
                id: letter(shown),
                text: authored[index].text.clone(),
            })
            .collect()
    }

    /// What a client may see of the question before the attempt is closed.
    pub fn public(&self) -> PublicQuestion {
        let question = self.question;
        PublicQuestion {
            id: question.id.clone(),
            question_type: QuestionType::of(&question.kind),
            domain: question.domain.clone(),
            skills: question.skills.clone(),
            scenario: question.scenario.clone(),
            prompt: question.prompt.clone(),
            options: self.options(),
        }
    }

    /// The shown letter of the authored option `id`; `id` itself when the question has no
    /// such option.
    fn letter_of(&self, id: &str) -> String {
        let authored = self.authored_options();
        self.order
            .iter()
            .position(|&i| authored[i].id == id)
            .map_or_else(|| id.to_owned(), letter)
    }

    /// The authored id of the option shown under `letter`.
    fn id_of(&self, shown: &str) -> Option<&'q str> {
        let authored = self.authored_options();
        self.order
            .iter()
            .enumerate()
            .find(|(at, _)| letter(*at) == shown)
            .map(|(_, &i)| authored[i].id.as_str())
    }

    /// `response`, given in the shown letters, in the authored ids, ready to grade and store.
    ///
    /// Fails when it cannot be graded against the question (the wrong type, a letter the
    /// question does not show, an ordering that is not a permutation), naming options by
    /// the letters the learner saw.
    pub fn to_authored(&self, response: &Response) -> Result<Response, ResponseProblem> {
        let ids = |letters: &[String]| -> Result<Vec<String>, ResponseProblem> {
            letters
                .iter()
                .map(|shown| {
                    self.id_of(shown).map(str::to_owned).ok_or_else(|| {
                        ResponseProblem::UnknownOption {
                            id: shown.to_owned(),
                        }
                    })
                })
                .collect()
        };
        let authored = match response {
            Response::SingleChoice { choice } => Response::SingleChoice {
                choice: ids(std::slice::from_ref(choice))?.remove(0),
            },
            Response::MultipleResponse { choices } => Response::MultipleResponse {
                choices: ids(choices)?,
            },
            Response::Ordering { order } => Response::Ordering { order: ids(order)? },
            other => other.clone(),
        };
        match grade(self.question, &authored).reason {
            Some(problem) => Err(self.problem_in_letters(problem)),
            None => Ok(authored),
        }
    }

    fn problem_in_letters(&self, problem: ResponseProblem) -> ResponseProblem {
        match problem {
            ResponseProblem::UnknownOption { id } => ResponseProblem::UnknownOption {
                id: self.letter_of(&id),
            },
            ResponseProblem::RepeatedOption { id } => ResponseProblem::RepeatedOption {
                id: self.letter_of(&id),
            },
            ResponseProblem::MissingOption { id } => ResponseProblem::MissingOption {
                id: self.letter_of(&id),
            },
            other => other,
        }
    }

    /// `response`, stored in the authored ids, in the shown letters.
    pub fn to_shown(&self, response: &Response) -> Response {
        let letters = |ids: &[String]| ids.iter().map(|id| self.letter_of(id)).collect();
        match response {
            Response::SingleChoice { choice } => Response::SingleChoice {
                choice: self.letter_of(choice),
            },
            Response::MultipleResponse { choices } => Response::MultipleResponse {
                choices: letters(choices),
            },
            Response::Ordering { order } => Response::Ordering {
                order: letters(order),
            },
            other => other.clone(),
        }
    }

    /// The letters of the right options: the answer of a single choice, every right option
    /// of a multiple response (in the order shown), the right order of an ordering; empty
    /// for questions without options.
    pub fn correct_options(&self) -> Vec<String> {
        match &self.question.kind {
            QuestionKind::SingleChoice { answer, .. } => vec![self.letter_of(answer)],
            QuestionKind::MultipleResponse { answer, .. } => {
                let authored = self.authored_options();
                self.order
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| answer.contains(&authored[**i].id))
                    .map(|(at, _)| letter(at))
                    .collect()
            }
            QuestionKind::Ordering { answer, .. } => {
                answer.iter().map(|id| self.letter_of(id)).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The right answer written for people, options named by their shown letter and text:
    /// `b) Use an IAM role`, `a) Markdown; c) HTML`, `True`, `262.8 ± 0.5`,
    /// `"RPO" (or "recovery point objective")`, `b) Start → a) Check → c) Submit`.
    pub fn correct_answer(&self) -> String {
        let options = self.options();
        let named = |letters: Vec<String>, separator: &str| {
            letters
                .iter()
                .map(|l| option_label(&options, l))
                .collect::<Vec<_>>()
                .join(separator)
        };
        match &self.question.kind {
            QuestionKind::SingleChoice { .. } | QuestionKind::MultipleResponse { .. } => {
                named(self.correct_options(), "; ")
            }
            QuestionKind::Ordering { .. } => named(self.correct_options(), " → "),
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
        }
    }

    /// The graded question as the learner sees it in a result: `authored` is the response
    /// in the authored ids (`None` when unanswered) and `graded` its grade.
    pub fn result(&self, authored: Option<&Response>, graded: Option<&Graded>) -> QuestionResult {
        let question = self.question;
        QuestionResult {
            question_id: question.id.clone(),
            prompt: question.prompt.clone(),
            domain: question.domain.clone(),
            response: authored.map(|r| self.to_shown(r)),
            score: graded.map_or(0.0, |g| g.score),
            correct: graded.is_some_and(|g| g.correct),
            correct_answer: self.correct_answer(),
            explanation: question.explanation.clone(),
            options: self.options(),
            correct_options: self.correct_options(),
        }
    }

    /// `stored`, a result of this question kept as graded, shown again: its score stands,
    /// while the response (from `authored`, the stored answer), the options and the answer
    /// key are written in this presentation's letters.
    pub fn present(&self, stored: &QuestionResult, authored: Option<&Response>) -> QuestionResult {
        let graded = Graded {
            score: stored.score,
            correct: stored.correct,
            reason: None,
        };
        self.result(authored, Some(&graded))
    }
}

/// `b) Use an IAM role`: the option shown under `letter`, or the letter alone when there is
/// none.
pub fn option_label(options: &[PublicOption], letter: &str) -> String {
    options
        .iter()
        .find(|o| o.id == letter)
        .map_or_else(|| letter.to_owned(), |o| format!("{}) {}", o.id, o.text))
}

#[cfg(test)]
mod tests {
    use super::super::public::tests::{options, question};
    use super::*;

    fn shown_texts(shown: &Shown) -> Vec<String> {
        shown.options().into_iter().map(|o| o.text).collect()
    }

    #[test]
    fn letters_run_past_z() {
        let letters: Vec<String> = [0, 1, 25, 26, 27, 51, 52].map(letter).to_vec();
        assert_eq!(letters, ["a", "b", "z", "aa", "ab", "az", "ba"]);
    }

    #[test]
    fn options_are_lettered_in_the_order_shown() {
        let q = question(
            "q",
            QuestionKind::SingleChoice {
                options: options(&["w", "x", "y", "z"]),
                answer: "y".into(),
            },
        );
        for seed in 0..20 {
            let shown = Shown::new(&q, seed);
            let letters: Vec<String> = shown.options().into_iter().map(|o| o.id).collect();
            assert_eq!(letters, ["a", "b", "c", "d"]);
            // The right answer is wherever the shuffle put option y.
            let at = shown_texts(&shown)
                .iter()
                .position(|t| t == "option y")
                .unwrap();
            assert_eq!(shown.correct_options(), [letter(at)]);
            assert_eq!(shown.correct_answer(), format!("{}) option y", letter(at)));
            let picked = Response::SingleChoice { choice: letter(at) };
            let authored = shown.to_authored(&picked).unwrap();
            assert_eq!(authored, Response::SingleChoice { choice: "y".into() });
            assert!(grade(&q, &authored).correct);
            assert_eq!(shown.to_shown(&authored), picked);
        }
    }

    #[test]
    fn the_same_seed_shows_the_same_order_and_others_differ() {
        let q = question(
            "q",
            QuestionKind::MultipleResponse {
                options: options(&["a", "b", "c", "d", "e", "f"]),
                answer: vec!["a".into()],
            },
        );
        assert_eq!(
            shown_texts(&Shown::new(&q, 42)),
            shown_texts(&Shown::new(&q, 42))
        );
        let distinct: std::collections::HashSet<Vec<String>> =
            (0..20).map(|s| shown_texts(&Shown::new(&q, s))).collect();
        assert!(distinct.len() > 10, "only {} orders", distinct.len());
    }

    #[test]
    fn orderings_map_both_ways_and_read_with_their_texts() {
        let q = question(
            "q",
            QuestionKind::Ordering {
                options: options(&["start", "check", "submit"]),
                answer: vec!["start".into(), "check".into(), "submit".into()],
            },
        );
        let shown = Shown::new(&q, 7);
        let texts = shown_texts(&shown);
        let letter_of = |text: &str| letter(texts.iter().position(|t| t == text).unwrap());
        let right: Vec<String> = ["option start", "option check", "option submit"]
            .into_iter()
            .map(letter_of)
            .collect();
        assert_ne!(right, ["a", "b", "c"], "never shown in the right order");
        assert_eq!(shown.correct_options(), right);
        assert_eq!(
            shown.correct_answer(),
            format!(
                "{}) option start → {}) option check → {}) option submit",
                right[0], right[1], right[2]
            )
        );
        let answer = Response::Ordering {
            order: right.clone(),
        };
        assert_eq!(
            shown.to_authored(&answer).unwrap(),
            Response::Ordering {
                order: vec!["start".into(), "check".into(), "submit".into()]
            }
        );
    }

    #[test]
    fn problems_name_the_letters_shown() {
        let q = question(
            "q",
            QuestionKind::Ordering {
                options: options(&["start", "check", "submit"]),
                answer: vec!["start".into(), "check".into(), "submit".into()],
            },
        );
        let shown = Shown::new(&q, 3);
        let order = |letters: &[&str]| Response::Ordering {
            order: letters.iter().map(|l| (*l).to_owned()).collect(),
        };
        assert_eq!(
            shown.to_authored(&order(&["a", "b", "d"])),
            Err(ResponseProblem::UnknownOption { id: "d".into() })
        );
        // An authored id is no letter: it never reaches a client, so it is unknown too.
        assert_eq!(
            shown.to_authored(&order(&["start", "check", "submit"])),
            Err(ResponseProblem::UnknownOption { id: "start".into() })
        );
        assert_eq!(
            shown.to_authored(&order(&["a", "a", "b"])),
            Err(ResponseProblem::RepeatedOption { id: "a".into() })
        );
        assert_eq!(
            shown.to_authored(&order(&["b", "c"])),
            Err(ResponseProblem::MissingOption { id: "a".into() })
        );
        assert_eq!(
            shown.to_authored(&Response::TrueFalse { value: true }),
            Err(ResponseProblem::WrongType {
                expected: QuestionType::Ordering,
                got: QuestionType::TrueFalse
            })
        );
    }

    #[test]
    fn results_speak_in_the_shown_letters() {
        let q = question(
            "q",
            QuestionKind::MultipleResponse {
                options: options(&["p", "q", "r", "s"]),
                answer: vec!["p".into(), "r".into()],
            },
        );
        let shown = Shown::new(&q, 11);
        let texts = shown_texts(&shown);
        let letter_of = |id: &str| {
            letter(
                texts
                    .iter()
                    .position(|t| *t == format!("option {id}"))
                    .unwrap(),
            )
        };
        let authored = Response::MultipleResponse {
            choices: vec!["p".into(), "s".into()],
        };
        let graded = grade(&q, &authored);
        let result = shown.result(Some(&authored), Some(&graded));
        assert_eq!(
            result.response,
            Some(Response::MultipleResponse {
                choices: vec![letter_of("p"), letter_of("s")]
            })
        );
        let mut right = vec![letter_of("p"), letter_of("r")];
        right.sort();
        assert_eq!(result.correct_options, right);
        assert_eq!(result.options, shown.options());
        assert_eq!(result.score, 0.0);
        let again = shown.present(&result, Some(&authored));
        assert_eq!(again, result);
        let unanswered = shown.result(None, None);
        assert_eq!((unanswered.response, unanswered.score), (None, 0.0));
    }

    #[test]
    fn answers_without_options_read_as_before() {
        let cases = [
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
        ];
        for (kind, expected) in cases {
            let q = question("q", kind);
            let shown = Shown::new(&q, 1);
            assert_eq!(shown.correct_answer(), expected);
            assert!(shown.options().is_empty() && shown.correct_options().is_empty());
            let value = Response::Numeric { value: 1.0 };
            assert_eq!(shown.to_shown(&value), value);
        }
    }
}
