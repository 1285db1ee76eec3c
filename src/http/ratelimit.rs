//! A per-address request limit for the endpoints anyone may call without
//! signing in (public booking pages, calendar feeds), so one client cannot
//! keep the server busy computing slots.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub const PUBLIC_PER_MINUTE: u32 = 120;
pub const PUBLIC_BURST: u32 = 60;
/// Past this many tracked addresses, ones back at a full allowance are forgotten.
const MAX_TRACKED: usize = 10_000;

pub struct PublicLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl Default for PublicLimiter {
    fn default() -> Self {
        Self::new(PUBLIC_PER_MINUTE, PUBLIC_BURST)
    }
}

impl PublicLimiter {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Self { limiter: RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)) }
    }

    /// `Err(seconds)` to wait when the address has used its allowance.
    pub fn check(&self, address: IpAddr) -> Result<(), u64> {
        if self.limiter.len() > MAX_TRACKED {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&address)
            .map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()).as_secs().max(1))
    }
}

/// The paths the limit applies to.
pub fn is_public(path: &str) -> bool {
    path.starts_with("/api/v1/public/") || path.starts_with("/api/v1/calendar/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_burst_then_waits_and_others_are_unaffected() {
        let limiter = PublicLimiter::new(60, 3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(a).is_ok());
        }
        let wait = limiter.check(a).unwrap_err();
        assert!((1..=2).contains(&wait), "{wait}");
        assert!(limiter.check("10.0.0.2".parse().unwrap()).is_ok());
    }

    #[test]
    fn only_unauthenticated_paths_are_limited() {
        assert!(is_public("/api/v1/public/slots"));
        assert!(is_public("/api/v1/calendar/1-abc.ics"));
        assert!(!is_public("/api/v1/patients"));
    }
}
