//! Alert policy with no I/O: the alert key, its stable message id, the generic
//! payload, what a receiver's answer means, the retry schedule and the give-up age.

use crate::model::{Article, ArticleId, Match};
use chrono::{DateTime, SecondsFormat, Utc};
use rand::Rng;
use serde_json::{Value, json};
use std::time::Duration;

/// A new stable message id, sent as `webhook-id` on every attempt of one alert.
pub fn new_msg_id() -> String {
    let bytes: [u8; 16] = rand::random();
    let mut id = String::from("msg_");
    for b in bytes {
        id.push_str(&format!("{b:02x}"));
    }
    id
}

/// The generic `json` body of SPEC for one (article, watchlist) match.
pub fn payload(article_id: ArticleId, article: &Article, m: &Match, now: DateTime<Utc>) -> Value {
    json!({
        "type": "watchlist.match",
        "timestamp": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "data": {
            "watchlist": m.watchlist,
            "article": {
                "id": article_id,
                "url": article.url,
                "title": article.title,
                "feed": article.feed,
                "published": article.published.to_rfc3339_opts(SecondsFormat::Secs, true),
                "lang": article.lang,
                "countries": article.tags.countries,
                "regions": article.tags.regions,
                "topics": article.tags.topics,
            },
            "matches": m.matches,
        }
    })
}

// ---------------------------------------------------------------------------
// Delivery policy: what an HTTP answer means, and when to try again.
// ---------------------------------------------------------------------------

/// How much the retry schedule is jittered either way, so that alerts that
/// failed together (a receiver's outage) do not all come back in one burst.
pub const JITTER: f64 = 0.2;

/// The longest `Retry-After` we honour. A receiver asking for more is capped
/// here; the give-up age still applies.
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(24 * 3600);

/// What one delivery attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: done.
    Delivered,
    /// 5xx, 408, 409, 425, 429, timeouts and connection errors: try again later.
    Retry,
    /// Other 4xx, and 3xx (never followed): trying again cannot help.
    Permanent,
    /// 410 Gone: the receiver wants nothing more from us; disable the webhook.
    Gone,
}

/// Classifies an HTTP status per the Standard Webhooks recommendations.
pub fn classify(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        410 => Verdict::Gone,
        // Request Timeout, Conflict, Too Early, Too Many Requests are transient.
        408 | 409 | 425 | 429 => Verdict::Retry,
        // A redirect is a failure: following it doubles the load on both sides
        // and would bypass the address check of the configured URL.
        300..=499 => Verdict::Permanent,
        _ => Verdict::Retry,
    }
}

/// The delay before the next attempt after `attempts` failed ones, or `None`
/// when the schedule is used up.
///
/// The schedule's delay is jittered by ±[`JITTER`]; a `Retry-After` from the
/// receiver wins when it is longer (it is never shortened by jitter), capped
/// at [`RETRY_AFTER_MAX`].
pub fn next_delay(
    attempts: u32,
    schedule: &[Duration],
    retry_after: Option<Duration>,
    rng: &mut impl Rng,
) -> Option<Duration> {
    let base = *schedule.get((attempts as usize).checked_sub(1)?)?;
    let factor = rng.random_range((1.0 - JITTER)..=(1.0 + JITTER));
    let jittered = base.mul_f64(factor);
    let asked = retry_after.map_or(Duration::ZERO, |d| d.min(RETRY_AFTER_MAX));
    Some(jittered.max(asked))
}

/// When to try again after a failed attempt at `now`, or `None` when the alert
/// is to be marked `failed`: the schedule is used up, or the give-up age
/// (counted from `since`, the alert's creation or its last requeue) has passed.
///
/// An attempt that would fall after the give-up deadline is moved onto it, so
/// the last try happens at the deadline rather than not at all.
pub fn plan_retry(
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    attempts: u32,
    alerts: &crate::config::Alerts,
    retry_after: Option<Duration>,
    rng: &mut impl Rng,
) -> Option<DateTime<Utc>> {
    let deadline = since + chrono::Duration::from_std(alerts.give_up).ok()?;
    if now >= deadline {
        return None;
    }
    let delay = next_delay(attempts, &alerts.retry, retry_after, rng)?;
    let next = now + chrono::Duration::from_std(delay).ok()?;
    Some(next.min(deadline))
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when: DateTime<Utc> = httpdate::parse_http_date(value).ok()?.into();
    Some((when - now).to_std().unwrap_or(Duration::ZERO))
}

/// The generic body of a feed health event, sent to `[alerts] health_webhooks`.
///
/// `kind` is `feed.failing`, `feed.quiet` or `feed.recovered`.
pub fn health_event(
    kind: &str,
    feed: &str,
    url: &str,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Value {
    json!({
        "type": kind,
        "timestamp": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "data": {"feed": {"name": feed, "url": url}, "error": error},
    })
}

/// The generic body of a flood-control digest: the articles of several
/// alerts of one watchlist, as `{id, url, title, feed, published}` objects
/// taken from their frozen payloads.
pub fn digest_payload(watchlist: &str, articles: Vec<Value>, now: DateTime<Utc>) -> Value {
    json!({
        "type": "watchlist.digest",
        "timestamp": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "data": {"watchlist": watchlist, "count": articles.len(), "articles": articles},
    })
}

/// The kinds of health event [`health_event`] builds.
pub const HEALTH_KINDS: [&str; 3] = ["feed.failing", "feed.quiet", "feed.recovered"];

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn statuses_are_classified_per_standard_webhooks() {
        assert_eq!(classify(200), Verdict::Delivered);
        assert_eq!(classify(204), Verdict::Delivered);
        assert_eq!(classify(301), Verdict::Permanent);
        assert_eq!(classify(308), Verdict::Permanent);
        assert_eq!(classify(400), Verdict::Permanent);
        assert_eq!(classify(404), Verdict::Permanent);
        for transient in [408, 409, 425, 429, 500, 502, 503, 504] {
            assert_eq!(classify(transient), Verdict::Retry, "{transient}");
        }
        assert_eq!(classify(410), Verdict::Gone);
    }

    #[test]
    fn delays_follow_the_schedule_within_the_jitter() {
        let schedule = [secs(5), secs(300), secs(1800)];
        let mut rng = StdRng::seed_from_u64(7);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let d = next_delay(2, &schedule, None, &mut rng).unwrap();
            assert!(d >= secs(240) && d <= secs(360), "{d:?}");
            seen.insert(d.as_millis() / 1000);
        }
        assert!(seen.len() > 10, "jitter spreads the delays: {seen:?}");
        assert_eq!(next_delay(0, &schedule, None, &mut rng), None);
        assert_eq!(next_delay(4, &schedule, None, &mut rng), None);
    }

    #[test]
    fn retry_after_wins_when_longer_and_is_capped() {
        let schedule = [secs(5)];
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(
            next_delay(1, &schedule, Some(secs(120)), &mut rng),
            Some(secs(120))
        );
        let short = next_delay(1, &schedule, Some(secs(1)), &mut rng).unwrap();
        assert!(short >= secs(4) && short <= secs(6));
        let huge = next_delay(1, &schedule, Some(secs(10 * 86400)), &mut rng);
        assert_eq!(huge, Some(RETRY_AFTER_MAX));
    }

    #[test]
    fn give_up_age_ends_retries_with_a_last_try_at_the_deadline() {
        let alerts = crate::config::Alerts::default();
        let mut rng = StdRng::seed_from_u64(3);
        let created = Utc::now();
        let three_days = chrono::Duration::days(3);
        // Attempt 9 fails 71 h in: the 20 h step would pass the deadline.
        let now = created + chrono::Duration::hours(71);
        let next = plan_retry(created, now, 9, &alerts, None, &mut rng).unwrap();
        assert_eq!(next, created + three_days);
        assert_eq!(
            plan_retry(created, created + three_days, 10, &alerts, None, &mut rng),
            None
        );
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(parse_retry_after(" 120 ", now), Some(secs(120)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now),
            Some(secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
