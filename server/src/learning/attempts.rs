//! Attempts at quizzes and mock exams: start (or resume), show, save answers, submit, and
//! close the ones whose time is up.
//!
//! An attempt pins the course version it was drawn from, so a publish in the middle never
//! changes its questions or grading. Time limits are enforced on the server with
//! [`ATTEMPT_GRACE`] for network latency; an attempt past its deadline (or, untimed, idle
//! for [`ABANDON_AFTER`]) is closed as `expired` and graded on the answers saved in time,
//! by whichever comes first: the learner's next request or the background job.
//!
//! Options are shown shuffled and lettered in the order shown; the attempt's seed rebuilds
//! that presentation ([`Shown`]). Answers arrive in the shown letters and are checked,
//! stored and graded in the authored option ids; everything sent back (saved answers,
//! results) is in the shown letters again.

use cloudmaster_core::api::{
    AssessmentInfo, AttemptResult, AttemptStatus, AttemptSummary, AttemptView, SubmitAttempt,
};
use std::collections::BTreeMap;

use cloudmaster_core::assess::{Response, Shown};
use cloudmaster_core::course::Course;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::assessments::Assessment;
use super::records::{AttemptClosing, AttemptRecord, NewAttempt, SaveOutcome, StartOutcome};
use super::{grading, locks, require_enrolled};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::state::AppState;

/// How long after its deadline a timed attempt still takes answers and a submit: network
/// latency between the learner pressing submit and the server receiving it.
pub const ATTEMPT_GRACE: Duration = Duration::seconds(5);

/// How long an untimed attempt may sit without a saved answer before it is closed (and
/// graded on what was saved), so abandoned attempts do not stay open for ever.
pub const ABANDON_AFTER: Duration = Duration::hours(24);

/// Whether `attempt` is open but must be closed at `now`: past its deadline plus
/// [`ATTEMPT_GRACE`], or untimed and idle for longer than [`ABANDON_AFTER`].
pub fn is_overdue(attempt: &AttemptRecord, now: OffsetDateTime) -> bool {
    attempt.status == AttemptStatus::Open
        && match attempt.deadline {
            Some(deadline) => now > deadline + ATTEMPT_GRACE,
            None => now - attempt.last_activity > ABANDON_AFTER,
        }
}

/// `GET /courses/{course}/assessments`.
pub async fn list(
    state: &AppState,
    auth: &Auth,
    course_id: &str,
) -> Result<Vec<AssessmentInfo>, ApiError> {
    require_enrolled(state, auth, course_id).await?;
    let published = state.published_course(course_id).await?;
    let attempts = state.store().attempts(auth.user.id, course_id).await?;
    let open = locks::open_modules(state, auth, &published).await?;
    Ok(Assessment::all(&published.course)
        .iter()
        .map(|a| {
            let mut info = a.info(&published.course, &attempts);
            info.locked = a.module_index.is_some_and(|index| open <= index);
            info
        })
        .collect())
}

/// A started attempt, new or resumed.
pub enum Started {
    Created(AttemptView),
    Resumed(AttemptView),
}

/// `POST /courses/{course}/assessments/{assessment}/attempts`.
pub async fn start(
    state: &AppState,
    auth: &Auth,
    course_id: &str,
    assessment_id: &str,
) -> Result<Started, ApiError> {
    require_enrolled(state, auth, course_id).await?;
    let published = state.published_course(course_id).await?;
    let course = &published.course;
    let assessment = Assessment::find(course, assessment_id)?;
    if let (Some(index), Some(module)) = (assessment.module_index, &assessment.module_id) {
        let what = format!("quiz `{}` (module `{module}`)", assessment.id);
        locks::require_finished(state, auth, &published, index + 1, &what).await?;
    }
    let now = state.now();
    // Twice at most: an open attempt found overdue is closed, then a new one starts.
    for _ in 0..2 {
        let draw = assessment.draw(course, rand::random())?;
        let new = NewAttempt {
            id: Uuid::now_v7(),
            user_id: auth.user.id,
            course_id: course_id.to_owned(),
            course_version: published.version,
            kind: assessment.kind,
            assessment_id: assessment.id.clone(),
            seed: draw.seed,
            question_ids: draw.question_ids().map(str::to_owned).collect(),
            started_at: now,
            deadline: (assessment.time_limit_minutes > 0)
                .then(|| now + Duration::minutes(i64::from(assessment.time_limit_minutes))),
        };
        match state
            .store()
            .start_attempt(new, assessment.max_attempts)
            .await?
        {
            StartOutcome::Created(attempt) => {
                return Ok(Started::Created(view(course, &assessment, &attempt)));
            }
            StartOutcome::Resumed(attempt) if is_overdue(&attempt, now) => {
                expire(state, &attempt, now).await?;
            }
            StartOutcome::Resumed(attempt) => {
                let (pinned, assessment) = pinned(state, &attempt).await?;
                return Ok(Started::Resumed(view(
                    &pinned.course,
                    &assessment,
                    &attempt,
                )));
            }
            StartOutcome::Exhausted { used } => {
                return Err(ApiError::AttemptsExhausted(format!(
                    "you have used all {used} attempts allowed at `{}` (at most {}); \
                     `cloudmaster attempts {course_id}` lists them",
                    assessment.id, assessment.max_attempts
                )));
            }
        }
    }
    Err(ApiError::Conflict(format!(
        "another request is closing your attempt at `{assessment_id}`; try again"
    )))
}

/// `GET /attempts/{attempt}`: closes it first when its time is up.
pub async fn show(
    state: &AppState,
    auth: &Auth,
    attempt_id: &str,
) -> Result<AttemptView, ApiError> {
    let mut attempt = own_attempt(state, auth, attempt_id).await?;
    let now = state.now();
    if is_overdue(&attempt, now) {
        expire(state, &attempt, now).await?;
        attempt = reread(state, attempt.id).await?;
    }
    let (pinned, assessment) = pinned(state, &attempt).await?;
    Ok(view(&pinned.course, &assessment, &attempt))
}

/// `PUT /attempts/{attempt}/answers/{question}`.
pub async fn save_answer(
    state: &AppState,
    auth: &Auth,
    attempt_id: &str,
    question_id: &str,
    response: &Response,
) -> Result<(), ApiError> {
    let attempt = own_attempt(state, auth, attempt_id).await?;
    let now = state.now();
    ensure_open(state, &attempt, now).await?;
    let (pinned, _) = pinned(state, &attempt).await?;
    let response = to_authored(&pinned.course, &attempt, question_id, response)?;
    let saved = state
        .store()
        .save_answer(attempt.id, question_id, &response, now, now - ATTEMPT_GRACE)
        .await?;
    match saved {
        SaveOutcome::Saved => Ok(()),
        SaveOutcome::NotFound => Err(no_attempt(attempt_id)),
        // Closed meanwhile, or the deadline passed between the checks and the write.
        SaveOutcome::Closed => {
            let attempt = reread(state, attempt.id).await?;
            ensure_open(state, &attempt, now).await?;
            Err(ApiError::AttemptClosed(closed_message(&attempt)))
        }
    }
}

/// `POST /attempts/{attempt}/submit`.
pub async fn submit(
    state: &AppState,
    auth: &Auth,
    attempt_id: &str,
    body: SubmitAttempt,
) -> Result<AttemptResult, ApiError> {
    let attempt = own_attempt(state, auth, attempt_id).await?;
    let now = state.now();
    ensure_open(state, &attempt, now).await?;
    let (pinned, assessment) = pinned(state, &attempt).await?;
    let course = &pinned.course;
    let given = body
        .answers
        .iter()
        .map(|(question_id, response)| {
            let authored = to_authored(course, &attempt, question_id, response)?;
            Ok((question_id.clone(), authored))
        })
        .collect::<Result<BTreeMap<String, Response>, ApiError>>()?;
    let close = |current: &AttemptRecord| {
        // Decided again on the row as locked: the deadline may have passed meanwhile.
        let (status, answers) = if is_overdue(current, now) {
            (AttemptStatus::Expired, current.answers.clone())
        } else {
            let mut answers = current.answers.clone();
            answers.extend(given.clone());
            (AttemptStatus::Submitted, answers)
        };
        Some(grading::close(
            course,
            current,
            answers,
            assessment.pass_mark,
            status,
            now,
        ))
    };
    let Some(closing) = state.store().close_attempt(attempt.id, &close).await? else {
        // Another request (a second submit, the expiry job) closed it first.
        let attempt = reread(state, attempt.id).await?;
        return Err(ApiError::AttemptClosed(closed_message(&attempt)));
    };
    after_close(state, &attempt, &closing).await;
    if closing.status == AttemptStatus::Expired {
        let closed = AttemptRecord {
            status: AttemptStatus::Expired,
            ..attempt
        };
        return Err(ApiError::AttemptClosed(closed_message(&closed)));
    }
    let mut result = closing.result;
    result.first_review_due = first_review_due(state, &attempt, &result).await;
    Ok(result)
}

/// When the first review card of the attempt's answered questions comes due (each answer
/// scheduled one on the FSRS schedule as the attempt closed). Best effort: the result
/// stands without it.
async fn first_review_due(
    state: &AppState,
    attempt: &AttemptRecord,
    result: &AttemptResult,
) -> Option<time::OffsetDateTime> {
    let cards = state
        .store()
        .review_cards(attempt.user_id, &attempt.course_id)
        .await
        .ok()?;
    result
        .questions
        .iter()
        .filter(|q| q.response.is_some())
        .filter_map(|q| cards.get(&q.question_id).map(|c| c.due))
        .min()
}

/// `GET /courses/{course}/attempts`: newest first.
pub async fn summaries(
    state: &AppState,
    auth: &Auth,
    course_id: &str,
) -> Result<Vec<AttemptSummary>, ApiError> {
    require_enrolled(state, auth, course_id).await?;
    summaries_of(state, auth.user.id, course_id).await
}

/// `user_id`'s attempts in a course, newest first, whoever asks (the caller checked).
pub async fn summaries_of(
    state: &AppState,
    user_id: Uuid,
    course_id: &str,
) -> Result<Vec<AttemptSummary>, ApiError> {
    let attempts = state.store().attempts(user_id, course_id).await?;
    let mut out = Vec::with_capacity(attempts.len());
    for attempt in attempts {
        let (_, assessment) = pinned(state, &attempt).await?;
        out.push(AttemptSummary {
            id: attempt.id,
            assessment_id: attempt.assessment_id,
            kind: attempt.kind,
            title: assessment.title,
            status: attempt.status,
            started_at: attempt.started_at,
            finished_at: attempt.finished_at,
            score_percent: attempt.score_percent,
            passed: attempt.passed,
        });
    }
    Ok(out)
}

/// Closes `attempt` as expired, graded on its saved answers, if it is still open and
/// overdue at `now` when locked. Returns the closing when this call closed it.
pub async fn expire(
    state: &AppState,
    attempt: &AttemptRecord,
    now: OffsetDateTime,
) -> Result<Option<AttemptClosing>, ApiError> {
    let (pinned, assessment) = pinned(state, attempt).await?;
    let close = |current: &AttemptRecord| {
        is_overdue(current, now).then(|| {
            grading::close(
                &pinned.course,
                current,
                current.answers.clone(),
                assessment.pass_mark,
                AttemptStatus::Expired,
                now,
            )
        })
    };
    let closing = state.store().close_attempt(attempt.id, &close).await?;
    if let Some(closing) = &closing {
        after_close(state, attempt, closing).await;
    }
    Ok(closing)
}

/// What follows a closing: a passed attempt may complete the course.
async fn after_close(state: &AppState, attempt: &AttemptRecord, closing: &AttemptClosing) {
    if !closing.result.passed {
        return;
    }
    if let Err(err) =
        crate::certificates::award_if_complete(state, attempt.user_id, &attempt.course_id).await
    {
        tracing::warn!(
            error = %crate::error::error_chain(&err),
            attempt = %attempt.id,
            course = %attempt.course_id,
            "awarding the certificate after a passed attempt failed"
        );
    }
}

/// 409 unless the attempt is open; an overdue one is closed first.
async fn ensure_open(
    state: &AppState,
    attempt: &AttemptRecord,
    now: OffsetDateTime,
) -> Result<(), ApiError> {
    if is_overdue(attempt, now) {
        expire(state, attempt, now).await?;
        let closed = reread(state, attempt.id).await?;
        return Err(ApiError::AttemptClosed(closed_message(&closed)));
    }
    if attempt.status != AttemptStatus::Open {
        return Err(ApiError::AttemptClosed(closed_message(attempt)));
    }
    Ok(())
}

/// Why a closed attempt takes no more answers, and where its result is.
fn closed_message(attempt: &AttemptRecord) -> String {
    let id = attempt.id;
    let result = format!("`GET /api/v1/attempts/{id}` shows the result");
    match (attempt.status, attempt.deadline) {
        (AttemptStatus::Expired, Some(deadline)) => format!(
            "the time limit of attempt {id} passed at {}; the attempt was graded on the \
             answers saved in time: {result}",
            deadline
                .format(&Rfc3339)
                .unwrap_or_else(|_| deadline.to_string())
        ),
        (AttemptStatus::Expired, None) => format!(
            "attempt {id} was closed after {} hours without a saved answer and graded on the \
             answers saved: {result}",
            ABANDON_AFTER.whole_hours()
        ),
        _ => format!("attempt {id} is already submitted: {result}"),
    }
}

/// `response`, in the letters the attempt shows, in the authored option ids; 422 unless
/// `question_id` is in the attempt and `response` fits the question.
fn to_authored(
    course: &Course,
    attempt: &AttemptRecord,
    question_id: &str,
    response: &Response,
) -> Result<Response, ApiError> {
    let question = attempt
        .question_ids
        .iter()
        .any(|id| id == question_id)
        .then(|| course.question(question_id))
        .flatten()
        .ok_or_else(|| {
            ApiError::Validation(format!(
                "question `{question_id}` is not part of attempt {}; answer one of: {}",
                attempt.id,
                attempt.question_ids.join(", ")
            ))
        })?;
    shown_to_authored(&Shown::new(question, attempt.seed), response)
}

/// `response`, given in the letters of `shown`, in the authored option ids; 422 when it
/// cannot be graded against the question (wrong type, a letter not shown, not a
/// permutation), saying nothing about which answer is right.
pub(super) fn shown_to_authored(shown: &Shown, response: &Response) -> Result<Response, ApiError> {
    shown.to_authored(response).map_err(|problem| {
        ApiError::Validation(format!(
            "the answer to question `{}` cannot be graded: {problem}",
            shown.question().id
        ))
    })
}

/// The caller's attempt, or 404 (also for someone else's attempt); 403 when the caller has
/// left the course.
async fn own_attempt(
    state: &AppState,
    auth: &Auth,
    attempt_id: &str,
) -> Result<AttemptRecord, ApiError> {
    auth.require(cloudmaster_core::api::Scope::Learn)?;
    let id: Uuid = attempt_id.parse().map_err(|_| no_attempt(attempt_id))?;
    let attempt = state
        .store()
        .attempt(id)
        .await?
        .filter(|a| a.user_id == auth.user.id)
        .ok_or_else(|| no_attempt(attempt_id))?;
    require_enrolled(state, auth, &attempt.course_id).await?;
    Ok(attempt)
}

async fn reread(state: &AppState, attempt_id: Uuid) -> Result<AttemptRecord, ApiError> {
    state
        .store()
        .attempt(attempt_id)
        .await?
        .ok_or_else(|| no_attempt(&attempt_id.to_string()))
}

fn no_attempt(attempt_id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "no attempt `{attempt_id}` of yours; `cloudmaster attempts COURSE` lists them"
    ))
}

/// The course version the attempt was drawn from, and its assessment there.
async fn pinned(
    state: &AppState,
    attempt: &AttemptRecord,
) -> Result<(std::sync::Arc<crate::bundles::PublishedCourse>, Assessment), ApiError> {
    let pinned = state
        .course_version(&attempt.course_id, attempt.course_version)
        .await?;
    let assessment = Assessment::of_attempt(&pinned.course, attempt)?;
    Ok((pinned, assessment))
}

/// The attempt as its learner sees it: the questions rebuilt from the seed (same options
/// order and letters as when it started), saved answers, and the result once closed, all in
/// the shown letters.
fn view(course: &Course, assessment: &Assessment, attempt: &AttemptRecord) -> AttemptView {
    let shown: BTreeMap<&str, Shown> = attempt
        .question_ids
        .iter()
        .filter_map(|id| course.question(id))
        .map(|q| (q.id.as_str(), Shown::new(q, attempt.seed)))
        .collect();
    let answers = attempt
        .answers
        .iter()
        .map(|(id, response)| {
            let response = shown
                .get(id.as_str())
                .map_or_else(|| response.clone(), |s| s.to_shown(response));
            (id.clone(), response)
        })
        .collect();
    let result = attempt.result.clone().map(|mut result| {
        for question in &mut result.questions {
            if let Some(s) = shown.get(question.question_id.as_str()) {
                *question = s.present(question, attempt.answers.get(&question.question_id));
            }
        }
        result
    });
    AttemptView {
        id: attempt.id,
        course_id: attempt.course_id.clone(),
        assessment_id: attempt.assessment_id.clone(),
        kind: attempt.kind,
        title: assessment.title.clone(),
        status: attempt.status,
        started_at: attempt.started_at,
        deadline: attempt.deadline,
        pass_mark: assessment.pass_mark,
        questions: attempt
            .question_ids
            .iter()
            .filter_map(|id| shown.get(id.as_str()))
            .map(Shown::public)
            .collect(),
        answers,
        result,
    }
}

#[cfg(test)]
mod tests {
    use cloudmaster_core::api::AssessmentKind;

    use super::*;

    fn attempt(deadline: Option<OffsetDateTime>, last_activity: OffsetDateTime) -> AttemptRecord {
        let mut record = AttemptRecord::created(NewAttempt {
            id: Uuid::nil(),
            user_id: Uuid::nil(),
            course_id: "c".into(),
            course_version: 1,
            kind: AssessmentKind::Quiz,
            assessment_id: "q".into(),
            seed: 0,
            question_ids: vec![],
            started_at: OffsetDateTime::UNIX_EPOCH,
            deadline,
        });
        record.last_activity = last_activity;
        record
    }

    #[test]
    fn overdue_after_grace_or_abandon_timeout() {
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let timed = attempt(Some(t0 + Duration::minutes(30)), t0);
        assert!(!is_overdue(
            &timed,
            t0 + Duration::minutes(30) + ATTEMPT_GRACE
        ));
        assert!(is_overdue(
            &timed,
            t0 + Duration::minutes(30) + ATTEMPT_GRACE + Duration::milliseconds(1)
        ));
        let untimed = attempt(None, t0 + Duration::hours(1));
        assert!(!is_overdue(&untimed, t0 + Duration::hours(25)));
        assert!(is_overdue(
            &untimed,
            t0 + Duration::hours(25) + Duration::seconds(1)
        ));
        let closed = AttemptRecord {
            status: AttemptStatus::Submitted,
            ..timed
        };
        assert!(!is_overdue(&closed, t0 + Duration::days(9)));
    }

    #[test]
    fn closed_messages_say_why_and_where_the_result_is() {
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let expired = AttemptRecord {
            status: AttemptStatus::Expired,
            ..attempt(Some(t0 + Duration::minutes(30)), t0)
        };
        let message = closed_message(&expired);
        assert!(
            message.contains("passed at 1970-01-01T00:30:00Z"),
            "{message}"
        );
        assert!(message.contains("graded on the answers saved in time"));
        assert!(message.contains("GET /api/v1/attempts/"));
    }
}
