//! Decoding located YAML trees into the course model, reporting every problem on the way.
//!
//! Each file is walked against the schema by hand instead of by serde, so one run reports
//! all unknown keys, missing keys and type errors of all files. While walking, the decoder
//! records in [`Sources`] where each part of the model came from, under a structural key that
//! mirrors the model (`modules/0/lessons/1/file`, `questions/7/answer/1`, `labs/0/steps/2`).
//! The model validator reports semantic problems under the same keys, and the loader turns
//! those keys back into `file:line:column` here. Keys whose value was missing or malformed
//! are "poisoned", so the validator does not report the same problem a second time.

use std::collections::{HashMap, HashSet};

use super::diagnostic::{Diagnostic, did_you_mean, one_of};
use super::yaml::{Entry, Node, Pos, Value};

pub(crate) mod course;
pub(crate) mod lab;
pub(crate) mod question;

/// Where model parts came from, plus the diagnostics found while decoding.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    files: Vec<String>,
    spans: HashMap<String, (usize, Pos)>,
    poisoned: HashSet<String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Sources {
    /// Registers a file (relative to the loaded folder) and returns a decoder for it.
    pub fn file(&mut self, name: impl Into<String>) -> Dec<'_> {
        let name = name.into();
        let file = match self.files.iter().position(|f| *f == name) {
            Some(i) => i,
            None => {
                self.files.push(name);
                self.files.len() - 1
            }
        };
        Dec { src: self, file }
    }

    /// The file and position of `key`, or of its closest recorded ancestor.
    pub fn resolve(&self, key: &str) -> Option<(&str, Pos)> {
        let mut key = key;
        loop {
            if let Some((file, pos)) = self.spans.get(key) {
                return Some((&self.files[*file], *pos));
            }
            match key.rfind('/') {
                Some(i) => key = &key[..i],
                // The course root is recorded under the empty key.
                None if !key.is_empty() => key = "",
                None => return None,
            }
        }
    }

    /// Whether `key` or one of its ancestors was already reported as missing or malformed.
    pub fn is_poisoned(&self, key: &str) -> bool {
        let mut key = key;
        loop {
            if self.poisoned.contains(key) {
                return true;
            }
            match key.rfind('/') {
                Some(i) => key = &key[..i],
                None => return false,
            }
        }
    }

    /// Marks `key` as already reported.
    pub fn poison(&mut self, key: &str) {
        self.poisoned.insert(key.to_owned());
    }
}

/// Decodes one file: reports diagnostics at positions in it and records spans.
pub(crate) struct Dec<'s> {
    pub src: &'s mut Sources,
    file: usize,
}

impl Dec<'_> {
    /// Reports `diagnostic` at `pos` in this file.
    pub fn emit(&mut self, pos: Pos, diagnostic: Diagnostic) {
        let file = self.src.files[self.file].clone();
        self.src
            .diagnostics
            .push(diagnostic.at(file, pos.line, pos.column));
    }

    pub fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.emit(pos, Diagnostic::error(message));
    }

    /// Records that the model part under `key` starts at `pos` in this file.
    pub fn span(&mut self, key: &str, pos: Pos) {
        self.src.spans.insert(key.to_owned(), (self.file, pos));
    }

    pub fn poison(&mut self, key: &str) {
        self.src.poison(key);
    }
}

/// `parent/name`, or `name` at the root.
pub(crate) fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}/{name}")
    }
}

/// How a key path is named in messages: `title`, or `labs[2]` for a list item.
fn display_name(path: &str) -> String {
    let mut segments = path.rsplit('/');
    let last = segments.next().unwrap_or_default();
    if last.parse::<usize>().is_ok() {
        format!("{}[{last}]", segments.next().unwrap_or_default())
    } else {
        last.to_owned()
    }
}

/// A YAML mapping being decoded as one object of the schema.
pub(crate) struct Obj<'n> {
    what: &'static str,
    path: String,
    pos: Pos,
    entries: Vec<&'n Entry>,
    /// Keys suggested for unknown keys: when one of them is missing, the "did you mean"
    /// already said so.
    suggested: Vec<String>,
}

impl<'n> Obj<'n> {
    /// Checks that `node` is a mapping whose keys are all in `known`, without duplicates.
    /// `what` names the object in messages ("lesson"); `path` is its structural key.
    pub fn new(
        dec: &mut Dec<'_>,
        node: &'n Node,
        what: &'static str,
        path: String,
        known: &[&str],
    ) -> Option<Obj<'n>> {
        dec.span(&path, node.pos);
        let Value::Map(all) = &node.value else {
            dec.error(
                node.pos,
                format!("expected a mapping for {what}, found {}", node.value.kind()),
            );
            dec.poison(&path);
            return None;
        };
        let mut entries: Vec<&Entry> = Vec::with_capacity(all.len());
        let mut suggested = Vec::new();
        for entry in all {
            if let Some(first) = entries.iter().find(|e| e.key == entry.key) {
                let help = format!(
                    "`{}` is first set at line {}",
                    entry.key, first.key_pos.line
                );
                let d = Diagnostic::error(format!("duplicate key `{}` in {what}", entry.key));
                dec.emit(entry.key_pos, d.with_help(help));
            } else if known.contains(&entry.key.as_str()) {
                entries.push(entry);
            } else {
                let d = Diagnostic::error(format!("unknown key `{}` in {what}", entry.key));
                let help = match did_you_mean(&entry.key, known) {
                    Some(close) => {
                        suggested.push(close.to_owned());
                        format!("did you mean `{close}`?")
                    }
                    None => format!("{what} keys are {}", one_of(known)),
                };
                dec.emit(entry.key_pos, d.with_help(help));
            }
        }
        Some(Obj {
            what,
            path,
            pos: node.pos,
            entries,
            suggested,
        })
    }

    /// The structural key of field `name`.
    pub fn key(&self, name: &str) -> String {
        join(&self.path, name)
    }

    fn entry(&self, name: &str) -> Option<&'n Entry> {
        self.entries.iter().copied().find(|e| e.key == name)
    }

    /// The value of `name`, `null` included, recording its position.
    pub fn raw(&self, dec: &mut Dec<'_>, name: &str) -> Option<&'n Node> {
        let entry = self.entry(name)?;
        dec.span(&self.key(name), entry.value.pos);
        Some(&entry.value)
    }

    /// A required field: reports it when missing or empty, else converts it with `convert`.
    pub fn req<T>(
        &self,
        dec: &mut Dec<'_>,
        name: &str,
        convert: impl FnOnce(&mut Dec<'_>, &'n Node, &str) -> Option<T>,
    ) -> Option<T> {
        let key = self.key(name);
        let value = match self.raw(dec, name) {
            None => {
                if !self.suggested.iter().any(|s| s == name) {
                    let d = Diagnostic::error(format!("missing key `{name}` in {}", self.what));
                    dec.emit(self.pos, d);
                }
                None
            }
            Some(node) if node.value == Value::Null => {
                dec.error(node.pos, format!("`{name}` has no value"));
                None
            }
            Some(node) => convert(dec, node, &key),
        };
        if value.is_none() {
            dec.poison(&key);
        }
        value
    }

    /// An optional field: `None` when missing, `null` or malformed (which is reported).
    pub fn opt<T>(
        &self,
        dec: &mut Dec<'_>,
        name: &str,
        convert: impl FnOnce(&mut Dec<'_>, &'n Node, &str) -> Option<T>,
    ) -> Option<T> {
        let key = self.key(name);
        let node = self.raw(dec, name)?;
        if node.value == Value::Null {
            return None;
        }
        let value = convert(dec, node, &key);
        if value.is_none() {
            dec.poison(&key);
        }
        value
    }

    /// Reports `name` as not applicable here, with `why` as help.
    pub fn reject(&self, dec: &mut Dec<'_>, name: &str, message: String, why: Option<String>) {
        if let Some(entry) = self.entry(name) {
            let d = Diagnostic::error(message);
            dec.emit(
                entry.key_pos,
                if let Some(why) = why {
                    d.with_help(why)
                } else {
                    d
                },
            );
        }
    }
}

fn mismatch(dec: &mut Dec<'_>, node: &Node, path: &str, expected: &str) {
    let mut d = Diagnostic::error(format!(
        "expected {expected} for `{}`, found {}",
        display_name(path),
        node.value.kind()
    ));
    if expected == "a string"
        && matches!(node.value, Value::Int(_) | Value::Float(_) | Value::Bool(_))
    {
        d = d.with_help("put the value in quotes to make it a string");
    }
    dec.emit(node.pos, d);
}

pub(crate) fn string(dec: &mut Dec<'_>, node: &Node, path: &str) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        _ => {
            mismatch(dec, node, path, "a string");
            None
        }
    }
}

pub(crate) fn int(dec: &mut Dec<'_>, node: &Node, path: &str) -> Option<i64> {
    match &node.value {
        Value::Int(i) => Some(*i),
        _ => {
            mismatch(dec, node, path, "an integer");
            None
        }
    }
}

/// A non-negative integer that fits `T`.
pub(crate) fn uint<T: TryFrom<i64>>(dec: &mut Dec<'_>, node: &Node, path: &str) -> Option<T> {
    let i = int(dec, node, path)?;
    let value = T::try_from(i).ok().filter(|_| i >= 0);
    if value.is_none() {
        dec.error(
            node.pos,
            format!(
                "`{}` must be a non-negative integer, found {i}",
                display_name(path)
            ),
        );
    }
    value
}

#[allow(clippy::cast_precision_loss)] // integers in course files are far below 2^53
pub(crate) fn number(dec: &mut Dec<'_>, node: &Node, path: &str) -> Option<f64> {
    match &node.value {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => {
            mismatch(dec, node, path, "a number");
            None
        }
    }
}

pub(crate) fn boolean(dec: &mut Dec<'_>, node: &Node, path: &str) -> Option<bool> {
    match &node.value {
        Value::Bool(b) => Some(*b),
        _ => {
            mismatch(dec, node, path, "`true` or `false`");
            None
        }
    }
}

/// The items of a list (each item's position is recorded by whoever decodes it).
pub(crate) fn list<'n>(dec: &mut Dec<'_>, node: &'n Node, path: &str) -> Option<&'n [Node]> {
    match &node.value {
        Value::Seq(items) => Some(items),
        _ => {
            mismatch(dec, node, path, "a list");
            None
        }
    }
}

/// A list of strings; bad items are reported and left out.
pub(crate) fn strings(dec: &mut Dec<'_>, node: &Node, path: &str) -> Option<Vec<String>> {
    let items = list(dec, node, path)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let key = join(path, &i.to_string());
        dec.span(&key, item.pos);
        match string(dec, item, &key) {
            Some(s) => out.push(s),
            None => dec.poison(&key),
        }
    }
    Some(out)
}

/// One of a fixed set of words.
pub(crate) fn choice(
    dec: &mut Dec<'_>,
    node: &Node,
    path: &str,
    options: &[&'static str],
) -> Option<&'static str> {
    let word = string(dec, node, path)?;
    if let Some(found) = options.iter().find(|o| **o == word) {
        return Some(found);
    }
    let d = Diagnostic::error(format!("unknown {} `{word}`", display_name(path)));
    let help = match did_you_mean(&word, options) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("expected {}", one_of(options)),
    };
    dec.emit(node.pos, d.with_help(help));
    None
}

/// Decodes each item of the list under `name` as an object with `decode`.
///
/// An item that cannot be decoded at all becomes a poisoned `T::default()`, so that model
/// indices stay equal to the indices in the file (the structural keys rely on it).
pub(crate) fn objects<'n, T: Default>(
    obj: &Obj<'n>,
    dec: &mut Dec<'_>,
    name: &str,
    required: bool,
    mut decode: impl FnMut(&mut Dec<'_>, &'n Node, String) -> Option<T>,
) -> Vec<T> {
    let convert = |dec: &mut Dec<'_>, node: &'n Node, path: &str| list(dec, node, path);
    let items = if required {
        obj.req(dec, name, convert)
    } else {
        obj.opt(dec, name, convert)
    };
    let key = obj.key(name);
    items
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let path = join(&key, &i.to_string());
            decode(dec, node, path.clone()).unwrap_or_else(|| {
                dec.poison(&path);
                T::default()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::course::yaml::parse;

    #[test]
    fn resolves_to_the_closest_recorded_ancestor() {
        let mut src = Sources::default();
        let mut dec = src.file("course.yaml");
        dec.span("", Pos { line: 1, column: 1 });
        dec.span("modules/0", Pos { line: 5, column: 5 });
        assert_eq!(
            src.resolve("modules/0/lessons/2"),
            Some(("course.yaml", Pos { line: 5, column: 5 }))
        );
        assert_eq!(
            src.resolve("exam"),
            Some(("course.yaml", Pos { line: 1, column: 1 }))
        );
    }

    #[test]
    fn poison_covers_descendants_only() {
        let mut src = Sources::default();
        src.poison("labs/1");
        assert!(src.is_poisoned("labs/1/steps/0"));
        assert!(src.is_poisoned("labs/1"));
        assert!(!src.is_poisoned("labs/10"));
        assert!(!src.is_poisoned("labs"));
    }

    #[test]
    fn reports_unknown_duplicate_and_missing_keys() {
        let node = parse("id: a\ntitel: x\nid: b\n").unwrap();
        let mut src = Sources::default();
        let mut dec = src.file("f.yaml");
        let obj = Obj::new(&mut dec, &node, "lesson", String::new(), &["id", "title"]).unwrap();
        assert_eq!(obj.req(&mut dec, "id", string), Some("a".to_owned()));
        assert_eq!(obj.req(&mut dec, "title", string), None);
        let messages: Vec<String> = src.diagnostics.iter().map(ToString::to_string).collect();
        // No "missing key `title`": the did-you-mean already says it.
        assert_eq!(messages.len(), 2, "{messages:#?}");
        assert!(messages[0].contains("unknown key `titel`") && messages[0].contains(":2:1"));
        assert!(messages[0].contains("did you mean `title`?"));
        assert!(messages[1].contains("duplicate key `id`") && messages[1].contains(":3:1"));
        assert!(src.is_poisoned("title"));
        let node = parse("id: a\n").unwrap();
        let obj = Obj::new(
            &mut src.file("g.yaml"),
            &node,
            "lesson",
            String::new(),
            &["id", "title"],
        )
        .unwrap();
        assert_eq!(obj.req(&mut src.file("g.yaml"), "title", string), None);
        assert!(
            src.diagnostics[2]
                .message
                .contains("missing key `title` in lesson")
        );
    }

    #[test]
    fn names_list_items_in_messages() {
        let node = parse("labs: [a, 3]\n").unwrap();
        let mut src = Sources::default();
        let mut dec = src.file("f.yaml");
        let obj = Obj::new(&mut dec, &node, "module", "modules/0".into(), &["labs"]).unwrap();
        let labs = obj.opt(&mut dec, "labs", strings).unwrap();
        assert_eq!(labs, ["a"]);
        let d = &src.diagnostics[0];
        assert_eq!(
            d.message,
            "expected a string for `labs[1]`, found an integer"
        );
        assert_eq!((d.line, d.column), (Some(1), Some(11)));
    }
}
