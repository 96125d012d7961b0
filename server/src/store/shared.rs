//! Backend-independent pieces of the two stores: value encodings, error mapping and the
//! search-document text.
//!
//! Keeping these here means SQLite and PostgreSQL cannot disagree on a rule; the SQL of each
//! backend only fetches rows.

use cloudmaster_core::api::{LessonStatus, Role, Scope, Tier};

use super::{StoreError, StoreResult};

/// The key under which emails are unique: Unicode lower case, computed here (not by the
/// database) so both backends agree.
pub(crate) fn email_key(email: &str) -> String {
    email.to_lowercase()
}

/// Maps a unique-constraint violation to [`StoreError::Conflict`] naming `what`.
pub(crate) fn conflict_on_unique(err: sqlx::Error, what: &str) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(what.to_owned())
        }
        _ => err.into(),
    }
}

/// Maps a foreign-key violation (a row naming what does not exist) to
/// [`StoreError::NotFound`] naming `what`.
pub(crate) fn not_found_on_foreign_key(err: sqlx::Error, what: &str) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::NotFound(what.to_owned())
        }
        _ => err.into(),
    }
}

/// The key of the lock (`lock_start`) that serialises starts of one `kind` of thing
/// (`attempt`, `lab`) with the id `id` by one user in one course.
pub(crate) fn start_key(kind: &str, user_id: uuid::Uuid, course_id: &str, id: &str) -> String {
    format!("{kind}\u{1f}{user_id}\u{1f}{course_id}\u{1f}{id}")
}

pub(crate) fn parse_role(s: &str) -> StoreResult<Role> {
    s.parse().map_err(StoreError::Corrupt)
}

pub(crate) fn parse_tier(s: &str) -> StoreResult<Tier> {
    s.parse().map_err(StoreError::Corrupt)
}

pub(crate) fn parse_status(s: &str) -> StoreResult<LessonStatus> {
    match s {
        "started" => Ok(LessonStatus::Started),
        "completed" => Ok(LessonStatus::Completed),
        other => Err(StoreError::Corrupt(format!(
            "unknown lesson status `{other}`"
        ))),
    }
}

/// Scopes are stored as one space-separated string, sorted and without duplicates.
pub(crate) fn encode_scopes(scopes: &[Scope]) -> String {
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn decode_scopes(s: &str) -> StoreResult<Vec<Scope>> {
    s.split_whitespace()
        .map(|s| s.parse().map_err(StoreError::Corrupt))
        .collect()
}

pub(crate) fn from_json_value<T: serde::de::DeserializeOwned>(
    what: &str,
    value: serde_json::Value,
) -> StoreResult<T> {
    serde_json::from_value(value).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Text as indexed for search: `[` and `]` are dropped (they are not word characters, so
/// matching is unchanged) so that in a snippet they only ever mark matched terms.
pub(crate) fn search_text(s: &str) -> String {
    s.chars().filter(|c| *c != '[' && *c != ']').collect()
}

/// A user's search query with control characters (NUL among them, which PostgreSQL text
/// cannot hold) turned into spaces.
pub(crate) fn clean_query(q: &str) -> String {
    q.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A search hit as both backends select it: `course_id, course_title, lesson_id,
/// lesson_title, snippet, score` (higher is better).
pub(crate) type HitRow = (String, String, Option<String>, Option<String>, String, f64);

pub(crate) fn search_hit(row: HitRow) -> cloudmaster_core::api::SearchHit {
    let (course_id, course_title, lesson_id, lesson_title, snippet, score) = row;
    cloudmaster_core::api::SearchHit {
        course_id,
        course_title,
        lesson_id,
        lesson_title,
        snippet,
        score,
        // Per caller, so not the store's to say: the search route marks locked lessons.
        locked: false,
    }
}

/// The search documents of one published version: the course (title, summary) first, then
/// each lesson (title, body), as `(lesson_id, title, body)`.
pub(crate) fn search_docs(
    new: &crate::publish::NewCourseVersion,
) -> impl Iterator<Item = (Option<&str>, String, String)> {
    let course = std::iter::once((
        None,
        search_text(&new.detail.summary.title),
        search_text(&new.detail.summary.summary),
    ));
    let lessons = new.lessons.iter().map(|l| {
        (
            Some(l.id.as_str()),
            search_text(&l.title),
            // Plain text, so snippets show no Markdown syntax and no words run together.
            search_text(&cloudmaster_core::plain::markdown_to_plain(&l.body)),
        )
    });
    course.chain(lessons)
}

/// Catalog order: by title, case-insensitively (Unicode), then id. Sorted here rather than
/// in SQL because the two databases collate text differently.
pub(crate) fn sort_catalog(list: &mut [cloudmaster_core::api::CourseSummary]) {
    list.sort_by_cached_key(|c| (c.title.to_lowercase(), c.id.clone()));
}

/// Tags as stored for the tag filter: lower case, without duplicates.
pub(crate) fn tag_keys(tags: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = tags.iter().map(|t| t.to_lowercase()).collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_sorted_and_deduplicated() {
        let s = encode_scopes(&[Scope::Publish, Scope::Learn, Scope::Publish]);
        assert_eq!(s, "learn publish");
        assert_eq!(
            decode_scopes(&s).unwrap(),
            vec![Scope::Learn, Scope::Publish]
        );
        assert_eq!(decode_scopes("").unwrap(), vec![]);
    }

    #[test]
    fn search_text_drops_brackets_only() {
        assert_eq!(
            search_text("see [docs](https://x) now"),
            "see docs(https://x) now"
        );
    }
}
