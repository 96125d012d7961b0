//! Back-off after failed logins, per account and per client address, shared by replicas
//! through the store.
//!
//! Each subject gets a few free failures; after that, every further failure doubles the
//! time before the next attempt is even evaluated (no password hashing is spent on
//! attempts inside the window). Attempts inside the window do not extend it, and a
//! success resets the account's count, so the owner is never locked out for good: the
//! right password after the window works, and from a device the account logged in from
//! before it works at once (the attacker cannot make the victim's own laptop wait).
//! Counts are forgotten a day after the last failure.

use std::net::IpAddr;

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::records::LoginFailures;

/// How many failures a subject gets for free and how long the back-off grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures before any back-off.
    pub free_failures: u32,
    /// Wait after the first failure beyond the free ones; doubles with each further one.
    pub first_wait: Duration,
    /// The longest wait.
    pub max_wait: Duration,
}

/// Accounts: five free failures, then waits of 1 s, 2 s, 4 s, ... up to 15 minutes.
pub const ACCOUNT: Policy = Policy {
    free_failures: 5,
    first_wait: Duration::SECOND,
    max_wait: Duration::minutes(15),
};

/// Client addresses: more free failures (an office shares one address), same growth.
pub const ADDRESS: Policy = Policy {
    free_failures: 20,
    first_wait: Duration::SECOND,
    max_wait: Duration::minutes(15),
};

/// Failure counts older than this start again.
pub const FORGET_AFTER: Duration = Duration::days(1);

impl Policy {
    /// The wait imposed after `failures` consecutive failures.
    pub fn wait(&self, failures: u32) -> Duration {
        if failures <= self.free_failures {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free_failures - 1).min(20);
        let wait = self.first_wait * 2_i32.pow(doublings);
        wait.min(self.max_wait)
    }

    /// Whole seconds (rounded up) until `state`'s subject may try again, or None when it
    /// may now.
    pub fn retry_after(&self, state: &LoginFailures, now: OffsetDateTime) -> Option<u64> {
        if now - state.last_failure_at > FORGET_AFTER {
            return None;
        }
        let left = state.last_failure_at + self.wait(state.failures) - now;
        let millis = left.whole_milliseconds();
        (millis > 0).then(|| (millis as u64).div_ceil(1000))
    }

    /// Whether this failure is the one that starts the back-off (worth an audit entry).
    pub fn starts_backoff(&self, failures: u32) -> bool {
        failures == self.free_failures + 1
    }
}

/// The store subject of an account.
pub fn account_subject(user: Uuid) -> String {
    format!("user:{user}")
}

/// The store subject of a client address (IPv6 by its /64).
pub fn address_subject(ip: IpAddr) -> String {
    format!("ip:{}", crate::client_ip::limit_key(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_after_the_free_failures_and_stop_growing() {
        let waits: Vec<i64> = (0..12).map(|n| ACCOUNT.wait(n).whole_seconds()).collect();
        assert_eq!(waits, [0, 0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32]);
        assert_eq!(ACCOUNT.wait(10_000), Duration::minutes(15));
        assert!(ACCOUNT.starts_backoff(6) && !ACCOUNT.starts_backoff(7));
    }

    #[test]
    fn retry_after_counts_down_from_the_last_failure() {
        let t = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let state = LoginFailures {
            failures: 8, // wait 4 s
            last_failure_at: t,
        };
        assert_eq!(ACCOUNT.retry_after(&state, t), Some(4));
        let soon = t + Duration::milliseconds(2_500);
        assert_eq!(ACCOUNT.retry_after(&state, soon), Some(2));
        assert_eq!(ACCOUNT.retry_after(&state, t + Duration::seconds(4)), None);
        let few = LoginFailures {
            failures: 3,
            last_failure_at: t,
        };
        assert_eq!(ACCOUNT.retry_after(&few, t), None);
    }
}
