//! Assessments, mastery, review and readiness: `/courses/{course}/assessments`,
//! `/attempts/{attempt}`, `/courses/{course}/mastery`, `/courses/{course}/readiness`,
//! `/review`.

use reqwest::Method;
use uuid::Uuid;

use super::{Client, Request};
use crate::api::{
    AssessmentInfo, AttemptResult, AttemptSummary, AttemptView, MasteryReport, ReadinessReport,
    ReviewAnswer, ReviewOutcome, ReviewQueue, SaveAnswer, SubmitAttempt,
};
use crate::assess::Response;
use crate::error::Result;

impl Client {
    /// `GET /courses/{course}/assessments`: the module quizzes and the mock exam.
    pub async fn assessments(&self, course: &str) -> Result<Vec<AssessmentInfo>> {
        self.call(Request::get(&["courses", course, "assessments"]))
            .await
    }

    /// `POST /courses/{course}/assessments/{assessment}/attempts`: starts an attempt, or
    /// resumes the caller's open one.
    pub async fn start_attempt(&self, course: &str, assessment: &str) -> Result<AttemptView> {
        self.call(Request::new(
            Method::POST,
            &["courses", course, "assessments", assessment, "attempts"],
        ))
        .await
    }

    /// `GET /attempts/{attempt}`.
    pub async fn attempt(&self, attempt: Uuid) -> Result<AttemptView> {
        let id = attempt.to_string();
        self.call(Request::get(&["attempts", &id])).await
    }

    /// `PUT /attempts/{attempt}/answers/{question}`: saves one answer.
    pub async fn save_answer(
        &self,
        attempt: Uuid,
        question: &str,
        response: &Response,
    ) -> Result<()> {
        let id = attempt.to_string();
        self.call_empty(
            Request::new(Method::PUT, &["attempts", &id, "answers", question]).json(&SaveAnswer {
                response: response.clone(),
            }),
        )
        .await
    }

    /// `POST /attempts/{attempt}/submit`: saves `answers` and grades the attempt.
    pub async fn submit_attempt(
        &self,
        attempt: Uuid,
        answers: &SubmitAttempt,
    ) -> Result<AttemptResult> {
        let id = attempt.to_string();
        self.call(Request::new(Method::POST, &["attempts", &id, "submit"]).json(answers))
            .await
    }

    /// `GET /courses/{course}/attempts`: the caller's attempts, newest first.
    pub async fn attempts(&self, course: &str) -> Result<Vec<AttemptSummary>> {
        self.call(Request::get(&["courses", course, "attempts"]))
            .await
    }

    /// `GET /courses/{course}/mastery`.
    pub async fn mastery(&self, course: &str) -> Result<MasteryReport> {
        self.call(Request::get(&["courses", course, "mastery"]))
            .await
    }

    /// `GET /courses/{course}/readiness`.
    pub async fn readiness(&self, course: &str) -> Result<ReadinessReport> {
        self.call(Request::get(&["courses", course, "readiness"]))
            .await
    }

    /// `GET /review[?course=][&limit=]`: items due now.
    pub async fn review_queue(
        &self,
        course: Option<&str>,
        limit: Option<u32>,
    ) -> Result<ReviewQueue> {
        let mut request = Request::get(&["review"]);
        if let Some(course) = course {
            request = request.query("course", course);
        }
        if let Some(limit) = limit {
            request = request.query("limit", limit);
        }
        self.call(request).await
    }

    /// `POST /review/{course}/{question}`: answers one review item and reschedules it.
    pub async fn answer_review(
        &self,
        course: &str,
        question: &str,
        answer: &ReviewAnswer,
    ) -> Result<ReviewOutcome> {
        self.call(Request::new(Method::POST, &["review", course, question]).json(answer))
            .await
    }
}
