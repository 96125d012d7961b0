//! What the tutor may know about the learner's situation, decided here on the server from
//! the learner's own records, never taken on trust from the client:
//!
//! - the courses searched: the one named (the learner must be enrolled), else every course
//!   they are enrolled in;
//! - explanations: only of questions the learner has answered in a closed attempt, and
//!   never of a question in an attempt still open (a question can be drawn again);
//! - a lab: the current step's instructions and the hints already revealed, never solution
//!   files nor unrevealed hints (the prompt has nothing the learner has not seen);
//! - a timed attempt in progress anywhere: the tutor declines without asking a model.
//!
//! Answer keys are in no passage at all: [`super::retrieval::passages`] cuts lessons, lab
//! instructions and explanations only.

use std::collections::HashSet;
use std::sync::Arc;

use cloudmaster_core::api::{AttemptStatus, MAX_CHECK_OUTPUT_BYTES, TutorQuestion};
use uuid::Uuid;

use crate::bundles::PublishedCourse;
use crate::error::ApiError;
use crate::state::AppState;

/// The learner's situation, as far as the tutor may use it.
pub struct Grounding {
    /// The courses to search, current versions.
    pub courses: Vec<Arc<PublishedCourse>>,
    /// The course the question is about, when one is.
    pub course: Option<String>,
    /// The lesson being read: (id, title).
    pub lesson: Option<(String, String)>,
    pub lab: Option<LabContext>,
    /// (course, question) pairs whose explanations may be cited.
    pub explanations: HashSet<(String, String)>,
    /// A timed attempt is open: the tutor declines.
    pub timed_attempt: bool,
}

/// Where the learner is in a lab.
pub struct LabContext {
    pub lab_title: String,
    pub step_title: String,
    pub instructions: String,
    /// The hints the learner has revealed on this step.
    pub hints: Vec<String>,
    /// What the last failed check printed (the client's report, its tail).
    pub check_output: Option<String>,
}

/// Works out the learner's situation for `question`.
pub async fn ground(
    state: &AppState,
    user_id: Uuid,
    question: &TutorQuestion,
) -> Result<Grounding, ApiError> {
    let store = state.store();
    let mut lab = None;
    let mut course_id = question.course.clone();
    if let Some(session_id) = question.lab_session {
        let session = store
            .lab_session(session_id)
            .await?
            .filter(|s| s.user_id == user_id)
            .ok_or_else(|| ApiError::NotFound(format!("lab session {session_id} not found")))?;
        if course_id.as_ref().is_some_and(|c| *c != session.course_id) {
            return Err(ApiError::Validation(format!(
                "lab session {session_id} belongs to course `{}`, not `{}`",
                session.course_id,
                course_id.unwrap_or_default()
            )));
        }
        let version = state
            .course_version(&session.course_id, session.course_version)
            .await?;
        lab = lab_context(&version, &session, question.check_output.as_deref());
        course_id = Some(session.course_id);
    }
    let enrolled: Vec<String> = store
        .enrollments(user_id)
        .await?
        .into_iter()
        .map(|e| e.course_id)
        .collect();
    let searched: Vec<String> = match &course_id {
        Some(course) if enrolled.contains(course) => vec![course.clone()],
        Some(course) => {
            return Err(ApiError::NotEnrolled(format!(
                "you are not enrolled in `{course}`: run `cloudmaster enroll {course}` first"
            )));
        }
        None if enrolled.is_empty() => {
            return Err(ApiError::Validation(
                "you are not enrolled in any course yet: the tutor answers from your courses (`cloudmaster enroll COURSE`)"
                    .to_owned(),
            ));
        }
        None => enrolled.clone(),
    };
    let mut courses = Vec::with_capacity(searched.len());
    for id in &searched {
        courses.push(state.published_course(id).await?);
    }
    let lesson = match (&question.lesson, courses.first()) {
        (Some(lesson_id), Some(course)) if course_id.is_some() => {
            let lesson = course.course.lesson(lesson_id).ok_or_else(|| {
                ApiError::NotFound(format!(
                    "course `{}` has no lesson `{lesson_id}`",
                    course.course.id
                ))
            })?;
            Some((lesson.id.clone(), lesson.title.clone()))
        }
        (Some(_), _) => {
            return Err(ApiError::Validation(
                "a lesson needs its course: give `course` too".to_owned(),
            ));
        }
        _ => None,
    };
    // Attempts in every enrolled course: a timed exam in one course closes the tutor for all.
    let now = state.now();
    let mut timed_attempt = false;
    let mut answered = HashSet::new();
    let mut open = HashSet::new();
    for course in &enrolled {
        for attempt in store.attempts(user_id, course).await? {
            let pairs = attempt
                .question_ids
                .iter()
                .map(|q| (attempt.course_id.clone(), q.clone()));
            if attempt.status == AttemptStatus::Open {
                timed_attempt |= attempt.deadline.is_some_and(|d| d > now);
                open.extend(pairs);
            } else {
                answered.extend(pairs);
            }
        }
    }
    let explanations = answered.difference(&open).cloned().collect();
    Ok(Grounding {
        courses,
        course: course_id,
        lesson,
        lab,
        explanations,
        timed_attempt,
    })
}

/// The current step of `session` (its first step neither passed nor skipped) with what the
/// learner has seen of it; `None` when every step is done.
fn lab_context(
    published: &PublishedCourse,
    session: &crate::labs::records::LabSessionRecord,
    check_output: Option<&str>,
) -> Option<LabContext> {
    let lab = published.course.lab(&session.lab_id)?;
    let step = lab.steps.iter().find(|step| {
        session
            .steps
            .get(&step.id)
            .is_none_or(|s| !s.passed && !s.skipped)
    })?;
    let shown = session.steps.get(&step.id).map_or(0, |s| s.hints_shown) as usize;
    Some(LabContext {
        lab_title: lab.title.clone(),
        step_title: step.title.clone(),
        instructions: step.instructions_text(lab).unwrap_or_default().to_owned(),
        hints: step
            .hints
            .iter()
            .take(shown)
            .map(|h| h.text.clone())
            .collect(),
        check_output: check_output.map(|o| tail(o, MAX_CHECK_OUTPUT_BYTES)),
    })
}

/// The last `max` bytes of `text` (on a character boundary).
fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_owned()
}
