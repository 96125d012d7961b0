//! [`PreviewBackend`]: the TUI on local course files, with no server
//! (`cloudmaster course preview PATH`).
//!
//! An author sees what a learner will see before publishing. The courses come from the
//! core course loader; lessons render as on a server; quizzes and mock exams are drawn and
//! graded by core's assessment engine (`cloudmaster_core::assess`), explanations included
//! ([`attempts`]); labs start in a workspace, their checks run as the learner's would, and a
//! submission is re-checked with the server's rules ([`labs`]). Progress, attempts and lab
//! sessions live in memory and end with the preview.
//!
//! Nothing is locked: like a course's owner on a server, the author opens every module,
//! quiz and lab in any order. Every course of the folder counts as enrolled.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use cloudmaster_core::api::{
    AssessmentInfo, AttemptResult, AttemptView, CheckReport, CourseDetail, CourseFilter,
    CourseProgress, CourseSummary, Enrollment, HintView, LabSession, LabSessionStart,
    LabSubmission, LabSummary, Lesson, LessonProgress, LessonProgressUpdate, LessonStatus,
    ReadinessReport, ResumePoint, ReviewAnswer, ReviewOutcome, ReviewQueue, Role, SearchHit,
    SelfReported, StepSolution, SubmitAttempt, Tier, TutorQuestion, User, WhoAmI,
};
use cloudmaster_core::assess::{ReadinessConfig, Response, readiness};
use cloudmaster_core::course::Course;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Backend, BackendError, BackendResult, TutorEvents};

mod attempts;
mod catalog;
mod labs;

/// What lab workspaces record as their server: no server answers there, so the command
/// line cannot mistake a preview workspace for one of a real server.
const PREVIEW_URL: &str = "http://preview.invalid/";

/// See the module docs.
pub struct PreviewBackend {
    courses: Vec<Course>,
    started: OffsetDateTime,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    progress: HashMap<(String, String), LessonProgress>,
    attempts: attempts::Attempts,
    labs: labs::Sessions,
}

impl PreviewBackend {
    /// A preview of `courses` (loaded and validated by the caller).
    pub fn new(courses: Vec<Course>) -> PreviewBackend {
        PreviewBackend {
            courses,
            started: OffsetDateTime::now_utc(),
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn find(&self, course: &str) -> BackendResult<&Course> {
        self.courses.iter().find(|c| c.id == course).ok_or_else(|| {
            let known: Vec<&str> = self.courses.iter().map(|c| c.id.as_str()).collect();
            BackendError::with_code(
                "not_found",
                format!(
                    "no course `{course}` in this preview (it has {})",
                    known.join(", ")
                ),
            )
        })
    }

    fn enrollment(&self, course: &Course) -> Enrollment {
        Enrollment {
            course_id: course.id.clone(),
            course_title: course.title.clone(),
            enrolled_at: self.started,
        }
    }

    fn course_progress_of(&self, course: &Course) -> CourseProgress {
        let state = self.state();
        let lessons: Vec<LessonProgress> = course
            .lessons()
            .filter_map(|l| {
                state
                    .progress
                    .get(&(course.id.clone(), l.id.clone()))
                    .cloned()
            })
            .collect();
        let done = |id: &str| {
            lessons
                .iter()
                .any(|p| p.lesson_id == id && p.status == LessonStatus::Completed)
        };
        let completed = course.lessons().filter(|l| done(&l.id)).count() as u32;
        let total = course.lessons().count() as u32;
        let resume = course.modules.iter().find_map(|m| {
            m.lessons
                .iter()
                .find(|l| !done(&l.id))
                .map(|l| ResumePoint {
                    module_id: m.id.clone(),
                    lesson_id: l.id.clone(),
                    lesson_title: l.title.clone(),
                    position: lessons
                        .iter()
                        .find(|p| p.lesson_id == l.id)
                        .and_then(|p| p.position),
                })
        });
        CourseProgress {
            course_id: course.id.clone(),
            course_title: course.title.clone(),
            completed_lessons: completed,
            total_lessons: total,
            percent: completed * 100 / total.max(1),
            resume,
            lessons,
            review_due: 0,
            labs: Vec::new(),
            certificate: None,
        }
    }
}

#[async_trait]
impl Backend for PreviewBackend {
    async fn whoami(&self) -> BackendResult<WhoAmI> {
        Ok(WhoAmI {
            user: User {
                id: Uuid::nil(),
                email: "preview@localhost".to_owned(),
                name: "Course preview".to_owned(),
                role: Role::Learner,
                tier: Tier::Free,
                created_at: self.started,
            },
            credential: "preview".to_owned(),
            scopes: Vec::new(),
        })
    }

    async fn list_courses(&self, _filter: &CourseFilter) -> BackendResult<Vec<CourseSummary>> {
        Ok(self.courses.iter().map(catalog::summary).collect())
    }

    async fn search(&self, query: &str, limit: u32) -> BackendResult<Vec<SearchHit>> {
        let mut hits = catalog::search(&self.courses, query);
        hits.truncate(limit as usize);
        Ok(hits)
    }

    async fn course(&self, course: &str) -> BackendResult<CourseDetail> {
        Ok(catalog::detail(self.find(course)?, self.started))
    }

    async fn lesson(&self, course: &str, lesson: &str) -> BackendResult<Lesson> {
        catalog::lesson(self.find(course)?, lesson)
    }

    async fn enroll(&self, course: &str) -> BackendResult<Enrollment> {
        Ok(self.enrollment(self.find(course)?))
    }

    async fn enrollments(&self) -> BackendResult<Vec<Enrollment>> {
        Ok(self.courses.iter().map(|c| self.enrollment(c)).collect())
    }

    async fn record_lesson_progress(
        &self,
        course: &str,
        lesson: &str,
        update: &LessonProgressUpdate,
    ) -> BackendResult<LessonProgress> {
        catalog::lesson(self.find(course)?, lesson)?;
        let now = OffsetDateTime::now_utc();
        let mut state = self.state();
        let key = (course.to_owned(), lesson.to_owned());
        let done_at = state.progress.get(&key).and_then(|p| p.completed_at);
        // Completion is sticky, as on the server.
        let completed_at = done_at.or((update.status == LessonStatus::Completed).then_some(now));
        let entry = LessonProgress {
            lesson_id: lesson.to_owned(),
            status: if completed_at.is_some() {
                LessonStatus::Completed
            } else {
                update.status
            },
            position: update.position,
            updated_at: now,
            completed_at,
        };
        state.progress.insert(key, entry.clone());
        Ok(entry)
    }

    async fn progress(&self) -> BackendResult<Vec<CourseProgress>> {
        Ok(self
            .courses
            .iter()
            .map(|c| self.course_progress_of(c))
            .collect())
    }

    async fn course_progress(&self, course: &str) -> BackendResult<CourseProgress> {
        Ok(self.course_progress_of(self.find(course)?))
    }

    async fn assessments(&self, course: &str) -> BackendResult<Vec<AssessmentInfo>> {
        let course = self.find(course)?;
        Ok(self.state().attempts.infos(course))
    }

    async fn start_attempt(&self, course: &str, assessment: &str) -> BackendResult<AttemptView> {
        let course = self.find(course)?;
        let now = OffsetDateTime::now_utc();
        self.state().attempts.start(course, assessment, now)
    }

    async fn attempt(&self, attempt: Uuid) -> BackendResult<AttemptView> {
        let now = OffsetDateTime::now_utc();
        self.state().attempts.get(&self.courses, attempt, now)
    }

    async fn save_answer(
        &self,
        attempt: Uuid,
        question: &str,
        response: &Response,
    ) -> BackendResult<()> {
        let now = OffsetDateTime::now_utc();
        self.state()
            .attempts
            .save(&self.courses, attempt, question, response, now)
    }

    async fn submit_attempt(
        &self,
        attempt: Uuid,
        answers: &SubmitAttempt,
    ) -> BackendResult<AttemptResult> {
        let now = OffsetDateTime::now_utc();
        self.state()
            .attempts
            .submit(&self.courses, attempt, &answers.answers, now)
    }

    async fn readiness(&self, course: &str) -> BackendResult<ReadinessReport> {
        let course = self.find(course)?;
        let mastery = self.state().attempts.mastery(&course.id);
        Ok(ReadinessReport {
            course_id: course.id.clone(),
            exam_name: course.exam.as_ref().map(|e| e.name.clone()),
            readiness: readiness(course, &mastery, &ReadinessConfig::default()),
            study_lessons: Vec::new(),
            study_questions: Vec::new(),
        })
    }

    /// A preview keeps no review schedule: nothing is ever due.
    async fn review_queue(
        &self,
        course: Option<&str>,
        _limit: Option<u32>,
    ) -> BackendResult<ReviewQueue> {
        if let Some(course) = course {
            self.find(course)?;
        }
        Ok(ReviewQueue {
            due: 0,
            items: Vec::new(),
        })
    }

    async fn answer_review(
        &self,
        _course: &str,
        question: &str,
        _answer: &ReviewAnswer,
    ) -> BackendResult<ReviewOutcome> {
        Err(BackendError::with_code(
            "not_found",
            format!(
                "`{question}` is not due for review: a course preview keeps no review schedule"
            ),
        ))
    }

    fn server_url(&self) -> String {
        PREVIEW_URL.to_owned()
    }

    async fn labs(&self, course: &str) -> BackendResult<Vec<LabSummary>> {
        let course = self.find(course)?;
        Ok(self.state().labs.summaries(course))
    }

    async fn start_lab(&self, course: &str, lab: &str) -> BackendResult<LabSessionStart> {
        let course = self.find(course)?;
        let now = OffsetDateTime::now_utc();
        self.state().labs.start(course, lab, now)
    }

    async fn lab_session(&self, session: Uuid) -> BackendResult<LabSession> {
        self.state().labs.get(session)
    }

    async fn lab_sessions(&self, active_only: bool) -> BackendResult<Vec<LabSession>> {
        Ok(self.state().labs.list(active_only))
    }

    async fn report_check(&self, session: Uuid, report: &CheckReport) -> BackendResult<LabSession> {
        self.state().labs.report(session, report)
    }

    async fn next_hint(&self, session: Uuid, step: &str) -> BackendResult<HintView> {
        self.state().labs.hint(&self.courses, session, step)
    }

    async fn step_solution(&self, session: Uuid, step: &str) -> BackendResult<StepSolution> {
        self.state().labs.solution(&self.courses, session, step)
    }

    async fn abandon_lab(&self, session: Uuid) -> BackendResult<()> {
        let now = OffsetDateTime::now_utc();
        self.state().labs.abandon(session, now)
    }

    async fn submit_lab(
        &self,
        session: Uuid,
        archive: Vec<u8>,
        self_reported: &[SelfReported],
    ) -> BackendResult<LabSubmission> {
        // Unpacking and checking touch the disk: not on the event loop's thread.
        let lab = self.state().labs.lab_of(&self.courses, session)?;
        let reported = self_reported.to_vec();
        let steps = tokio::task::spawn_blocking(move || labs::verify(&lab, &archive, &reported))
            .await
            .map_err(|e| BackendError::new(format!("checking the submission failed: {e}")))??;
        let now = OffsetDateTime::now_utc();
        self.state().labs.record_submission(session, steps, now)
    }

    async fn ask_tutor(&self, _question: &TutorQuestion) -> BackendResult<TutorEvents> {
        Err(BackendError::with_code(
            "unavailable",
            "the tutor answers on a cloudmaster server; a course preview has none",
        ))
    }
}

#[cfg(test)]
mod tests;
