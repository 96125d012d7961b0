//! Rate limits per tier that hold across replicas, without a database write per request.
//!
//! Limits count requests per key (a user, or an IP address for anonymous requests) in fixed
//! windows (an hour by default). The shared truth is a counter per (key, window) in the
//! database (`Store::add_rate_usages`, which adds a delta and returns the new total across all
//! replicas). Each replica keeps, per key:
//!
//! - `global`: the latest total the database returned,
//! - `pending`: deltas being written right now,
//! - `unflushed`: requests admitted here and not yet written.
//!
//! A request is admitted when `global + pending + unflushed < limit`. Deltas are written
//! (and `global` refreshed) when a key is first seen in a window, when `unflushed` reaches
//! the key's batch size `B = clamp(limit / 100, 1, 1000)`, when fewer than `B` requests
//! remain, and every 250 ms by a background task for every key with unflushed requests. The
//! request whose write pushes the database total past the limit is refused too.
//!
//! Bounded overshoot: a replica admits at most `B` requests between two writes for a key,
//! and near the limit it writes on every request. So with `R` replicas serving one key at
//! once, at most about `R × B` requests (1% of the limit per replica) get through beyond the
//! limit, and only within one flush interval. Refusals are never wrong: the counter only
//! grows within a window, so a known total at or over the limit stays over it.
//! Fixed windows also allow a burst of up to twice the limit across a window boundary.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::ApiError;
use crate::store::{RateCount, Store};

const SHARDS: usize = 16;

fn window_start_time(window: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(window).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Whose requests are counted together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateKey {
    User(Uuid),
    Ip(IpAddr),
    /// Anonymous requests whose address is unknown (in-process tests).
    UnknownIp,
}

impl RateKey {
    /// The key of a client address: IPv6 addresses count by their /64.
    pub fn ip(ip: IpAddr) -> RateKey {
        RateKey::Ip(crate::client_ip::limit_key(ip))
    }

    fn to_store_key(self, bucket: &str) -> String {
        let key = match self {
            RateKey::User(id) => format!("user:{id}"),
            RateKey::Ip(ip) => format!("ip:{ip}"),
            RateKey::UnknownIp => "ip:unknown".to_owned(),
        };
        if bucket.is_empty() {
            key
        } else {
            format!("{bucket}/{key}")
        }
    }
}

#[derive(Debug)]
struct Counter {
    window: i64,
    global: i64,
    pending: i64,
    unflushed: i64,
    synced: bool,
}

impl Counter {
    fn new(window: i64) -> Counter {
        Counter {
            window,
            global: 0,
            pending: 0,
            unflushed: 0,
            synced: false,
        }
    }
}

/// The per-replica side of the shared rate limiter.
pub struct RateLimiter {
    store: Arc<dyn Store>,
    /// Prefix of this limiter's database keys, so limiters with other windows never share
    /// a counter ("" for the per-tier limits).
    bucket: &'static str,
    window_secs: i64,
    shards: Vec<Mutex<HashMap<RateKey, Counter>>>,
    hasher: std::collections::hash_map::RandomState,
}

/// Requests a replica may admit for a key between two writes.
fn batch_size(limit: u64) -> i64 {
    (limit / 100).clamp(1, 1000) as i64
}

impl RateLimiter {
    pub fn new(store: Arc<dyn Store>, window_secs: u64) -> RateLimiter {
        RateLimiter::named(store, "", window_secs)
    }

    /// A limiter of its own counters, for example the tight limits of the login route.
    pub fn named(store: Arc<dyn Store>, bucket: &'static str, window_secs: u64) -> RateLimiter {
        RateLimiter {
            store,
            bucket,
            window_secs: window_secs.max(1) as i64,
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: Default::default(),
        }
    }

    fn shard(&self, key: &RateKey) -> &Mutex<HashMap<RateKey, Counter>> {
        &self.shards[self.hasher.hash_one(key) as usize % SHARDS]
    }

    fn window_start(&self, now: OffsetDateTime) -> i64 {
        let t = now.unix_timestamp();
        t - t.rem_euclid(self.window_secs)
    }

    fn refused(&self, limit: u64, window: i64, now: OffsetDateTime) -> ApiError {
        let retry_after = (window + self.window_secs - now.unix_timestamp()).max(1) as u64;
        if self.bucket.is_empty() {
            return ApiError::RateLimited { limit, retry_after };
        }
        ApiError::Throttled {
            message: format!(
                "too many {} requests from your address ({limit} per {} s); retry in \
                 {retry_after} s",
                self.bucket, self.window_secs
            ),
            retry_after,
        }
    }

    /// Admits or refuses one request of `key` under `limit` (0 = unlimited).
    pub async fn check(
        &self,
        key: RateKey,
        limit: u64,
        now: OffsetDateTime,
    ) -> Result<(), ApiError> {
        if limit == 0 {
            return Ok(());
        }
        let window = self.window_start(now);
        let batch = batch_size(limit);
        let max = i64::try_from(limit).unwrap_or(i64::MAX);
        let delta = {
            let mut shard = self.shard(&key).lock().unwrap_or_else(|e| e.into_inner());
            let counter = shard.entry(key).or_insert_with(|| Counter::new(window));
            if counter.window != window {
                *counter = Counter::new(window);
            }
            let used = counter.global + counter.pending + counter.unflushed;
            if used >= max {
                return Err(self.refused(limit, window, now));
            }
            counter.unflushed += 1;
            let remaining = max - used - 1;
            if !counter.synced || counter.unflushed >= batch || remaining < batch {
                counter.synced = true;
                let delta = std::mem::take(&mut counter.unflushed);
                counter.pending += delta;
                delta
            } else {
                0
            }
        };
        if delta == 0 {
            return Ok(());
        }
        match self.write(key, window, delta).await {
            Some(total) if total > max => Err(self.refused(limit, window, now)),
            _ => Ok(()),
        }
    }

    /// Writes `delta` for `key` and folds the returned total into the local counter.
    /// Fails open (returns None) when the database is unreachable: the request would
    /// mostly fail anyway, and refusing everything on a blip is worse.
    async fn write(&self, key: RateKey, window: i64, delta: i64) -> Option<i64> {
        let count = RateCount {
            key: key.to_store_key(self.bucket),
            window_start: window_start_time(window),
            delta,
        };
        let total = match self.store.add_rate_usages(&[count]).await {
            Ok(totals) => Some(totals[0]),
            Err(err) => {
                tracing::warn!(error = %crate::error::error_chain(&err), "rate-limit write failed");
                None
            }
        };
        self.settle(key, window, delta, total);
        total
    }

    /// Folds the outcome of writing `delta` into the local counter: the database total
    /// when the write succeeded, or the delta back into `unflushed` to retry.
    fn settle(&self, key: RateKey, window: i64, delta: i64, total: Option<i64>) {
        let mut shard = self.shard(&key).lock().unwrap_or_else(|e| e.into_inner());
        let Some(counter) = shard.get_mut(&key).filter(|c| c.window == window) else {
            return;
        };
        counter.pending -= delta;
        match total {
            Some(total) => counter.global = counter.global.max(total),
            None => counter.unflushed += delta,
        }
    }

    /// Writes every key's unflushed requests and forgets counters of past windows.
    /// Called every 250 ms and at shutdown.
    pub async fn flush_all(&self, now: OffsetDateTime) {
        let current = self.window_start(now);
        let mut work = Vec::new();
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            shard.retain(|_, c| c.window == current || c.pending != 0 || c.unflushed != 0);
            for (key, counter) in shard.iter_mut() {
                if counter.unflushed > 0 {
                    let delta = std::mem::take(&mut counter.unflushed);
                    counter.pending += delta;
                    work.push((*key, counter.window, delta));
                }
            }
        }
        if work.is_empty() {
            return;
        }
        // One transaction for the whole flush: one commit (and fsync) every 250 ms
        // whatever the number of active keys, instead of one per key.
        let counts: Vec<RateCount> = work
            .iter()
            .map(|&(key, window, delta)| RateCount {
                key: key.to_store_key(self.bucket),
                window_start: window_start_time(window),
                delta,
            })
            .collect();
        let totals = self.store.add_rate_usages(&counts).await;
        if let Err(err) = &totals {
            tracing::warn!(error = %crate::error::error_chain(err), "rate-limit flush failed");
        }
        for (i, (key, window, delta)) in work.into_iter().enumerate() {
            let total = totals.as_ref().ok().map(|t| t[i]);
            self.settle(key, window, delta, total);
        }
    }

    /// Deletes database counters of windows that ended more than one window ago. The
    /// counters of every limiter share one table, so this limiter's window must be the
    /// longest of them all (see `AuthLimiters::LONGEST_WINDOW_SECS`).
    pub async fn prune(&self, now: OffsetDateTime) {
        let window = self.window_secs.max(AuthLimiters::LONGEST_WINDOW_SECS);
        let before = now - time::Duration::seconds(2 * window);
        if let Err(err) = self.store.prune_rate_usage(before).await {
            tracing::warn!(error = %crate::error::error_chain(&err), "pruning rate-limit windows failed");
        }
    }
}

/// Which tight per-address limit an unauthenticated auth route counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthBucket {
    /// `POST /auth/login`, per minute.
    Login,
    /// `POST /auth/register`, per hour.
    Register,
    /// `POST /auth/refresh` and `/auth/logout`, per minute.
    Refresh,
    /// `POST /auth/password-reset` and `/auth/password-reset/confirm`, per hour.
    PasswordReset,
}

/// The per-address limits of the routes that anyone may call without an account.
pub struct AuthLimiters {
    login: RateLimiter,
    register: RateLimiter,
    refresh: RateLimiter,
    password_reset: RateLimiter,
}

impl AuthLimiters {
    /// The longest window of these limiters: pruning must keep counters this recent.
    pub const LONGEST_WINDOW_SECS: i64 = 3_600;

    pub fn new(store: Arc<dyn Store>) -> AuthLimiters {
        AuthLimiters {
            login: RateLimiter::named(store.clone(), "login", 60),
            register: RateLimiter::named(store.clone(), "register", 3_600),
            refresh: RateLimiter::named(store.clone(), "refresh", 60),
            password_reset: RateLimiter::named(store, "password_reset", 3_600),
        }
    }

    pub fn get(&self, bucket: AuthBucket) -> &RateLimiter {
        match bucket {
            AuthBucket::Login => &self.login,
            AuthBucket::Register => &self.register,
            AuthBucket::Refresh => &self.refresh,
            AuthBucket::PasswordReset => &self.password_reset,
        }
    }

    fn all(&self) -> [&RateLimiter; 4] {
        [
            &self.login,
            &self.register,
            &self.refresh,
            &self.password_reset,
        ]
    }

    pub async fn flush_all(&self, now: OffsetDateTime) {
        for limiter in self.all() {
            limiter.flush_all(now).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn limiter(window: u64) -> RateLimiter {
        let store = crate::store::open("sqlite::memory:", 1).await.unwrap();
        RateLimiter::new(store, window)
    }

    #[tokio::test]
    async fn batches_writes_and_flushes_the_rest() {
        let limiter = limiter(3600).await;
        let now = OffsetDateTime::now_utc();
        let key = RateKey::User(Uuid::new_v4());
        for _ in 0..25 {
            limiter.check(key, 1_000, now).await.unwrap();
        }
        let window = OffsetDateTime::from_unix_timestamp(limiter.window_start(now)).unwrap();
        let stored = |l: &RateLimiter| {
            let store = l.store.clone();
            async move {
                let count = RateCount {
                    key: key.to_store_key(""),
                    window_start: window,
                    delta: 0,
                };
                store.add_rate_usages(&[count]).await.unwrap()[0]
            }
        };
        // The first request and every 10th (batch of 1% of 1,000) were written.
        assert_eq!(stored(&limiter).await, 21);
        limiter.flush_all(now).await;
        assert_eq!(stored(&limiter).await, 25);
    }

    #[tokio::test]
    async fn refuses_at_the_limit_until_the_window_ends() {
        let limiter = limiter(60).await;
        let start = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let key = RateKey::Ip("10.0.0.1".parse().unwrap());
        for _ in 0..3 {
            limiter.check(key, 3, start).await.unwrap();
        }
        match limiter
            .check(key, 3, start + time::Duration::seconds(15))
            .await
        {
            Err(ApiError::RateLimited { retry_after, .. }) => assert_eq!(retry_after, 45),
            other => panic!("expected a refusal, got {other:?}"),
        }
        limiter.check(key, 0, start).await.unwrap();
        limiter
            .check(key, 3, start + time::Duration::seconds(60))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn named_limiters_keep_their_own_counters() {
        let store = crate::store::open("sqlite::memory:", 1).await.unwrap();
        let tier = RateLimiter::new(store.clone(), 60);
        let login = RateLimiter::named(store, "login", 60);
        let start = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let key = RateKey::ip("10.0.0.1".parse().unwrap());
        for _ in 0..2 {
            login.check(key, 2, start).await.unwrap();
        }
        let err = login.check(key, 2, start).await.unwrap_err();
        assert!(err.to_string().contains("too many login requests"), "{err}");
        // The same address under the same window length is not limited by the other bucket.
        tier.check(key, 2, start).await.unwrap();
        tier.check(key, 2, start).await.unwrap();
    }

    #[test]
    fn batch_is_one_percent_of_the_limit() {
        assert_eq!(batch_size(5), 1);
        assert_eq!(batch_size(1_000), 10);
        assert_eq!(batch_size(10_000), 100);
        assert_eq!(batch_size(u64::MAX), 1000);
    }
}
