//! The process's metrics registry, rendered in the Prometheus text format
//! (version 0.0.4) for `/metrics`, and [`events`]: one function per thing
//! that happens, which writes the log line and counts it together.
//!
//! Counters live in this process and start at zero on every start (Prometheus'
//! `rate()` handles resets). Totals that must survive restarts (articles
//! stored, alerts by status) are read from the database at scrape time by
//! the HTTP layer instead.
//!
//! A small hand-written registry rather than the `prometheus-client` crate:
//! that crate writes OpenMetrics (a trailing `# EOF`, its own content type),
//! which cannot be concatenated with the database gauges rendered at scrape
//! time, and its label sets need derive macros; what we need is seven metric
//! families over string labels.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds (seconds) of the alert delivery latency buckets, from queued
/// to delivered. Most alerts go out within a second of the poll that found
/// them; the long tail is the retry schedule, whose steps reach hours and days.
const LATENCY_BUCKETS: &[f64] = &[
    0.1,
    0.5,
    1.0,
    5.0,
    30.0,
    60.0,
    300.0,
    1800.0,
    3600.0,
    6.0 * 3600.0,
    86_400.0,
    3.0 * 86_400.0,
];

/// Upper bounds (seconds) of the poll duration buckets: a 304 takes tens of
/// milliseconds, a large feed over a slow link tens of seconds (the default
/// timeout is 30 s).
const POLL_BUCKETS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

static GLOBAL: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The registry the daemon's [`events`] count into and `/metrics` renders.
pub fn global() -> &'static Metrics {
    &GLOBAL
}

/// Counters, gauges and histograms of one process.
#[derive(Debug)]
pub struct Metrics {
    /// One lock for everything: updates are a few map operations, at most a
    /// few per poll or delivery, so contention is nil, and a scrape sees one
    /// consistent state.
    state: Mutex<State>,
    started: SystemTime,
}

#[derive(Debug, Default)]
struct State {
    polls: BTreeMap<String, u64>,
    fetch_errors: BTreeMap<String, u64>,
    articles_new: BTreeMap<String, u64>,
    last_success: BTreeMap<String, f64>,
    poll_duration: Histogram,
    delivered: BTreeMap<String, u64>,
    attempts_failed: BTreeMap<String, u64>,
    alerts_failed: BTreeMap<String, u64>,
    delivery_latency: Histogram,
    reloads: BTreeMap<String, u64>,
}

/// A cumulative histogram over fixed buckets.
#[derive(Debug, Default)]
struct Histogram {
    /// Observations per bucket (not cumulative; summed when rendered).
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], value: f64) {
        if self.counts.len() != bounds.len() {
            self.counts = vec![0; bounds.len()];
        }
        if let Some(i) = bounds.iter().position(|&b| value <= b) {
            self.counts[i] += 1;
        }
        self.sum += value;
        self.count += 1;
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics {
            state: Mutex::default(),
            started: SystemTime::now(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        // A panic while holding the lock leaves counts that are still counts.
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// One poll of `feed` ended; `new` articles were stored.
    pub fn poll_succeeded(&self, feed: &str, new: usize, elapsed: Duration, at: SystemTime) {
        self.with(|s| {
            *s.polls.entry(feed.to_owned()).or_default() += 1;
            *s.articles_new.entry(feed.to_owned()).or_default() += new as u64;
            s.last_success.insert(feed.to_owned(), unix_secs(at));
            s.poll_duration.observe(POLL_BUCKETS, elapsed.as_secs_f64());
        });
    }

    /// One poll of `feed` ended in an error (transport, status, parse or store).
    pub fn poll_failed(&self, feed: &str, elapsed: Duration) {
        self.with(|s| {
            *s.polls.entry(feed.to_owned()).or_default() += 1;
            *s.fetch_errors.entry(feed.to_owned()).or_default() += 1;
            s.poll_duration.observe(POLL_BUCKETS, elapsed.as_secs_f64());
        });
    }

    /// Alerts reached `webhook`, each after waiting `queued_for` since it was queued.
    pub fn alerts_delivered(&self, webhook: &str, queued_for: &[Duration]) {
        self.with(|s| {
            *s.delivered.entry(webhook.to_owned()).or_default() += queued_for.len() as u64;
            for d in queued_for {
                s.delivery_latency.observe(LATENCY_BUCKETS, d.as_secs_f64());
            }
        });
    }

    /// A request to `webhook` failed; of the alerts it carried, `gave_up` are
    /// now `failed` (the rest will be retried).
    pub fn delivery_failed(&self, webhook: &str, gave_up: usize) {
        self.with(|s| {
            *s.attempts_failed.entry(webhook.to_owned()).or_default() += 1;
            if gave_up > 0 {
                *s.alerts_failed.entry(webhook.to_owned()).or_default() += gave_up as u64;
            }
        });
    }

    /// A configuration reload was applied (`ok`) or refused (`refused`).
    pub fn reload(&self, result: &str) {
        self.with(|s| *s.reloads.entry(result.to_owned()).or_default() += 1);
    }

    /// Everything in the Prometheus text format ([`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        // `steppewatch_build_info` and the database totals are rendered by
        // `http::ops` next to this.
        let mut out = Exposition::default();
        let start = [(vec![], unix_secs(self.started))];
        out.family(
            "steppewatch_start_time_seconds",
            "gauge",
            "When this process started, Unix time.",
            &start,
        );
        self.with(|s| {
            out.by(
                "steppewatch_feed_polls_total",
                "counter",
                "Polls of each feed, any outcome.",
                "feed",
                &s.polls,
            );
            out.by(
                "steppewatch_feed_fetch_errors_total",
                "counter",
                "Polls of each feed that failed: connection, HTTP status, parse or store.",
                "feed",
                &s.fetch_errors,
            );
            out.by(
                "steppewatch_feed_articles_new_total",
                "counter",
                "New articles stored from each feed.",
                "feed",
                &s.articles_new,
            );
            out.by(
                "steppewatch_feed_last_success_timestamp_seconds",
                "gauge",
                "Unix time of each feed's last successful poll.",
                "feed",
                &s.last_success,
            );
            out.histogram(
                "steppewatch_feed_poll_duration_seconds",
                "Time one poll took, fetch to commit.",
                POLL_BUCKETS,
                &s.poll_duration,
            );
            out.by(
                "steppewatch_alerts_delivered_total",
                "counter",
                "Alerts delivered, by webhook.",
                "webhook",
                &s.delivered,
            );
            out.by(
                "steppewatch_alert_attempts_failed_total",
                "counter",
                "Webhook requests that failed (each is retried or gives up).",
                "webhook",
                &s.attempts_failed,
            );
            out.by(
                "steppewatch_alerts_failed_total",
                "counter",
                "Alerts given up as failed, by webhook.",
                "webhook",
                &s.alerts_failed,
            );
            out.histogram(
                "steppewatch_alert_delivery_latency_seconds",
                "Time from an alert being queued to its delivery, retries included.",
                LATENCY_BUCKETS,
                &s.delivery_latency,
            );
            out.by(
                "steppewatch_config_reloads_total",
                "counter",
                "Configuration reloads, applied or refused.",
                "result",
                &s.reloads,
            );
        });
        out.text
    }
}

fn unix_secs(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as f64)
        .unwrap_or(0.0)
}

/// One sample: label pairs and value.
type Sample<'a> = (Vec<(&'a str, &'a str)>, f64);

/// Writes metric families in the text format.
#[derive(Default)]
struct Exposition {
    text: String,
}

impl Exposition {
    fn header(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn family(&mut self, name: &str, kind: &str, help: &str, samples: &[Sample<'_>]) {
        self.header(name, kind, help);
        for (labels, value) in samples {
            self.sample(name, labels, *value);
        }
    }

    /// A family with one label; written even when empty, so its HELP shows.
    fn by<V: Copy + ToF64>(
        &mut self,
        name: &str,
        kind: &str,
        help: &str,
        label: &str,
        values: &BTreeMap<String, V>,
    ) {
        self.header(name, kind, help);
        for (key, value) in values {
            self.sample(name, &[(label, key.as_str())], (*value).to_f64());
        }
    }

    fn histogram(&mut self, name: &str, help: &str, bounds: &[f64], h: &Histogram) {
        self.header(name, "histogram", help);
        let bucket = format!("{name}_bucket");
        let mut cumulative = 0;
        for (i, bound) in bounds.iter().enumerate() {
            cumulative += h.counts.get(i).copied().unwrap_or(0);
            self.sample(&bucket, &[("le", &bound.to_string())], cumulative as f64);
        }
        self.sample(&bucket, &[("le", "+Inf")], h.count as f64);
        self.sample(&format!("{name}_sum"), &[], h.sum);
        self.sample(&format!("{name}_count"), &[], h.count as f64);
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            let pairs: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                .collect();
            let _ = write!(self.text, "{{{}}}", pairs.join(","));
        }
        let _ = writeln!(self.text, " {value}");
    }
}

/// Counter values are `u64`, gauges `f64`; both render as floats (a counter
/// would need 2^53 events to lose precision).
trait ToF64 {
    fn to_f64(self) -> f64;
}

impl ToF64 for u64 {
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl ToF64 for f64 {
    fn to_f64(self) -> f64 {
        self
    }
}

/// Label values escape backslash, double quote and newline (the text format's rule).
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Things that happen in the daemon, each written to the log and counted in
/// the [`global`] registry by one call, so the log and `/metrics` never
/// disagree. Field names are the crate's stable ones: `feed`, `url`,
/// `webhook`, `msg_id`, `error`, `elapsed_ms`.
pub mod events {
    use super::global;
    use std::time::{Duration, SystemTime};
    use tracing::{error, info, warn};

    /// A poll of `feed` finished and its outcome was stored.
    pub fn feed_polled(feed: &str, new: usize, updated: usize, alerts: usize, elapsed: Duration) {
        let elapsed_ms = elapsed.as_millis() as u64;
        info!(feed, new, updated, alerts, elapsed_ms, "feed polled");
        global().poll_succeeded(feed, new, elapsed, SystemTime::now());
    }

    /// A poll of `feed` failed; the error is stored on the feed row.
    pub fn feed_poll_failed(feed: &str, error: &str, elapsed: Duration) {
        let elapsed_ms = elapsed.as_millis() as u64;
        warn!(feed, error, elapsed_ms, "feed poll failed");
        global().poll_failed(feed, elapsed);
    }

    /// A message reached `webhook`, carrying alerts that waited `queued_for`
    /// each (one, or several for a flood-control digest).
    pub fn alert_delivered(webhook: &str, msg_id: &str, queued_for: &[Duration]) {
        info!(
            webhook,
            msg_id,
            alerts = queued_for.len(),
            "alert delivered"
        );
        global().alerts_delivered(webhook, queued_for);
    }

    /// A request to `webhook` failed; `retrying` of its alerts will be tried
    /// again and `gave_up` are now failed.
    pub fn alert_delivery_failed(
        webhook: &str,
        msg_id: &str,
        error: &str,
        retrying: usize,
        gave_up: usize,
    ) {
        if gave_up > 0 {
            error!(
                webhook,
                msg_id, error, retrying, gave_up, "alert delivery failed; giving up"
            );
        } else {
            warn!(
                webhook,
                msg_id, error, retrying, "alert delivery failed; will retry"
            );
        }
        global().delivery_failed(webhook, gave_up);
    }

    /// `webhook` answered 410 Gone: it is disabled and the `alerts` of this
    /// message failed.
    pub fn webhook_gone(webhook: &str, url: &str, error: &str, alerts: usize) {
        error!(
            webhook,
            url,
            error,
            alerts,
            "webhook answered 410 Gone: disabled until its URL changes or `alerts retry`"
        );
        global().delivery_failed(webhook, alerts);
    }

    /// A new configuration is in force.
    pub fn config_reloaded(path: &str, feeds: usize, watchlists: usize) {
        info!(path, feeds, watchlists, "configuration reloaded");
        global().reload("ok");
        crate::sdnotify::status(&format!("watching {feeds} feeds, {watchlists} watchlists"));
    }

    /// A changed configuration was refused; the running one stays.
    pub fn config_refused(path: &str, problems: &str) {
        error!(
            path,
            error = problems,
            "configuration refused; keeping the running one"
        );
        global().reload("refused");
        crate::sdnotify::status(
            "configuration refused on reload; running the previous one (see the log)",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The samples of `text` as (name with labels, value), checking every line
    /// is a comment or `name{labels} value`.
    fn samples(text: &str) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (key, value) = line
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("bad line {line:?}"));
            let value = if value == "+Inf" {
                f64::INFINITY
            } else {
                value.parse().unwrap()
            };
            out.insert(key.to_owned(), value);
        }
        out
    }

    #[test]
    fn polls_count_by_feed_and_keep_last_success() {
        let m = Metrics::new();
        let at = UNIX_EPOCH + Duration::from_secs(1_790_000_000);
        m.poll_succeeded("Akipress", 3, Duration::from_millis(40), at);
        m.poll_succeeded("Akipress", 0, Duration::from_millis(20), at);
        m.poll_failed("Kun.uz", Duration::from_secs(2));
        let s = samples(&m.render());
        assert_eq!(s["steppewatch_feed_polls_total{feed=\"Akipress\"}"], 2.0);
        assert_eq!(s["steppewatch_feed_polls_total{feed=\"Kun.uz\"}"], 1.0);
        assert_eq!(
            s["steppewatch_feed_fetch_errors_total{feed=\"Kun.uz\"}"],
            1.0
        );
        assert!(!s.contains_key("steppewatch_feed_fetch_errors_total{feed=\"Akipress\"}"));
        assert_eq!(
            s["steppewatch_feed_articles_new_total{feed=\"Akipress\"}"],
            3.0
        );
        assert_eq!(
            s["steppewatch_feed_last_success_timestamp_seconds{feed=\"Akipress\"}"],
            1_790_000_000.0
        );
        assert_eq!(s["steppewatch_feed_poll_duration_seconds_count"], 3.0);
    }

    #[test]
    fn latency_histogram_is_cumulative() {
        let m = Metrics::new();
        m.alerts_delivered("ops", &[Duration::from_millis(80), Duration::from_secs(2)]);
        m.alerts_delivered("ops", &[Duration::from_secs(7 * 86_400)]);
        let s = samples(&m.render());
        let bucket = |le: &str| {
            s[&format!("steppewatch_alert_delivery_latency_seconds_bucket{{le=\"{le}\"}}")]
        };
        assert_eq!(bucket("0.1"), 1.0);
        assert_eq!(bucket("1"), 1.0);
        assert_eq!(bucket("5"), 2.0);
        assert_eq!(bucket("259200"), 2.0);
        assert_eq!(bucket("+Inf"), 3.0);
        assert_eq!(s["steppewatch_alert_delivery_latency_seconds_count"], 3.0);
        assert!(
            (s["steppewatch_alert_delivery_latency_seconds_sum"] - (0.08 + 2.0 + 604_800.0)).abs()
                < 1e-6
        );
        assert_eq!(
            s["steppewatch_alerts_delivered_total{webhook=\"ops\"}"],
            3.0
        );
    }

    #[test]
    fn failed_deliveries_count_attempts_and_given_up_alerts() {
        let m = Metrics::new();
        m.delivery_failed("ops", 0);
        m.delivery_failed("ops", 2);
        let s = samples(&m.render());
        assert_eq!(
            s["steppewatch_alert_attempts_failed_total{webhook=\"ops\"}"],
            2.0
        );
        assert_eq!(s["steppewatch_alerts_failed_total{webhook=\"ops\"}"], 2.0);
    }

    #[test]
    fn every_family_has_help_and_type_once() {
        let text = Metrics::new().render();
        let types: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .collect();
        let helps = text.lines().filter(|l| l.starts_with("# HELP ")).count();
        assert_eq!(types.len(), helps);
        let mut names: Vec<&str> = types.iter().map(|t| t.split(' ').next().unwrap()).collect();
        names.dedup();
        assert_eq!(names.len(), types.len());
        assert!(names.iter().all(|n| n.starts_with("steppewatch_")));
    }

    #[test]
    fn label_values_are_escaped() {
        let m = Metrics::new();
        m.poll_failed("Radio \"Azattyq\"\\KZ\n", Duration::ZERO);
        let text = m.render();
        assert!(
            text.contains("feed=\"Radio \\\"Azattyq\\\"\\\\KZ\\n\"} 1\n"),
            "{text}"
        );
    }
}
