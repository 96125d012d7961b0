//! What a client may see of a question before submitting, and what it sends back.
//!
//! A [`PublicQuestion`] carries the prompt, the scenario and the options, never the answer,
//! the explanation, the numeric tolerance or the accepted answers and patterns of a short-text
//! question: grading is server-side (PRODUCT.md §6). Option order is shuffled per attempt
//! from a seed and the options are lettered in the order shown ([`Shown`]), so two learners
//! (or two attempts) see different orders while the server can rebuild exactly what was
//! shown.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::shown::{Shown, option_label};
use crate::course::{Question, QuestionKind};

/// The type of a question, as written after `type:` in a question bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    SingleChoice,
    MultipleResponse,
    TrueFalse,
    Numeric,
    ShortText,
    Ordering,
}

impl QuestionType {
    pub fn of(kind: &QuestionKind) -> QuestionType {
        match kind {
            QuestionKind::SingleChoice { .. } => QuestionType::SingleChoice,
            QuestionKind::MultipleResponse { .. } => QuestionType::MultipleResponse,
            QuestionKind::TrueFalse { .. } => QuestionType::TrueFalse,
            QuestionKind::Numeric { .. } => QuestionType::Numeric,
            QuestionKind::ShortText { .. } => QuestionType::ShortText,
            QuestionKind::Ordering { .. } => QuestionType::Ordering,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::SingleChoice => "single_choice",
            QuestionType::MultipleResponse => "multiple_response",
            QuestionType::TrueFalse => "true_false",
            QuestionType::Numeric => "numeric",
            QuestionType::ShortText => "short_text",
            QuestionType::Ordering => "ordering",
        }
    }
}

impl std::fmt::Display for QuestionType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One option as shown to the learner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicOption {
    /// The letter it is shown under (`a`, `b`, … in the order shown): what a response names
    /// it by.
    pub id: String,
    pub text: String,
}

/// A question as a client may see it before the attempt is submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicQuestion {
    pub id: String,
    #[serde(rename = "type")]
    pub question_type: QuestionType,
    /// The exam domain, when the course has an exam blueprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default)]
    pub skills: Vec<String>,
    /// Markdown set-up shown before the prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    pub prompt: String,
    /// In the order this attempt shows them, lettered `a`, `b`, … in that order; empty for
    /// true/false, numeric and short text.
    #[serde(default)]
    pub options: Vec<PublicOption>,
}

impl PublicQuestion {
    /// The public view of `question` in the attempt with seed `attempt_seed`
    /// (see [`Shown::new`]).
    pub fn for_attempt(question: &Question, attempt_seed: u64) -> PublicQuestion {
        Shown::new(question, attempt_seed).public()
    }
}

/// A learner's answer to one question, tagged with the question type (options named by the
/// letters they are shown under):
/// `{"type": "single_choice", "choice": "a"}`, `{"type": "numeric", "value": 262.8}`, ...
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    /// The letter of the chosen option.
    SingleChoice {
        choice: String,
    },
    /// The letters of the selected options; order and repeats do not matter.
    MultipleResponse {
        choices: Vec<String>,
    },
    TrueFalse {
        value: bool,
    },
    Numeric {
        value: f64,
    },
    ShortText {
        text: String,
    },
    /// Every option's letter, in the learner's order (first to last).
    Ordering {
        order: Vec<String>,
    },
}

impl Response {
    pub fn question_type(&self) -> QuestionType {
        match self {
            Response::SingleChoice { .. } => QuestionType::SingleChoice,
            Response::MultipleResponse { .. } => QuestionType::MultipleResponse,
            Response::TrueFalse { .. } => QuestionType::TrueFalse,
            Response::Numeric { .. } => QuestionType::Numeric,
            Response::ShortText { .. } => QuestionType::ShortText,
            Response::Ordering { .. } => QuestionType::Ordering,
        }
    }

    /// The response in words, for result screens and prompts: `b) Use an IAM role`,
    /// `a) …; c) …`, `c) … → a) … → b) …`, `true`. Options are named by their letter and,
    /// when found in `options` (the options as shown), their text.
    pub fn describe(&self, options: &[PublicOption]) -> String {
        let named = |letters: &[String], separator: &str| {
            letters
                .iter()
                .map(|l| option_label(options, l))
                .collect::<Vec<_>>()
                .join(separator)
        };
        match self {
            Response::SingleChoice { choice } => option_label(options, choice),
            Response::MultipleResponse { choices } => named(choices, "; "),
            Response::TrueFalse { value } => value.to_string(),
            Response::Numeric { value } => value.to_string(),
            Response::ShortText { text } => format!("\"{text}\""),
            Response::Ordering { order } => named(order, " → "),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::course::ChoiceOption;

    pub(crate) fn options(ids: &[&str]) -> Vec<ChoiceOption> {
        ids.iter()
            .map(|id| ChoiceOption {
                id: (*id).to_owned(),
                text: format!("option {id}"),
            })
            .collect()
    }

    pub(crate) fn question(id: &str, kind: QuestionKind) -> Question {
        Question {
            id: id.to_owned(),
            domain: Some("secure".to_owned()),
            skills: vec!["iam".to_owned()],
            difficulty: 3,
            scenario: Some("A company ...".to_owned()),
            prompt: "Which ...?".to_owned(),
            explanation: "Because the answer is b.".to_owned(),
            kind,
        }
    }

    #[test]
    fn nothing_secret_is_serialized() {
        let kinds = [
            QuestionKind::SingleChoice {
                options: options(&["a", "b", "c"]),
                answer: "b".into(),
            },
            QuestionKind::Numeric {
                answer: 262.8,
                tolerance: 0.5,
            },
            QuestionKind::ShortText {
                accept: vec!["rpo-secret".into()],
                patterns: vec!["(?i)^secret-pattern$".into()],
            },
            QuestionKind::TrueFalse { answer: true },
        ];
        for kind in kinds {
            let public = PublicQuestion::for_attempt(&question("q", kind), 1);
            let json = serde_json::to_string(&public).unwrap();
            for secret in [
                "answer",
                "explanation",
                "tolerance",
                "accept",
                "pattern",
                "262.8",
                "Because",
                ":true",
            ] {
                assert!(!json.contains(secret), "{secret} leaked in {json}");
            }
        }
    }

    #[test]
    fn json_shape() {
        let q = question(
            "q",
            QuestionKind::SingleChoice {
                options: options(&["a", "b"]),
                answer: "a".into(),
            },
        );
        let json = serde_json::to_value(PublicQuestion::for_attempt(&q, 3)).unwrap();
        assert_eq!(json["type"], "single_choice");
        assert_eq!(json["domain"], "secure");
        assert_eq!(json["options"].as_array().unwrap().len(), 2);
        let r: Response =
            serde_json::from_str(r#"{"type":"multiple_response","choices":["a","c"]}"#).unwrap();
        assert_eq!(
            r,
            Response::MultipleResponse {
                choices: vec!["a".into(), "c".into()]
            }
        );
        assert_eq!(
            serde_json::to_value(Response::Numeric { value: 1.5 }).unwrap(),
            serde_json::json!({"type": "numeric", "value": 1.5})
        );
    }

    #[test]
    fn ordering_is_never_shown_in_the_correct_order() {
        let q = question(
            "q",
            QuestionKind::Ordering {
                options: options(&["a", "b"]),
                answer: vec!["a".into(), "b".into()],
            },
        );
        for seed in 0..50 {
            let shown: Vec<(String, String)> = PublicQuestion::for_attempt(&q, seed)
                .options
                .into_iter()
                .map(|o| (o.id, o.text))
                .collect();
            assert_eq!(
                shown,
                [
                    ("a".to_owned(), "option b".to_owned()),
                    ("b".to_owned(), "option a".to_owned())
                ]
            );
        }
    }

    #[test]
    fn responses_are_described_in_words() {
        let options = [
            PublicOption {
                id: "a".into(),
                text: "Detect".into(),
            },
            PublicOption {
                id: "b".into(),
                text: "Use an IAM role".into(),
            },
        ];
        let single = Response::SingleChoice { choice: "b".into() };
        assert_eq!(single.describe(&options), "b) Use an IAM role");
        assert_eq!(single.describe(&[]), "b");
        let order = Response::Ordering {
            order: vec!["b".into(), "a".into()],
        };
        assert_eq!(order.describe(&options), "b) Use an IAM role → a) Detect");
        assert_eq!(order.describe(&[]), "b → a");
        assert_eq!(Response::TrueFalse { value: true }.describe(&[]), "true");
    }
}
