//! The grace window of a refresh: a multi-threaded integration may send the
//! same refresh token several times at once. Within a few seconds of the
//! first exchange those duplicates get the pair the first one got; only a
//! presentation after the window is taken for theft. The pairs live here in
//! memory only (a restart forgets them), bounded, and only someone holding
//! a valid refresh token can add one.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// How long after an exchange a duplicate of it still gets the same pair.
pub const GRACE_SECONDS: i64 = 30;
const MAX_REMEMBERED: usize = 10_000;

/// The tokens one exchange issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedPair {
    pub staff_id: i64,
    pub access_token: String,
    pub refresh_token: String,
}

/// The hash of a spent refresh token to when it was exchanged and for what.
type Exchanges = HashMap<Vec<u8>, (DateTime<Utc>, IssuedPair)>;

#[derive(Default)]
pub struct RefreshGrace {
    exchanged: Mutex<Exchanges>,
}

impl RefreshGrace {
    /// Remembers what the refresh token hashed as `spent` was exchanged for.
    pub fn remember(&self, spent: Vec<u8>, at: DateTime<Utc>, pair: IssuedPair) {
        let mut exchanged = self.lock();
        if exchanged.len() >= MAX_REMEMBERED {
            exchanged.retain(|_, (when, _)| at - *when <= Duration::seconds(GRACE_SECONDS));
        }
        if exchanged.len() < MAX_REMEMBERED {
            exchanged.insert(spent, (at, pair));
        }
    }

    /// The pair `spent` was exchanged for, if that was at most the grace window ago.
    pub fn replay(&self, spent: &[u8], now: DateTime<Utc>) -> Option<IssuedPair> {
        let exchanged = self.lock();
        let (when, pair) = exchanged.get(spent)?;
        (now - *when <= Duration::seconds(GRACE_SECONDS)).then(|| pair.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Exchanges> {
        self.exchanged.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duplicate_gets_the_same_pair_only_within_the_window() {
        let grace = RefreshGrace::default();
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let pair = IssuedPair { staff_id: 1, access_token: "a".into(), refresh_token: "r".into() };
        grace.remember(b"spent".to_vec(), at, pair.clone());
        assert_eq!(grace.replay(b"spent", at + Duration::seconds(GRACE_SECONDS)), Some(pair));
        assert_eq!(grace.replay(b"spent", at + Duration::seconds(GRACE_SECONDS + 1)), None);
        assert_eq!(grace.replay(b"other", at), None);
    }
}
