//! The catalog and enrollment: `/courses`, `/courses/search`, `/courses/{course}/...`,
//! `/enrollments`.

use reqwest::Method;

use super::{Client, Request};
use crate::api::{CourseDetail, CourseFilter, CourseSummary, Enrollment, Lesson, SearchHit};
use crate::error::Result;

impl Client {
    /// `GET /courses` with the filter's parameters.
    pub async fn list_courses(&self, filter: &CourseFilter) -> Result<Vec<CourseSummary>> {
        let mut request = Request::get(&["courses"]).public();
        if let Some(provider) = &filter.provider {
            request = request.query("provider", provider);
        }
        if let Some(level) = &filter.level {
            request = request.query("level", level);
        }
        if let Some(tag) = &filter.tag {
            request = request.query("tag", tag);
        }
        if let Some(free) = filter.free {
            request = request.query("free", free);
        }
        self.call(request).await
    }

    /// `GET /courses/search?q=&limit=`: full-text search, best first.
    pub async fn search(&self, q: &str, limit: Option<u32>) -> Result<Vec<SearchHit>> {
        // Signed in, the hits say which lessons are still locked for the caller.
        let mut request = Request::get(&["courses", "search"])
            .optional_auth()
            .query("q", q);
        if let Some(limit) = limit {
            request = request.query("limit", limit);
        }
        self.call(request).await
    }

    /// `GET /courses/{course}`.
    pub async fn course(&self, course: &str) -> Result<CourseDetail> {
        self.call(Request::get(&["courses", course]).public()).await
    }

    /// `GET /courses/{course}/lessons/{lesson}` (enrolled learners and staff).
    pub async fn lesson(&self, course: &str, lesson: &str) -> Result<Lesson> {
        self.call(Request::get(&["courses", course, "lessons", lesson]))
            .await
    }

    /// `POST /courses/{course}/enrollment`; enrolling twice is not an error.
    pub async fn enroll(&self, course: &str) -> Result<Enrollment> {
        self.call(Request::new(
            Method::POST,
            &["courses", course, "enrollment"],
        ))
        .await
    }

    /// `DELETE /courses/{course}/enrollment`.
    pub async fn unenroll(&self, course: &str) -> Result<()> {
        self.call_empty(Request::new(
            Method::DELETE,
            &["courses", course, "enrollment"],
        ))
        .await
    }

    /// `GET /enrollments`.
    pub async fn enrollments(&self) -> Result<Vec<Enrollment>> {
        self.call(Request::get(&["enrollments"])).await
    }
}
