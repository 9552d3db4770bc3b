//! When each feed is due: its interval, adaptive cadence within bounds, feed
//! hints (ttl, max-age), failure back-off and Retry-After. Pure functions; the
//! daemon's loop that applies them lives in `daemon`.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// Consecutive failures after which a feed shows as `failing`.
pub const FAILING_AFTER: u32 = 3;

/// Longest wait a server's Retry-After can impose; beyond it the server is
/// probably confused, and a day is still polite.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// A feed is `quiet` when its newest item is older than this many times its
/// usual cadence (and older than `QUIET_MIN_AGE`).
pub const QUIET_FACTOR: u32 = 4;

/// Never call a feed quiet within this time of its last item: weekends happen.
pub const QUIET_MIN_AGE: Duration = Duration::from_secs(3 * 24 * 3600);

/// Share of an interval added or removed at random, so that feeds configured
/// alike do not all hit their servers in the same second.
pub const JITTER: f64 = 0.1;

/// What the scheduler knows about a feed when it plans the next poll.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// The feed's configured interval, else `[poll] interval`.
    pub base: Duration,
    /// True when the feed set its own interval: then it is used as given.
    pub explicit: bool,
    /// `[poll] min_interval` / `max_interval`, widened to include `base`.
    pub min: Duration,
    pub max: Duration,
}

impl Plan {
    pub fn new(base: Duration, explicit: bool, min: Duration, max: Duration) -> Plan {
        Plan {
            base,
            explicit,
            min: min.min(base),
            max: max.max(base),
        }
    }

    /// The wait after a successful poll. `cadence` is the feed's usual gap
    /// between items; `hint` is the longest of RSS ttl and Cache-Control max-age.
    pub fn after_success(&self, cadence: Option<Duration>, hint: Option<Duration>) -> Duration {
        let mut wait = match (self.explicit, cadence) {
            // Poll about twice per expected item: an hourly feed every 30 min,
            // a weekly one at the slow bound.
            (false, Some(c)) => c / 2,
            _ => self.base,
        };
        if let Some(h) = hint {
            wait = wait.max(h);
        }
        wait.clamp(self.min, self.max)
    }

    /// The wait after the `failures`-th consecutive failure: doubling from the
    /// base interval up to the slow bound, where it stays.
    pub fn after_failure(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(16);
        self.base.saturating_mul(1 << doublings).min(self.max)
    }
}

/// `wait` moved by up to ±`JITTER` of itself, with `unit` in [0, 1).
pub fn jitter(wait: Duration, unit: f64) -> Duration {
    let factor = 1.0 + JITTER * (2.0 * unit - 1.0);
    wait.mul_f64(factor.max(0.0))
}

/// A server's Retry-After, capped.
pub fn retry_after(wait: Duration) -> Duration {
    wait.min(MAX_RETRY_AFTER)
}

/// The usual gap between a feed's items: the median gap between consecutive
/// publication times, when there are at least three items.
pub fn cadence(published: &[DateTime<Utc>]) -> Option<Duration> {
    if published.len() < 3 {
        return None;
    }
    let mut times = published.to_vec();
    times.sort_unstable();
    let mut gaps: Vec<i64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).num_seconds())
        .collect();
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2];
    (median > 0).then(|| Duration::from_secs(median as u64))
}

/// True when a feed that answers fine has published nothing for several
/// times its usual cadence.
pub fn is_quiet(
    newest: Option<DateTime<Utc>>,
    cadence: Option<Duration>,
    now: DateTime<Utc>,
) -> bool {
    let (Some(newest), Some(cadence)) = (newest, cadence) else {
        return false;
    };
    let silent = (now - newest).to_std().unwrap_or_default();
    silent > QUIET_MIN_AGE.max(cadence * QUIET_FACTOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);
    const HOUR: Duration = Duration::from_secs(3600);

    fn plan() -> Plan {
        Plan::new(
            Duration::from_secs(900),
            false,
            Duration::from_secs(300),
            6 * HOUR,
        )
    }

    #[test]
    fn hourly_feed_is_polled_more_often_than_weekly_feed() {
        let hourly = plan().after_success(Some(HOUR), None);
        let weekly = plan().after_success(Some(168 * HOUR), None);
        assert_eq!(hourly, 30 * MIN);
        assert_eq!(weekly, 6 * HOUR);
    }

    #[test]
    fn explicit_interval_is_used_as_given() {
        let p = Plan::new(Duration::from_secs(1), true, 5 * MIN, 6 * HOUR);
        assert_eq!(
            p.after_success(Some(168 * HOUR), None),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn ttl_and_max_age_lengthen_within_bounds() {
        assert_eq!(plan().after_success(None, Some(HOUR)), HOUR);
        assert_eq!(plan().after_success(None, Some(48 * HOUR)), 6 * HOUR);
    }

    #[test]
    fn failures_back_off_to_the_slow_rate() {
        let p = plan();
        assert_eq!(p.after_failure(1), Duration::from_secs(900));
        assert_eq!(p.after_failure(2), Duration::from_secs(1800));
        assert_eq!(p.after_failure(40), 6 * HOUR);
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        assert_eq!(
            jitter(Duration::from_secs(100), 0.5),
            Duration::from_secs(100)
        );
        assert!(jitter(Duration::from_secs(100), 0.0) >= Duration::from_secs(90));
        assert!(jitter(Duration::from_secs(100), 0.999) <= Duration::from_secs(110));
    }

    #[test]
    fn cadence_is_median_gap_and_quiet_needs_several_cadences() {
        let t0 = DateTime::parse_from_rfc3339("2026-10-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let times: Vec<_> = (0..5)
            .map(|i| t0 + chrono::Duration::hours(i * 6))
            .collect();
        assert_eq!(cadence(&times), Some(6 * HOUR));
        let newest = times.last().copied();
        let c = cadence(&times);
        assert!(!is_quiet(
            newest,
            c,
            newest.unwrap() + chrono::Duration::days(2)
        ));
        assert!(is_quiet(
            newest,
            c,
            newest.unwrap() + chrono::Duration::days(4)
        ));
        assert!(!is_quiet(
            newest,
            None,
            newest.unwrap() + chrono::Duration::days(40)
        ));
    }
}
