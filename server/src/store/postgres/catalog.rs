//! Publishing (immutable versions plus the current-version projection) and catalog reads on
//! PostgreSQL.
//!
//! A publish is one transaction of a constant number of statements (lessons, tags and
//! search documents are inserted from arrays with `UNNEST`). Concurrent publishes of one
//! course serialise on `SELECT ... FOR UPDATE` of the course row; two first publishes of a
//! new course race on the `courses` primary key and the loser gets `Conflict`; the
//! `(course_id, version)` primary key is the backstop.

use cloudmaster_core::api::{
    CourseDetail, CourseFilter, CourseSummary, CourseVersion, Lesson, Price, Resource,
};
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::PgStore;
use crate::store::shared::{
    check_expected, conflict_on_unique, from_json_value, normalise_detail, now, search_docs,
    sort_catalog, tag_keys, to_json_text,
};
use crate::store::{CurrentVersion, NewCourseVersion, StoreResult};

pub(super) async fn current_version(
    s: &PgStore,
    course_id: &str,
) -> StoreResult<Option<CurrentVersion>> {
    let row: Option<(i64, Uuid, serde_json::Value)> = sqlx::query_as(
        "SELECT c.current_version, c.owner_id, v.manifest \
         FROM courses c \
         JOIN course_versions v ON v.course_id = c.id AND v.version = c.current_version \
         WHERE c.id = $1",
    )
    .bind(course_id)
    .fetch_optional(&s.pool)
    .await?;
    Ok(row.map(|(version, owner_id, manifest)| CurrentVersion {
        version,
        owner_id,
        manifest,
    }))
}

pub(super) async fn publish_version(
    s: &PgStore,
    new: NewCourseVersion,
    expected_current: Option<i64>,
) -> StoreResult<i64> {
    let course_id = new.course_id.as_str();
    let published_at = now();
    let mut tx = s.pool.begin().await?;
    let current: Option<(i64,)> =
        sqlx::query_as("SELECT current_version FROM courses WHERE id = $1 FOR UPDATE")
            .bind(course_id)
            .fetch_optional(&mut *tx)
            .await?;
    let current = current.map(|(v,)| v);
    check_expected(course_id, current, expected_current)?;
    let version = current.unwrap_or(0) + 1;

    let mut detail = new.detail.clone();
    normalise_detail(&mut detail, &new, version, published_at);
    let summary = &detail.summary;
    let (price_amount, price_currency) = match &summary.price {
        Some(p) => (Some(p.amount), Some(p.currency.as_str())),
        None => (None, None),
    };
    let detail_json = serde_json::to_value(&detail)
        .map_err(|e| crate::store::StoreError::Corrupt(format!("course detail: {e}")))?;

    let upsert_course = if current.is_some() {
        sqlx::query(
            "UPDATE courses SET current_version = $2, title = $3, summary = $4, level = $5, \
                    provider = $6, is_free = $7, price_amount = $8, price_currency = $9, \
                    tags = $10, estimated_hours = $11, lesson_count = $12, published_at = $13, \
                    detail_json = $14 \
             WHERE id = $1",
        )
    } else {
        // The first publisher owns the course. A concurrent first publish makes this insert
        // fail on the primary key once the other commits.
        sqlx::query(
            "INSERT INTO courses (id, current_version, title, summary, level, provider, \
                                  is_free, price_amount, price_currency, tags, \
                                  estimated_hours, lesson_count, published_at, detail_json, \
                                  owner_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
    };
    upsert_course
        .bind(course_id)
        .bind(version)
        .bind(&summary.title)
        .bind(&summary.summary)
        .bind(&summary.level)
        .bind(&summary.provider)
        .bind(summary.price.is_none())
        .bind(price_amount)
        .bind(price_currency)
        .bind(Json(&summary.tags))
        .bind(summary.estimated_hours)
        .bind(i64::from(summary.lesson_count))
        .bind(published_at)
        .bind(&detail_json)
        .bind(new.published_by)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, &format!("course `{course_id}`")))?;

    sqlx::query(
        "INSERT INTO course_versions (course_id, version, bundle, manifest, published_by, \
                                      published_at, restored_from) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(course_id)
    .bind(version)
    .bind(&new.bundle)
    .bind(&new.manifest)
    .bind(new.published_by)
    .bind(published_at)
    .bind(new.restored_from)
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict_on_unique(e, &format!("version {version} of course `{course_id}`")))?;

    sqlx::query("DELETE FROM course_tags WHERE course_id = $1")
        .bind(course_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO course_tags (course_id, tag) SELECT $1, UNNEST($2::text[])")
        .bind(course_id)
        .bind(tag_keys(&summary.tags))
        .execute(&mut *tx)
        .await?;

    replace_lessons(&mut tx, &new).await?;
    replace_search_docs(&mut tx, &new).await?;
    tx.commit().await?;
    Ok(version)
}

async fn replace_lessons(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    new: &NewCourseVersion,
) -> StoreResult<()> {
    let course_id = new.course_id.as_str();
    sqlx::query("DELETE FROM lessons WHERE course_id = $1")
        .bind(course_id)
        .execute(&mut **tx)
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
    .execute(&mut **tx)
    .await
    .map_err(|e| conflict_on_unique(e, "a lesson with this id"))?;
    Ok(())
}

async fn replace_search_docs(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    new: &NewCourseVersion,
) -> StoreResult<()> {
    let course_id = new.course_id.as_str();
    sqlx::query("DELETE FROM search_docs WHERE course_id = $1")
        .bind(course_id)
        .execute(&mut **tx)
        .await?;
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
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn course_versions(
    s: &PgStore,
    course_id: &str,
) -> StoreResult<Vec<CourseVersion>> {
    let rows: Vec<(i64, Uuid, OffsetDateTime, Option<i64>, bool)> = sqlx::query_as(
        "SELECT v.version, v.published_by, v.published_at, v.restored_from, \
                v.version = c.current_version \
         FROM course_versions v JOIN courses c ON c.id = v.course_id \
         WHERE v.course_id = $1 ORDER BY v.version",
    )
    .bind(course_id)
    .fetch_all(&s.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(version, published_by, published_at, restored_from, current)| CourseVersion {
                course_id: course_id.to_owned(),
                version,
                published_by,
                published_at,
                restored_from,
                current,
            },
        )
        .collect())
}

pub(super) async fn version_bundle(
    s: &PgStore,
    course_id: &str,
    version: i64,
) -> StoreResult<Option<serde_json::Value>> {
    let row: Option<(serde_json::Value,)> =
        sqlx::query_as("SELECT bundle FROM course_versions WHERE course_id = $1 AND version = $2")
            .bind(course_id)
            .bind(version)
            .fetch_optional(&s.pool)
            .await?;
    Ok(row.map(|(bundle,)| bundle))
}

/// `id, title, summary, level, provider, tags, price_amount, price_currency,
/// estimated_hours, lesson_count, current_version`
type SummaryRow = (
    String,
    String,
    String,
    String,
    String,
    serde_json::Value,
    Option<i64>,
    Option<String>,
    f64,
    i64,
    i64,
);

pub(super) async fn list_courses(
    s: &PgStore,
    filter: &CourseFilter,
) -> StoreResult<Vec<CourseSummary>> {
    let key = |v: &Option<String>| {
        v.as_deref()
            .filter(|v| !v.is_empty())
            .map(str::to_lowercase)
    };
    // One static statement for every combination of filters: an unset filter binds NULL.
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT id, title, summary, level, provider, tags, price_amount, price_currency, \
                estimated_hours, lesson_count, current_version \
         FROM courses c \
         WHERE ($1::text IS NULL OR lower(provider) = $1) \
           AND ($2::text IS NULL OR lower(level) = $2) \
           AND ($3::boolean IS NULL OR is_free = $3) \
           AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM course_tags t \
                                            WHERE t.course_id = c.id AND t.tag = $4)) \
",
    )
    .bind(key(&filter.provider))
    .bind(key(&filter.level))
    .bind(filter.free)
    .bind(key(&filter.tag))
    .fetch_all(&s.pool)
    .await?;
    let mut list = rows
        .into_iter()
        .map(|row| {
            let (id, title, summary, level, provider, tags, amount, currency, hours, n, version) =
                row;
            let price = match (amount, currency) {
                (Some(amount), Some(currency)) => Some(Price { amount, currency }),
                _ => None,
            };
            Ok(CourseSummary {
                id,
                title,
                summary,
                level,
                provider,
                tags: from_json_value("course tags", tags)?,
                price,
                estimated_hours: hours,
                lesson_count: u32::try_from(n).unwrap_or(0),
                version,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    sort_catalog(&mut list);
    Ok(list)
}

pub(super) async fn course_detail(
    s: &PgStore,
    course_id: &str,
) -> StoreResult<Option<CourseDetail>> {
    let row: Option<(serde_json::Value,)> =
        sqlx::query_as("SELECT detail_json FROM courses WHERE id = $1")
            .bind(course_id)
            .fetch_optional(&s.pool)
            .await?;
    row.map(|(json,)| from_json_value("course detail", json))
        .transpose()
}

pub(super) async fn lesson(
    s: &PgStore,
    course_id: &str,
    lesson_id: &str,
) -> StoreResult<Option<Lesson>> {
    type Row = (
        String,
        String,
        i64,
        Option<String>,
        String,
        Option<String>,
        serde_json::Value,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT module_id, title, minutes, video, body, transcript, resources \
         FROM lessons WHERE course_id = $1 AND lesson_id = $2",
    )
    .bind(course_id)
    .bind(lesson_id)
    .fetch_optional(&s.pool)
    .await?;
    let Some((module_id, title, minutes, video, body, transcript, resources)) = row else {
        return Ok(None);
    };
    Ok(Some(Lesson {
        course_id: course_id.to_owned(),
        module_id,
        id: lesson_id.to_owned(),
        title,
        minutes: u32::try_from(minutes).unwrap_or(0),
        body,
        video,
        transcript,
        resources: from_json_value::<Vec<Resource>>("lesson resources", resources)?,
    }))
}
