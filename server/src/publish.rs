//! Publishing: turning a course bundle into a new immutable course version.
//!
//! Flow: check the publisher may publish this course (instructors and admins; the first
//! publisher owns the course, other instructors get 403, admins may publish any), validate
//! the bundle again (the server trusts no client), hash it into a [`Manifest`], diff it
//! against the current version's manifest into a [`Plan`], and — unless the plan is empty
//! (a no-op that keeps the version) or this is a dry run — store the version together with
//! its catalog projection in one transaction. The store refuses the write if another
//! publish made a new version after we planned (409). A rollback republishes an old
//! version's bundle as a new version.

use cloudmaster_core::api::{
    CourseDetail, CourseSummary, ExamBlueprint, ExamDomain, Lesson, LessonOutline, ModuleOutline,
    Price, PublishManifest, PublishOutcome, QuizOutline, Role, User,
};
use cloudmaster_core::course::{self, Course, Manifest, Plan};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{StoreError, StoreResult};

/// At most this many problems are listed in a 422 message.
const MAX_LISTED_PROBLEMS: usize = 50;

/// Everything a publish writes: the immutable version and the catalog projection of it.
/// Built by the API layer from a validated course; the store only persists it.
#[derive(Debug, Clone)]
pub struct NewCourseVersion {
    pub course_id: String,
    pub published_by: Uuid,
    /// The full course bundle (JSON of `cloudmaster_core::course::Course`), kept per version.
    pub bundle: serde_json::Value,
    /// The publish manifest (item hashes) of this version, JSON.
    pub manifest: serde_json::Value,
    /// Catalog projection of this version. `summary.id`, `summary.version`,
    /// `summary.lesson_count` and `published_at` are ignored: the store sets them (course id,
    /// next version number, `lessons.len()`, the caller's `now`).
    pub detail: CourseDetail,
    /// Lessons in course order, for lesson reads and full-text search.
    pub lessons: Vec<Lesson>,
    /// Set by a rollback: the version whose content this one restores.
    pub restored_from: Option<i64>,
}

impl NewCourseVersion {
    /// The catalog projection as stored: `detail` made to agree with what the store decided
    /// (the course id, version number, lesson count and publication time).
    pub fn published_detail(&self, version: i64, published_at: OffsetDateTime) -> CourseDetail {
        let mut detail = self.detail.clone();
        detail.summary.id.clone_from(&self.course_id);
        detail.summary.version = version;
        detail.summary.lesson_count = u32::try_from(self.lessons.len()).unwrap_or(u32::MAX);
        detail.published_at = published_at;
        detail
    }
}

/// The current version of a course, as publishing needs it.
#[derive(Debug, Clone)]
pub struct CurrentVersion {
    pub version: i64,
    pub owner_id: Uuid,
    pub manifest: serde_json::Value,
}

impl AppState {
    /// Publishes `course` as `publisher` (or plans it, with `dry_run`).
    pub async fn publish(
        &self,
        publisher: &User,
        course: Course,
        dry_run: bool,
    ) -> Result<PublishOutcome, ApiError> {
        publish(self, publisher, course, dry_run, None).await
    }

    /// Publishes the content of `version` again as a new version.
    pub async fn rollback(
        &self,
        publisher: &User,
        course_id: &str,
        version: i64,
        dry_run: bool,
    ) -> Result<PublishOutcome, ApiError> {
        let current = owned_current(self, publisher, course_id).await?;
        if current.is_none() {
            return Err(ApiError::NotFound(format!("no course `{course_id}`")));
        }
        let bundle = self
            .store()
            .version_bundle(course_id, version)
            .await?
            .ok_or_else(|| {
                ApiError::NotFound(format!("course `{course_id}` has no version {version}"))
            })?;
        let course: Course = serde_json::from_value(bundle)
            .map_err(|e| ApiError::internal("reading a stored course version", e))?;
        publish(self, publisher, course, dry_run, Some(version)).await
    }

    /// The manifest of the current version, for planning on the client.
    pub async fn current_manifest(
        &self,
        publisher: &User,
        course_id: &str,
    ) -> Result<PublishManifest, ApiError> {
        let current = owned_current(self, publisher, course_id)
            .await?
            .ok_or_else(|| {
                ApiError::NotFound(format!("course `{course_id}` was never published"))
            })?;
        Ok(PublishManifest {
            version: current.version,
            manifest: stored_manifest(&current)?,
        })
    }
}

/// The current version, after checking that `publisher` may publish `course_id`.
pub(crate) async fn owned_current(
    state: &AppState,
    publisher: &User,
    course_id: &str,
) -> Result<Option<CurrentVersion>, ApiError> {
    if publisher.role == Role::Learner {
        return Err(ApiError::Forbidden(
            "only instructors and admins publish courses".to_owned(),
        ));
    }
    let current = state.store().current_version(course_id).await?;
    if let Some(current) = &current
        && current.owner_id != publisher.id
        && publisher.role != Role::Admin
    {
        return Err(ApiError::Forbidden(format!(
            "course `{course_id}` belongs to another instructor; only they or an admin may \
             publish it"
        )));
    }
    Ok(current)
}

fn stored_manifest(current: &CurrentVersion) -> Result<Manifest, ApiError> {
    serde_json::from_value(current.manifest.clone())
        .map_err(|e| ApiError::internal("reading a stored manifest", e))
}

async fn publish(
    state: &AppState,
    publisher: &User,
    course: Course,
    dry_run: bool,
    restored_from: Option<i64>,
) -> Result<PublishOutcome, ApiError> {
    let current = owned_current(state, publisher, &course.id).await?;
    validate(state, &course).await?;
    let manifest = Manifest::of(&course);
    let old = current.as_ref().map(stored_manifest).transpose()?;
    let plan = Plan::between(old.as_ref(), &manifest);
    let previous_version = current.as_ref().map(|c| c.version);
    let outcome = |version: i64, applied: bool, plan: Plan| PublishOutcome {
        course_id: course.id.clone(),
        plan,
        version,
        previous_version,
        applied,
        dry_run,
        restored_from,
    };
    if plan.is_empty() {
        return Ok(outcome(previous_version.unwrap_or(0), false, plan));
    }
    if dry_run {
        return Ok(outcome(previous_version.unwrap_or(0) + 1, false, plan));
    }
    let new = NewCourseVersion {
        course_id: course.id.clone(),
        published_by: publisher.id,
        bundle: serde_json::to_value(&course)
            .map_err(|e| ApiError::internal("serializing a course", e))?,
        manifest: serde_json::to_value(&manifest)
            .map_err(|e| ApiError::internal("serializing a manifest", e))?,
        detail: project_detail(&course, state.now()),
        lessons: project_lessons(&course),
        restored_from,
    };
    let version = state
        .store()
        .publish_version(new, previous_version, state.now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::Conflict(format!(
                "another publish of `{}` landed first; run publish again to see the new plan",
                course.id
            )),
            other => other.into(),
        })?;
    state.catalog().invalidate();
    tracing::info!(course = %course.id, version, publisher = %publisher.id, "course published");
    let applied = outcome(version, true, plan);
    Ok(applied)
}

/// Re-validates a bundle: the model checks, and that prerequisites are published courses.
async fn validate(state: &AppState, course: &Course) -> Result<(), ApiError> {
    let mut problems: Vec<String> = course::validate_course_model(course)
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    for prerequisite in &course.prerequisites {
        if *prerequisite != course.id
            && course::is_valid_id(prerequisite)
            && state.store().current_version(prerequisite).await?.is_none()
        {
            problems.push(format!(
                "prerequisites: `{prerequisite}` is not published on this server; publish it first"
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let total = problems.len();
    let mut message = format!(
        "course `{}` is invalid ({total} problem{}):",
        course.id,
        if total == 1 { "" } else { "s" }
    );
    for problem in problems.iter().take(MAX_LISTED_PROBLEMS) {
        message.push_str("\n- ");
        message.push_str(problem);
    }
    if total > MAX_LISTED_PROBLEMS {
        message.push_str(&format!("\n... and {} more", total - MAX_LISTED_PROBLEMS));
    }
    Err(ApiError::Validation(message))
}

/// The catalog view of a course (no lesson bodies, no answers).
pub fn project_detail(course: &Course, now: time::OffsetDateTime) -> CourseDetail {
    CourseDetail {
        summary: CourseSummary {
            id: course.id.clone(),
            title: course.title.clone(),
            summary: course.summary.clone(),
            level: course.level.as_str().to_owned(),
            provider: course.provider.clone(),
            tags: course.tags.clone(),
            price: course.price.as_ref().map(|p| Price {
                amount: i64::try_from(p.amount).unwrap_or(i64::MAX),
                currency: p.currency.clone(),
            }),
            estimated_hours: f64::from(course.estimated_hours),
            lesson_count: u32::try_from(course.lessons().count()).unwrap_or(u32::MAX),
            version: 0,
        },
        objectives: course.objectives.clone(),
        prerequisites: course.prerequisites.clone(),
        exam: course.exam.as_ref().map(|exam| ExamBlueprint {
            name: exam.name.clone(),
            pass_mark: exam.pass_mark,
            domains: exam
                .domains
                .iter()
                .map(|d| ExamDomain {
                    id: d.id.clone(),
                    title: d.title.clone(),
                    weight: d.weight,
                })
                .collect(),
        }),
        modules: course
            .modules
            .iter()
            .map(|m| ModuleOutline {
                id: m.id.clone(),
                title: m.title.clone(),
                lessons: m
                    .lessons
                    .iter()
                    .map(|l| LessonOutline {
                        id: l.id.clone(),
                        title: l.title.clone(),
                        minutes: l.minutes,
                        has_video: l.video.is_some(),
                    })
                    .collect(),
                quiz: m.quiz.as_ref().map(|q| QuizOutline {
                    id: q.id.clone(),
                    title: q.title.clone(),
                    questions: q.questions,
                    pass_mark: q.pass_mark,
                }),
                labs: m.labs.clone(),
            })
            .collect(),
        published_at: now,
    }
}

/// Every lesson with its content, in course order.
pub fn project_lessons(course: &Course) -> Vec<Lesson> {
    course
        .modules
        .iter()
        .flat_map(|m| {
            m.lessons.iter().map(move |l| Lesson {
                course_id: course.id.clone(),
                module_id: m.id.clone(),
                id: l.id.clone(),
                title: l.title.clone(),
                minutes: l.minutes,
                body: l.body.clone(),
                video: l.video.clone(),
                transcript: l.transcript_text.clone(),
                resources: l
                    .resources
                    .iter()
                    .map(|r| cloudmaster_core::api::Resource {
                        title: r.title.clone(),
                        url: r.url.clone(),
                    })
                    .collect(),
            })
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_publish_must_have_planned_against_the_current_version() {
        assert!(check_expected("c", None, None).is_ok());
        assert!(check_expected("c", Some(3), Some(3)).is_ok());
        let message = |r: StoreResult<()>| match r {
            Err(StoreError::Conflict(what)) => format!("conflict: {what}"),
            Err(StoreError::NotFound(what)) => format!("not found: {what}"),
            other => format!("{other:?}"),
        };
        assert_eq!(
            message(check_expected("c", Some(3), None)),
            "conflict: course `c`"
        );
        assert_eq!(
            message(check_expected("c", Some(4), Some(3))),
            "conflict: version 4 of course `c`"
        );
        assert_eq!(
            message(check_expected("c", None, Some(3))),
            "not found: version 3 of course `c`"
        );
    }
}
