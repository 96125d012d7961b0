//! Questions of a course's bank: the common fields and one variant per question type, each
//! with its typed answer.
//!
//! In JSON the type is the `type` field next to the common fields, exactly as in the YAML
//! bank, so `{"id": "q1", "type": "true_false", "answer": true, ...}`.

use serde::{Deserialize, Serialize};

/// Difficulty of a question that does not set one (1 = easy .. 5 = hard).
pub const DEFAULT_DIFFICULTY: u8 = 3;

/// One question of the bank.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    /// An exam domain id (required when the course has an exam).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default)]
    pub skills: Vec<String>,
    /// 1 (easy) .. 5 (hard).
    pub difficulty: u8,
    /// Markdown set-up shown before the prompt for scenario questions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    pub prompt: String,
    /// Markdown: why the answer is right and the others are wrong.
    pub explanation: String,
    #[serde(flatten)]
    pub kind: QuestionKind,
}

/// The question type with its options and typed answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionKind {
    /// Exactly one option is right.
    SingleChoice {
        options: Vec<ChoiceOption>,
        answer: String,
    },
    /// Several options are right; graded with partial credit.
    MultipleResponse {
        options: Vec<ChoiceOption>,
        answer: Vec<String>,
    },
    TrueFalse {
        answer: bool,
    },
    /// Right when within `tolerance` (absolute) of `answer`.
    Numeric {
        answer: f64,
        #[serde(default)]
        tolerance: f64,
    },
    /// Right when equal to one of `accept` (case-insensitive, spaces trimmed and collapsed)
    /// or matching one of `patterns`.
    ShortText {
        #[serde(default)]
        accept: Vec<String>,
        #[serde(default)]
        patterns: Vec<String>,
    },
    /// `answer` lists every option id in the right order.
    Ordering {
        options: Vec<ChoiceOption>,
        answer: Vec<String>,
    },
}

/// A placeholder (an empty `short_text`), used for questions that failed to load.
impl Default for QuestionKind {
    fn default() -> QuestionKind {
        QuestionKind::ShortText {
            accept: Vec::new(),
            patterns: Vec::new(),
        }
    }
}

impl QuestionKind {
    /// Every type name, as written after `type:`.
    pub const TYPES: [&'static str; 6] = [
        "single_choice",
        "multiple_response",
        "true_false",
        "numeric",
        "short_text",
        "ordering",
    ];

    /// The type name, as written after `type:`.
    pub fn type_name(&self) -> &'static str {
        match self {
            QuestionKind::SingleChoice { .. } => "single_choice",
            QuestionKind::MultipleResponse { .. } => "multiple_response",
            QuestionKind::TrueFalse { .. } => "true_false",
            QuestionKind::Numeric { .. } => "numeric",
            QuestionKind::ShortText { .. } => "short_text",
            QuestionKind::Ordering { .. } => "ordering",
        }
    }

    /// The options, for the types that have them.
    pub fn options(&self) -> Option<&[ChoiceOption]> {
        match self {
            QuestionKind::SingleChoice { options, .. }
            | QuestionKind::MultipleResponse { options, .. }
            | QuestionKind::Ordering { options, .. } => Some(options),
            _ => None,
        }
    }
}

/// One option of a choice or ordering question.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceOption {
    pub id: String,
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_carries_the_type_next_to_the_common_fields() {
        let q = Question {
            id: "q1".into(),
            domain: None,
            skills: vec![],
            difficulty: 2,
            scenario: None,
            prompt: "Is S3 durable?".into(),
            explanation: "Yes.".into(),
            kind: QuestionKind::TrueFalse { answer: true },
        };
        let json = serde_json::to_value(&q).unwrap();
        assert_eq!(json["type"], "true_false");
        assert_eq!(json["answer"], true);
        let back: Question = serde_json::from_value(json).unwrap();
        assert_eq!(back, q);
    }
}
