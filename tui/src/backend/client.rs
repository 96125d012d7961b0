//! [`Backend`] for the real HTTP client. Each method forwards to `Client` and turns
//! `cloudmaster_core::Error` into a [`BackendError`] with its user-facing message; a tutor
//! answer's `TutorStream` becomes a [`TutorEvents`] stream.

use async_trait::async_trait;
use cloudmaster_core::Client;
use cloudmaster_core::api::{
    AssessmentInfo, AttemptResult, AttemptView, CheckReport, CourseDetail, CourseFilter,
    CourseProgress, CourseSummary, Enrollment, HintView, LabSession, LabSessionStart,
    LabSubmission, LabSummary, Lesson, LessonProgress, LessonProgressUpdate, ReadinessReport,
    ReviewAnswer, ReviewOutcome, ReviewQueue, SearchHit, SelfReported, StepSolution, SubmitAttempt,
    TutorQuestion, WhoAmI,
};
use cloudmaster_core::assess::Response;
use futures_util::StreamExt as _;
use uuid::Uuid;

use super::{Backend, BackendError, BackendResult, TutorEvents};

impl From<cloudmaster_core::Error> for BackendError {
    fn from(err: cloudmaster_core::Error) -> Self {
        let code = err.code().map(str::to_owned);
        // Auth and API errors carry the server's message; the others print their own.
        let message = match &err {
            cloudmaster_core::Error::Api { message, .. }
            | cloudmaster_core::Error::Auth { message, .. } => message.clone(),
            other => other.to_string(),
        };
        BackendError { code, message }
    }
}

#[async_trait]
impl Backend for Client {
    async fn whoami(&self) -> BackendResult<WhoAmI> {
        Ok(Client::whoami(self).await?)
    }

    async fn list_courses(&self, filter: &CourseFilter) -> BackendResult<Vec<CourseSummary>> {
        Ok(Client::list_courses(self, filter).await?)
    }

    async fn search(&self, query: &str, limit: u32) -> BackendResult<Vec<SearchHit>> {
        Ok(Client::search(self, query, Some(limit)).await?)
    }

    async fn course(&self, course: &str) -> BackendResult<CourseDetail> {
        Ok(Client::course(self, course).await?)
    }

    async fn lesson(&self, course: &str, lesson: &str) -> BackendResult<Lesson> {
        Ok(Client::lesson(self, course, lesson).await?)
    }

    async fn enroll(&self, course: &str) -> BackendResult<Enrollment> {
        Ok(Client::enroll(self, course).await?)
    }

    async fn enrollments(&self) -> BackendResult<Vec<Enrollment>> {
        Ok(Client::enrollments(self).await?)
    }

    async fn record_lesson_progress(
        &self,
        course: &str,
        lesson: &str,
        update: &LessonProgressUpdate,
    ) -> BackendResult<LessonProgress> {
        Ok(Client::record_lesson_progress(self, course, lesson, update).await?)
    }

    async fn progress(&self) -> BackendResult<Vec<CourseProgress>> {
        Ok(Client::progress(self).await?)
    }

    async fn course_progress(&self, course: &str) -> BackendResult<CourseProgress> {
        Ok(Client::course_progress(self, course).await?)
    }

    async fn assessments(&self, course: &str) -> BackendResult<Vec<AssessmentInfo>> {
        Ok(Client::assessments(self, course).await?)
    }

    async fn start_attempt(&self, course: &str, assessment: &str) -> BackendResult<AttemptView> {
        Ok(Client::start_attempt(self, course, assessment).await?)
    }

    async fn attempt(&self, attempt: Uuid) -> BackendResult<AttemptView> {
        Ok(Client::attempt(self, attempt).await?)
    }

    async fn save_answer(
        &self,
        attempt: Uuid,
        question: &str,
        response: &Response,
    ) -> BackendResult<()> {
        Ok(Client::save_answer(self, attempt, question, response).await?)
    }

    async fn submit_attempt(
        &self,
        attempt: Uuid,
        answers: &SubmitAttempt,
    ) -> BackendResult<AttemptResult> {
        Ok(Client::submit_attempt(self, attempt, answers).await?)
    }

    async fn readiness(&self, course: &str) -> BackendResult<ReadinessReport> {
        Ok(Client::readiness(self, course).await?)
    }

    async fn review_queue(
        &self,
        course: Option<&str>,
        limit: Option<u32>,
    ) -> BackendResult<ReviewQueue> {
        Ok(Client::review_queue(self, course, limit).await?)
    }

    async fn answer_review(
        &self,
        course: &str,
        question: &str,
        answer: &ReviewAnswer,
    ) -> BackendResult<ReviewOutcome> {
        Ok(Client::answer_review(self, course, question, answer).await?)
    }

    fn server_url(&self) -> String {
        self.base_url().to_string()
    }

    async fn server_id(&self) -> Option<String> {
        Client::server_identity(self)
            .await
            .ok()
            .map(|i| i.server_id)
    }

    async fn labs(&self, course: &str) -> BackendResult<Vec<LabSummary>> {
        Ok(Client::labs(self, course).await?)
    }

    async fn start_lab(&self, course: &str, lab: &str) -> BackendResult<LabSessionStart> {
        Ok(Client::start_lab(self, course, lab).await?)
    }

    async fn lab_session(&self, session: Uuid) -> BackendResult<LabSession> {
        Ok(Client::lab_session(self, session).await?)
    }

    async fn lab_sessions(&self, active_only: bool) -> BackendResult<Vec<LabSession>> {
        Ok(Client::lab_sessions(self, active_only).await?)
    }

    async fn report_check(&self, session: Uuid, report: &CheckReport) -> BackendResult<LabSession> {
        Ok(Client::report_check(self, session, report).await?)
    }

    async fn next_hint(&self, session: Uuid, step: &str) -> BackendResult<HintView> {
        Ok(Client::next_hint(self, session, step).await?)
    }

    async fn step_solution(&self, session: Uuid, step: &str) -> BackendResult<StepSolution> {
        Ok(Client::step_solution(self, session, step, false).await?)
    }

    async fn abandon_lab(&self, session: Uuid) -> BackendResult<()> {
        Ok(Client::abandon_lab(self, session).await?)
    }

    async fn submit_lab(
        &self,
        session: Uuid,
        archive: Vec<u8>,
        self_reported: &[SelfReported],
    ) -> BackendResult<LabSubmission> {
        // The TUI shows "Submitting…" rather than a byte count.
        Ok(Client::submit_lab(self, session, archive, self_reported, |_, _| {}).await?)
    }

    async fn ask_tutor(&self, question: &TutorQuestion) -> BackendResult<TutorEvents> {
        let answer = Client::ask_tutor(self, question).await?;
        // The stream owns the connection: dropping it (the TUI stopping the answer) closes
        // it. After a failure nothing more is read.
        let events = futures_util::stream::unfold(Some(answer), |answer| async move {
            let mut answer = answer?;
            match answer.next().await {
                Ok(Some(event)) => Some((Ok(event), Some(answer))),
                Ok(None) => None,
                Err(err) => Some((Err(err.into()), None)),
            }
        });
        Ok(events.boxed())
    }
}
