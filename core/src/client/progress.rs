//! Progress: `/courses/{course}/lessons/{lesson}/progress`, `/progress`,
//! `/courses/{course}/progress`, `/users/{user}/progress`.

use reqwest::Method;
use uuid::Uuid;

use super::{Client, Request};
use crate::api::{CourseProgress, LessonProgress, LessonProgressUpdate};
use crate::error::Result;

impl Client {
    /// `PUT /courses/{course}/lessons/{lesson}/progress`. Idempotent, so safe to replay.
    pub async fn record_lesson_progress(
        &self,
        course: &str,
        lesson: &str,
        update: &LessonProgressUpdate,
    ) -> Result<LessonProgress> {
        self.call(
            Request::new(
                Method::PUT,
                &["courses", course, "lessons", lesson, "progress"],
            )
            .json(update),
        )
        .await
    }

    /// `GET /progress`: every enrolled course.
    pub async fn progress(&self) -> Result<Vec<CourseProgress>> {
        self.call(Request::get(&["progress"])).await
    }

    /// `GET /courses/{course}/progress`.
    pub async fn course_progress(&self, course: &str) -> Result<CourseProgress> {
        self.call(Request::get(&["courses", course, "progress"]))
            .await
    }

    /// `GET /users/{user}/progress` (yourself, or anyone for an admin).
    pub async fn user_progress(&self, user_id: Uuid) -> Result<Vec<CourseProgress>> {
        let user = user_id.to_string();
        self.call(Request::get(&["users", &user, "progress"])).await
    }
}
