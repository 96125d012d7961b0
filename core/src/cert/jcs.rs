//! Canonical JSON: the JSON Canonicalization Scheme (RFC 8785) for the values certificates
//! use — strings, integers, booleans, null, arrays and objects.
//!
//! A signature covers bytes, so the issuer and every verifier must turn the same value into
//! the same bytes: object members sorted by the UTF-16 code units of their names, no
//! whitespace, strings escaped exactly as ECMAScript's `JSON.stringify` does. Floating-point
//! numbers are refused rather than formatted: RFC 8785 prints them the ECMAScript way, which
//! nothing here needs, and a certificate field that silently changed on a round trip would
//! make every signature over it fragile. Integers are allowed up to ±(2^53 − 1), the range a
//! JSON number holds exactly in every implementation (I-JSON, RFC 7493).

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

/// The largest integer every JSON implementation represents exactly (2^53 − 1).
const MAX_EXACT_INTEGER: u64 = (1 << 53) - 1;

/// Why a value has no canonical form.
#[derive(Debug, thiserror::Error)]
pub enum CanonicalError {
    #[error(
        "cannot canonicalize {path}: {number} is a floating-point number; use an integer or a string"
    )]
    Float { path: String, number: String },
    #[error(
        "cannot canonicalize {path}: {number} is outside ±(2^53 − 1), the range JSON numbers hold exactly"
    )]
    IntegerOutOfRange { path: String, number: String },
    #[error("cannot turn the value into JSON")]
    Serialize(#[from] serde_json::Error),
}

/// The canonical JSON text of `value`.
pub fn canonicalize(value: &Value) -> Result<String, CanonicalError> {
    let mut out = String::new();
    write_value(&mut out, value, &mut String::from("$"))?;
    Ok(out)
}

/// The canonical JSON text of any serializable value.
pub fn to_canonical<T: Serialize + ?Sized>(value: &T) -> Result<String, CanonicalError> {
    canonicalize(&serde_json::to_value(value)?)
}

/// Writes `value`; `path` (JSONPath-like, for error messages) names where it is.
fn write_value(out: &mut String, value: &Value, path: &mut String) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let exact = n.as_i64().map(|i| i.unsigned_abs()).or_else(|| n.as_u64());
            match exact {
                Some(magnitude) if magnitude <= MAX_EXACT_INTEGER => {
                    write!(out, "{n}").expect("writing to a String cannot fail");
                }
                Some(_) => {
                    return Err(CanonicalError::IntegerOutOfRange {
                        path: path.clone(),
                        number: n.to_string(),
                    });
                }
                None => {
                    return Err(CanonicalError::Float {
                        path: path.clone(),
                        number: n.to_string(),
                    });
                }
            }
        }
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let len = path.len();
                write!(path, "[{i}]").expect("writing to a String cannot fail");
                write_value(out, item, path)?;
                path.truncate(len);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, (name, member)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, name);
                out.push(':');
                let len = path.len();
                path.push('.');
                path.push_str(name);
                write_value(out, member, path)?;
                path.truncate(len);
            }
            out.push('}');
        }
    }
    Ok(())
}

/// A JSON string as ECMAScript's `JSON.stringify` writes it (RFC 8785 §3.2.2.2): only `"`,
/// `\` and control characters are escaped, with the short forms where they exist and
/// lower-case `\u00xx` otherwise; everything else, non-ASCII included, is written as is.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{0c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => {
                write!(out, "\\u{:04x}", u32::from(c)).expect("writing to a String cannot fail");
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sorts_members_by_utf16_code_units_without_whitespace() {
        // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FB01 in UTF-16
        // (though after it by code point): the RFC 8785 example of why the order matters.
        let value =
            json!({"\u{fb01}": 1, "\u{1f600}": 2, "b": [true, null], "a": {"z": "", "y": -3}});
        assert_eq!(
            canonicalize(&value).unwrap(),
            "{\"a\":{\"y\":-3,\"z\":\"\"},\"b\":[true,null],\"\u{1f600}\":2,\"\u{fb01}\":1}"
        );
    }

    #[test]
    fn escapes_strings_like_ecmascript() {
        let value = json!("q\"b\\\u{8}\t\n\u{c}\r\u{1}\u{1f}/\u{7f}é€");
        assert_eq!(
            canonicalize(&value).unwrap(),
            "\"q\\\"b\\\\\\b\\t\\n\\f\\r\\u0001\\u001f/\u{7f}é€\""
        );
    }

    #[test]
    fn integers_are_exact_and_floats_are_refused() {
        assert_eq!(
            canonicalize(&json!([0, -1, 9007199254740991_u64])).unwrap(),
            "[0,-1,9007199254740991]"
        );
        let err = canonicalize(&json!({"a": [1.5]})).unwrap_err();
        assert!(err.to_string().contains("$.a[0]"), "{err}");
        assert!(matches!(err, CanonicalError::Float { .. }));
        assert!(matches!(
            canonicalize(&json!(9007199254740992_u64)),
            Err(CanonicalError::IntegerOutOfRange { .. })
        ));
        assert!(matches!(
            canonicalize(&json!(-9007199254740992_i64)),
            Err(CanonicalError::IntegerOutOfRange { .. })
        ));
    }

    #[test]
    fn canonical_text_parses_back_to_the_same_value() {
        let value = json!({"name": "Zoë \"the\" admin", "n": 42, "list": [{"k": false}]});
        let text = canonicalize(&value).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
        assert_eq!(canonicalize(&back).unwrap(), text);
    }
}
