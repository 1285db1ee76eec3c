//! Lock-out for failed sign-ins, per account and per client address.
//!
//! Only failures count: a clinic's staff often share one address, so a busy
//! morning of correct sign-ins never locks the address. Once either key has
//! too many recent failures, every attempt on it is refused until the oldest
//! failure leaves the window, without checking the password.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::kit::clock::SharedClock;

pub const ACCOUNT_FAILURE_LIMIT: usize = 5;
pub const ADDRESS_FAILURE_LIMIT: usize = 20;
pub const WINDOW_MINUTES: i64 = 15;
/// Past this many tracked keys, keys with no recent failure are dropped.
const MAX_TRACKED_KEYS: usize = 10_000;

struct FailureWindow {
    limit: usize,
    window: Duration,
    failures: HashMap<String, VecDeque<DateTime<Utc>>>,
}

impl FailureWindow {
    fn new(limit: usize, window: Duration) -> Self {
        Self { limit, window, failures: HashMap::new() }
    }

    fn prune(entries: &mut VecDeque<DateTime<Utc>>, cutoff: DateTime<Utc>) {
        while entries.front().is_some_and(|at| *at <= cutoff) {
            entries.pop_front();
        }
    }

    /// Seconds until the key may try again, if it is locked out.
    fn blocked_for(&mut self, key: &str, now: DateTime<Utc>) -> Option<u64> {
        let entries = self.failures.get_mut(key)?;
        Self::prune(entries, now - self.window);
        if entries.len() < self.limit {
            return None;
        }
        let oldest = *entries.front()?;
        let wait = (oldest + self.window - now).num_seconds().max(1);
        Some(wait as u64)
    }

    fn record(&mut self, key: &str, now: DateTime<Utc>) {
        if self.failures.len() >= MAX_TRACKED_KEYS {
            let cutoff = now - self.window;
            self.failures.retain(|_, entries| entries.back().is_some_and(|at| *at > cutoff));
        }
        let entries = self.failures.entry(key.to_owned()).or_default();
        Self::prune(entries, now - self.window);
        entries.push_back(now);
    }

    fn clear(&mut self, key: &str) {
        self.failures.remove(key);
    }
}

pub struct LoginThrottle {
    clock: SharedClock,
    accounts: Mutex<FailureWindow>,
    addresses: Mutex<FailureWindow>,
}

impl LoginThrottle {
    pub fn new(clock: SharedClock) -> Self {
        let window = Duration::minutes(WINDOW_MINUTES);
        Self {
            clock,
            accounts: Mutex::new(FailureWindow::new(ACCOUNT_FAILURE_LIMIT, window)),
            addresses: Mutex::new(FailureWindow::new(ADDRESS_FAILURE_LIMIT, window)),
        }
    }

    /// `Err(seconds)` when the account or the address is locked out.
    pub fn check(&self, account: &str, address: Option<IpAddr>) -> Result<(), u64> {
        let now = self.clock.now();
        let by_account = lock(&self.accounts).blocked_for(account, now);
        let by_address = address.and_then(|ip| lock(&self.addresses).blocked_for(&ip.to_string(), now));
        match by_account.max(by_address) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    pub fn record_failure(&self, account: &str, address: Option<IpAddr>) {
        let now = self.clock.now();
        lock(&self.accounts).record(account, now);
        if let Some(ip) = address {
            lock(&self.addresses).record(&ip.to_string(), now);
        }
    }

    /// A correct password clears the account's failures (not the address's).
    pub fn record_success(&self, account: &str) {
        lock(&self.accounts).clear(account);
    }
}

fn lock(window: &Mutex<FailureWindow>) -> std::sync::MutexGuard<'_, FailureWindow> {
    window.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::kit::clock::ManualClock;

    fn setup() -> (Arc<ManualClock>, LoginThrottle) {
        let clock = Arc::new(ManualClock::new(DateTime::from_timestamp(1_700_000_000, 0).unwrap()));
        let throttle = LoginThrottle::new(clock.clone());
        (clock, throttle)
    }

    #[test]
    fn account_locks_after_limit_and_unlocks_after_window() {
        let (clock, throttle) = setup();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..ACCOUNT_FAILURE_LIMIT {
            assert!(throttle.check("a@x.test", Some(ip)).is_ok());
            throttle.record_failure("a@x.test", Some(ip));
            clock.advance(Duration::seconds(10));
        }
        let wait = throttle.check("a@x.test", Some(ip)).unwrap_err();
        assert!(wait > 0 && wait <= 15 * 60);
        assert!(throttle.check("b@x.test", Some(ip)).is_ok(), "other accounts on the address are fine");
        clock.advance(Duration::minutes(WINDOW_MINUTES));
        assert!(throttle.check("a@x.test", Some(ip)).is_ok());
    }

    #[test]
    fn address_locks_after_failures_across_accounts() {
        let (_clock, throttle) = setup();
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        for n in 0..ADDRESS_FAILURE_LIMIT {
            throttle.record_failure(&format!("user{n}@x.test"), Some(ip));
        }
        assert!(throttle.check("fresh@x.test", Some(ip)).is_err());
        assert!(throttle.check("fresh@x.test", Some("10.0.0.3".parse().unwrap())).is_ok());
    }

    #[test]
    fn success_clears_the_account_only() {
        let (_clock, throttle) = setup();
        for _ in 0..ACCOUNT_FAILURE_LIMIT - 1 {
            throttle.record_failure("a@x.test", None);
        }
        throttle.record_success("a@x.test");
        throttle.record_failure("a@x.test", None);
        assert!(throttle.check("a@x.test", None).is_ok());
    }
}
