//! Module locking: a course is worked through in order.
//!
//! Module k (k > 0), its lessons and labs, unlocks once every lesson of modules 0..k is
//! completed; a module quiz
//! unlocks once every lesson of its own module (and so of every earlier one) is completed.
//! Both are one rule, [`first_unfinished`]: the first module before a given position with a
//! lesson not completed. The course's owner and admins are never locked out (they review
//! their content in any order).

use std::collections::{HashMap, HashSet};

use cloudmaster_core::api::{LessonStatus, Role, SearchHit};
use cloudmaster_core::course::Course;
use uuid::Uuid;

use crate::auth::Auth;
use crate::bundles::PublishedCourse;
use crate::error::ApiError;
use crate::state::AppState;

/// What stands between a learner and a locked module or quiz.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    pub module_id: String,
    pub module_title: String,
    /// Lessons of that module not completed yet.
    pub lessons_left: u32,
    /// The first of them, in course order.
    pub next_lesson: String,
}

impl Unfinished {
    /// The message of the 403 `locked` answer: `locked` names what was asked for.
    pub fn message(&self, course_id: &str, locked: &str) -> String {
        let lessons = if self.lessons_left == 1 {
            "1 lesson".to_owned()
        } else {
            format!("{} lessons", self.lessons_left)
        };
        format!(
            "{locked} is locked: finish module `{}` ({}) first ({lessons} left there; next: \
             lesson `{}`); run `cloudmaster learn {course_id}`",
            self.module_id, self.module_title, self.next_lesson
        )
    }
}

/// The first of the modules `0..before` with a lesson not in `completed`, if any.
pub fn first_unfinished(
    course: &Course,
    before: usize,
    completed: &HashSet<&str>,
) -> Option<Unfinished> {
    course.modules.iter().take(before).find_map(|module| {
        let left: Vec<&str> = module
            .lessons
            .iter()
            .map(|l| l.id.as_str())
            .filter(|id| !completed.contains(id))
            .collect();
        let next = left.first()?;
        Some(Unfinished {
            module_id: module.id.clone(),
            module_title: module.title.clone(),
            lessons_left: u32::try_from(left.len()).unwrap_or(u32::MAX),
            next_lesson: (*next).to_owned(),
        })
    })
}

/// Fails with 403 `locked` when the modules before position `before` are not finished
/// by the caller (unless they are an admin or the course's owner).
///
/// Lesson reads and progress writes check this on every request, so how far a learner got
/// is remembered for a moment (see `AuthCache`); completion is sticky, so a remembered
/// "finished" never turns false for the same course version.
pub async fn require_finished(
    state: &AppState,
    auth: &Auth,
    published: &PublishedCourse,
    before: usize,
    locked: &str,
) -> Result<(), ApiError> {
    if before == 0 || auth.user.role == Role::Admin {
        return Ok(());
    }
    let course = &published.course;
    let cache = state.auth_cache();
    if cache.finished_modules(auth.user.id, &course.id, published.version) >= before {
        return Ok(());
    }
    let completed = state
        .store()
        .completed_lessons(auth.user.id, &course.id)
        .await?;
    let completed: HashSet<&str> = completed.iter().map(String::as_str).collect();
    let Some(unfinished) = first_unfinished(course, before, &completed) else {
        let finished = leading_finished(course, &completed);
        cache.put_finished_modules(auth.user.id, &course.id, published.version, finished);
        return Ok(());
    };
    if is_owner(state, auth.user.id, &course.id).await? {
        return Ok(());
    }
    Err(ApiError::Locked(unfinished.message(&course.id, locked)))
}

/// How many leading modules of the course are open to the caller: those finished, plus
/// every module for admins and the course's owner. For listings that mark what is locked:
/// module k is open when this is at least k, its quiz when it is more than k.
pub async fn open_modules(
    state: &AppState,
    auth: &Auth,
    published: &PublishedCourse,
) -> Result<usize, ApiError> {
    let course = &published.course;
    let all = course.modules.len();
    if auth.user.role == Role::Admin {
        return Ok(all);
    }
    let cache = state.auth_cache();
    let known = cache.finished_modules(auth.user.id, &course.id, published.version);
    if known >= all {
        return Ok(known);
    }
    let completed = state
        .store()
        .completed_lessons(auth.user.id, &course.id)
        .await?;
    let completed: HashSet<&str> = completed.iter().map(String::as_str).collect();
    let finished = leading_finished(course, &completed);
    cache.put_finished_modules(auth.user.id, &course.id, published.version, finished);
    if finished < all && is_owner(state, auth.user.id, &course.id).await? {
        return Ok(all);
    }
    Ok(finished)
}

/// The number of modules, from the first, whose lessons are all in `completed`.
fn leading_finished(course: &Course, completed: &HashSet<&str>) -> usize {
    course
        .modules
        .iter()
        .take_while(|m| m.lessons.iter().all(|l| completed.contains(l.id.as_str())))
        .count()
}

/// Fails with 403 `locked` when the lesson's module is locked for the caller. Unknown
/// courses and lessons pass (the caller answers 404 for them).
pub async fn require_lesson_unlocked(
    state: &AppState,
    auth: &Auth,
    course_id: &str,
    lesson_id: &str,
) -> Result<(), ApiError> {
    if auth.user.role == Role::Admin {
        return Ok(());
    }
    let Some(published) = current_course(state, course_id).await? else {
        return Ok(());
    };
    let course = &published.course;
    let Some(position) = course
        .modules
        .iter()
        .position(|m| m.lessons.iter().any(|l| l.id == lesson_id))
    else {
        return Ok(());
    };
    let module = &course.modules[position];
    let what = format!("lesson `{lesson_id}` (module `{}`)", module.id);
    require_finished(state, auth, &published, position, &what).await
}

/// Marks the lesson hits in modules still locked for the caller (`SearchHit::locked`), by
/// the rule of [`require_lesson_unlocked`]: only courses the caller is enrolled in, never
/// for admins or a course's owner.
///
/// A constant number of queries whatever the hits: one for the caller's progress in every
/// enrolled course and, only when some hit is locked, one for the courses they own. Module
/// structures come from the catalog and bundle caches.
pub async fn mark_locked_hits(
    state: &AppState,
    auth: &Auth,
    hits: &mut [SearchHit],
) -> Result<(), ApiError> {
    if auth.user.role == Role::Admin || hits.iter().all(|h| h.lesson_id.is_none()) {
        return Ok(());
    }
    let progress = state.store().all_progress(auth.user.id).await?;
    let completed: HashMap<&str, HashSet<&str>> = progress
        .iter()
        .map(|course| {
            let done = course
                .lessons
                .iter()
                .filter(|l| l.status == LessonStatus::Completed)
                .map(|l| l.lesson_id.as_str())
                .collect();
            (course.course_id.as_str(), done)
        })
        .collect();
    // Per enrolled course with a lesson hit: the modules open to the caller.
    let mut open: HashMap<String, (std::sync::Arc<PublishedCourse>, usize)> = HashMap::new();
    for hit in hits.iter().filter(|h| h.lesson_id.is_some()) {
        let Some(done) = completed.get(hit.course_id.as_str()) else {
            continue;
        };
        if open.contains_key(&hit.course_id) {
            continue;
        }
        if let Some(published) = current_course(state, &hit.course_id).await? {
            let finished = leading_finished(&published.course, done);
            open.insert(hit.course_id.clone(), (published, finished));
        }
    }
    for hit in hits.iter_mut() {
        let (Some(lesson), Some((published, finished))) =
            (&hit.lesson_id, open.get(&hit.course_id))
        else {
            continue;
        };
        hit.locked = published
            .course
            .modules
            .iter()
            .position(|m| m.lessons.iter().any(|l| &l.id == lesson))
            .is_some_and(|module| module > *finished);
    }
    if hits.iter().any(|h| h.locked) {
        let owned = state.store().owned_courses(auth.user.id).await?;
        for hit in hits.iter_mut() {
            hit.locked &= !owned.contains(&hit.course_id);
        }
    }
    Ok(())
}

/// Fails with 403 `locked` when the lab's module is locked for the caller: a lab opens with
/// the lessons of the first module that lists it. Labs no module lists are always open.
pub async fn require_lab_unlocked(
    state: &AppState,
    auth: &Auth,
    published: &PublishedCourse,
    lab_id: &str,
) -> Result<(), ApiError> {
    let course = &published.course;
    let Some(position) = course
        .modules
        .iter()
        .position(|m| m.labs.iter().any(|l| l == lab_id))
    else {
        return Ok(());
    };
    let what = format!("lab `{lab_id}` (module `{}`)", course.modules[position].id);
    require_finished(state, auth, published, position, &what).await
}

async fn is_owner(state: &AppState, user: Uuid, course_id: &str) -> Result<bool, ApiError> {
    let current = state.store().current_version(course_id).await?;
    Ok(current.is_some_and(|c| c.owner_id == user))
}

/// The current version of a course, `None` when it does not exist.
///
/// Lesson reads and progress writes are the hottest routes, so the version number comes from
/// the replica's catalog list (fresh within `--catalog-cache-ms`) rather than a query; a
/// course published moments ago through another replica falls back to the database.
async fn current_course(
    state: &AppState,
    course_id: &str,
) -> Result<Option<std::sync::Arc<PublishedCourse>>, ApiError> {
    let snapshot = state.catalog().list(state.store()).await?;
    if let Some(listed) = snapshot.courses.iter().find(|c| c.id == course_id) {
        return state
            .course_version(course_id, listed.version)
            .await
            .map(Some);
    }
    match state.published_course(course_id).await {
        Ok(published) => Ok(Some(published)),
        Err(ApiError::NotFound(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use cloudmaster_core::course::{Lesson, Module};

    use super::*;

    fn course() -> Course {
        let module = |id: &str, lessons: &[&str]| Module {
            id: id.into(),
            title: id.to_uppercase(),
            lessons: lessons
                .iter()
                .map(|l| Lesson {
                    id: (*l).into(),
                    ..Lesson::default()
                })
                .collect(),
            ..Module::default()
        };
        Course {
            id: "c".into(),
            modules: vec![
                module("m1", &["a", "b"]),
                module("m2", &["c"]),
                module("m3", &["d"]),
            ],
            ..Course::default()
        }
    }

    #[test]
    fn earlier_modules_must_be_finished() {
        let c = course();
        let none = HashSet::new();
        assert_eq!(first_unfinished(&c, 0, &none), None, "module 1 is open");
        let lock = first_unfinished(&c, 2, &none).unwrap();
        assert_eq!(
            (
                lock.module_id.as_str(),
                lock.lessons_left,
                lock.next_lesson.as_str()
            ),
            ("m1", 2, "a")
        );
        let a: HashSet<&str> = ["a"].into();
        assert_eq!(first_unfinished(&c, 1, &a).unwrap().next_lesson, "b");
        let ab: HashSet<&str> = ["a", "b"].into();
        assert_eq!(first_unfinished(&c, 1, &ab), None);
        assert_eq!(first_unfinished(&c, 2, &ab).unwrap().module_id, "m2");
        let all: HashSet<&str> = ["a", "b", "c", "d"].into();
        assert_eq!(first_unfinished(&c, 3, &all), None);
    }

    #[test]
    fn message_says_what_to_do() {
        let lock = first_unfinished(&course(), 1, &HashSet::new()).unwrap();
        let message = lock.message("c", "lesson `c` (module `m2`)");
        assert_eq!(
            message,
            "lesson `c` (module `m2`) is locked: finish module `m1` (M1) first (2 lessons \
             left there; next: lesson `a`); run `cloudmaster learn c`"
        );
    }
}
