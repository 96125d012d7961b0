//! Published course bundles in memory, for the routes that need the whole course: drawing
//! and grading assessments, mastery and readiness, certificates and labs.
//!
//! A bundle is immutable once published, so an entry keyed by (course, version) never goes
//! stale; only "which version is current" is read from the database on each use, which
//! keeps replicas consistent. The cache keeps the most recently used few bundles.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cloudmaster_core::course::Course;

use crate::error::ApiError;
use crate::store::Store;

/// How many bundles are kept (a bundle of a large course is a few MiB).
const CAPACITY: usize = 32;

/// The current version of a course and its content.
#[derive(Debug)]
pub struct PublishedCourse {
    pub version: i64,
    pub course: Course,
}

/// (course id, version) → (last use, bundle).
type Entries = HashMap<(String, i64), (u64, Arc<PublishedCourse>)>;

#[derive(Default)]
pub struct BundleCache {
    entries: Mutex<Entries>,
    /// Use counter for least-recently-used eviction.
    clock: std::sync::atomic::AtomicU64,
}

impl BundleCache {
    /// The current version of `course_id`; `NotFound` when it was never published.
    pub async fn current(
        &self,
        store: &dyn Store,
        course_id: &str,
    ) -> Result<Arc<PublishedCourse>, ApiError> {
        let version = store
            .current_version(course_id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("course `{course_id}` not found")))?
            .version;
        self.version(store, course_id, version).await
    }

    /// One version of `course_id` (an attempt or a lab session keeps the version it began
    /// on, so a publish in the middle never changes its questions or checks).
    pub async fn version(
        &self,
        store: &dyn Store,
        course_id: &str,
        version: i64,
    ) -> Result<Arc<PublishedCourse>, ApiError> {
        let key = (course_id.to_owned(), version);
        let tick = self
            .clock
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(entry) = self
            .entries
            .lock()
            .expect("bundle cache lock")
            .get_mut(&key)
        {
            entry.0 = tick;
            return Ok(entry.1.clone());
        }
        let bundle = store
            .version_bundle(course_id, version)
            .await?
            .ok_or_else(|| {
                ApiError::NotFound(format!("course `{course_id}` has no version {version}"))
            })?;
        let course: Course = serde_json::from_value(bundle)
            .map_err(|e| ApiError::internal("decoding a stored course bundle", e))?;
        let published = Arc::new(PublishedCourse { version, course });
        let mut entries = self.entries.lock().expect("bundle cache lock");
        if entries.len() >= CAPACITY
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(k, _)| k.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(key, (tick, published.clone()));
        Ok(published)
    }
}
