//! Lab sessions: starting a lab, reporting local check runs, revealing hints and solutions,
//! submitting the workspace for server-side grading, abandoning.
//!
//! The lab a client receives ([`LabSessionStart::lab`]) carries the starter files, the
//! instructions and the conditions (checks run on the learner's machine), but no solution
//! files: a step's solution is fetched with
//! `POST /lab-sessions/{session}/steps/{step}/solution` once the step passed or is skipped.
//! Its hints keep their unlock thresholds but not their text, except the hints already
//! revealed: a hint's text comes from `POST /lab-sessions/{session}/steps/{step}/hint` when
//! it unlocks.
//!
//! A step whose conditions include `command` or `script` checks the server does not run
//! itself (it runs them only with `--lab-script-checks`) is **self-reported**: its verdict
//! rests on what the learner's machine said. Sessions, submissions and certificates say so.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::course::{Lab, LabFile};
use crate::lab::{ConditionResult, StepResult};

/// `GET /courses/{course}/labs`: one lab with the caller's standing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LabSummary {
    pub id: String,
    pub title: String,
    /// `beginner`, `intermediate` or `advanced`.
    pub difficulty: String,
    pub estimated_minutes: u32,
    pub time_limit_minutes: u32,
    /// The module that lists the lab, if any.
    pub module_id: Option<String>,
    pub skills: Vec<String>,
    pub domains: Vec<String>,
    /// Local programs the lab needs.
    pub tools: Vec<String>,
    pub steps: u32,
    pub passed: bool,
    /// The caller's active session of this lab, if any.
    pub active_session: Option<Uuid>,
    /// A lab of a module the caller has not reached (earlier modules unfinished): starting
    /// it answers 403 `locked`.
    #[serde(default)]
    pub locked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LabSessionStatus {
    Active,
    /// A submission passed every step on the server.
    Passed,
    /// Ended by its time limit or idle timeout after at least one failing submission (a
    /// failing submission by itself leaves the session active, to try again).
    Failed,
    Abandoned,
    /// Closed by the server after its time limit or idle timeout, with no passing submission.
    Expired,
}

impl LabSessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LabSessionStatus::Active => "active",
            LabSessionStatus::Passed => "passed",
            LabSessionStatus::Failed => "failed",
            LabSessionStatus::Abandoned => "abandoned",
            LabSessionStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<LabSessionStatus> {
        match s {
            "active" => Some(LabSessionStatus::Active),
            "passed" => Some(LabSessionStatus::Passed),
            "failed" => Some(LabSessionStatus::Failed),
            "abandoned" => Some(LabSessionStatus::Abandoned),
            "expired" => Some(LabSessionStatus::Expired),
            _ => None,
        }
    }
}

/// A lab session as the server keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LabSession {
    pub id: Uuid,
    pub course_id: String,
    pub lab_id: String,
    pub lab_title: String,
    pub lab_version: u32,
    pub status: LabSessionStatus,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub started_at: OffsetDateTime,
    /// The time limit: the session expires then, whatever the activity.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
    /// The idle timeout: the session expires then unless the learner is active (a check
    /// report, a hint, a submission) before it.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub idle_expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<OffsetDateTime>,
    pub submissions: u32,
    /// Every step of the lab, in order.
    pub steps: Vec<LabStepState>,
    /// The first step not yet passed or skipped; `None` when every step is done.
    pub current_step: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LabStepState {
    pub id: String,
    pub title: String,
    /// Passed on the server (a submission) or in a local check report.
    pub passed: bool,
    /// The learner skipped it and saw the solution: no credit.
    pub skipped: bool,
    /// Failed local check runs reported for this step (drives hints).
    pub failed_checks: u32,
    /// Hints revealed so far (the first `hints_shown` hints of the step).
    pub hints_shown: u32,
    /// How many hints the step has.
    #[serde(default)]
    pub hints: u32,
    /// The step's verdict rests on checks that run on the learner's machine only (`command`
    /// and `script` conditions the server does not re-run).
    #[serde(default)]
    pub self_reported: bool,
}

/// `POST /courses/{course}/labs/{lab}/sessions` → 201 (200 when the caller already has an
/// active session of the lab: it is resumed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LabSessionStart {
    pub session: LabSession,
    /// The lab without its solution files, and without the text of hints not revealed yet.
    #[schema(value_type = Object)]
    pub lab: Lab,
}

/// `POST /lab-sessions/{session}/checks`: the result of a local `lab check` run. Records
/// activity (keeping the session alive), counts failures on new content for hints, and
/// marks a passing step as passed locally (the server's own verdict comes with `submit`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CheckReport {
    pub step: String,
    pub passed: bool,
    #[serde(default)]
    #[schema(schema_with = condition_results)]
    pub conditions: Vec<ConditionResult>,
    /// The run was on workspace content no failing run of the step was checked on before
    /// (and not the content the workspace was set up with). Only such a failure counts
    /// toward `after_failures` hints; the others record activity only. Default `true`.
    #[serde(default = "new_content_default")]
    pub new_content: bool,
}

fn new_content_default() -> bool {
    true
}

impl CheckReport {
    /// The report of `result`, a run on new content or not (see [`CheckReport::new_content`]).
    pub fn of_run(result: &StepResult, new_content: bool) -> CheckReport {
        CheckReport {
            new_content,
            ..CheckReport::from(result)
        }
    }
}

/// The schema of `[ConditionResult]`: `id`, `duration_ms` and a `status` of `passed`,
/// `failed` (with its `message`) or `skipped` (with its `reason`).
fn condition_results() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
    let outcome = |status: &str, field: Option<&str>| {
        let mut object = ObjectBuilder::new()
            .property("id", ObjectBuilder::new().schema_type(Type::String))
            .required("id")
            .property(
                "status",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([status])),
            )
            .required("status")
            .property(
                "duration_ms",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0))
                    .maximum(Some(super::whole::MAX_SAFE)),
            )
            .required("duration_ms");
        if let Some(field) = field {
            object = object
                .property(field, ObjectBuilder::new().schema_type(Type::String))
                .required(field);
        }
        if status == "failed" {
            object = object.property("detail", ObjectBuilder::new().schema_type(Type::String));
        }
        object
    };
    ArrayBuilder::new()
        .items(
            OneOfBuilder::new()
                .item(outcome("passed", None))
                .item(outcome("failed", Some("message")))
                .item(outcome("skipped", Some("reason"))),
        )
        .build()
}

impl From<&StepResult> for CheckReport {
    fn from(result: &StepResult) -> Self {
        CheckReport {
            step: result.step_id.clone(),
            passed: result.passed(),
            conditions: result.conditions.clone(),
            new_content: true,
        }
    }
}

/// `POST /lab-sessions/{session}/steps/{step}/hint` → the next hint of the step (404
/// `not_found` when every hint is shown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HintView {
    pub step: String,
    /// 1-based.
    pub number: u32,
    pub of: u32,
    pub text: String,
}

/// `POST /lab-sessions/{session}/steps/{step}/solution?skip=true`: the step's solution
/// files, paths relative to the workspace. Without `skip` it is 409 until the step passed;
/// with `skip` the step is marked skipped (no credit) first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StepSolution {
    pub step: String,
    #[schema(value_type = Vec<Object>)]
    pub files: Vec<LabFile>,
}

/// `POST /lab-sessions/{session}/submit`, body a gzip-compressed tar of the workspace
/// (`application/gzip`), with the client's results of checks the server does not run
/// itself in the `x-cloudmaster-self-reported` header (JSON of `[SelfReported]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SelfReported {
    pub step: String,
    pub condition: String,
    pub passed: bool,
}

/// The server's grading of a submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LabSubmission {
    /// Every step earned credit: declarative conditions passed on the server, the others
    /// passed (as self-reported, or run by the server when its sandbox is enabled), and the
    /// step was not skipped.
    pub passed: bool,
    /// Some step's verdict rests on results the learner's machine reported (its
    /// `self_reported` list is not empty).
    #[serde(default)]
    pub self_reported: bool,
    pub steps: Vec<SubmittedStep>,
    pub session: LabSession,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SubmittedStep {
    pub id: String,
    pub passed: bool,
    pub skipped: bool,
    /// Conditions the server checked itself.
    #[schema(value_type = Vec<Object>)]
    pub verified: Vec<ConditionResult>,
    /// Conditions whose result the client reported (command and script checks the server
    /// did not run). Not empty: the step's verdict is self-reported.
    pub self_reported: Vec<SelfReported>,
}

/// One lab of a course in `CourseProgress`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LabProgress {
    pub lab_id: String,
    pub title: String,
    pub passed: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub passed_at: Option<OffsetDateTime>,
}
