//! An in-process cache of the catalog's serialized JSON: the course list and each course's
//! detail, so the two hottest read endpoints answer from memory.
//!
//! Correctness across replicas: the list is re-read from the database when it is older
//! than `catalog_cache_ms` (1 s by default); one request re-reads while the others keep
//! serving the previous copy. The list carries every course's current version, and that is
//! the version stamp of the detail cache: a cached detail is served only while its version
//! equals the one in the list. So a publish through this replica shows at once (it clears
//! the cache), and a publish through another replica shows everywhere within the TTL.
//! Lesson bodies, enrollment and progress never come from here.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use cloudmaster_core::api::{CourseFilter, CourseSummary};

use crate::error::ApiError;
use crate::store::Store;

/// One read of the course list.
pub struct ListSnapshot {
    fetched: Instant,
    pub courses: Vec<CourseSummary>,
    /// `courses` as JSON.
    pub json: Bytes,
    versions: HashMap<String, i64>,
}

pub struct CatalogCache {
    ttl: Duration,
    list: RwLock<Option<Arc<ListSnapshot>>>,
    details: RwLock<HashMap<String, (i64, Bytes)>>,
    /// Held by the one request that re-reads the list.
    refreshing: tokio::sync::Mutex<()>,
    /// Bumped by [`CatalogCache::invalidate`], so a read that started before a publish is
    /// not stored after it.
    generation: AtomicU64,
}

impl CatalogCache {
    pub fn new(ttl: Duration) -> CatalogCache {
        CatalogCache {
            ttl,
            list: RwLock::new(None),
            details: RwLock::new(HashMap::new()),
            refreshing: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
        }
    }

    /// Forgets everything; the next read goes to the database.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        *self.list.write().unwrap_or_else(|e| e.into_inner()) = None;
        self.details
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    fn cached(&self) -> Option<Arc<ListSnapshot>> {
        self.list.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The course list, fresh within the TTL.
    pub async fn list(&self, store: &dyn Store) -> Result<Arc<ListSnapshot>, ApiError> {
        let stale = match self.cached() {
            Some(snapshot) if snapshot.fetched.elapsed() < self.ttl => return Ok(snapshot),
            other => other,
        };
        let _guard = match (stale, self.refreshing.try_lock()) {
            (_, Ok(guard)) => guard,
            // Someone else is re-reading: serve the previous copy meanwhile.
            (Some(stale), Err(_)) => return Ok(stale),
            (None, Err(_)) => {
                let guard = self.refreshing.lock().await;
                if let Some(snapshot) = self.cached() {
                    return Ok(snapshot);
                }
                guard
            }
        };
        let generation = self.generation.load(Ordering::SeqCst);
        let courses = store.list_courses(&CourseFilter::default()).await?;
        let json = serde_json::to_vec(&courses)
            .map_err(|e| ApiError::internal("serializing the course list", e))?;
        let snapshot = Arc::new(ListSnapshot {
            fetched: Instant::now(),
            versions: courses.iter().map(|c| (c.id.clone(), c.version)).collect(),
            courses,
            json: Bytes::from(json),
        });
        let mut slot = self.list.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) == generation {
            *slot = Some(snapshot.clone());
        }
        Ok(snapshot)
    }

    /// The course list as JSON, filtered in memory.
    pub async fn list_json(
        &self,
        store: &dyn Store,
        filter: &CourseFilter,
    ) -> Result<Bytes, ApiError> {
        let snapshot = self.list(store).await?;
        if filter.provider.is_none()
            && filter.level.is_none()
            && filter.tag.is_none()
            && filter.free.is_none()
        {
            return Ok(snapshot.json.clone());
        }
        let matching: Vec<&CourseSummary> = snapshot
            .courses
            .iter()
            .filter(|c| matches(c, filter))
            .collect();
        serde_json::to_vec(&matching)
            .map(Bytes::from)
            .map_err(|e| ApiError::internal("serializing the course list", e))
    }

    /// One course's detail as JSON, or `None` when there is no such course.
    pub async fn detail_json(
        &self,
        store: &dyn Store,
        course_id: &str,
    ) -> Result<Option<Bytes>, ApiError> {
        let snapshot = self.list(store).await?;
        let Some(&version) = snapshot.versions.get(course_id) else {
            return Ok(None);
        };
        if let Some((cached, json)) = self
            .details
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(course_id)
            && *cached == version
        {
            return Ok(Some(json.clone()));
        }
        let Some(detail) = store.course_detail(course_id).await? else {
            return Ok(None);
        };
        let json = Bytes::from(
            serde_json::to_vec(&detail)
                .map_err(|e| ApiError::internal("serializing a course", e))?,
        );
        // Keyed by the version the detail itself has: if it is newer than the list's, the
        // entry is simply re-read once the list catches up.
        self.details
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(course_id.to_owned(), (detail.summary.version, json.clone()));
        Ok(Some(json))
    }
}

/// The catalog filter, as the store applies it.
pub fn matches(course: &CourseSummary, filter: &CourseFilter) -> bool {
    filter
        .provider
        .as_ref()
        .is_none_or(|p| *p == course.provider)
        && filter.level.as_ref().is_none_or(|l| *l == course.level)
        && filter
            .tag
            .as_ref()
            .is_none_or(|t| course.tags.iter().any(|x| x == t))
        && filter
            .free
            .is_none_or(|free| free == course.price.is_none())
}
