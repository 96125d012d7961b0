//! Answers in the simple forms people type: at the question prompt (`a`, `a,c`, `t`, `42`,
//! `c a b`) and in an answers file (`--answers FILE`, YAML or JSON) mapping question ids to
//! `a`, `[a, c]`, `true`, `262.8` or `some text`.
//!
//! Options are named by the letters the attempt shows them under (`a` is the first option
//! on screen, whatever the shuffle), in either case. Which [`Response`] a value becomes is
//! decided by the type of the question it answers, so one file can answer a quiz whatever
//! questions the draw picks. Every answer is checked against the question as shown (its
//! letters, every option once in an ordering) before anything is sent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cloudmaster_core::assess::{PublicQuestion, QuestionType, Response};
use serde_json::Value;

use crate::exit::{Exit, fail};

/// A parsed answers file: question id → answer as written.
#[derive(Debug)]
pub struct AnswersFile {
    path: PathBuf,
    answers: BTreeMap<String, Value>,
}

impl AnswersFile {
    /// Reads `path`: JSON when it ends in `.json` (or, with another extension, when it starts
    /// with `{`), YAML otherwise. A file that cannot be read or parsed is a usage error.
    pub fn load(path: &Path) -> anyhow::Result<AnswersFile> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            let exit = if e.kind() == std::io::ErrorKind::NotFound {
                Exit::NotFound
            } else {
                Exit::Usage
            };
            fail(
                exit,
                format!("cannot read answers file {}: {e}", path.display()),
            )
        })?;
        AnswersFile::parse(path, &text)
    }

    /// Parses `text`, the content of `path`.
    pub fn parse(path: &Path, text: &str) -> anyhow::Result<AnswersFile> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let json = match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => true,
            Some(ext) if ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml") => {
                false
            }
            _ => text.trim_start().starts_with('{'),
        };
        let parsed = if json {
            serde_json::from_str::<Value>(text).map_err(|e| format!("invalid JSON: {e}"))
        } else {
            parse_yaml(text)
        };
        let shape = "it must map question ids to answers, such as `lesson-format: a`";
        let value = parsed.map_err(|e| {
            fail(
                Exit::Usage,
                format!("answers file {}: {e}; {shape}", path.display()),
            )
        })?;
        let answers = match value {
            Value::Object(map) => map.into_iter().collect(),
            // An empty YAML document answers nothing.
            Value::Null => BTreeMap::new(),
            other => {
                return Err(fail(
                    Exit::Usage,
                    format!(
                        "answers file {}: found {} at the top; {shape}",
                        path.display(),
                        kind_of(&other)
                    ),
                ));
            }
        };
        Ok(AnswersFile {
            path: path.to_owned(),
            answers,
        })
    }

    /// The responses to `questions` (questions the file does not answer are left out, and
    /// answers to other questions are ignored: a quiz draws from a larger bank). A value of
    /// the wrong form for its question's type is a usage error naming the file and question.
    pub fn responses(
        &self,
        questions: &[PublicQuestion],
    ) -> anyhow::Result<BTreeMap<String, Response>> {
        let mut responses = BTreeMap::new();
        for question in questions {
            let Some(value) = self.answers.get(&question.id) else {
                continue;
            };
            match from_value(value, question) {
                Ok(Some(response)) => {
                    responses.insert(question.id.clone(), response);
                }
                Ok(None) => {}
                Err(problem) => {
                    return Err(fail(
                        Exit::Usage,
                        format!(
                            "{}: question `{}`: {problem}",
                            self.path.display(),
                            question.id
                        ),
                    ));
                }
            }
        }
        Ok(responses)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn parse_yaml(text: &str) -> Result<Value, String> {
    use serde_saphyr::MessageFormatter as _;
    // Only `true` and `false` are booleans, like in course files: `yes` stays a string.
    let options = serde_saphyr::options! {
        strict_booleans: true,
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options::<Value>(text, options).map_err(|err| {
        let message = serde_saphyr::UserMessageFormatter.format_message(err.without_snippet());
        match err.location() {
            Some(at) => format!(
                "invalid YAML at line {}, column {}: {message}",
                at.line(),
                at.column()
            ),
            None => format!("invalid YAML: {message}"),
        }
    })
}

/// The response `value` gives to `question`; `None` for `null` (left unanswered).
pub fn from_value(value: &Value, question: &PublicQuestion) -> Result<Option<Response>, String> {
    let kind = question.question_type;
    let response = match (kind, value) {
        (_, Value::Null) => return Ok(None),
        // The API's own form, as `-o json` prints it.
        (_, Value::Object(_)) => {
            let response: Response = serde_json::from_value(value.clone())
                .map_err(|e| format!("not a response object: {e}"))?;
            if response.question_type() != kind {
                return Err(format!(
                    "a {} response was given, but this is a {} question",
                    response.question_type(),
                    kind
                ));
            }
            response
        }
        (QuestionType::MultipleResponse | QuestionType::Ordering, Value::Array(items)) => {
            let ids = items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.trim().to_lowercase()),
                    other => Err(format!(
                        "expected option letters in the list, found {}",
                        kind_of(other)
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            choices_response(kind, ids)
        }
        (QuestionType::ShortText, Value::String(s)) => Response::ShortText { text: s.clone() },
        (QuestionType::ShortText, Value::Number(n)) => Response::ShortText {
            text: n.to_string(),
        },
        (QuestionType::ShortText, Value::Bool(b)) => Response::ShortText {
            text: b.to_string(),
        },
        (QuestionType::TrueFalse, Value::Bool(b)) => Response::TrueFalse { value: *b },
        (QuestionType::Numeric, Value::Number(n)) => Response::Numeric {
            value: n
                .as_f64()
                .ok_or_else(|| format!("{n} is not a usable number"))?,
        },
        (_, Value::String(s)) => return parse_text(s, question).map(Some),
        (_, other) => {
            return Err(format!(
                "expected {}, found {}",
                expected_form(kind),
                kind_of(other)
            ));
        }
    };
    check(response, question).map(Some)
}

/// Parses what was typed at the prompt (or a string in an answers file) for `question`.
pub fn parse_text(text: &str, question: &PublicQuestion) -> Result<Response, String> {
    let text = text.trim();
    let kind = question.question_type;
    let response = match kind {
        QuestionType::SingleChoice => {
            if text.is_empty() || text.contains([',', ' ']) {
                return Err(format!("expected {}, found `{text}`", expected_form(kind)));
            }
            Response::SingleChoice {
                choice: text.to_lowercase(),
            }
        }
        QuestionType::MultipleResponse | QuestionType::Ordering => {
            let ids = text
                .split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_lowercase)
                .collect();
            choices_response(kind, ids)
        }
        QuestionType::TrueFalse => match text.to_ascii_lowercase().as_str() {
            "t" | "true" | "y" | "yes" => Response::TrueFalse { value: true },
            "f" | "false" | "n" | "no" => Response::TrueFalse { value: false },
            _ => return Err(format!("expected {}, found `{text}`", expected_form(kind))),
        },
        QuestionType::Numeric => match text.parse::<f64>() {
            Ok(value) if value.is_finite() => Response::Numeric { value },
            _ => return Err(format!("expected {}, found `{text}`", expected_form(kind))),
        },
        QuestionType::ShortText => {
            if text.is_empty() {
                return Err("expected some text".to_owned());
            }
            Response::ShortText {
                text: text.to_owned(),
            }
        }
    };
    check(response, question)
}

fn choices_response(kind: QuestionType, ids: Vec<String>) -> Response {
    if kind == QuestionType::Ordering {
        Response::Ordering { order: ids }
    } else {
        Response::MultipleResponse { choices: ids }
    }
}

/// Checks letters against the options shown, so a typo fails here, not as a wrong answer.
fn check(response: Response, question: &PublicQuestion) -> Result<Response, String> {
    let known: Vec<&str> = question.options.iter().map(|o| o.id.as_str()).collect();
    let listed = || known.join(", ");
    let unknown = |id: &str| format!("`{id}` is not one of the options ({})", listed());
    match &response {
        Response::SingleChoice { choice } if !known.contains(&choice.as_str()) => {
            Err(unknown(choice))
        }
        Response::MultipleResponse { choices } => {
            if choices.is_empty() {
                return Err(format!(
                    "expected {}",
                    expected_form(question.question_type)
                ));
            }
            match choices.iter().find(|c| !known.contains(&c.as_str())) {
                Some(id) => Err(unknown(id)),
                None => Ok(response),
            }
        }
        Response::Ordering { order } => {
            if let Some(id) = order.iter().find(|c| !known.contains(&c.as_str())) {
                return Err(unknown(id));
            }
            let distinct: BTreeSet<&str> = order.iter().map(String::as_str).collect();
            if distinct.len() != order.len() || order.len() != known.len() {
                return Err(format!(
                    "an order must list every option exactly once ({})",
                    listed()
                ));
            }
            Ok(response)
        }
        _ => Ok(response),
    }
}

/// What an answer of type `kind` looks like, for messages.
pub fn expected_form(kind: QuestionType) -> &'static str {
    match kind {
        QuestionType::SingleChoice => "one option letter, such as `a`",
        QuestionType::MultipleResponse => "a list of option letters, such as `[a, c]` (or `a,c`)",
        QuestionType::TrueFalse => "`true` or `false`",
        QuestionType::Numeric => "a number, such as `262.8`",
        QuestionType::ShortText => "some text",
        QuestionType::Ordering => {
            "every option letter in order, first to last, such as `[c, a, b]` (or `c a b`)"
        }
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use cloudmaster_core::assess::PublicOption;

    use super::*;

    fn question(id: &str, kind: QuestionType, options: &[&str]) -> PublicQuestion {
        PublicQuestion {
            id: id.to_owned(),
            question_type: kind,
            domain: None,
            skills: Vec::new(),
            scenario: None,
            prompt: "?".to_owned(),
            options: options
                .iter()
                .map(|o| PublicOption {
                    id: (*o).to_owned(),
                    text: format!("option {o}"),
                })
                .collect(),
        }
    }

    fn bank() -> Vec<PublicQuestion> {
        vec![
            question("single", QuestionType::SingleChoice, &["a", "b", "c"]),
            question("multi", QuestionType::MultipleResponse, &["a", "b", "c"]),
            question("tf", QuestionType::TrueFalse, &[]),
            question("num", QuestionType::Numeric, &[]),
            question("text", QuestionType::ShortText, &[]),
            question("order", QuestionType::Ordering, &["a", "b", "c"]),
        ]
    }

    fn parse(name: &str, text: &str) -> anyhow::Result<BTreeMap<String, Response>> {
        AnswersFile::parse(Path::new(name), text)?.responses(&bank())
    }

    fn error(name: &str, text: &str) -> (Exit, String) {
        let err = parse(name, text).unwrap_err();
        (crate::exit::classify(&err), err.to_string())
    }

    #[test]
    fn yaml_simple_forms_follow_the_question_type() {
        let responses = parse(
            "answers.yaml",
            "single: B\nmulti: [a, C]\ntf: true\nnum: 262.8\ntext: rpo\norder: [c, a, b]\n",
        )
        .unwrap();
        assert_eq!(
            responses["single"],
            Response::SingleChoice { choice: "b".into() }
        );
        assert_eq!(
            responses["multi"],
            Response::MultipleResponse {
                choices: vec!["a".into(), "c".into()]
            }
        );
        assert_eq!(responses["tf"], Response::TrueFalse { value: true });
        assert_eq!(responses["num"], Response::Numeric { value: 262.8 });
        assert_eq!(
            responses["text"],
            Response::ShortText { text: "rpo".into() }
        );
        assert_eq!(
            responses["order"],
            Response::Ordering {
                order: vec!["c".into(), "a".into(), "b".into()]
            }
        );
    }

    #[test]
    fn json_by_extension_or_content_and_the_api_form() {
        let json = r#"{"single": "a", "num": 3, "tf": {"type": "true_false", "value": false},
                       "text": 42, "multi": "b, c", "order": "b c a"}"#;
        for name in ["answers.json", "answers.txt"] {
            let responses = parse(name, json).unwrap();
            assert_eq!(responses["num"], Response::Numeric { value: 3.0 });
            assert_eq!(responses["tf"], Response::TrueFalse { value: false });
            assert_eq!(responses["text"], Response::ShortText { text: "42".into() });
            assert_eq!(
                responses["multi"],
                Response::MultipleResponse {
                    choices: vec!["b".into(), "c".into()]
                }
            );
            assert_eq!(
                responses["order"],
                Response::Ordering {
                    order: vec!["b".into(), "c".into(), "a".into()]
                }
            );
        }
    }

    #[test]
    fn missing_null_and_unknown_questions_are_left_out() {
        let responses = parse("a.yaml", "single: ~\nnot-drawn: b\nnum: 1\n").unwrap();
        assert_eq!(responses.keys().collect::<Vec<_>>(), ["num"]);
        assert!(parse("a.yaml", "").unwrap().is_empty());
    }

    #[test]
    fn wrong_forms_name_the_file_and_question() {
        let cases = [
            ("single: [a, b]\n", "question `single`", "one option letter"),
            (
                "single: d\n",
                "question `single`",
                "`d` is not one of the options (a, b, c)",
            ),
            ("tf: maybe\n", "question `tf`", "`true` or `false`"),
            ("num: twelve\n", "question `num`", "a number"),
            ("multi: [a, 3]\n", "question `multi`", "found a number"),
            (
                "multi: []\n",
                "question `multi`",
                "a list of option letters",
            ),
            (
                "order: [a, b]\n",
                "question `order`",
                "every option exactly once",
            ),
            (
                "order: [a, a, b]\n",
                "question `order`",
                "every option exactly once",
            ),
            (
                "tf: {type: numeric, value: 1}\n",
                "question `tf`",
                "a numeric response was given, but this is a true_false question",
            ),
        ];
        for (text, question, problem) in cases {
            let (exit, message) = error("quiz.yaml", text);
            assert_eq!(exit, Exit::Usage, "{text}");
            assert!(message.starts_with("quiz.yaml: "), "{message}");
            assert!(message.contains(question), "{text}: {message}");
            assert!(message.contains(problem), "{text}: {message}");
        }
    }

    #[test]
    fn unparseable_files_are_usage_errors_with_the_position() {
        let (exit, message) = error("bad.yaml", "single: [a\nmulti: b\n");
        assert_eq!(exit, Exit::Usage);
        assert!(
            message.contains("answers file bad.yaml: invalid YAML at line"),
            "{message}"
        );
        let (_, message) = error("bad.json", "{\"single\": }");
        assert!(message.contains("bad.json: invalid JSON"), "{message}");
        let (_, message) = error("list.yaml", "- a\n- b\n");
        assert!(message.contains("found a list at the top"), "{message}");
        let (_, message) = error("dup.yaml", "single: a\nsingle: b\n");
        assert!(message.contains("dup.yaml"), "{message}");
    }

    #[test]
    fn typed_answers() {
        let q = bank();
        let tf = |s| parse_text(s, &q[2]);
        assert_eq!(tf(" T "), Ok(Response::TrueFalse { value: true }));
        assert_eq!(tf("no"), Ok(Response::TrueFalse { value: false }));
        assert_eq!(
            parse_text("a,c", &q[1]),
            Ok(Response::MultipleResponse {
                choices: vec!["a".into(), "c".into()]
            })
        );
        assert!(parse_text("a c", &q[0]).is_err());
        assert_eq!(
            parse_text("-1.5e1", &q[3]),
            Ok(Response::Numeric { value: -15.0 })
        );
        assert!(parse_text("inf", &q[3]).is_err());
        assert!(parse_text("", &q[4]).is_err());
    }
}
