//! JSON and YAML documents for the `valid_*`, `*_exists` and `*_equals` checks: parsing
//! (YAML becomes a `serde_json::Value`), RFC 6901 pointers with a helpful miss message, and
//! the equality the format promises.

use serde_json::Value;

/// The two document formats a check can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Yaml,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::Yaml => "YAML",
        }
    }
}

/// Parses `bytes`; the error says where the document breaks.
///
/// YAML is read like `lab.yaml` itself (only `true`/`false` are booleans), so a value an
/// author writes in `value:` and the same text in a learner's file compare equal. In a file of
/// several YAML documents, the first one is used.
pub(crate) fn parse(format: Format, bytes: &[u8]) -> Result<Value, String> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| format!("not {} text: {e}", format.name()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format {
        Format::Json => serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}")),
        Format::Yaml => parse_yaml(text),
    }
}

fn parse_yaml(text: &str) -> Result<Value, String> {
    use serde_saphyr::MessageFormatter as _;
    let options = serde_saphyr::options! {
        strict_booleans: true,
        with_snippet: false,
    };
    match serde_saphyr::from_multiple_with_options::<Value>(text, options) {
        Ok(docs) => Ok(docs.into_iter().next().unwrap_or(Value::Null)),
        Err(err) => {
            let message = serde_saphyr::UserMessageFormatter.format_message(err.without_snippet());
            Err(match err.location() {
                Some(at) => format!(
                    "invalid YAML at line {}, column {}: {message}",
                    at.line(),
                    at.column()
                ),
                None => format!("invalid YAML: {message}"),
            })
        }
    }
}

/// The value at `pointer` (RFC 6901), or why there is none.
pub(crate) fn lookup<'a>(doc: &'a Value, pointer: &str) -> Result<&'a Value, String> {
    if pointer.is_empty() {
        return Ok(doc);
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(format!(
            "`{pointer}` is not a JSON pointer: it must start with /"
        ));
    };
    let mut here = doc;
    let mut walked = String::new();
    for raw in rest.split('/') {
        let token = raw.replace("~1", "/").replace("~0", "~");
        let at = if walked.is_empty() {
            "the document".to_owned()
        } else {
            format!("`{walked}`")
        };
        let next = match here {
            Value::Object(map) => map
                .get(&token)
                .ok_or_else(|| format!("nothing at `{pointer}`: {at} has no key `{token}`")),
            Value::Array(items) => index(&token).and_then(|i| items.get(i)).ok_or_else(|| {
                format!(
                    "nothing at `{pointer}`: {at} is a list of {} item(s), with no item `{token}`",
                    items.len()
                )
            }),
            other => Err(format!(
                "nothing at `{pointer}`: {at} is {}, not a mapping or a list",
                kind(other)
            )),
        }?;
        walked.push('/');
        walked.push_str(raw);
        here = next;
    }
    Ok(here)
}

/// An array index as RFC 6901 writes it: digits, no leading zero, no sign.
fn index(token: &str) -> Option<usize> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if !digits || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

/// Strict equality, except that an integer equals a float of the same value (`80` = `80.0`).
/// `"80"` is not `80`, and `true` is not `"true"`.
pub(crate) fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(x), Some(y)) => x == y,
                _ => (x.is_f64() || y.is_f64()) && x.as_f64() == y.as_f64(),
            },
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

/// The value in short, with its kind: `"8080" (a string)`.
pub(crate) fn describe(value: &Value) -> String {
    const MAX: usize = 80;
    let mut text = value.to_string();
    if text.chars().count() > MAX {
        text = text.chars().take(MAX).collect::<String>() + "…";
    }
    format!("{text} ({})", kind(value))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn yaml_keeps_quoted_numbers_as_strings() {
        let doc = parse(
            Format::Yaml,
            b"data:\n  quoted: \"300\"\n  bare: 300\n  float: 1.5\n  yes_word: yes\n  on: true\n  80: port\n",
        )
        .unwrap();
        assert_eq!(doc["data"]["quoted"], json!("300"));
        assert_eq!(doc["data"]["bare"], json!(300));
        assert_eq!(doc["data"]["float"], json!(1.5));
        assert_eq!(doc["data"]["yes_word"], json!("yes"));
        assert_eq!(doc["data"]["on"], json!(true));
        assert_eq!(doc["data"]["80"], json!("port"));
    }

    #[test]
    fn yaml_anchors_and_several_documents() {
        let doc = parse(Format::Yaml, b"a: &x {k: 1}\nb: *x\n---\nsecond: 2\n").unwrap();
        assert_eq!(doc, json!({"a": {"k": 1}, "b": {"k": 1}}));
        assert_eq!(parse(Format::Yaml, b"").unwrap(), Value::Null);
    }

    #[test]
    fn parse_errors_say_where() {
        let err = parse(Format::Yaml, b"a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.starts_with("invalid YAML at line"), "{err}");
        let err = parse(Format::Json, b"{\"a\": 1,}").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn pointers_follow_rfc_6901() {
        let doc = json!({"a/b": {"m~n": [10, 20]}, "": 1});
        assert_eq!(lookup(&doc, "/a~1b/m~0n/1"), Ok(&json!(20)));
        assert_eq!(lookup(&doc, "/"), Ok(&json!(1)));
        assert_eq!(lookup(&doc, ""), Ok(&doc));
        assert!(lookup(&doc, "/a~1b/m~0n/01").is_err());
        assert_eq!(
            lookup(&doc, "/a~1b/m~0n/5").unwrap_err(),
            "nothing at `/a~1b/m~0n/5`: `/a~1b/m~0n` is a list of 2 item(s), with no item `5`"
        );
        assert_eq!(
            lookup(&doc, "/x/y").unwrap_err(),
            "nothing at `/x/y`: the document has no key `x`"
        );
        assert!(lookup(&doc, "a").unwrap_err().contains("must start with /"));
    }

    #[test]
    fn equality_is_type_strict_except_integer_and_float() {
        assert!(equal(&json!(80), &json!(80.0)));
        assert!(equal(&json!({"p": [1, 2.0]}), &json!({"p": [1.0, 2]})));
        assert!(!equal(&json!(80), &json!("80")));
        assert!(!equal(&json!(true), &json!("true")));
        assert!(!equal(&json!(1), &json!(1.5)));
        assert!(!equal(&json!(null), &json!(0)));
        assert!(equal(&json!(u64::MAX), &json!(u64::MAX)));
        assert!(!equal(&json!(-1), &json!(u64::MAX)));
        assert_eq!(describe(&json!("8080")), "\"8080\" (a string)");
    }
}
