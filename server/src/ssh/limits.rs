//! How many SSH sessions an account and a key may have open at once. Counted in this
//! process: with several replicas, each allows the limits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

/// Open sessions per account and per key.
#[derive(Debug)]
pub struct SessionLimits {
    per_account: u32,
    per_key: u32,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    accounts: HashMap<Uuid, u32>,
    keys: HashMap<Uuid, u32>,
}

/// Which limit a new session would break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitReached {
    Account(u32),
    Key(u32),
}

/// An open session's place in the counts, given back when dropped.
#[derive(Debug)]
pub struct SessionSlot {
    limits: Arc<SessionLimits>,
    account: Uuid,
    key: Uuid,
}

impl SessionLimits {
    pub fn new(per_account: u32, per_key: u32) -> Arc<SessionLimits> {
        Arc::new(SessionLimits {
            per_account,
            per_key,
            open: Mutex::default(),
        })
    }

    /// A slot for a session of `account` signed in with `key`, unless either has all the
    /// sessions it may have.
    pub fn try_open(
        self: &Arc<Self>,
        account: Uuid,
        key: Uuid,
    ) -> Result<SessionSlot, LimitReached> {
        let mut open = self.open.lock().expect("lock");
        if open.accounts.get(&account).copied().unwrap_or(0) >= self.per_account {
            return Err(LimitReached::Account(self.per_account));
        }
        if open.keys.get(&key).copied().unwrap_or(0) >= self.per_key {
            return Err(LimitReached::Key(self.per_key));
        }
        *open.accounts.entry(account).or_default() += 1;
        *open.keys.entry(key).or_default() += 1;
        Ok(SessionSlot {
            limits: Arc::clone(self),
            account,
            key,
        })
    }
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        let mut guard = self.limits.open.lock().expect("lock");
        let open: &mut Open = &mut guard;
        for (map, id) in [
            (&mut open.accounts, self.account),
            (&mut open.keys, self.key),
        ] {
            if let Some(count) = map.get_mut(&id) {
                *count -= 1;
                if *count == 0 {
                    map.remove(&id);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_per_account_and_per_key_and_free_on_drop() {
        let limits = SessionLimits::new(2, 1);
        let (ada, key_a, key_b) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let first = limits.try_open(ada, key_a).unwrap();
        assert_eq!(
            limits.try_open(ada, key_a).unwrap_err(),
            LimitReached::Key(1)
        );
        let second = limits.try_open(ada, key_b).unwrap();
        assert_eq!(
            limits.try_open(ada, Uuid::new_v4()).unwrap_err(),
            LimitReached::Account(2)
        );
        drop(first);
        let _third = limits.try_open(ada, key_a).unwrap();
        drop(second);
        assert!(!limits.open.lock().unwrap().keys.contains_key(&key_b));
    }
}
