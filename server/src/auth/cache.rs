//! A short-lived, per-replica memory of the facts every authenticated request needs: who a
//! session's user is now (role, tier, suspended), which courses they are enrolled in, and
//! how many modules of a course they have finished (for module locks), and whether a login
//! session has ended (logout, refresh-token reuse).
//!
//! Without it each progress write costs three database round trips (user, enrollment,
//! write); with it, mostly one. Entries live `--auth-cache-ms` (1 s by default; 0 turns the
//! cache off). Changes made through this replica drop the entries they affect at once
//! (role changes, suspensions, unenrollment); changes made through another replica apply here within the
//! TTL. Only positive enrollment answers are remembered, so a new enrollment is never missed,
//! and personal API tokens are never cached, so a revoked token stops working at once
//! everywhere. Finished modules are remembered per course version: completion is sticky,
//! so the count can only grow until a new version changes the modules.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use cloudmaster_core::api::User;
use uuid::Uuid;

use super::records::SessionEnd;

/// Entries beyond this many trigger a sweep of expired ones.
const SWEEP_ABOVE: usize = 10_000;

/// How long an ended session is remembered: longer than any access token lives.
const ENDED_SESSION_TTL: Duration = Duration::from_secs(20 * 60);

pub struct AuthCache {
    ttl: Duration,
    users: RwLock<HashMap<Uuid, (Instant, User, bool)>>,
    enrolled: RwLock<HashMap<Uuid, Vec<(String, Instant)>>>,
    finished: RwLock<HashMap<(Uuid, String), FinishedModules>>,
    /// Login sessions (refresh-token families) and whether they ended.
    sessions: RwLock<HashMap<Uuid, (Instant, Option<SessionEnd>)>>,
}

/// How many leading modules of a course version a user has finished, and when that was read.
struct FinishedModules {
    version: i64,
    modules: usize,
    at: Instant,
}

impl AuthCache {
    pub fn new(ttl: Duration) -> AuthCache {
        AuthCache {
            ttl,
            users: RwLock::default(),
            enrolled: RwLock::default(),
            finished: RwLock::default(),
            sessions: RwLock::default(),
        }
    }

    fn fresh(&self, at: Instant) -> bool {
        at.elapsed() < self.ttl
    }

    /// The user and whether they are suspended, if known and fresh.
    pub fn user(&self, id: Uuid) -> Option<(User, bool)> {
        let users = self.users.read().unwrap_or_else(|e| e.into_inner());
        users
            .get(&id)
            .filter(|(at, ..)| self.fresh(*at))
            .map(|(_, user, suspended)| (user.clone(), *suspended))
    }

    pub fn put_user(&self, user: &User, suspended: bool) {
        if self.ttl.is_zero() {
            return;
        }
        let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
        if users.len() > SWEEP_ABOVE {
            users.retain(|_, (at, ..)| at.elapsed() < self.ttl);
        }
        users.insert(user.id, (Instant::now(), user.clone(), suspended));
    }

    pub fn forget_user(&self, id: Uuid) {
        self.users
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        self.enrolled
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }

    /// True when the user was recently seen enrolled in `course`.
    pub fn enrolled(&self, user: Uuid, course: &str) -> bool {
        let enrolled = self.enrolled.read().unwrap_or_else(|e| e.into_inner());
        enrolled
            .get(&user)
            .is_some_and(|courses| courses.iter().any(|(c, at)| c == course && self.fresh(*at)))
    }

    pub fn put_enrolled(&self, user: Uuid, course: &str) {
        if self.ttl.is_zero() {
            return;
        }
        let mut enrolled = self.enrolled.write().unwrap_or_else(|e| e.into_inner());
        if enrolled.len() > SWEEP_ABOVE {
            enrolled.retain(|_, courses| courses.iter().any(|(_, at)| at.elapsed() < self.ttl));
        }
        let courses = enrolled.entry(user).or_default();
        courses.retain(|(c, at)| c != course && at.elapsed() < self.ttl);
        courses.push((course.to_owned(), Instant::now()));
    }

    /// How many leading modules of `version` of `course` the user was recently seen to have
    /// finished (0 when unknown).
    pub fn finished_modules(&self, user: Uuid, course: &str, version: i64) -> usize {
        let finished = self.finished.read().unwrap_or_else(|e| e.into_inner());
        finished
            .get(&(user, course.to_owned()))
            .filter(|f| f.version == version && self.fresh(f.at))
            .map_or(0, |f| f.modules)
    }

    pub fn put_finished_modules(&self, user: Uuid, course: &str, version: i64, modules: usize) {
        if self.ttl.is_zero() {
            return;
        }
        let mut finished = self.finished.write().unwrap_or_else(|e| e.into_inner());
        if finished.len() > SWEEP_ABOVE {
            finished.retain(|_, f| f.at.elapsed() < self.ttl);
        }
        let entry = FinishedModules {
            version,
            modules,
            at: Instant::now(),
        };
        finished.insert((user, course.to_owned()), entry);
    }

    /// Whether the session ended, if known and fresh. An ended session stays ended, so that
    /// answer is kept for as long as access tokens live.
    pub fn session(&self, family: Uuid) -> Option<Option<SessionEnd>> {
        let sessions = self.sessions.read().unwrap_or_else(|e| e.into_inner());
        sessions
            .get(&family)
            .filter(|(at, end)| {
                if end.is_some() {
                    at.elapsed() < ENDED_SESSION_TTL
                } else {
                    self.fresh(*at)
                }
            })
            .map(|(_, end)| *end)
    }

    /// Remembers a session's state. An ended session is remembered even with the cache
    /// off, so a logout through this replica applies here at once.
    pub fn put_session(&self, family: Uuid, end: Option<SessionEnd>) {
        if self.ttl.is_zero() && end.is_none() {
            return;
        }
        let mut sessions = self.sessions.write().unwrap_or_else(|e| e.into_inner());
        if sessions.len() > SWEEP_ABOVE {
            sessions.retain(|_, (at, end)| match end {
                Some(_) => at.elapsed() < ENDED_SESSION_TTL,
                None => at.elapsed() < self.ttl,
            });
        }
        sessions.insert(family, (Instant::now(), end));
    }

    pub fn forget_enrolled(&self, user: Uuid, course: &str) {
        let mut enrolled = self.enrolled.write().unwrap_or_else(|e| e.into_inner());
        if let Some(courses) = enrolled.get_mut(&user) {
            courses.retain(|(c, _)| c != course);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudmaster_core::api::{Role, Tier};

    fn user() -> User {
        User {
            id: Uuid::new_v4(),
            email: "a@b.c".into(),
            name: "A".into(),
            role: Role::Learner,
            tier: Tier::Free,
            created_at: time::OffsetDateTime::now_utc(),
        }
    }

    #[test]
    fn remembers_and_forgets() {
        let cache = AuthCache::new(Duration::from_secs(60));
        let u = user();
        assert!(cache.user(u.id).is_none());
        cache.put_user(&u, false);
        assert_eq!(cache.user(u.id).unwrap().0, u);
        cache.put_enrolled(u.id, "c1");
        assert!(cache.enrolled(u.id, "c1") && !cache.enrolled(u.id, "c2"));
        cache.forget_enrolled(u.id, "c1");
        assert!(!cache.enrolled(u.id, "c1"));
        cache.forget_user(u.id);
        assert!(cache.user(u.id).is_none());
    }

    #[test]
    fn finished_modules_belong_to_one_course_version() {
        let cache = AuthCache::new(Duration::from_secs(60));
        let u = user();
        assert_eq!(cache.finished_modules(u.id, "c", 1), 0);
        cache.put_finished_modules(u.id, "c", 1, 3);
        assert_eq!(cache.finished_modules(u.id, "c", 1), 3);
        assert_eq!(cache.finished_modules(u.id, "c", 2), 0);
        assert_eq!(cache.finished_modules(u.id, "other", 1), 0);
    }

    #[test]
    fn ended_sessions_are_remembered_even_with_the_cache_off() {
        let cache = AuthCache::new(Duration::ZERO);
        let live = Uuid::new_v4();
        let ended = Uuid::new_v4();
        cache.put_session(live, None);
        cache.put_session(ended, Some(SessionEnd::Logout));
        assert_eq!(cache.session(live), None);
        assert_eq!(cache.session(ended), Some(Some(SessionEnd::Logout)));
    }

    #[test]
    fn zero_ttl_disables() {
        let cache = AuthCache::new(Duration::ZERO);
        let u = user();
        cache.put_user(&u, false);
        cache.put_enrolled(u.id, "c");
        cache.put_finished_modules(u.id, "c", 1, 2);
        assert!(cache.user(u.id).is_none());
        assert_eq!(cache.finished_modules(u.id, "c", 1), 0);
        assert!(!cache.enrolled(u.id, "c"));
    }
}
