//! What the scripted-learner tests share: answers files written from a course's own answer
//! keys, as an instructor rehearsing a course in CI would, for the questions one attempt
//! (or one review) shows, options named by the letters it shows them under.

use cloudmaster_core::course::{ChoiceOption, Course, QuestionKind};
use serde_json::Value;

/// An answers file that answers nothing: starting an attempt with it leaves the attempt
/// open, unanswered, and the command's hint names `cloudmaster attempts show ID`.
pub const NO_ANSWERS: &str = "{}";

/// The attempt id in the hint of a start that answered nothing (see [`NO_ANSWERS`]).
pub fn attempt_in_hint(stderr: &str) -> String {
    let (_, after) = stderr
        .split_once("`cloudmaster attempts show ")
        .unwrap_or_else(|| panic!("no `attempts show` hint in\n{stderr}"));
    after.split('`').next().unwrap().to_owned()
}

/// The right answer to each of `questions` (public questions as JSON, as an attempt or a
/// review item shows them), from `course`'s answer key, as an answers file (JSON).
pub fn answers_file(course: &Course, questions: &[Value]) -> String {
    let mut answers = serde_json::Map::new();
    for shown in questions {
        let id = shown["id"].as_str().unwrap();
        let question = course
            .question(id)
            .unwrap_or_else(|| panic!("no question {id} in the course"));
        let letter = |options: &[ChoiceOption], authored: &String| -> Value {
            let text = &options.iter().find(|o| &o.id == authored).unwrap().text;
            let option = shown["options"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["text"] == text.as_str())
                .unwrap_or_else(|| panic!("{id}: {text} is not shown in {shown}"));
            option["id"].clone()
        };
        let answer = match &question.kind {
            QuestionKind::SingleChoice { options, answer } => letter(options, answer),
            QuestionKind::MultipleResponse { options, answer }
            | QuestionKind::Ordering { options, answer } => {
                Value::Array(answer.iter().map(|a| letter(options, a)).collect())
            }
            QuestionKind::TrueFalse { answer } => Value::from(*answer),
            QuestionKind::Numeric { answer, .. } => Value::from(*answer),
            QuestionKind::ShortText { accept, .. } => Value::from(
                accept
                    .first()
                    .cloned()
                    .expect("bundled short-text questions list an accepted answer"),
            ),
        };
        answers.insert(id.to_owned(), answer);
    }
    serde_json::to_string_pretty(&answers).unwrap()
}
