//! [`CatalogStore`](crate::store::CatalogStore): publishing (immutable versions plus the
//! current-version projection), catalog reads and search, shared by both backends.
//!
//! A publish is one transaction. Concurrent publishes of one course serialise on the course
//! row (`for_update!`; on SQLite the write lock of `BEGIN IMMEDIATE`); two first publishes of
//! a new course race on the `courses` primary key and the loser gets `Conflict`; the
//! `(course_id, version)` primary key is the backstop. The rows of the new version (tags,
//! lessons, search documents) go in one statement per table whatever the course's size: each
//! is bound as one JSON array that the database expands into rows (`json_elements!`, the
//! one part of it whose SQL differs per backend).
//!
//! Search is the backend's own (`search_hits`: FTS5 against a `tsvector`); the limits and
//! the mapping of a hit are shared here.

use async_trait::async_trait;
use cloudmaster_core::api::{
    CourseDetail, CourseFilter, CourseSummary, CourseVersion, Lesson, Price, Resource, SearchHit,
};
use serde_json::json;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Backend, Db, search_hits};
use crate::publish::{CurrentVersion, NewCourseVersion, check_expected};
use crate::store::shared::{
    clean_query, conflict_on_unique, from_json_value, search_docs, search_hit, sort_catalog,
    tag_keys,
};
use crate::store::{CatalogStore, StoreResult, Timestamp};

/// Most hits one search returns, whatever the caller asks.
const MAX_HITS: u32 = 200;

/// `id, title, summary, level, provider, tags, price_amount, price_currency,
/// estimated_hours, lesson_count, current_version`
type SummaryRow = (
    String,
    String,
    String,
    String,
    String,
    Json<serde_json::Value>,
    Option<i64>,
    Option<String>,
    f64,
    i64,
    i64,
);

/// `module_id, title, minutes, video, body, transcript, resources`
type LessonRow = (
    String,
    String,
    i64,
    Option<String>,
    String,
    Option<String>,
    Json<serde_json::Value>,
);

#[async_trait]
impl CatalogStore for Backend {
    async fn current_version(&self, course_id: &str) -> StoreResult<Option<CurrentVersion>> {
        let row: Option<(i64, Uuid, Json<serde_json::Value>)> = sqlx::query_as(
            "SELECT c.current_version, c.owner_id, v.manifest \
             FROM courses c \
             JOIN course_versions v ON v.course_id = c.id AND v.version = c.current_version \
             WHERE c.id = $1",
        )
        .bind(course_id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(version, owner_id, manifest)| CurrentVersion {
            version,
            owner_id,
            manifest: manifest.0,
        }))
    }

    async fn owned_courses(&self, user_id: Uuid) -> StoreResult<Vec<String>> {
        let ids: Vec<(String,)> =
            sqlx::query_as("SELECT id FROM courses WHERE owner_id = $1 ORDER BY id")
                .bind(user_id)
                .fetch_all(&self.reader)
                .await?;
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }

    async fn publish_version(
        &self,
        new: NewCourseVersion,
        expected_current: Option<i64>,
        now: OffsetDateTime,
    ) -> StoreResult<i64> {
        let course_id = new.course_id.as_str();
        let published_at = Timestamp::new(now).get();
        // The check of the current version and the writes that depend on it happen under the
        // course's lock, so no other publish (in any process) can interleave.
        let mut tx = self.begin_write().await?;
        let current: Option<(i64,)> = sqlx::query_as(concat!(
            "SELECT current_version FROM courses WHERE id = $1",
            for_update!()
        ))
        .bind(course_id)
        .fetch_optional(&mut *tx)
        .await?;
        let current = current.map(|(v,)| v);
        check_expected(course_id, current, expected_current)?;
        let version = current.unwrap_or(0) + 1;

        let detail = new.published_detail(version, published_at);
        let summary = &detail.summary;
        let (price_amount, price_currency) = match &summary.price {
            Some(p) => (Some(p.amount), Some(p.currency.as_str())),
            None => (None, None),
        };

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
            .bind(Timestamp::new(published_at))
            .bind(Json(&detail))
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
        .bind(Json(&new.bundle))
        .bind(Json(&new.manifest))
        .bind(new.published_by)
        .bind(Timestamp::new(published_at))
        .bind(new.restored_from)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            conflict_on_unique(e, &format!("version {version} of course `{course_id}`"))
        })?;

        // The rows of the previous version go; the new version's come in. On SQLite the
        // triggers on `search_docs` keep the FTS5 index in step.
        sqlx::query("DELETE FROM course_tags WHERE course_id = $1")
            .bind(course_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM lessons WHERE course_id = $1")
            .bind(course_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM search_docs WHERE course_id = $1")
            .bind(course_id)
            .execute(&mut *tx)
            .await?;
        insert_course_rows(&mut tx, &new, &summary.tags).await?;

        tx.commit().await?;
        Ok(version)
    }

    async fn course_versions(&self, course_id: &str) -> StoreResult<Vec<CourseVersion>> {
        let rows: Vec<(i64, Uuid, Timestamp, Option<i64>, bool)> = sqlx::query_as(
            "SELECT v.version, v.published_by, v.published_at, v.restored_from, \
                    v.version = c.current_version \
             FROM course_versions v JOIN courses c ON c.id = v.course_id \
             WHERE v.course_id = $1 ORDER BY v.version",
        )
        .bind(course_id)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(version, published_by, published_at, restored_from, current)| CourseVersion {
                    course_id: course_id.to_owned(),
                    version,
                    published_by,
                    published_at: published_at.get(),
                    restored_from,
                    current,
                },
            )
            .collect())
    }

    async fn version_bundle(
        &self,
        course_id: &str,
        version: i64,
    ) -> StoreResult<Option<serde_json::Value>> {
        let row: Option<(Json<serde_json::Value>,)> = sqlx::query_as(
            "SELECT bundle FROM course_versions WHERE course_id = $1 AND version = $2",
        )
        .bind(course_id)
        .bind(version)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(bundle,)| bundle.0))
    }

    async fn list_courses(&self, filter: &CourseFilter) -> StoreResult<Vec<CourseSummary>> {
        let key = |v: &Option<String>| {
            v.as_deref()
                .filter(|v| !v.is_empty())
                .map(str::to_lowercase)
        };
        // One static statement for every combination of filters: an unset filter binds NULL.
        // The catalog is small (hundreds of rows), so a scan of `courses` is cheaper than the
        // round trips of choosing among sixteen statements.
        let rows: Vec<SummaryRow> = sqlx::query_as(
            "SELECT id, title, summary, level, provider, tags, price_amount, price_currency, \
                    estimated_hours, lesson_count, current_version \
             FROM courses c \
             WHERE (CAST($1 AS TEXT) IS NULL OR lower(provider) = $1) \
               AND (CAST($2 AS TEXT) IS NULL OR lower(level) = $2) \
               AND (CAST($3 AS BOOLEAN) IS NULL OR is_free = $3) \
               AND (CAST($4 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM course_tags t \
                                                      WHERE t.course_id = c.id AND t.tag = $4))",
        )
        .bind(key(&filter.provider))
        .bind(key(&filter.level))
        .bind(filter.free)
        .bind(key(&filter.tag))
        .fetch_all(&self.reader)
        .await?;
        let mut list = rows
            .into_iter()
            .map(summary_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        sort_catalog(&mut list);
        Ok(list)
    }

    async fn course_detail(&self, course_id: &str) -> StoreResult<Option<CourseDetail>> {
        let row: Option<(Json<serde_json::Value>,)> =
            sqlx::query_as("SELECT detail_json FROM courses WHERE id = $1")
                .bind(course_id)
                .fetch_optional(&self.reader)
                .await?;
        row.map(|(json,)| from_json_value("course detail", json.0))
            .transpose()
    }

    async fn search(&self, query: &str, limit: u32) -> StoreResult<Vec<SearchHit>> {
        let limit = limit.min(MAX_HITS);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let rows = search_hits(self, &clean_query(query), limit).await?;
        Ok(rows.into_iter().map(search_hit).collect())
    }

    async fn lesson(&self, course_id: &str, lesson_id: &str) -> StoreResult<Option<Lesson>> {
        let row: Option<LessonRow> = sqlx::query_as(
            "SELECT module_id, title, minutes, video, body, transcript, resources \
                 FROM lessons WHERE course_id = $1 AND lesson_id = $2",
        )
        .bind(course_id)
        .bind(lesson_id)
        .fetch_optional(&self.reader)
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
            resources: from_json_value::<Vec<Resource>>("lesson resources", resources.0)?,
        }))
    }
}

/// `$insert` (`INSERT ... SELECT $1, ...`) over the elements of the JSON array bound as `$2`,
/// each as `u.value`.
macro_rules! from_json_array {
    ($insert:literal) => {
        concat!($insert, " FROM ", json_elements!(), "($2) AS u")
    };
}

/// Inserts the tag keys, lessons and search documents of `new`, one statement each.
async fn insert_course_rows(
    tx: &mut <Db as sqlx::Database>::Connection,
    new: &NewCourseVersion,
    tags: &[String],
) -> StoreResult<()> {
    let tags = tag_keys(tags).into_iter().map(|tag| json!({ "tag": tag }));
    let insert_tags =
        from_json_array!("INSERT INTO course_tags (course_id, tag) SELECT $1, u.value ->> 'tag'");
    insert_rows(tx, insert_tags, new, tags.collect()).await?;

    let lessons = new.lessons.iter().enumerate().map(|(position, l)| {
        json!({
            "lesson_id": l.id, "module_id": l.module_id, "position": position,
            "title": l.title, "minutes": l.minutes, "video": l.video, "body": l.body,
            "transcript": l.transcript, "resources": l.resources,
        })
    });
    let insert_lessons = from_json_array!(
        "INSERT INTO lessons (course_id, lesson_id, module_id, position, title, minutes, video, \
                              body, transcript, resources) \
         SELECT $1, u.value ->> 'lesson_id', u.value ->> 'module_id', \
                CAST(u.value ->> 'position' AS BIGINT), u.value ->> 'title', \
                CAST(u.value ->> 'minutes' AS BIGINT), u.value ->> 'video', \
                u.value ->> 'body', u.value ->> 'transcript', u.value -> 'resources'"
    );
    insert_rows(tx, insert_lessons, new, lessons.collect())
        .await
        .map_err(|e| conflict_on_unique(e, "a lesson with this id"))?;

    let docs = search_docs(new).map(
        |(lesson_id, title, body)| json!({ "lesson_id": lesson_id, "title": title, "body": body }),
    );
    let insert_docs = from_json_array!(
        "INSERT INTO search_docs (course_id, lesson_id, title, body) \
         SELECT $1, u.value ->> 'lesson_id', u.value ->> 'title', u.value ->> 'body'"
    );
    insert_rows(tx, insert_docs, new, docs.collect()).await?;
    Ok(())
}

/// Runs `insert` (made by `from_json_array!`) for the course of `new` over `rows`.
async fn insert_rows(
    tx: &mut <Db as sqlx::Database>::Connection,
    insert: &'static str,
    new: &NewCourseVersion,
    rows: Vec<serde_json::Value>,
) -> sqlx::Result<()> {
    sqlx::query(insert)
        .bind(&new.course_id)
        .bind(Json(rows))
        .execute(tx)
        .await?;
    Ok(())
}

fn summary_from_row(row: SummaryRow) -> StoreResult<CourseSummary> {
    let (id, title, summary, level, provider, tags, amount, currency, hours, lessons, version) =
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
        tags: from_json_value("course tags", tags.0)?,
        price,
        estimated_hours: hours,
        lesson_count: u32::try_from(lessons).unwrap_or(0),
        version,
    })
}
