//! The short-window rate limit: requests a second per tenant (its plan's
//! `max_requests_per_second`, pages and API together) and per API token (a share of the
//! tenant's rate, so one integration cannot starve the console). GCRA buckets from the
//! `governor` crate, in memory per process. Each instance is asked for its part of the
//! rate (the rate divided among the live instances, `instances::part`), so behind a
//! balancer that spreads requests the instances together allow the plan's rate; the
//! monthly API allowance is counted in the control plane.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

/// One keyed limiter per distinct rate (plans have few distinct rates), so a tenant's
/// bucket follows its plan: a plan change moves it to the limiter of the new rate.
#[derive(Clone, Default)]
pub struct Throttle {
    tenants: Limiters,
    tokens: Limiters,
    /// Percent of the tenant's rate one API token may use (1–100).
    token_share: u32,
}

#[derive(Clone, Default)]
struct Limiters(Arc<Mutex<HashMap<u32, Arc<DefaultKeyedRateLimiter<Uuid>>>>>);

impl Limiters {
    fn check(&self, key: Uuid, per_second: u32) -> Result<(), Duration> {
        let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let limiter = {
            // ok: the lock is never held across a panic-prone call.
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(rate.get())
                .or_insert_with(|| Arc::new(RateLimiter::keyed(Quota::per_second(rate))))
                .clone()
        };
        limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    fn forget_idle(&self) {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for limiter in map.values() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

impl Throttle {
    pub fn new(token_share_percent: u32) -> Self {
        Self {
            token_share: token_share_percent.clamp(1, 100),
            ..Self::default()
        }
    }

    /// Takes one request from the tenant's bucket (and the token's, for API calls);
    /// `Err(wait)` when either is empty, with how long until one more is allowed.
    pub fn check(
        &self,
        tenant: Uuid,
        token: Option<Uuid>,
        per_second: u32,
    ) -> Result<(), Duration> {
        if let Some(token) = token {
            let share = (u64::from(per_second) * u64::from(self.token_share)).div_ceil(100);
            self.tokens.check(token, share.max(1) as u32)?;
        }
        self.tenants.check(tenant, per_second)
    }

    /// Drops the buckets of keys that are full again (idle), keeping memory bounded.
    pub fn forget_idle(&self) {
        self.tenants.forget_idle();
        self.tokens.forget_idle();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_at_its_rate_and_tokens_get_their_share() {
        let t = Throttle::new(50);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let allowed = (0..10).filter(|_| t.check(a, None, 4).is_ok()).count();
        assert_eq!(allowed, 4, "a burst of the rate, then refused");
        let wait = t.check(a, None, 4).expect_err("empty");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1));
        assert!(
            t.check(b, None, 4).is_ok(),
            "each tenant has its own bucket"
        );
        let token = Uuid::now_v7();
        let c = Uuid::now_v7();
        let allowed = (0..10)
            .filter(|_| t.check(c, Some(token), 4).is_ok())
            .count();
        assert_eq!(allowed, 2, "a token gets half the tenant's rate");
    }
}
