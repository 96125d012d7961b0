//! Publishing: `/courses/{course}/manifest`, `/courses/{course}/versions`,
//! `/courses/{course}/rollback`.

use std::sync::Arc;

use reqwest::Method;

use super::{Client, Request, UPLOAD_TIMEOUT};
use crate::api::{CourseVersion, PublishManifest, PublishOutcome, RollbackRequest};
use crate::course::Course;
use crate::error::{Error, Result};

impl Client {
    /// `GET /courses/{course}/manifest`: the content hashes of the current version, or
    /// `None` when the course was never published.
    pub async fn manifest(&self, course: &str) -> Result<Option<PublishManifest>> {
        match self
            .call(Request::get(&["courses", course, "manifest"]))
            .await
        {
            Ok(manifest) => Ok(Some(manifest)),
            Err(Error::Api { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /courses/{course}/versions[?dry_run=true]`: uploads the bundle. `progress` is
    /// called with `(bytes sent, total bytes)` as the upload goes.
    pub async fn publish(
        &self,
        course: &Course,
        dry_run: bool,
        progress: impl Fn(u64, u64) + Send + Sync + 'static,
    ) -> Result<PublishOutcome> {
        let mut request =
            Request::new(Method::POST, &["courses", &course.id, "versions"]).json(course);
        if dry_run {
            request = request.query("dry_run", true);
        }
        request.timeout = Some(UPLOAD_TIMEOUT.max(self.timeout()));
        request.progress = Some(Arc::new(progress));
        self.call(request).await
    }

    /// `GET /courses/{course}/versions`, oldest first.
    pub async fn versions(&self, course: &str) -> Result<Vec<CourseVersion>> {
        self.call(Request::get(&["courses", course, "versions"]))
            .await
    }

    /// `POST /courses/{course}/rollback`: publishes `version`'s content as a new version.
    pub async fn rollback(&self, course: &str, version: i64) -> Result<PublishOutcome> {
        self.call(
            Request::new(Method::POST, &["courses", course, "rollback"])
                .json(&RollbackRequest { version }),
        )
        .await
    }
}
