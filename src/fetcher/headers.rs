//! Reading the response headers the scheduler cares about: Retry-After and
//! Cache-Control freshness. Pure functions over a header map.

use reqwest::header::{AGE, CACHE_CONTROL, HeaderMap, HeaderName, RETRY_AFTER};
use std::time::{Duration, SystemTime};

/// Longest server hint (Retry-After, max-age) passed on. Larger values are
/// mistakes or hostility (`Retry-After: 99999999999`); the scheduler applies
/// its own, tighter bounds on top.
pub const MAX_SERVER_HINT: Duration = Duration::from_secs(7 * 24 * 3600);

/// Retry-After as delay-seconds or an HTTP-date, relative to `now`, capped at
/// [`MAX_SERVER_HINT`]. A date in the past means "now" (zero); an unreadable
/// value is ignored.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = text(headers, &RETRY_AFTER)?;
    let wait = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = httpdate::parse_http_date(value).ok()?;
            at.duration_since(now).unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_SERVER_HINT))
}

/// How long the response stays fresh: Cache-Control `max-age` less `Age`,
/// capped at [`MAX_SERVER_HINT`]. `no-store` and `no-cache` give no hint.
pub fn max_age(headers: &HeaderMap) -> Option<Duration> {
    let mut max_age = None;
    for value in headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for directive in value.split(',').map(|d| d.trim().to_ascii_lowercase()) {
            if directive == "no-store" || directive == "no-cache" {
                return None;
            }
            if let Some(secs) = directive.strip_prefix("max-age=") {
                max_age = secs.trim_matches('"').parse::<u64>().ok().or(max_age);
            }
        }
    }
    let age = text(headers, &AGE)
        .and_then(|a| a.parse::<u64>().ok())
        .unwrap_or(0);
    max_age.map(|secs| Duration::from_secs(secs.saturating_sub(age)).min(MAX_SERVER_HINT))
}

/// A header's value as trimmed text, when present, readable and not empty.
pub fn text<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn retry_after_seconds_dates_and_caps() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let in_two_hours = httpdate::fmt_http_date(now + Duration::from_secs(7200));
        let an_hour_ago = httpdate::fmt_http_date(now - Duration::from_secs(3600));
        let cases = [
            ("3600", Some(3600)),
            (" 120 ", Some(120)),
            (in_two_hours.as_str(), Some(7200)),
            (an_hour_ago.as_str(), Some(0)),
            ("99999999999", Some(MAX_SERVER_HINT.as_secs())),
            ("-5", None),
            ("soon", None),
        ];
        for (value, expected) in cases {
            let got = retry_after(&headers(&[(RETRY_AFTER, value)]), now);
            assert_eq!(
                got,
                expected.map(Duration::from_secs),
                "Retry-After: {value}"
            );
        }
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    /// Response headers and the freshness in seconds they should give.
    type MaxAgeCase = (&'static [(HeaderName, &'static str)], Option<u64>);

    #[test]
    fn max_age_reads_cache_control_and_age() {
        let cases: &[MaxAgeCase] = &[
            (&[(CACHE_CONTROL, "public, max-age=600")], Some(600)),
            (&[(CACHE_CONTROL, "Max-Age=\"300\"")], Some(300)),
            (&[(CACHE_CONTROL, "max-age=600"), (AGE, "100")], Some(500)),
            (&[(CACHE_CONTROL, "max-age=60"), (AGE, "100")], Some(0)),
            (
                &[(CACHE_CONTROL, "public"), (CACHE_CONTROL, "max-age=90")],
                Some(90),
            ),
            (&[(CACHE_CONTROL, "max-age=600, no-cache")], None),
            (&[(CACHE_CONTROL, "no-store")], None),
            (
                &[(CACHE_CONTROL, "max-age=31536000")],
                Some(MAX_SERVER_HINT.as_secs()),
            ),
            (&[(CACHE_CONTROL, "max-age=soon")], None),
            (&[], None),
        ];
        for (pairs, expected) in cases {
            assert_eq!(
                max_age(&headers(pairs)),
                expected.map(Duration::from_secs),
                "{pairs:?}"
            );
        }
    }
}
