//! Slowing down password guessing without letting a stranger lock anyone out.
//!
//! Failures count per account *and* source, where the source is the browser
//! when it shows a device cookie from an earlier sign-in to that account,
//! and the client address otherwise. After `FREE_FAILURES` a source waits
//! before its next try, twice as long after each further failure, up to
//! `MAX_DELAY_SECONDS`: guessing stays slow, nobody is locked for good,
//! and someone else's failures never delay another source.
//!
//! Two ceilings, far above what a person types, stop a guesser spreading
//! over many addresses (per account) or many accounts (per address). They
//! apply only to attempts without that account's device cookie, so the
//! rightful user's own browser signs in even while the clinic's shared
//! proxy address is under attack.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::kit::clock::SharedClock;

/// Failures a source may make on one account before it has to wait.
pub const FREE_FAILURES: usize = 5;
/// The longest wait between two tries of one source.
pub const MAX_DELAY_SECONDS: i64 = 15 * 60;
/// Failures on one account, from sources without its device cookie, within
/// the window, after which such sources are refused until it slides on.
pub const ACCOUNT_CEILING: usize = 100;
/// Failures from one address, on accounts whose device cookie it did not show.
pub const ADDRESS_CEILING: usize = 200;
pub const WINDOW_MINUTES: i64 = 15;
/// Past this many tracked keys, the stalest are dropped: memory stays bounded.
const MAX_TRACKED_KEYS: usize = 10_000;

/// Where an attempt comes from.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    pub address: Option<IpAddr>,
    /// The device cookie's id, when it is valid for the account tried.
    pub device: Option<&'a str>,
}

struct Failures {
    window: Duration,
    by_key: HashMap<String, VecDeque<DateTime<Utc>>>,
}

impl Failures {
    fn new(window: Duration) -> Self {
        Self { window, by_key: HashMap::new() }
    }

    /// The key's failures within the window, oldest first.
    fn recent(&mut self, key: &str, now: DateTime<Utc>) -> Option<&VecDeque<DateTime<Utc>>> {
        let cutoff = now - self.window;
        let entries = self.by_key.get_mut(key)?;
        while entries.front().is_some_and(|at| *at <= cutoff) {
            entries.pop_front();
        }
        Some(entries)
    }

    fn record(&mut self, key: &str, now: DateTime<Utc>) {
        if self.by_key.len() >= MAX_TRACKED_KEYS && !self.by_key.contains_key(key) {
            let cutoff = now - self.window;
            self.by_key.retain(|_, entries| entries.back().is_some_and(|at| *at > cutoff));
            if self.by_key.len() >= MAX_TRACKED_KEYS {
                let stalest = self.by_key.iter().min_by_key(|(_, e)| e.back().copied()).map(|(k, _)| k.clone());
                if let Some(stalest) = stalest {
                    self.by_key.remove(&stalest);
                }
            }
        }
        self.by_key.entry(key.to_owned()).or_default().push_back(now);
    }

    fn clear(&mut self, key: &str) {
        self.by_key.remove(key);
    }
}

pub struct LoginThrottle {
    clock: SharedClock,
    /// By account and source: the growing delay.
    sources: Mutex<Failures>,
    /// By account, from sources without its device cookie.
    accounts: Mutex<Failures>,
    /// By address, on accounts whose device cookie was not shown.
    addresses: Mutex<Failures>,
}

fn source_key(account: &str, source: Source) -> String {
    match (source.device, source.address) {
        (Some(device), _) => format!("{account}\u{0}device:{device}"),
        (None, Some(ip)) => format!("{account}\u{0}address:{ip}"),
        (None, None) => format!("{account}\u{0}unknown"),
    }
}

/// How long a source must wait after its `failures`-th failure.
fn delay_after(failures: usize) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::zero();
    }
    let doublings = (failures - FREE_FAILURES).min(20) as u32;
    Duration::seconds((1i64 << doublings).min(MAX_DELAY_SECONDS))
}

impl LoginThrottle {
    pub fn new(clock: SharedClock) -> Self {
        let window = Duration::minutes(WINDOW_MINUTES);
        Self {
            clock,
            sources: Mutex::new(Failures::new(window)),
            accounts: Mutex::new(Failures::new(window)),
            addresses: Mutex::new(Failures::new(window)),
        }
    }

    /// `Err(seconds)` when this source must wait before trying `account`.
    pub fn check(&self, account: &str, source: Source) -> Result<(), u64> {
        let now = self.clock.now();
        let mut wait = Duration::zero();
        if let Some(failures) = lock(&self.sources).recent(&source_key(account, source), now)
            && let Some(last) = failures.back()
        {
            wait = wait.max(*last + delay_after(failures.len()) - now);
        }
        if source.device.is_none() {
            let ceiling_wait = |failures: Option<&VecDeque<DateTime<Utc>>>, ceiling: usize, window: Duration| {
                failures.filter(|f| f.len() >= ceiling).and_then(|f| f.front().map(|oldest| *oldest + window - now))
            };
            let window = Duration::minutes(WINDOW_MINUTES);
            if let Some(w) = ceiling_wait(lock(&self.accounts).recent(account, now), ACCOUNT_CEILING, window) {
                wait = wait.max(w);
            }
            if let Some(ip) = source.address
                && let Some(w) =
                    ceiling_wait(lock(&self.addresses).recent(&ip.to_string(), now), ADDRESS_CEILING, window)
            {
                wait = wait.max(w);
            }
        }
        if wait > Duration::zero() { Err(wait.num_seconds().max(1) as u64) } else { Ok(()) }
    }

    pub fn record_failure(&self, account: &str, source: Source) {
        let now = self.clock.now();
        lock(&self.sources).record(&source_key(account, source), now);
        if source.device.is_none() {
            lock(&self.accounts).record(account, now);
            if let Some(ip) = source.address {
                lock(&self.addresses).record(&ip.to_string(), now);
            }
        }
    }

    /// The right password clears that source's failures, no one else's.
    pub fn record_success(&self, account: &str, source: Source) {
        lock(&self.sources).clear(&source_key(account, source));
    }
}

fn lock(failures: &Mutex<Failures>) -> std::sync::MutexGuard<'_, Failures> {
    failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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

    fn from(ip: &str) -> Source<'static> {
        Source { address: Some(ip.parse().unwrap()), device: None }
    }

    #[test]
    fn a_source_waits_longer_after_each_failure_past_the_free_ones() {
        let (clock, throttle) = setup();
        for _ in 0..FREE_FAILURES - 1 {
            throttle.record_failure("a@x.test", from("10.0.0.1"));
            assert!(throttle.check("a@x.test", from("10.0.0.1")).is_ok());
        }
        throttle.record_failure("a@x.test", from("10.0.0.1"));
        assert_eq!(throttle.check("a@x.test", from("10.0.0.1")), Err(1));
        clock.advance(Duration::seconds(1));
        assert!(throttle.check("a@x.test", from("10.0.0.1")).is_ok());
        throttle.record_failure("a@x.test", from("10.0.0.1"));
        assert_eq!(throttle.check("a@x.test", from("10.0.0.1")), Err(2), "doubled");
        assert!(throttle.check("a@x.test", from("10.0.0.2")).is_ok(), "another address is not delayed");
        assert!(throttle.check("b@x.test", from("10.0.0.1")).is_ok(), "another account is not delayed");
    }

    #[test]
    fn the_delay_never_exceeds_its_ceiling() {
        assert_eq!(delay_after(FREE_FAILURES - 1), Duration::zero());
        assert_eq!(delay_after(FREE_FAILURES + 3), Duration::seconds(8));
        assert_eq!(delay_after(FREE_FAILURES + 40), Duration::seconds(MAX_DELAY_SECONDS));
    }

    #[test]
    fn a_recognised_browser_passes_the_ceilings_a_guesser_filled() {
        let (clock, throttle) = setup();
        for n in 0..ACCOUNT_CEILING {
            throttle.record_failure("a@x.test", from(&format!("10.1.{}.{}", n / 250, n % 250)));
            clock.advance(Duration::seconds(1));
        }
        assert!(throttle.check("a@x.test", from("10.9.9.9")).is_err(), "a new address meets the ceiling");
        let own = Source { address: Some("10.1.0.1".parse().unwrap()), device: Some("device-1") };
        assert!(throttle.check("a@x.test", own).is_ok(), "the user's own browser does not");
    }

    #[test]
    fn success_clears_only_its_own_source() {
        let (_clock, throttle) = setup();
        for _ in 0..FREE_FAILURES {
            throttle.record_failure("a@x.test", from("10.0.0.1"));
            throttle.record_failure("a@x.test", from("10.0.0.2"));
        }
        throttle.record_success("a@x.test", from("10.0.0.1"));
        assert!(throttle.check("a@x.test", from("10.0.0.1")).is_ok());
        assert!(throttle.check("a@x.test", from("10.0.0.2")).is_err());
    }
}
