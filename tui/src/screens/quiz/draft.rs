//! The answer to one question while it is being given: the chosen option, the ticked ones,
//! the typed text or the order so far. [`Draft::response`] turns it into the API's
//! [`Response`] by the same rules as the command line's question runner: one option for
//! single choice, at least one for multiple response, a finite number, non-empty trimmed
//! text, and every option once for an ordering. Nothing is an answer until the learner gave
//! one, so an ordering counts only once it was rearranged or accepted as shown.

use cloudmaster_core::assess::{PublicQuestion, QuestionType, Response};

/// What a true/false question offers (it has no options of its own).
const TRUE_FALSE: [&str; 2] = ["True", "False"];

/// One line the learner can pick: the option id (none for true/false) and its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice<'a> {
    pub id: Option<&'a str>,
    pub text: &'a str,
}

/// The options of `question` as shown, in the attempt's order; empty for typed answers.
pub fn choices(question: &PublicQuestion) -> Vec<Choice<'_>> {
    match question.question_type {
        QuestionType::TrueFalse => TRUE_FALSE
            .iter()
            .map(|text| Choice { id: None, text })
            .collect(),
        QuestionType::Numeric | QuestionType::ShortText => Vec::new(),
        _ => question
            .options
            .iter()
            .map(|o| Choice {
                id: Some(&o.id),
                text: &o.text,
            })
            .collect(),
    }
}

/// Whether `question` is answered by typing.
pub fn is_typed(question: &PublicQuestion) -> bool {
    matches!(
        question.question_type,
        QuestionType::Numeric | QuestionType::ShortText
    )
}

#[derive(Debug, Clone, PartialEq)]
pub enum Draft {
    /// Single choice and true/false: the index of the chosen choice.
    Choice(Option<usize>),
    /// Multiple response: which choices are ticked.
    Ticks(Vec<bool>),
    /// Numeric and short text: what was typed.
    Text(String),
    /// Ordering: choice indices in the learner's order, and whether it is an answer yet.
    Order { order: Vec<usize>, given: bool },
}

impl Draft {
    /// The draft for `question`, showing `saved` when the server has an answer already.
    pub fn new(question: &PublicQuestion, saved: Option<&Response>) -> Draft {
        let index = |id: &str| question.options.iter().position(|o| o.id == id);
        let count = question.options.len();
        match (question.question_type, saved) {
            (QuestionType::SingleChoice, Some(Response::SingleChoice { choice })) => {
                Draft::Choice(index(choice))
            }
            (QuestionType::TrueFalse, Some(Response::TrueFalse { value })) => {
                Draft::Choice(Some(if *value { 0 } else { 1 }))
            }
            (QuestionType::SingleChoice | QuestionType::TrueFalse, _) => Draft::Choice(None),
            (QuestionType::MultipleResponse, saved) => {
                let mut ticks = vec![false; count];
                if let Some(Response::MultipleResponse { choices }) = saved {
                    for i in choices.iter().filter_map(|c| index(c)) {
                        ticks[i] = true;
                    }
                }
                Draft::Ticks(ticks)
            }
            (QuestionType::Numeric, Some(Response::Numeric { value })) => {
                Draft::Text(value.to_string())
            }
            (QuestionType::ShortText, Some(Response::ShortText { text })) => {
                Draft::Text(text.clone())
            }
            (QuestionType::Numeric | QuestionType::ShortText, _) => Draft::Text(String::new()),
            (QuestionType::Ordering, saved) => {
                let shown: Vec<usize> = (0..count).collect();
                let order = match saved {
                    Some(Response::Ordering { order }) => {
                        let order: Vec<usize> = order.iter().filter_map(|id| index(id)).collect();
                        Some(order).filter(|o| o.len() == count)
                    }
                    _ => None,
                };
                Draft::Order {
                    given: order.is_some(),
                    order: order.unwrap_or(shown),
                }
            }
        }
    }

    /// The answer the draft gives: `None` while there is none, an error when what was typed
    /// is not an answer to `question`.
    pub fn response(&self, question: &PublicQuestion) -> Result<Option<Response>, String> {
        let id = |i: &usize| question.options.get(*i).map(|o| o.id.clone());
        Ok(match self {
            Draft::Choice(None) => None,
            Draft::Choice(Some(i)) => match question.question_type {
                QuestionType::TrueFalse => Some(Response::TrueFalse { value: *i == 0 }),
                _ => id(i).map(|choice| Response::SingleChoice { choice }),
            },
            Draft::Ticks(ticks) => {
                let choices: Vec<String> = (0..ticks.len())
                    .filter(|i| ticks[*i])
                    .filter_map(|i| id(&i))
                    .collect();
                (!choices.is_empty()).then_some(Response::MultipleResponse { choices })
            }
            Draft::Text(text) => {
                let text = text.trim();
                if text.is_empty() {
                    None
                } else if question.question_type == QuestionType::Numeric {
                    match text.parse::<f64>() {
                        Ok(value) if value.is_finite() => Some(Response::Numeric { value }),
                        _ => return Err(format!("`{text}` is not a number, such as 262.8")),
                    }
                } else {
                    Some(Response::ShortText {
                        text: text.to_owned(),
                    })
                }
            }
            Draft::Order { given: false, .. } => None,
            Draft::Order { order, given: true } => Some(Response::Ordering {
                order: order.iter().filter_map(id).collect(),
            }),
        })
    }

    /// Space/Enter on choice `index`: choose it, tick or untick it, or accept the order.
    pub fn choose(&mut self, index: usize) {
        match self {
            Draft::Choice(choice) => *choice = Some(index),
            Draft::Ticks(ticks) => {
                if let Some(tick) = ticks.get_mut(index) {
                    *tick = !*tick;
                }
            }
            Draft::Order { given, .. } => *given = true,
            Draft::Text(_) => {}
        }
    }

    /// Moves the item at `index` of an ordering one place down (or up); returns where it
    /// went, `None` when it cannot move (or this is no ordering).
    pub fn move_item(&mut self, index: usize, down: bool) -> Option<usize> {
        let Draft::Order { order, given } = self else {
            return None;
        };
        let to = if down {
            index.checked_add(1).filter(|to| *to < order.len())?
        } else {
            index.checked_sub(1)?
        };
        order.swap(index, to);
        *given = true;
        Some(to)
    }

    /// The typed text, for questions answered by typing.
    pub fn text_mut(&mut self) -> Option<&mut String> {
        match self {
            Draft::Text(text) => Some(text),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use cloudmaster_core::assess::PublicOption;

    use super::*;

    fn question(kind: QuestionType, ids: &[&str]) -> PublicQuestion {
        PublicQuestion {
            id: "q".into(),
            question_type: kind,
            domain: None,
            skills: Vec::new(),
            scenario: None,
            prompt: "?".into(),
            options: ids
                .iter()
                .map(|id| PublicOption {
                    id: (*id).into(),
                    text: format!("option {id}"),
                })
                .collect(),
        }
    }

    #[test]
    fn choices_answer_with_option_ids() {
        let q = question(QuestionType::SingleChoice, &["c", "a", "b"]);
        let mut draft = Draft::new(&q, None);
        assert_eq!(draft.response(&q), Ok(None));
        draft.choose(1);
        draft.choose(0);
        assert_eq!(
            draft.response(&q),
            Ok(Some(Response::SingleChoice { choice: "c".into() }))
        );
        let tf = question(QuestionType::TrueFalse, &[]);
        assert_eq!(choices(&tf).len(), 2);
        let mut draft = Draft::new(&tf, Some(&Response::TrueFalse { value: false }));
        assert_eq!(draft, Draft::Choice(Some(1)));
        draft.choose(0);
        assert_eq!(
            draft.response(&tf),
            Ok(Some(Response::TrueFalse { value: true }))
        );
    }

    #[test]
    fn multiple_response_toggles_and_needs_one_tick() {
        let q = question(QuestionType::MultipleResponse, &["b", "a", "c"]);
        let saved = Response::MultipleResponse {
            choices: vec!["c".into()],
        };
        let mut draft = Draft::new(&q, Some(&saved));
        assert_eq!(draft, Draft::Ticks(vec![false, false, true]));
        draft.choose(0);
        assert_eq!(
            draft.response(&q),
            Ok(Some(Response::MultipleResponse {
                choices: vec!["b".into(), "c".into()]
            }))
        );
        draft.choose(0);
        draft.choose(2);
        assert_eq!(draft.response(&q), Ok(None));
    }

    #[test]
    fn typed_answers_are_trimmed_and_numbers_checked() {
        let q = question(QuestionType::Numeric, &[]);
        let mut draft = Draft::new(&q, Some(&Response::Numeric { value: 2.5 }));
        assert_eq!(draft, Draft::Text("2.5".into()));
        *draft.text_mut().unwrap() = " -1.5e1 ".into();
        assert_eq!(
            draft.response(&q),
            Ok(Some(Response::Numeric { value: -15.0 }))
        );
        *draft.text_mut().unwrap() = "inf".into();
        assert!(draft.response(&q).unwrap_err().contains("not a number"));
        *draft.text_mut().unwrap() = "  ".into();
        assert_eq!(draft.response(&q), Ok(None));
        let text = question(QuestionType::ShortText, &[]);
        let draft = Draft::Text("  pay as you go ".into());
        assert_eq!(
            draft.response(&text),
            Ok(Some(Response::ShortText {
                text: "pay as you go".into()
            }))
        );
    }

    #[test]
    fn an_order_is_an_answer_once_moved_or_accepted() {
        let q = question(QuestionType::Ordering, &["c", "a", "b"]);
        let mut draft = Draft::new(&q, None);
        assert_eq!(draft.response(&q), Ok(None));
        assert_eq!(draft.move_item(0, false), None);
        assert_eq!(draft.move_item(0, true), Some(1));
        assert_eq!(draft.move_item(2, true), None);
        assert_eq!(
            draft.response(&q),
            Ok(Some(Response::Ordering {
                order: vec!["a".into(), "c".into(), "b".into()]
            }))
        );
        let mut shown = Draft::new(&q, None);
        shown.choose(0);
        assert_eq!(
            shown.response(&q),
            Ok(Some(Response::Ordering {
                order: vec!["c".into(), "a".into(), "b".into()]
            }))
        );
        let saved = Response::Ordering {
            order: vec!["b".into(), "c".into(), "a".into()],
        };
        assert_eq!(
            Draft::new(&q, Some(&saved)),
            Draft::Order {
                order: vec![2, 0, 1],
                given: true
            }
        );
    }
}
