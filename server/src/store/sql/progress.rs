//! [`ProgressStore`](crate::store::ProgressStore): enrollment and lesson progress, shared by
//! both backends.
//!
//! The progress write is the hottest path of the server: one `INSERT ... SELECT ... WHERE
//! EXISTS (lesson) ON CONFLICT DO UPDATE ... RETURNING` statement that checks the lesson,
//! applies the sticky-completion rules and returns the stored row. The backend decides how it
//! commits (`write_progress`): SQLite together with the other progress writes waiting at
//! that moment (`progress_batch`), PostgreSQL on its own. Progress reads are one query each
//! (a join of courses, lessons and progress), whatever the number of courses;
//! [`crate::learning::progress`] folds the rows into each course's progress.

use async_trait::async_trait;
use cloudmaster_core::api::{CourseProgress, Enrollment, LessonProgress, LessonStatus};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Backend, Db, write_progress};
use crate::learning::progress::{Enrolled, OutlineRow, ProgressRow, group_progress};
use crate::store::shared::{not_found_on_foreign_key, parse_status};
use crate::store::{ProgressStore, StoreError, StoreResult, Timestamp};

/// One upsert of `lesson_progress`, its values ready to bind.
pub(crate) struct ProgressWrite {
    pub user_id: Uuid,
    pub course_id: String,
    pub lesson_id: String,
    pub status: &'static str,
    pub position: Option<i64>,
    pub now: Timestamp,
    pub completed_at: Option<Timestamp>,
}

/// The stored row: `status, position, updated_at, completed_at`; `None` when the lesson
/// does not exist.
pub(crate) type StoredRow = Option<(String, Option<i64>, Timestamp, Option<Timestamp>)>;

/// `course_id, course_title, lesson_id, module_id, lesson_title, status, position,
/// updated_at, completed_at`: one lesson of the current version (or NULLs for a course
/// without lessons) and the user's progress on it (or NULLs).
type Row = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<Timestamp>,
    Option<Timestamp>,
);

/// What a progress upsert does to a row that exists, as one string literal.
macro_rules! upsert_conflict {
    () => {
        "ON CONFLICT (user_id, course_id, lesson_id) DO UPDATE SET \
             status = CASE WHEN lesson_progress.status = 'completed' THEN 'completed' \
                           ELSE excluded.status END, \
             position = COALESCE(excluded.position, lesson_progress.position), \
             updated_at = CASE WHEN excluded.updated_at > lesson_progress.updated_at \
                               THEN excluded.updated_at ELSE lesson_progress.updated_at END, \
             completed_at = COALESCE(lesson_progress.completed_at, excluded.completed_at)"
    };
}

/// [`upsert_conflict!`] for statements built at run time (SQLite's group commit).
#[allow(dead_code)] // the PostgreSQL backend commits each write on its own
pub(crate) const UPSERT_CONFLICT: &str = upsert_conflict!();

/// Completion is sticky and keeps its first time; a missing position keeps the old one;
/// `updated_at` never moves backwards (replays of an offline queue change nothing).
pub(crate) async fn upsert_progress<'e, E>(conn: E, w: &ProgressWrite) -> sqlx::Result<StoredRow>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    sqlx::query_as(concat!(
        "INSERT INTO lesson_progress (user_id, course_id, lesson_id, status, position, \
                                          updated_at, completed_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7 \
             WHERE EXISTS (SELECT 1 FROM lessons WHERE course_id = $2 AND lesson_id = $3) ",
        upsert_conflict!(),
        " RETURNING status, position, updated_at, completed_at"
    ))
    .bind(w.user_id)
    .bind(&w.course_id)
    .bind(&w.lesson_id)
    .bind(w.status)
    .bind(w.position)
    .bind(w.now)
    .bind(w.completed_at)
    .fetch_optional(conn)
    .await
}

#[async_trait]
impl ProgressStore for Backend {
    async fn enroll(
        &self,
        user_id: Uuid,
        course_id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Enrolled> {
        // The insert decides who enrolled: the one statement whose row went in gets it back,
        // every concurrent duplicate gets nothing.
        let inserted: Option<(i32,)> = sqlx::query_as(
            "INSERT INTO enrollments (user_id, course_id, enrolled_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, course_id) DO NOTHING RETURNING 1",
        )
        .bind(user_id)
        .bind(course_id)
        .bind(Timestamp::new(now))
        .fetch_optional(&self.writer)
        .await
        .map_err(|e| not_found_on_foreign_key(e, &format!("course `{course_id}`")))?;
        // The insert has committed (or found the row a concurrent enroll committed), so this
        // fresh read sees the first enrollment.
        let (course_title, enrolled_at): (String, Timestamp) = sqlx::query_as(
            "SELECT c.title, e.enrolled_at \
             FROM enrollments e JOIN courses c ON c.id = e.course_id \
             WHERE e.user_id = $1 AND e.course_id = $2",
        )
        .bind(user_id)
        .bind(course_id)
        .fetch_one(&self.reader)
        .await?;
        Ok(Enrolled {
            enrollment: Enrollment {
                course_id: course_id.to_owned(),
                course_title,
                enrolled_at: enrolled_at.get(),
            },
            created: inserted.is_some(),
        })
    }

    async fn unenroll(&self, user_id: Uuid, course_id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM enrollments WHERE user_id = $1 AND course_id = $2")
            .bind(user_id)
            .bind(course_id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn enrollments(&self, user_id: Uuid) -> StoreResult<Vec<Enrollment>> {
        let rows: Vec<(String, String, Timestamp)> = sqlx::query_as(concat!(
            "SELECT e.course_id, c.title, e.enrolled_at \
             FROM enrollments e JOIN courses c ON c.id = e.course_id \
             WHERE e.user_id = $1 ORDER BY e.enrolled_at, e.course_id",
            bytewise!()
        ))
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(course_id, course_title, enrolled_at)| Enrollment {
                course_id,
                course_title,
                enrolled_at: enrolled_at.get(),
            })
            .collect())
    }

    async fn is_enrolled(&self, user_id: Uuid, course_id: &str) -> StoreResult<bool> {
        let (enrolled,): (bool,) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM enrollments WHERE user_id = $1 AND course_id = $2)",
        )
        .bind(user_id)
        .bind(course_id)
        .fetch_one(&self.reader)
        .await?;
        Ok(enrolled)
    }

    async fn completed_courses(&self, user_id: Uuid) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(concat!(
            "SELECT c.id \
             FROM lesson_progress p \
             JOIN lessons l ON l.course_id = p.course_id AND l.lesson_id = p.lesson_id \
             JOIN courses c ON c.id = p.course_id \
             WHERE p.user_id = $1 AND p.status = 'completed' \
             GROUP BY c.id, c.lesson_count \
             HAVING count(*) = c.lesson_count \
             ORDER BY c.id",
            bytewise!()
        ))
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?)
    }

    async fn record_lesson_progress(
        &self,
        user_id: Uuid,
        course_id: &str,
        lesson_id: &str,
        status: LessonStatus,
        position: Option<u32>,
        now: OffsetDateTime,
    ) -> StoreResult<LessonProgress> {
        let now = Timestamp::new(now);
        let write = ProgressWrite {
            user_id,
            course_id: course_id.to_owned(),
            lesson_id: lesson_id.to_owned(),
            status: status.as_str(),
            position: position.map(i64::from),
            now,
            completed_at: (status == LessonStatus::Completed).then_some(now),
        };
        let Some((status, position, updated_at, completed_at)) =
            write_progress(self, write).await?
        else {
            return Err(StoreError::NotFound(format!(
                "lesson `{lesson_id}` in course `{course_id}`"
            )));
        };
        lesson_progress(lesson_id, &status, position, updated_at, completed_at)
    }

    async fn course_progress(
        &self,
        user_id: Uuid,
        course_id: &str,
    ) -> StoreResult<Option<CourseProgress>> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT c.id, c.title, l.lesson_id, l.module_id, l.title, \
                    p.status, p.position, p.updated_at, p.completed_at \
             FROM courses c \
             LEFT JOIN lessons l ON l.course_id = c.id \
             LEFT JOIN lesson_progress p \
                    ON p.user_id = $1 AND p.course_id = l.course_id \
                   AND p.lesson_id = l.lesson_id \
             WHERE c.id = $2 \
             ORDER BY l.position",
        )
        .bind(user_id)
        .bind(course_id)
        .fetch_all(&self.reader)
        .await?;
        Ok(grouped(rows)?.into_iter().next())
    }

    async fn all_progress(&self, user_id: Uuid) -> StoreResult<Vec<CourseProgress>> {
        let rows: Vec<Row> = sqlx::query_as(concat!(
            "SELECT c.id, c.title, l.lesson_id, l.module_id, l.title, \
                    p.status, p.position, p.updated_at, p.completed_at \
             FROM enrollments e \
             JOIN courses c ON c.id = e.course_id \
             LEFT JOIN lessons l ON l.course_id = c.id \
             LEFT JOIN lesson_progress p \
                    ON p.user_id = e.user_id AND p.course_id = l.course_id \
                   AND p.lesson_id = l.lesson_id \
             WHERE e.user_id = $1 \
             ORDER BY e.enrolled_at, e.course_id",
            bytewise!(),
            ", l.position"
        ))
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        grouped(rows)
    }

    async fn courses_with_records(&self, user_id: Uuid) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT course_id FROM enrollments WHERE user_id = $1 \
             UNION SELECT course_id FROM lesson_progress WHERE user_id = $1 \
             UNION SELECT course_id FROM attempts WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        let mut courses: Vec<String> = rows.into_iter().map(|(c,)| c).collect();
        courses.sort();
        Ok(courses)
    }
}

fn lesson_progress(
    lesson_id: &str,
    status: &str,
    position: Option<i64>,
    updated_at: Timestamp,
    completed_at: Option<Timestamp>,
) -> StoreResult<LessonProgress> {
    Ok(LessonProgress {
        lesson_id: lesson_id.to_owned(),
        status: parse_status(status)?,
        position: position.and_then(|p| u32::try_from(p).ok()),
        updated_at: updated_at.get(),
        completed_at: completed_at.map(Timestamp::get),
    })
}

/// Each course's progress from the rows of the progress join, in the order of the rows.
fn grouped(rows: Vec<Row>) -> StoreResult<Vec<CourseProgress>> {
    let rows = rows
        .into_iter()
        .map(
            |(course_id, course_title, lesson_id, module_id, title, status, position, at, done)| {
                let lesson = match (lesson_id, module_id, title) {
                    (Some(lesson_id), Some(module_id), Some(title)) => Some(OutlineRow {
                        progress: match (status, at) {
                            (Some(status), Some(at)) => {
                                Some(lesson_progress(&lesson_id, &status, position, at, done)?)
                            }
                            _ => None,
                        },
                        lesson_id,
                        module_id,
                        title,
                    }),
                    _ => None,
                };
                Ok(ProgressRow {
                    course_id,
                    course_title,
                    lesson,
                })
            },
        )
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(group_progress(rows))
}
