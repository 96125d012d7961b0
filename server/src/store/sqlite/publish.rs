//! The rows of a published version, inserted one statement per row: SQLite has no arrays to
//! bind, and on its one in-process connection a statement costs no round trip.

use sqlx::SqliteConnection;

use crate::store::shared::{conflict_on_unique, search_docs, tag_keys, to_json_text};
use crate::store::{NewCourseVersion, StoreResult};

/// Inserts the tag keys, lessons and search documents of `new` (the old ones are deleted).
pub(super) async fn insert_course_rows(
    tx: &mut SqliteConnection,
    new: &NewCourseVersion,
    tags: &[String],
) -> StoreResult<()> {
    let course_id = new.course_id.as_str();
    for tag in tag_keys(tags) {
        sqlx::query("INSERT INTO course_tags (course_id, tag) VALUES ($1, $2)")
            .bind(course_id)
            .bind(tag)
            .execute(&mut *tx)
            .await?;
    }
    for (position, lesson) in new.lessons.iter().enumerate() {
        sqlx::query(
            "INSERT INTO lessons (course_id, lesson_id, module_id, position, title, minutes, \
                                  video, body, transcript, resources) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(course_id)
        .bind(&lesson.id)
        .bind(&lesson.module_id)
        .bind(position as i64)
        .bind(&lesson.title)
        .bind(i64::from(lesson.minutes))
        .bind(&lesson.video)
        .bind(&lesson.body)
        .bind(&lesson.transcript)
        .bind(to_json_text(&lesson.resources)?)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "a lesson with this id"))?;
    }
    for (lesson_id, title, body) in search_docs(new) {
        sqlx::query(
            "INSERT INTO search_docs (course_id, lesson_id, title, body) VALUES ($1, $2, $3, $4)",
        )
        .bind(course_id)
        .bind(lesson_id)
        .bind(title)
        .bind(body)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
