//! Backend-independent pieces of the two stores: value encodings, the search-document text,
//! and the assembly of [`CourseProgress`] (resume point, percent) from joined rows.
//!
//! Keeping these here means SQLite and PostgreSQL cannot disagree on a rule; the SQL of each
//! backend only fetches rows.

use cloudmaster_core::api::{
    CourseProgress, LessonProgress, LessonStatus, ResumePoint, Role, Scope, Tier,
};
use time::OffsetDateTime;

use super::{StoreError, StoreResult};

/// The instant `t` in UTC, truncated to whole microseconds: the precision both backends
/// store, so a value returned by a write equals the value a later read returns.
pub(crate) fn micros(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    let nanos = t.nanosecond() / 1_000 * 1_000;
    t.replace_nanosecond(nanos).unwrap_or(t)
}

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

pub(crate) fn is_foreign_key_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_foreign_key_violation())
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

pub(crate) fn to_json_text<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

pub(crate) fn from_json_text<T: serde::de::DeserializeOwned>(
    what: &str,
    text: &str,
) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
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
    new: &super::NewCourseVersion,
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

/// The optimistic check of a publish: the caller planned against `expected`.
pub(crate) fn check_expected(
    course_id: &str,
    current: Option<i64>,
    expected: Option<i64>,
) -> StoreResult<()> {
    match (current, expected) {
        _ if current == expected => Ok(()),
        (Some(_), None) => Err(StoreError::Conflict(format!("course `{course_id}`"))),
        (Some(current), Some(_)) => Err(StoreError::Conflict(format!(
            "version {current} of course `{course_id}`"
        ))),
        (None, Some(expected)) => Err(StoreError::NotFound(format!(
            "version {expected} of course `{course_id}`"
        ))),
        (None, None) => Ok(()),
    }
}

/// Makes the stored projection agree with what the store decided: the course id, version
/// number, lesson count and publication time.
pub(crate) fn normalise_detail(
    detail: &mut cloudmaster_core::api::CourseDetail,
    new: &super::NewCourseVersion,
    version: i64,
    published_at: OffsetDateTime,
) {
    detail.summary.id.clone_from(&new.course_id);
    detail.summary.version = version;
    detail.summary.lesson_count = u32::try_from(new.lessons.len()).unwrap_or(u32::MAX);
    detail.published_at = published_at;
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

/// One row of the progress join: a course, one of its current lessons (in course order)
/// and the user's progress on it, if any.
pub(crate) struct ProgressRow {
    pub course_id: String,
    pub course_title: String,
    /// None only for a course without lessons.
    pub lesson: Option<OutlineRow>,
}

pub(crate) struct OutlineRow {
    pub lesson_id: String,
    pub module_id: String,
    pub title: String,
    pub progress: Option<LessonProgress>,
}

/// Folds rows ordered by course, then lesson position, into one [`CourseProgress`] per
/// course, keeping the order in which courses first appear.
pub(crate) fn group_progress(rows: impl IntoIterator<Item = ProgressRow>) -> Vec<CourseProgress> {
    let mut out: Vec<(String, String, Vec<OutlineRow>)> = Vec::new();
    for row in rows {
        match out.last_mut() {
            Some((id, _, lessons)) if *id == row.course_id => lessons.extend(row.lesson),
            _ => out.push((
                row.course_id,
                row.course_title,
                row.lesson.into_iter().collect(),
            )),
        }
    }
    out.into_iter()
        .map(|(course_id, course_title, lessons)| course_progress(course_id, course_title, lessons))
        .collect()
}

/// Counts, percent and resume point of one course from its current lessons in order.
///
/// Only lessons of the current version count, so progress on a lesson a later publish
/// removed disappears from the totals (and comes back if the lesson does).
pub(crate) fn course_progress(
    course_id: String,
    course_title: String,
    lessons: Vec<OutlineRow>,
) -> CourseProgress {
    let total = u32::try_from(lessons.len()).unwrap_or(u32::MAX);
    let completed = lessons
        .iter()
        .filter(|l| is_completed(l))
        .count()
        .try_into()
        .unwrap_or(u32::MAX);
    let percent = if total == 0 {
        0
    } else {
        (u64::from(completed) * 100 / u64::from(total)) as u32
    };
    let resume = resume_point(&lessons);
    CourseProgress {
        course_id,
        course_title,
        completed_lessons: completed,
        total_lessons: total,
        percent,
        resume,
        lessons: lessons.into_iter().filter_map(|l| l.progress).collect(),
        // Filled in by the progress routes from the learning and lab tables.
        review_due: 0,
        labs: Vec::new(),
        certificate: None,
    }
}

fn is_completed(l: &OutlineRow) -> bool {
    matches!(&l.progress, Some(p) if p.status == LessonStatus::Completed)
}

/// Where "continue" goes:
///
/// 1. the started (not completed) lesson the learner touched most recently, at its saved
///    position (ties go to the earlier lesson in course order);
/// 2. otherwise the first lesson in course order that is not completed, from the top;
/// 3. `None` when every lesson is completed (or the course has none).
pub(crate) fn resume_point(lessons: &[OutlineRow]) -> Option<ResumePoint> {
    let mut best: Option<(&OutlineRow, &LessonProgress)> = None;
    for l in lessons {
        if let Some(p) = &l.progress
            && p.status == LessonStatus::Started
            && best.is_none_or(|(_, b)| p.updated_at > b.updated_at)
        {
            best = Some((l, p));
        }
    }
    if let Some((l, p)) = best {
        return Some(ResumePoint {
            module_id: l.module_id.clone(),
            lesson_id: l.lesson_id.clone(),
            lesson_title: l.title.clone(),
            position: p.position,
        });
    }
    lessons
        .iter()
        .find(|l| !is_completed(l))
        .map(|l| ResumePoint {
            module_id: l.module_id.clone(),
            lesson_id: l.lesson_id.clone(),
            lesson_title: l.title.clone(),
            position: None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn row(id: &str, progress: Option<(LessonStatus, OffsetDateTime)>) -> OutlineRow {
        OutlineRow {
            lesson_id: id.into(),
            module_id: "m".into(),
            title: id.to_uppercase(),
            progress: progress.map(|(status, at)| LessonProgress {
                lesson_id: id.into(),
                status,
                position: Some(7),
                updated_at: at,
                completed_at: (status == LessonStatus::Completed).then_some(at),
            }),
        }
    }

    #[test]
    fn resume_prefers_most_recent_started_lesson() {
        let t1 = datetime!(2025-01-01 10:00 UTC);
        let t2 = datetime!(2025-01-01 11:00 UTC);
        let lessons = vec![
            row("a", Some((LessonStatus::Started, t1))),
            row("b", Some((LessonStatus::Completed, t2))),
            row("c", Some((LessonStatus::Started, t2))),
            row("d", None),
        ];
        let p = course_progress("c1".into(), "C".into(), lessons);
        let resume = p.resume.unwrap();
        assert_eq!(resume.lesson_id, "c");
        assert_eq!(resume.position, Some(7));
        assert_eq!(
            (p.completed_lessons, p.total_lessons, p.percent),
            (1, 4, 25)
        );
        assert_eq!(p.lessons.len(), 3);
    }

    #[test]
    fn resume_falls_back_to_first_incomplete_then_none() {
        let t = datetime!(2025-01-01 10:00 UTC);
        let lessons = vec![row("a", Some((LessonStatus::Completed, t))), row("b", None)];
        let resume = resume_point(&lessons).unwrap();
        assert_eq!((resume.lesson_id.as_str(), resume.position), ("b", None));

        let done = vec![row("a", Some((LessonStatus::Completed, t)))];
        let p = course_progress("c".into(), "C".into(), done);
        assert_eq!((p.percent, p.resume), (100, None));
    }

    #[test]
    fn percent_rounds_down_and_empty_course_is_zero() {
        let t = datetime!(2025-01-01 10:00 UTC);
        let lessons = vec![
            row("a", Some((LessonStatus::Completed, t))),
            row("b", Some((LessonStatus::Completed, t))),
            row("c", None),
        ];
        assert_eq!(course_progress("c".into(), "C".into(), lessons).percent, 66);
        let empty = course_progress("c".into(), "C".into(), vec![]);
        assert_eq!(
            (empty.percent, empty.total_lessons, empty.resume),
            (0, 0, None)
        );
    }

    #[test]
    fn grouping_keeps_course_order_and_courses_without_lessons() {
        let rows = vec![
            ProgressRow {
                course_id: "x".into(),
                course_title: "X".into(),
                lesson: Some(row("a", None)),
            },
            ProgressRow {
                course_id: "x".into(),
                course_title: "X".into(),
                lesson: Some(row("b", None)),
            },
            ProgressRow {
                course_id: "empty".into(),
                course_title: "E".into(),
                lesson: None,
            },
        ];
        let grouped = group_progress(rows);
        assert_eq!(grouped.len(), 2);
        assert_eq!(grouped[0].total_lessons, 2);
        assert_eq!(grouped[1].total_lessons, 0);
    }

    #[test]
    fn micros_truncates_and_normalises_to_utc() {
        let t = datetime!(2025-01-01 10:00:00.123456789 +02:00);
        let m = micros(t);
        assert_eq!(m.offset(), time::UtcOffset::UTC);
        assert_eq!(m.nanosecond(), 123_456_000);
        assert_eq!(m, datetime!(2025-01-01 08:00:00.123456 UTC));
    }

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
