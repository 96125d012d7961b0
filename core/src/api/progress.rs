use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Enrollment {
    pub course_id: String,
    pub course_title: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub enrolled_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LessonStatus {
    Started,
    Completed,
}

impl LessonStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LessonStatus::Started => "started",
            LessonStatus::Completed => "completed",
        }
    }
}

/// `PUT .../lessons/{lesson}/progress`. Idempotent: replaying the same update (as the
/// offline queue does) changes nothing, and a completed lesson stays completed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LessonProgressUpdate {
    pub status: LessonStatus,
    /// Where the learner is inside the lesson (for example a scroll offset in lines).
    #[serde(default, deserialize_with = "super::whole::optional")]
    pub position: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LessonProgress {
    pub lesson_id: String,
    pub status: LessonStatus,
    pub position: Option<u32>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<OffsetDateTime>,
}

/// Where "continue" takes the learner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ResumePoint {
    pub module_id: String,
    pub lesson_id: String,
    pub lesson_title: String,
    pub position: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CourseProgress {
    pub course_id: String,
    pub course_title: String,
    pub completed_lessons: u32,
    pub total_lessons: u32,
    /// 0..=100, rounded down.
    pub percent: u32,
    /// None when every lesson is complete.
    pub resume: Option<ResumePoint>,
    pub lessons: Vec<LessonProgress>,
    /// Spaced-review items of this course due now.
    #[serde(default)]
    pub review_due: u32,
    /// Every lab of the course, in course order.
    #[serde(default)]
    pub labs: Vec<super::LabProgress>,
    /// The certificate issued for this course, once its completion rules are met.
    #[serde(default)]
    pub certificate: Option<uuid::Uuid>,
}
