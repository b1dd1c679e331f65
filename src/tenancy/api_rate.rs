//! Calls a minute per API token (platform `tpl_…` and tenant `tnt_…` alike), the quota
//! the `RateLimit-*` headers announce. Fixed windows that start at a token's first call,
//! in memory: each live instance holds a token to its part of the quota
//! ([`super::instances::part`]), so behind a load balancer the instances together stay
//! within it without a round trip per call; the monthly allowance is counted in the
//! control plane. A token is known here only by a
//! hash of what was presented, so the check runs before (and spares) the database lookup.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// How long one window lasts.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Beyond this many remembered tokens, finished windows are dropped at the next call.
const REMEMBERED: usize = 10_000;

#[derive(Clone)]
pub struct ApiRate {
    windows: Arc<Mutex<HashMap<[u8; 16], Window>>>,
    per_window: u32,
}

struct Window {
    started: Instant,
    used: u32,
}

/// Where a token stands after a call: what the `RateLimit-*` headers say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    pub limit: u32,
    pub remaining: u32,
    /// Until the window ends and the full quota is back.
    pub reset: Duration,
}

impl ApiRate {
    pub fn new(per_window: u32) -> Self {
        Self {
            windows: Arc::default(),
            per_window: per_window.max(1),
        }
    }

    /// Counts one call with `token` on one of `instances` live instances; `Err` (counting
    /// nothing) when this instance's part of the window's calls is used up.
    pub fn take(&self, token: &str, instances: u32) -> Result<Standing, Standing> {
        self.take_at(token, instances, Instant::now())
    }

    fn take_at(&self, token: &str, instances: u32, now: Instant) -> Result<Standing, Standing> {
        let limit = super::instances::part(self.per_window, instances);
        let mut key = [0u8; 16];
        key.copy_from_slice(&Sha256::digest(token.as_bytes())[..16]);
        // ok: the lock is never held across a panic-prone call.
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= REMEMBERED {
            windows.retain(|_, w| now.duration_since(w.started) < WINDOW);
        }
        let window = windows.entry(key).or_insert(Window {
            started: now,
            used: 0,
        });
        if now.duration_since(window.started) >= WINDOW {
            *window = Window {
                started: now,
                used: 0,
            };
        }
        let reset = WINDOW.saturating_sub(now.duration_since(window.started));
        let standing = |used: u32| Standing {
            limit,
            remaining: limit.saturating_sub(used),
            reset,
        };
        if window.used >= limit {
            return Err(standing(window.used));
        }
        window.used += 1;
        Ok(standing(window.used))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_gets_its_quota_per_window_and_others_their_own() {
        let rate = ApiRate::new(2);
        let t0 = Instant::now();
        let first = rate.take_at("tpl_a", 1, t0).expect("first");
        assert_eq!((first.limit, first.remaining), (2, 1));
        assert_eq!(rate.take_at("tpl_a", 1, t0).expect("second").remaining, 0);
        let refused = rate
            .take_at("tpl_a", 1, t0 + Duration::from_secs(20))
            .expect_err("third");
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.reset, Duration::from_secs(40));
        assert!(rate.take_at("tnt_b", 1, t0).is_ok(), "another token");
        let next = rate.take_at("tpl_a", 1, t0 + WINDOW).expect("a new window");
        assert_eq!(next.remaining, 1);
    }

    #[test]
    fn each_of_two_instances_holds_a_token_to_half_its_quota() {
        let rate = ApiRate::new(4);
        let t0 = Instant::now();
        let first = rate.take_at("tpl_a", 2, t0).expect("first");
        assert_eq!((first.limit, first.remaining), (2, 1));
        rate.take_at("tpl_a", 2, t0).expect("second");
        assert!(
            rate.take_at("tpl_a", 2, t0).is_err(),
            "past this instance's half"
        );
    }
}
