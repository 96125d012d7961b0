//! Content hashes and publish plans.
//!
//! A [`Manifest`] holds one SHA-256 per publishable item (course metadata, each module,
//! lesson, question and lab), computed from the item's canonical JSON. Comparing the
//! server's manifest with the local one gives a [`Plan`]: what `cloudmaster publish` will
//! add, change and remove. An empty plan means re-publishing would be a no-op.
//!
//! Each item hashes only its own content: a module's hash covers its lesson *ids* (order),
//! quiz and lab ids, not the lessons' text, so editing one lesson changes exactly one item.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

use super::model::{Completion, Course, Exam, Level, MockExam, Module, Price, Quiz};

/// The kinds of publishable items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// The course's own fields (title, price, exam, completion, module order, ...).
    Course,
    Module,
    Lesson,
    Question,
    Lab,
}

impl ItemKind {
    pub const ALL: [ItemKind; 5] = [
        ItemKind::Course,
        ItemKind::Module,
        ItemKind::Lesson,
        ItemKind::Question,
        ItemKind::Lab,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Course => "course",
            ItemKind::Module => "module",
            ItemKind::Lesson => "lesson",
            ItemKind::Question => "question",
            ItemKind::Lab => "lab",
        }
    }
}

/// One item: its kind and id. In JSON it is the string `kind:id`, so a manifest's items
/// are a JSON object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemKey {
    pub kind: ItemKind,
    pub id: String,
}

impl fmt::Display for ItemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.id)
    }
}

/// An item key that is not `kind:id`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an item key such as `lesson:iam-basics`")]
pub struct ParseItemKeyError(String);

impl FromStr for ItemKey {
    type Err = ParseItemKeyError;

    fn from_str(s: &str) -> Result<ItemKey, ParseItemKeyError> {
        let err = || ParseItemKeyError(s.to_owned());
        let (kind, id) = s.split_once(':').ok_or_else(err)?;
        let kind = ItemKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(err)?;
        Ok(ItemKey {
            kind,
            id: id.to_owned(),
        })
    }
}

impl Serialize for ItemKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ItemKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ItemKey, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The content hash of every item of one course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub course_id: String,
    /// Lower-case hex SHA-256 per item.
    pub items: BTreeMap<ItemKey, String>,
}

/// The course's own fields, with modules reduced to their ids.
#[derive(Serialize)]
struct CourseItem<'a> {
    format: u32,
    id: &'a str,
    title: &'a str,
    summary: &'a str,
    level: Level,
    provider: &'a str,
    tags: &'a [String],
    price: Option<&'a Price>,
    prerequisites: &'a [String],
    objectives: &'a [String],
    estimated_hours: u32,
    exam: Option<&'a Exam>,
    completion: &'a Completion,
    mock_exam: Option<&'a MockExam>,
    modules: Vec<&'a str>,
}

/// A module with its lessons reduced to their ids.
#[derive(Serialize)]
struct ModuleItem<'a> {
    id: &'a str,
    title: &'a str,
    summary: Option<&'a str>,
    lessons: Vec<&'a str>,
    quiz: Option<&'a Quiz>,
    labs: &'a [String],
}

impl Manifest {
    /// Hashes every item of `course`.
    pub fn of(course: &Course) -> Manifest {
        let mut items = BTreeMap::new();
        let mut add = |kind: ItemKind, id: &str, hash: String| {
            items.insert(
                ItemKey {
                    kind,
                    id: id.to_owned(),
                },
                hash,
            );
        };
        let meta = CourseItem {
            format: course.format,
            id: &course.id,
            title: &course.title,
            summary: &course.summary,
            level: course.level,
            provider: &course.provider,
            tags: &course.tags,
            price: course.price.as_ref(),
            prerequisites: &course.prerequisites,
            objectives: &course.objectives,
            estimated_hours: course.estimated_hours,
            exam: course.exam.as_ref(),
            completion: &course.completion,
            mock_exam: course.mock_exam.as_ref(),
            modules: course.modules.iter().map(|m| m.id.as_str()).collect(),
        };
        add(ItemKind::Course, &course.id, hash(ItemKind::Course, &meta));
        for module in &course.modules {
            add(
                ItemKind::Module,
                &module.id,
                hash(ItemKind::Module, &module_item(module)),
            );
            for lesson in &module.lessons {
                add(ItemKind::Lesson, &lesson.id, hash(ItemKind::Lesson, lesson));
            }
        }
        for question in &course.questions {
            add(
                ItemKind::Question,
                &question.id,
                hash(ItemKind::Question, question),
            );
        }
        for lab in &course.labs {
            add(ItemKind::Lab, &lab.id, hash(ItemKind::Lab, lab));
        }
        Manifest {
            course_id: course.id.clone(),
            items,
        }
    }

    /// One hash over all items: equal digests mean equal content.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"cloudmaster-manifest-v1\n");
        hasher.update(self.course_id.as_bytes());
        for (key, hash) in &self.items {
            hasher.update(format!("\n{key}={hash}").as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}

fn module_item(module: &Module) -> ModuleItem<'_> {
    ModuleItem {
        id: &module.id,
        title: &module.title,
        summary: module.summary.as_deref(),
        lessons: module.lessons.iter().map(|l| l.id.as_str()).collect(),
        quiz: module.quiz.as_ref(),
        labs: &module.labs,
    }
}

/// SHA-256 of the kind and the item's JSON. Struct fields serialize in declaration order and
/// the JSON objects inside check values in a fixed order, so equal content gives equal bytes.
fn hash(kind: ItemKind, item: &impl Serialize) -> String {
    let json = serde_json::to_vec(item).unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(b"cloudmaster-item-v1\n");
    hasher.update(kind.as_str().as_bytes());
    hasher.update(b"\n");
    hasher.update(&json);
    hex::encode(hasher.finalize())
}

/// Added, changed and removed ids of one kind, each sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// What publishing a new manifest over an old one does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub course_id: String,
    /// The server has no version of this course yet.
    pub new_course: bool,
    /// The course's own fields changed (always true for a new course).
    pub metadata_changed: bool,
    pub modules: Changes,
    pub lessons: Changes,
    pub questions: Changes,
    pub labs: Changes,
}

impl Plan {
    /// The plan from `old` (the published version, if any) to `new`.
    pub fn between(old: Option<&Manifest>, new: &Manifest) -> Plan {
        let empty = BTreeMap::new();
        let old_items = old.map_or(&empty, |m| &m.items);
        let mut plan = Plan {
            course_id: new.course_id.clone(),
            new_course: old.is_none(),
            ..Plan::default()
        };
        for (key, hash) in &new.items {
            match old_items.get(key) {
                None if key.kind == ItemKind::Course => plan.metadata_changed = true,
                Some(old_hash) if key.kind == ItemKind::Course => {
                    plan.metadata_changed |= old_hash != hash;
                }
                None => plan.changes_mut(key.kind).added.push(key.id.clone()),
                Some(old_hash) if old_hash != hash => {
                    plan.changes_mut(key.kind).changed.push(key.id.clone());
                }
                Some(_) => {}
            }
        }
        for key in old_items.keys() {
            if key.kind != ItemKind::Course && !new.items.contains_key(key) {
                plan.changes_mut(key.kind).removed.push(key.id.clone());
            }
        }
        plan
    }

    /// Nothing would change.
    pub fn is_empty(&self) -> bool {
        !self.new_course
            && !self.metadata_changed
            && [&self.modules, &self.lessons, &self.questions, &self.labs]
                .iter()
                .all(|c| c.is_empty())
    }

    /// The changes of one kind (`ItemKind::Course` has none: see `metadata_changed`).
    pub fn changes(&self, kind: ItemKind) -> Option<&Changes> {
        match kind {
            ItemKind::Course => None,
            ItemKind::Module => Some(&self.modules),
            ItemKind::Lesson => Some(&self.lessons),
            ItemKind::Question => Some(&self.questions),
            ItemKind::Lab => Some(&self.labs),
        }
    }

    fn changes_mut(&mut self, kind: ItemKind) -> &mut Changes {
        match kind {
            ItemKind::Module => &mut self.modules,
            ItemKind::Lesson => &mut self.lessons,
            ItemKind::Question => &mut self.questions,
            // Course items never reach here; labs are the remaining kind.
            ItemKind::Course | ItemKind::Lab => &mut self.labs,
        }
    }
}

/// One line per change: `+ lesson iam-basics`, `~ question q1`, `- lab old-lab`.
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return write!(f, "course `{}` is up to date", self.course_id);
        }
        if self.new_course {
            writeln!(f, "+ course {}", self.course_id)?;
        } else if self.metadata_changed {
            writeln!(f, "~ course {}", self.course_id)?;
        }
        for kind in [
            ItemKind::Module,
            ItemKind::Lesson,
            ItemKind::Question,
            ItemKind::Lab,
        ] {
            let Some(changes) = self.changes(kind) else {
                continue;
            };
            let kind = kind.as_str();
            for (sign, ids) in [
                ("+", &changes.added),
                ("~", &changes.changed),
                ("-", &changes.removed),
            ] {
                for id in ids {
                    writeln!(f, "{sign} {kind} {id}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::course::model::Lesson;

    fn course() -> Course {
        let lesson = |id: &str| Lesson {
            id: id.into(),
            title: id.into(),
            file: format!("lessons/{id}.md"),
            body: format!("# {id}"),
            minutes: 5,
            ..Lesson::default()
        };
        Course {
            format: 1,
            id: "c".into(),
            modules: vec![Module {
                id: "m".into(),
                lessons: vec![lesson("a"), lesson("b")],
                ..Module::default()
            }],
            ..Course::default()
        }
    }

    #[test]
    fn one_changed_lesson_is_one_change() {
        let old = Manifest::of(&course());
        let mut edited = course();
        edited.modules[0].lessons[1].body.push_str("\nmore");
        let plan = Plan::between(Some(&old), &Manifest::of(&edited));
        assert_eq!(plan.lessons.changed, ["b"]);
        assert!(!plan.metadata_changed);
        assert!(plan.modules.is_empty());
        assert_eq!(plan.to_string(), "~ lesson b\n");
    }

    #[test]
    fn unchanged_content_is_an_empty_plan_and_new_courses_add_everything() {
        let m = Manifest::of(&course());
        assert!(Plan::between(Some(&m), &m).is_empty());
        let plan = Plan::between(None, &m);
        assert!(plan.new_course && plan.metadata_changed);
        assert_eq!(plan.lessons.added, ["a", "b"]);
        assert_eq!(plan.modules.added, ["m"]);
    }

    #[test]
    fn removals_and_module_order() {
        let old = Manifest::of(&course());
        let mut edited = course();
        edited.modules[0].lessons.remove(0);
        let plan = Plan::between(Some(&old), &Manifest::of(&edited));
        assert_eq!(plan.lessons.removed, ["a"]);
        assert_eq!(plan.modules.changed, ["m"]);
    }

    #[test]
    fn manifests_round_trip_as_json_objects() {
        let m = Manifest::of(&course());
        let json = serde_json::to_value(&m).unwrap();
        assert!(json["items"]["lesson:a"].is_string());
        let back: Manifest = serde_json::from_value(json).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.digest(), m.digest());
        assert!("nope".parse::<ItemKey>().is_err());
    }
}
