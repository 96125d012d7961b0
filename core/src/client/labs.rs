//! Labs: `/courses/{course}/labs`, `/lab-sessions/{session}/...`.

use std::sync::Arc;

use reqwest::Method;
use uuid::Uuid;

use super::{Client, Request, UPLOAD_TIMEOUT};
use crate::api::{
    CheckReport, HintView, LabSession, LabSessionStart, LabSubmission, LabSummary, SelfReported,
    StepSolution,
};
use crate::error::Result;

/// Header of `submit` that carries the client's results of command and script checks.
pub const SELF_REPORTED_HEADER: &str = "x-cloudmaster-self-reported";

impl Client {
    /// `GET /courses/{course}/labs`.
    pub async fn labs(&self, course: &str) -> Result<Vec<LabSummary>> {
        self.call(Request::get(&["courses", course, "labs"])).await
    }

    /// `POST /courses/{course}/labs/{lab}/sessions`: starts a session, or resumes the
    /// caller's active one.
    pub async fn start_lab(&self, course: &str, lab: &str) -> Result<LabSessionStart> {
        self.call(Request::new(
            Method::POST,
            &["courses", course, "labs", lab, "sessions"],
        ))
        .await
    }

    /// `GET /lab-sessions/{session}`.
    pub async fn lab_session(&self, session: Uuid) -> Result<LabSession> {
        let id = session.to_string();
        self.call(Request::get(&["lab-sessions", &id])).await
    }

    /// `GET /lab-sessions?active=true`: the caller's sessions, newest first.
    pub async fn lab_sessions(&self, active_only: bool) -> Result<Vec<LabSession>> {
        let mut request = Request::get(&["lab-sessions"]);
        if active_only {
            request = request.query("active", true);
        }
        self.call(request).await
    }

    /// `POST /lab-sessions/{session}/checks`: reports a local check run.
    pub async fn report_check(&self, session: Uuid, report: &CheckReport) -> Result<LabSession> {
        let id = session.to_string();
        self.call(Request::new(Method::POST, &["lab-sessions", &id, "checks"]).json(report))
            .await
    }

    /// `POST /lab-sessions/{session}/steps/{step}/hint`: reveals the next hint.
    pub async fn next_hint(&self, session: Uuid, step: &str) -> Result<HintView> {
        let id = session.to_string();
        self.call(Request::new(
            Method::POST,
            &["lab-sessions", &id, "steps", step, "hint"],
        ))
        .await
    }

    /// `POST /lab-sessions/{session}/steps/{step}/solution[?skip=true]`.
    pub async fn step_solution(
        &self,
        session: Uuid,
        step: &str,
        skip: bool,
    ) -> Result<StepSolution> {
        let id = session.to_string();
        let mut request = Request::new(
            Method::POST,
            &["lab-sessions", &id, "steps", step, "solution"],
        );
        if skip {
            request = request.query("skip", true);
        }
        self.call(request).await
    }

    /// `POST /lab-sessions/{session}/submit`: uploads the packed workspace (gzip tar) with
    /// the self-reported results; `progress` gets `(bytes sent, total bytes)`.
    pub async fn submit_lab(
        &self,
        session: Uuid,
        archive: Vec<u8>,
        self_reported: &[SelfReported],
        progress: impl Fn(u64, u64) + Send + Sync + 'static,
    ) -> Result<LabSubmission> {
        let id = session.to_string();
        let reported =
            serde_json::to_string(self_reported).expect("self-reported results serialize");
        let mut request = Request::new(Method::POST, &["lab-sessions", &id, "submit"])
            .bytes("application/gzip", archive)
            .header(SELF_REPORTED_HEADER, reported);
        request.timeout = Some(UPLOAD_TIMEOUT.max(self.timeout()));
        request.progress = Some(Arc::new(progress));
        self.call(request).await
    }

    /// `DELETE /lab-sessions/{session}`: abandons the session.
    pub async fn abandon_lab(&self, session: Uuid) -> Result<()> {
        let id = session.to_string();
        self.call_empty(Request::new(Method::DELETE, &["lab-sessions", &id]))
            .await
    }
}
