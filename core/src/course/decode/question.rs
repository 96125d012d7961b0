//! Decoding question banks (`questions/*.yaml`). Which keys a question takes depends on its
//! `type`; keys of another type are reported with what the type takes instead.

use super::{Dec, Obj, boolean, choice, join, list, number, objects, string, strings, uint};
use crate::course::model::question::DEFAULT_DIFFICULTY;
use crate::course::model::{ChoiceOption, Question, QuestionKind};
use crate::course::yaml::Node;

const BANK_KEYS: &[&str] = &["questions"];
const QUESTION_KEYS: &[&str] = &[
    "id",
    "type",
    "domain",
    "skills",
    "difficulty",
    "scenario",
    "prompt",
    "options",
    "answer",
    "tolerance",
    "accept",
    "patterns",
    "explanation",
];
const OPTION_KEYS: &[&str] = &["id", "text"];

/// Decodes one bank, appending its questions to `questions` under the keys
/// `questions/<index in the course>`. `bank` is a key for the bank's root, unique per file.
pub(crate) fn bank(dec: &mut Dec<'_>, root: &Node, bank: String, questions: &mut Vec<Question>) {
    let Some(obj) = Obj::new(dec, root, "question bank", bank, BANK_KEYS) else {
        return;
    };
    let Some(items) = obj.req(dec, "questions", list) else {
        return;
    };
    for node in items {
        let path = format!("questions/{}", questions.len());
        let question = question(dec, node, &path).unwrap_or_else(|| {
            dec.poison(&path);
            Question::default()
        });
        questions.push(question);
    }
}

fn question(dec: &mut Dec<'_>, node: &Node, path: &str) -> Option<Question> {
    let obj = Obj::new(dec, node, "question", path.to_owned(), QUESTION_KEYS)?;
    let id = obj.req(dec, "id", string).unwrap_or_default();
    let ty = obj.req(dec, "type", |dec, node, path| {
        choice(dec, node, path, &QuestionKind::TYPES)
    });
    let question = Question {
        id,
        domain: obj.opt(dec, "domain", string),
        skills: obj.opt(dec, "skills", strings).unwrap_or_default(),
        difficulty: obj
            .opt(dec, "difficulty", uint)
            .unwrap_or(DEFAULT_DIFFICULTY),
        scenario: obj.opt(dec, "scenario", string),
        prompt: obj.req(dec, "prompt", string).unwrap_or_default(),
        explanation: obj.req(dec, "explanation", string).unwrap_or_default(),
        kind: QuestionKind::default(),
    };
    // Without a type the answer cannot be read; the question stays a poisoned placeholder
    // that still takes part in the id checks.
    let Some(ty) = ty else {
        for key in ["options", "answer", "tolerance", "accept", "patterns"] {
            dec.poison(&join(path, key));
        }
        return Some(question);
    };
    Some(Question {
        kind: kind(dec, &obj, ty),
        ..question
    })
}

fn kind(dec: &mut Dec<'_>, obj: &Obj<'_>, ty: &str) -> QuestionKind {
    reject_foreign_keys(dec, obj, ty);
    let options = |dec: &mut Dec<'_>| objects(obj, dec, "options", true, option);
    let ids = |dec: &mut Dec<'_>| obj.req(dec, "answer", strings).unwrap_or_default();
    match ty {
        "single_choice" => QuestionKind::SingleChoice {
            options: options(dec),
            answer: obj.req(dec, "answer", string).unwrap_or_default(),
        },
        "multiple_response" => QuestionKind::MultipleResponse {
            options: options(dec),
            answer: ids(dec),
        },
        "true_false" => QuestionKind::TrueFalse {
            answer: obj.req(dec, "answer", boolean).unwrap_or_default(),
        },
        "numeric" => QuestionKind::Numeric {
            answer: obj.req(dec, "answer", number).unwrap_or_default(),
            tolerance: obj.opt(dec, "tolerance", number).unwrap_or_default(),
        },
        "short_text" => QuestionKind::ShortText {
            accept: obj.opt(dec, "accept", strings).unwrap_or_default(),
            patterns: obj.opt(dec, "patterns", strings).unwrap_or_default(),
        },
        _ => QuestionKind::Ordering {
            options: options(dec),
            answer: ids(dec),
        },
    }
}

/// Reports keys that belong to other question types.
fn reject_foreign_keys(dec: &mut Dec<'_>, obj: &Obj<'_>, ty: &str) {
    let takes: &[&str] = match ty {
        "single_choice" | "multiple_response" | "ordering" => &["options", "answer"],
        "true_false" => &["answer"],
        "numeric" => &["answer", "tolerance"],
        _ => &["accept", "patterns"],
    };
    let help = format!(
        "`{ty}` questions take {}",
        super::one_of(takes).replace(" or ", " and ")
    );
    for key in ["options", "answer", "tolerance", "accept", "patterns"] {
        if !takes.contains(&key) {
            let message = format!("`{ty}` questions take no `{key}`");
            obj.reject(dec, key, message, Some(help.clone()));
            dec.poison(&obj.key(key));
        }
    }
}

fn option(dec: &mut Dec<'_>, node: &Node, path: String) -> Option<ChoiceOption> {
    let obj = Obj::new(dec, node, "option", path, OPTION_KEYS)?;
    Some(ChoiceOption {
        id: obj.req(dec, "id", string).unwrap_or_default(),
        text: obj.req(dec, "text", string).unwrap_or_default(),
    })
}
