use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

/// A course's price: integer minor units (cents) with an ISO 4217 currency.
pub type Price = crate::money::Money;

/// One row of the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CourseSummary {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub level: String,
    pub provider: String,
    pub tags: Vec<String>,
    /// None for a free course.
    pub price: Option<Price>,
    pub estimated_hours: f64,
    pub lesson_count: u32,
    /// The current published version.
    pub version: i64,
}

/// Catalog filters; all optional and combined with AND.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct CourseFilter {
    pub provider: Option<String>,
    pub level: Option<String>,
    pub tag: Option<String>,
    /// `true`: only free courses; `false`: only paid ones.
    pub free: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to look for (web-search syntax: `"phrase"`, `or`, `-word`).
    #[param(min_length = 1, max_length = 200, pattern = r"\S")]
    pub q: String,
    /// Hits to return: default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A full-text search result: a course, or a lesson in it, with a highlighted snippet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SearchHit {
    pub course_id: String,
    pub course_title: String,
    /// Set when the match is in a lesson.
    pub lesson_id: Option<String>,
    pub lesson_title: Option<String>,
    /// Matching text with the matched terms wrapped in `[` and `]`.
    pub snippet: String,
    /// Higher is better.
    pub score: f64,
    /// A lesson in a module still locked for the caller: signed in and enrolled, with a
    /// lesson of an earlier module not completed (reading it answers 403 `locked`). Always
    /// false for course hits, for searches without credentials, for courses the caller is
    /// not enrolled in, and for the course's owner and admins.
    #[serde(default)]
    pub locked: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExamDomain {
    pub id: String,
    pub title: String,
    pub weight: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExamBlueprint {
    pub name: String,
    pub pass_mark: u32,
    pub domains: Vec<ExamDomain>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LessonOutline {
    pub id: String,
    pub title: String,
    pub minutes: u32,
    pub has_video: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QuizOutline {
    pub id: String,
    pub title: String,
    pub questions: u32,
    pub pass_mark: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModuleOutline {
    pub id: String,
    pub title: String,
    pub lessons: Vec<LessonOutline>,
    pub quiz: Option<QuizOutline>,
    pub labs: Vec<String>,
}

/// Everything the catalog shows about one course, without lesson bodies or answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CourseDetail {
    #[serde(flatten)]
    pub summary: CourseSummary,
    pub objectives: Vec<String>,
    pub prerequisites: Vec<String>,
    pub exam: Option<ExamBlueprint>,
    pub modules: Vec<ModuleOutline>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub published_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Resource {
    pub title: String,
    pub url: String,
}

/// A lesson's content, for enrolled learners and the course's staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Lesson {
    pub course_id: String,
    pub module_id: String,
    pub id: String,
    pub title: String,
    pub minutes: u32,
    /// Markdown.
    pub body: String,
    pub video: Option<String>,
    pub transcript: Option<String>,
    pub resources: Vec<Resource>,
}
