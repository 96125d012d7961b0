//! Password policy and Argon2id hashing with bounded cost.
//!
//! Hashing and verifying take tens of milliseconds of CPU and ~19 MiB of memory each on
//! purpose, which makes them the cheapest way for someone without an account to make the
//! server spend: a hundred concurrent wrong logins on tokio's blocking pool once meant a
//! hundred threads, each keeping its Argon2 memory in its own allocator arena.
//!
//! So the work runs on a fixed set of dedicated threads ([`PasswordHasher`]), each with
//! its Argon2 memory allocated once ([`super::argon`]): at most
//! `concurrency` hashes at once, at most `queue` more waiting, and none waiting longer than
//! `wait` for a thread. Logins from a device the account used before wait in a lane of
//! their own that the threads serve first ([`Lane::Priority`]). Past either bound the caller gets [`ApiError::Busy`] (503 with `Retry-After`),
//! and memory stays at `concurrency` Argon2 blocks whatever the load. A job whose caller
//! went away (client disconnected) is skipped.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use argon2::{Params, PasswordHash};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::error::ApiError;

/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest accepted password, in bytes; bounds the work one request can cause.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Rejects passwords that are too short or absurdly long, with a message a user can act on.
pub fn check_policy(password: &str) -> Result<(), ApiError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(ApiError::Validation(format!(
            "password too short: use at least {MIN_PASSWORD_CHARS} characters (got {chars}); \
             a few unrelated words make a strong one"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::Validation(format!(
            "password too long: use at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    if password.trim().is_empty() {
        return Err(ApiError::Validation(
            "password must not be only whitespace".to_owned(),
        ));
    }
    Ok(())
}

/// The Argon2id cost parameters and the bounds on concurrent work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingLimits {
    /// Argon2 memory per hash, in KiB.
    pub memory_kib: u32,
    /// Argon2 passes over the memory.
    pub iterations: u32,
    /// Argon2 lanes.
    pub parallelism: u32,
    /// Hashes computed at once (dedicated threads).
    pub concurrency: usize,
    /// Hashes allowed to wait for a thread.
    pub queue: usize,
    /// Longest a hash may wait for a thread to start it before the request gets 503.
    pub wait: Duration,
}

impl Default for HashingLimits {
    fn default() -> Self {
        HashingLimits {
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
            parallelism: Params::DEFAULT_P_COST,
            concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            queue: 64,
            wait: Duration::from_secs(3),
        }
    }
}

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// The password matches; `rehash` holds a new hash when the stored one was made with
    /// other parameters than the configured ones (store it).
    Match {
        rehash: Option<String>,
    },
    Mismatch,
}

use super::argon::Worker;

type Job = Box<dyn FnOnce(&mut Worker) + Send>;

/// Which queue a hash waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Everyone.
    Normal,
    /// Logins from a device the account used before: served first, with a queue of their
    /// own, so a flood of guesses does not keep the owner out.
    Priority,
}

/// Jobs waiting for a hashing thread, priority ones first.
#[derive(Default)]
struct JobQueue {
    queued: Mutex<Queued>,
    ready: Condvar,
}

#[derive(Default)]
struct Queued {
    priority: VecDeque<Job>,
    normal: VecDeque<Job>,
    closed: bool,
}

impl JobQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queued> {
        self.queued.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, job: Job, lane: Lane) {
        let mut queued = self.lock();
        match lane {
            Lane::Priority => queued.priority.push_back(job),
            Lane::Normal => queued.normal.push_back(job),
        }
        self.ready.notify_one();
    }

    /// The next job, or None once the queue is closed.
    fn pop(&self) -> Option<Job> {
        let mut queued = self.lock();
        loop {
            if let Some(job) = queued
                .priority
                .pop_front()
                .or_else(|| queued.normal.pop_front())
            {
                return Some(job);
            }
            if queued.closed {
                return None;
            }
            queued = self.ready.wait(queued).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }
}

/// Argon2id on a fixed pool of threads with bounded, deadline-limited queues.
pub struct PasswordHasher {
    params: Params,
    jobs: Arc<JobQueue>,
    admitted: Arc<Semaphore>,
    admitted_priority: Arc<Semaphore>,
    wait: Duration,
    /// Hash of a random password with the configured parameters, verified against when the
    /// account is unknown so that timing does not tell which emails exist.
    dummy_hash: OnceLock<String>,
}

impl PasswordHasher {
    /// Starts `limits.concurrency` hashing threads; they stop when the hasher is dropped.
    pub fn start(limits: HashingLimits) -> Result<PasswordHasher, String> {
        let params = Params::new(
            limits.memory_kib,
            limits.iterations,
            limits.parallelism,
            None,
        )
        .map_err(|e| format!("invalid Argon2 parameters: {e}"))?;
        let jobs = Arc::new(JobQueue::default());
        let threads = limits.concurrency.max(1);
        for n in 0..threads {
            let jobs = jobs.clone();
            let mut worker = Worker::new(params.clone());
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    while let Some(job) = jobs.pop() {
                        job(&mut worker);
                    }
                })
                .map_err(|e| format!("cannot start a password hashing thread: {e}"))?;
        }
        Ok(PasswordHasher {
            params,
            jobs,
            admitted: Arc::new(Semaphore::new(threads + limits.queue)),
            admitted_priority: Arc::new(Semaphore::new(threads * 4)),
            wait: limits.wait,
            dummy_hash: OnceLock::new(),
        })
    }

    /// Runs `work` on a hashing thread, or fails fast with 503 when the pool is saturated
    /// or the work did not start within `wait`. Once started, the work runs to the end
    /// (a hash on a loaded machine may take longer than `wait`; that is not the client's
    /// fault).
    async fn run<T: Send + 'static>(
        &self,
        lane: Lane,
        work: impl FnOnce(&mut Worker) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let retry_after = self.wait.as_secs().max(1);
        let busy = || ApiError::Busy {
            what: "checking passwords",
            retry_after,
        };
        let admitted = match lane {
            Lane::Normal => &self.admitted,
            Lane::Priority => &self.admitted_priority,
        };
        let permit = admitted.clone().try_acquire_owned().map_err(|_| busy())?;
        // Whoever takes the ticket's permit first decides: the thread (the work runs) or
        // the caller giving up after `wait` (the work is skipped, and its place in the
        // queue is free again at once).
        let ticket = Arc::new(Mutex::new(Some(permit)));
        let (done, mut result) = oneshot::channel();
        let job: Job = {
            let ticket = ticket.clone();
            Box::new(move |worker| {
                let Some(_permit) = take(&ticket) else {
                    return;
                };
                if !done.is_closed() {
                    let _ = done.send(work(worker));
                }
            })
        };
        self.jobs.push(job, lane);
        tokio::select! {
            value = &mut result => return value.map_err(|_| busy()),
            () = tokio::time::sleep(self.wait) => {}
        }
        if take(&ticket).is_some() {
            return Err(busy());
        }
        result.await.map_err(|_| busy())
    }

    /// Hashes `password` with a random salt, as a PHC string.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(Lane::Normal, move |worker| {
            worker
                .hash(password.as_bytes())
                .map_err(|e| ApiError::internal("hashing a password", e))
        })
        .await?
    }

    /// Checks `password` against `phc`. With `phc = None` (unknown account) it verifies
    /// against a dummy hash and reports a mismatch, at the same cost.
    pub async fn verify(
        &self,
        password: String,
        phc: Option<String>,
        lane: Lane,
    ) -> Result<Verified, ApiError> {
        let known = phc.is_some();
        let phc = match phc {
            Some(phc) => phc,
            None => self.dummy_hash().await?,
        };
        self.run(lane, move |worker| {
            let Ok(parsed) = PasswordHash::new(&phc) else {
                return Ok(Verified::Mismatch);
            };
            if !worker.verify(password.as_bytes(), &parsed) || !known {
                return Ok(Verified::Mismatch);
            }
            let rehash = if is_current(&parsed, worker.params()) {
                None
            } else {
                let fresh = worker
                    .hash(password.as_bytes())
                    .map_err(|e| ApiError::internal("re-hashing a password", e))?;
                Some(fresh)
            };
            Ok(Verified::Match { rehash })
        })
        .await?
    }

    async fn dummy_hash(&self) -> Result<String, ApiError> {
        if let Some(hash) = self.dummy_hash.get() {
            return Ok(hash.clone());
        }
        let hash = self.hash(super::tokens::random_secret()).await?;
        Ok(self.dummy_hash.get_or_init(|| hash).clone())
    }
}

/// Takes the permit out of a job's ticket, if no one took it yet.
fn take(ticket: &Mutex<Option<OwnedSemaphorePermit>>) -> Option<OwnedSemaphorePermit> {
    ticket.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// Whether `hash` was made by Argon2id with exactly `params`.
fn is_current(hash: &PasswordHash, params: &Params) -> bool {
    hash.algorithm.as_str() == argon2::ARGON2ID_IDENT.as_str()
        && Params::try_from(hash).is_ok_and(|p| {
            p.m_cost() == params.m_cost()
                && p.t_cost() == params.t_cost()
                && p.p_cost() == params.p_cost()
        })
}

impl Drop for PasswordHasher {
    fn drop(&mut self) {
        self.jobs.close();
    }
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .field("available", &self.admitted.available_permits())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters so the tests run fast; the mechanics are the same.
    fn cheap(concurrency: usize, queue: usize, wait: Duration) -> HashingLimits {
        HashingLimits {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
            concurrency,
            queue,
            wait,
        }
    }

    #[test]
    fn policy_names_the_minimum() {
        let err = check_policy("short").unwrap_err();
        assert!(err.to_string().contains("at least 10 characters"), "{err}");
        check_policy("correct horse battery").unwrap();
        assert!(check_policy("          ").is_err());
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let hasher = PasswordHasher::start(cheap(2, 8, Duration::from_secs(30))).unwrap();
        let phc = hasher.hash("correct horse battery".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=256,t=1,p=1$"), "{phc}");
        let ok = hasher.verify(
            "correct horse battery".into(),
            Some(phc.clone()),
            Lane::Normal,
        );
        assert_eq!(ok.await.unwrap(), Verified::Match { rehash: None });
        let wrong = hasher.verify("wrong horse battery".into(), Some(phc), Lane::Normal);
        assert_eq!(wrong.await.unwrap(), Verified::Mismatch);
        let unknown = hasher.verify("anything at all".into(), None, Lane::Normal);
        assert_eq!(unknown.await.unwrap(), Verified::Mismatch);
        let garbage = hasher.verify(
            "anything at all".into(),
            Some("not a hash".into()),
            Lane::Normal,
        );
        assert_eq!(garbage.await.unwrap(), Verified::Mismatch);
    }

    #[tokio::test]
    async fn a_hash_with_other_parameters_is_upgraded_on_match() {
        let old = PasswordHasher::start(cheap(1, 8, Duration::from_secs(30))).unwrap();
        let phc = old.hash("correct horse battery".into()).await.unwrap();
        let stronger = HashingLimits {
            memory_kib: 512,
            iterations: 2,
            ..cheap(1, 8, Duration::from_secs(30))
        };
        let new = PasswordHasher::start(stronger).unwrap();
        let Verified::Match {
            rehash: Some(upgraded),
        } = new
            .verify(
                "correct horse battery".into(),
                Some(phc.clone()),
                Lane::Normal,
            )
            .await
            .unwrap()
        else {
            panic!("expected a match with a new hash");
        };
        assert!(upgraded.contains("m=512,t=2,p=1"), "{upgraded}");
        let again = new.verify("correct horse battery".into(), Some(upgraded), Lane::Normal);
        assert_eq!(again.await.unwrap(), Verified::Match { rehash: None });
        // A wrong password is never re-hashed.
        let wrong = new.verify("wrong horse battery".into(), Some(phc), Lane::Normal);
        assert_eq!(wrong.await.unwrap(), Verified::Mismatch);
    }

    #[tokio::test]
    async fn beyond_the_queue_callers_are_told_to_retry() {
        // One thread, one queue slot: of many simultaneous hashes, at most two are admitted
        // and the rest fail fast with 503 instead of piling up.
        let hasher = Arc::new(
            PasswordHasher::start(HashingLimits {
                memory_kib: 8 * 1024,
                iterations: 4,
                ..cheap(1, 1, Duration::from_secs(30))
            })
            .unwrap(),
        );
        let calls: Vec<_> = (0..16)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.hash("correct horse battery".into()).await })
            })
            .collect();
        let mut ok = 0;
        let mut busy = 0;
        for call in calls {
            match call.await.unwrap() {
                Ok(_) => ok += 1,
                Err(ApiError::Busy { retry_after, .. }) => {
                    assert!(retry_after >= 1);
                    busy += 1;
                }
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert!((1..=2).contains(&ok), "admitted {ok}");
        assert_eq!(ok + busy, 16);
    }

    #[tokio::test]
    async fn the_priority_lane_is_served_while_the_normal_one_is_full() {
        let hasher = Arc::new(
            PasswordHasher::start(HashingLimits {
                memory_kib: 8 * 1024,
                iterations: 4,
                ..cheap(1, 1, Duration::from_secs(30))
            })
            .unwrap(),
        );
        let phc = hasher.hash("correct horse battery".into()).await.unwrap();
        let flood: Vec<_> = (0..8)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.hash("guess guess guess".into()).await })
            })
            .collect();
        tokio::task::yield_now().await;
        let owner = hasher.verify("correct horse battery".into(), Some(phc), Lane::Priority);
        assert_eq!(owner.await.unwrap(), Verified::Match { rehash: None });
        for call in flood {
            let _ = call.await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_hash_waiting_past_its_deadline_is_refused() {
        let hasher =
            Arc::new(PasswordHasher::start(cheap(1, 8, Duration::from_millis(200))).unwrap());
        // Occupy the only thread until released.
        let (started, has_started) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let first = {
            let hasher = hasher.clone();
            tokio::spawn(async move {
                hasher
                    .run(Lane::Normal, move |_| {
                        started.send(()).unwrap();
                        released.recv().unwrap();
                    })
                    .await
            })
        };
        tokio::task::spawn_blocking(move || has_started.recv().unwrap())
            .await
            .unwrap();
        let second = hasher.hash("correct horse battery".into()).await;
        assert!(matches!(second, Err(ApiError::Busy { .. })), "{second:?}");
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
    }
}
