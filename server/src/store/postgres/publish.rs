//! The rows of a published version, inserted from arrays (`UNNEST`): a constant number of
//! statements, so a publish costs the same few round trips whatever the course's size.

use sqlx::PgConnection;

use crate::store::shared::{conflict_on_unique, search_docs, tag_keys, to_json_text};
use crate::store::{NewCourseVersion, StoreResult};

/// Inserts the tag keys, lessons and search documents of `new` (the old ones are deleted).
pub(super) async fn insert_course_rows(
    tx: &mut PgConnection,
    new: &NewCourseVersion,
    tags: &[String],
) -> StoreResult<()> {
    let course_id = new.course_id.as_str();
    sqlx::query("INSERT INTO course_tags (course_id, tag) SELECT $1, UNNEST($2::text[])")
        .bind(course_id)
        .bind(tag_keys(tags))
        .execute(&mut *tx)
        .await?;
    let n = new.lessons.len();
    let (mut ids, mut modules, mut positions, mut titles, mut minutes) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut videos, mut bodies, mut transcripts, mut resources) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (position, l) in new.lessons.iter().enumerate() {
        ids.push(l.id.as_str());
        modules.push(l.module_id.as_str());
        positions.push(position as i64);
        titles.push(l.title.as_str());
        minutes.push(i64::from(l.minutes));
        videos.push(l.video.as_deref());
        bodies.push(l.body.as_str());
        transcripts.push(l.transcript.as_deref());
        resources.push(to_json_text(&l.resources)?);
    }
    sqlx::query(
        "INSERT INTO lessons (course_id, lesson_id, module_id, position, title, minutes, video, \
                              body, transcript, resources) \
         SELECT $1, u.lesson_id, u.module_id, u.position, u.title, u.minutes, u.video, u.body, \
                u.transcript, u.resources::jsonb \
         FROM UNNEST($2::text[], $3::text[], $4::int8[], $5::text[], $6::int8[], $7::text[], \
                     $8::text[], $9::text[], $10::text[]) \
              AS u(lesson_id, module_id, position, title, minutes, video, body, transcript, \
                   resources)",
    )
    .bind(course_id)
    .bind(ids)
    .bind(modules)
    .bind(positions)
    .bind(titles)
    .bind(minutes)
    .bind(videos)
    .bind(bodies)
    .bind(transcripts)
    .bind(resources)
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict_on_unique(e, "a lesson with this id"))?;

    let mut lesson_ids = Vec::new();
    let mut titles = Vec::new();
    let mut bodies = Vec::new();
    for (lesson_id, title, body) in search_docs(new) {
        lesson_ids.push(lesson_id);
        titles.push(title);
        bodies.push(body);
    }
    sqlx::query(
        "INSERT INTO search_docs (course_id, lesson_id, title, body) \
         SELECT $1, u.lesson_id, u.title, u.body \
         FROM UNNEST($2::text[], $3::text[], $4::text[]) AS u(lesson_id, title, body)",
    )
    .bind(course_id)
    .bind(lesson_ids)
    .bind(titles)
    .bind(bodies)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
