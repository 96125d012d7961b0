//! What a client may see of a question before submitting, and what it sends back.
//!
//! A [`PublicQuestion`] carries the prompt, the scenario and the options, never the answer,
//! the explanation, the numeric tolerance or the accepted answers and patterns of a short-text
//! question: grading is server-side (PRODUCT.md §6). Option order is shuffled per attempt
//! from a seed, so two learners (or two attempts) see different orders while the server can
//! rebuild exactly what was shown.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::sub_seed;
use crate::course::{ChoiceOption, Question, QuestionKind};

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
    pub id: String,
    pub text: String,
}

impl From<&ChoiceOption> for PublicOption {
    fn from(option: &ChoiceOption) -> PublicOption {
        PublicOption {
            id: option.id.clone(),
            text: option.text.clone(),
        }
    }
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
    /// In the order this attempt shows them; empty for true/false, numeric and short text.
    #[serde(default)]
    pub options: Vec<PublicOption>,
}

impl PublicQuestion {
    /// The public view of `question` in the attempt with seed `attempt_seed`.
    ///
    /// Options are shuffled with a [`StdRng`] seeded from the attempt seed and the question id
    /// ([`sub_seed`]), so the order is reproducible from what the server stores. An ordering
    /// question is never shown in its correct order (that would give the answer away): a
    /// shuffle that lands on it is rotated by one place.
    pub fn for_attempt(question: &Question, attempt_seed: u64) -> PublicQuestion {
        let mut rng = StdRng::seed_from_u64(sub_seed(attempt_seed, &question.id));
        let mut options: Vec<PublicOption> = question
            .kind
            .options()
            .unwrap_or_default()
            .iter()
            .map(PublicOption::from)
            .collect();
        options.shuffle(&mut rng);
        if let QuestionKind::Ordering { answer, .. } = &question.kind
            && options.len() > 1
            && options.iter().map(|o| &o.id).eq(answer.iter())
        {
            options.rotate_left(1);
        }
        PublicQuestion {
            id: question.id.clone(),
            question_type: QuestionType::of(&question.kind),
            domain: question.domain.clone(),
            skills: question.skills.clone(),
            scenario: question.scenario.clone(),
            prompt: question.prompt.clone(),
            options,
        }
    }
}

/// A learner's answer to one question, tagged with the question type:
/// `{"type": "single_choice", "choice": "a"}`, `{"type": "numeric", "value": 262.8}`, ...
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    /// The id of the chosen option.
    SingleChoice {
        choice: String,
    },
    /// The ids of the selected options; order and repeats do not matter.
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
    /// Every option id, in the learner's order.
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
    /// `a) …; c) …`, `c → a → b`, `true`. Options are named with their text when `question`
    /// is given, by id otherwise.
    pub fn describe(&self, question: Option<&PublicQuestion>) -> String {
        let option = |id: &str| {
            question
                .and_then(|q| q.options.iter().find(|o| o.id == id))
                .map_or_else(|| id.to_owned(), |o| format!("{id}) {}", o.text))
        };
        match self {
            Response::SingleChoice { choice } => option(choice),
            Response::MultipleResponse { choices } => choices
                .iter()
                .map(|c| option(c))
                .collect::<Vec<_>>()
                .join("; "),
            Response::TrueFalse { value } => value.to_string(),
            Response::Numeric { value } => value.to_string(),
            Response::ShortText { text } => format!("\"{text}\""),
            Response::Ordering { order } => order.join(" → "),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

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
    fn shuffle_is_seeded_and_varies_between_attempts() {
        let ids = ["a", "b", "c", "d", "e", "f"];
        let q = question(
            "q",
            QuestionKind::MultipleResponse {
                options: options(&ids),
                answer: vec!["a".into()],
            },
        );
        let order = |seed| -> Vec<String> {
            PublicQuestion::for_attempt(&q, seed)
                .options
                .into_iter()
                .map(|o| o.id)
                .collect()
        };
        assert_eq!(order(42), order(42));
        let distinct: std::collections::HashSet<Vec<String>> = (0..20).map(order).collect();
        assert!(
            distinct.len() > 10,
            "only {} orders in 20 attempts",
            distinct.len()
        );
        let mut sorted = order(5);
        sorted.sort();
        assert_eq!(sorted, ids);
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
            let shown: Vec<String> = PublicQuestion::for_attempt(&q, seed)
                .options
                .into_iter()
                .map(|o| o.id)
                .collect();
            assert_eq!(shown, ["b", "a"]);
        }
    }

    #[test]
    fn responses_are_described_in_words() {
        let q = PublicQuestion {
            id: "q".into(),
            question_type: QuestionType::SingleChoice,
            domain: None,
            skills: Vec::new(),
            scenario: None,
            prompt: "?".into(),
            options: vec![PublicOption {
                id: "b".into(),
                text: "Use an IAM role".into(),
            }],
        };
        let single = Response::SingleChoice { choice: "b".into() };
        assert_eq!(single.describe(Some(&q)), "b) Use an IAM role");
        assert_eq!(single.describe(None), "b");
        let order = Response::Ordering {
            order: vec!["c".into(), "a".into()],
        };
        assert_eq!(order.describe(None), "c → a");
        assert_eq!(Response::TrueFalse { value: true }.describe(None), "true");
    }
}
