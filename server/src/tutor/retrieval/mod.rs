//! Retrieval: the passages the tutor can cite ([`passages`]) and their ranking for a
//! question ([`index`]), with a cache of one index per published course version.
//!
//! The index lives in memory and is built from the published bundle on first use. A
//! published version never changes, so an index never goes stale: publishing a new version
//! makes the next question build that version's index (every replica does the same), and
//! the two backends rank identically.

pub mod index;
pub mod passages;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use index::{CourseIndex, Ranking};
pub use passages::Passage;

use crate::bundles::PublishedCourse;

/// How many course indexes are kept (one is about the size of its course's text).
const CAPACITY: usize = 32;

/// (course, version) → (last use, index).
type Entries = HashMap<(String, i64), (u64, Arc<CourseIndex>)>;

/// The most recently used course indexes.
#[derive(Default)]
pub struct IndexCache {
    entries: Mutex<Entries>,
    uses: std::sync::atomic::AtomicU64,
}

impl IndexCache {
    /// The index of `published`, built now when it is not cached.
    pub fn index(&self, published: &PublishedCourse) -> Arc<CourseIndex> {
        let key = (published.course.id.clone(), published.version);
        let tick = self.uses.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(entry) = self.entries.lock().expect("index cache").get_mut(&key) {
            entry.0 = tick;
            return entry.1.clone();
        }
        // Built outside the lock: two questions racing on a new version both build it, and
        // the second insert wins harmlessly.
        let index = Arc::new(CourseIndex::new(passages::passages(&published.course)));
        let mut entries = self.entries.lock().expect("index cache");
        if entries.len() >= CAPACITY
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(k, _)| k.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(key, (tick, index.clone()));
        index
    }
}
