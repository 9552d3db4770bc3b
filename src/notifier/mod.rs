//! The delivery worker: claims due alerts from the outbox, renders, signs and
//! sends them, and records each outcome. At least once: an alert is marked
//! delivered only after its receiver answered 2xx.
//!
//! One `run` task per database. It delivers what is due, then sleeps until
//! the next alert is due, the poller wakes it after a commit that created
//! alerts, the configuration changes, or shutdown. A send is never cancelled
//! halfway: on shutdown, sends not yet started are left due for next time.
//!
//! A 410 Gone disables the webhook: the daemon logs an error, fails that
//! webhook's pending alerts with "webhook gone", records the (name, URL) in
//! the database and fails new alerts for it without sending. Changing the
//! webhook's URL, or `alerts retry`, re-enables it.

pub mod flood;
pub mod format;
pub mod sign;
#[cfg(test)]
mod tests;

use crate::config::{Alerts, Config, WebhookConfig};
use crate::metrics::events;
use crate::outbox::{self, Verdict};
use crate::store::alerts::AlertRow;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use flood::Send;
use futures_util::StreamExt;
use sign::SigningKey;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Alerts claimed per round. Bounds the work between two looks at the
/// shutdown token and the configuration.
pub const CLAIM_BATCH: usize = 64;

/// Requests in flight to one webhook. Chat services rate-limit per webhook
/// (Discord about 5 requests per 2 s, Slack about 1 message per second), and
/// a self-hosted receiver should not see a backlog as a burst; a few at once
/// still drain a backlog quickly, and every webhook has its own limit, so a
/// slow receiver never holds up the others.
pub const PER_WEBHOOK_CONCURRENCY: usize = 4;

/// Total time for one request. Standard Webhooks recommends that receivers
/// get 15-30 s; a receiver slower than that is treated as a timeout (retried).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest sleep of the worker with nothing due: alerts requeued by
/// `alerts retry` from another process are picked up within this.
pub const IDLE_MAX: Duration = Duration::from_secs(30);

/// Characters of a failing receiver's body kept in `last_error`.
const ERROR_BODY_MAX: usize = 200;

/// What one round (or a drain) of delivery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Alerts claimed as due.
    pub claimed: usize,
    /// Alerts marked delivered (each alert of a digest counts).
    pub delivered: usize,
    /// Alerts that failed an attempt and will be retried.
    pub retrying: usize,
    /// Alerts marked failed.
    pub failed: usize,
    /// Alerts held back by flood control.
    pub deferred: usize,
    /// Digest messages delivered.
    pub digests: usize,
    /// Requests sent.
    pub requests: usize,
    /// Database errors (logged).
    pub errors: usize,
}

impl DeliveryReport {
    fn merge(mut self, other: DeliveryReport) -> DeliveryReport {
        self.claimed += other.claimed;
        self.delivered += other.delivered;
        self.retrying += other.retrying;
        self.failed += other.failed;
        self.deferred += other.deferred;
        self.digests += other.digests;
        self.requests += other.requests;
        self.errors += other.errors;
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("unable to build the webhook client: {0}")]
    Client(#[from] reqwest::Error),
}

/// The HTTP client for webhooks: redirects are never followed (a 3xx is a
/// failure), proxies from the environment are ignored, and every request has
/// [`REQUEST_TIMEOUT`].
///
/// # Errors
/// The TLS backend cannot be set up.
pub fn client(cfg: &Config) -> Result<reqwest::Client, NotifyError> {
    build_client(&cfg.fetch)
}

/// The same address guard as feeds: with `allow_private = false` a webhook on a
/// loopback or private address is refused by the resolver (names) and by
/// `check_url` before each send (IP literals, which skip the resolver).
fn build_client(fetch: &crate::config::Fetch) -> Result<reqwest::Client, NotifyError> {
    let (connect_timeout, user_agent) = (fetch.connect_timeout, &fetch.user_agent);
    let client = crate::fetcher::guarded_client_builder(fetch.allow_private, &fetch.allow_addrs)
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(connect_timeout)
        .user_agent(user_agent)
        .build()?;
    Ok(client)
}

/// Runs a store call on the blocking pool.
async fn blocking<T: std::marker::Send + 'static>(
    store: &Arc<Mutex<Store>>,
    f: impl FnOnce(&mut Store) -> Result<T, StoreError> + std::marker::Send + 'static,
) -> Result<T, StoreError> {
    let store = Arc::clone(store);
    let task = tokio::task::spawn_blocking(move || {
        // A panic elsewhere while holding the lock leaves no open transaction
        // (rusqlite rolls back on drop), so the connection is still usable.
        let mut guard = store.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    });
    match task.await {
        Ok(result) => result,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Delivers the alerts due at `now` (one batch of at most [`CLAIM_BATCH`]).
pub async fn deliver_due(
    store: &Arc<Mutex<Store>>,
    webhooks: &[WebhookConfig],
    alerts_cfg: &Alerts,
    client: &reqwest::Client,
    now: DateTime<Utc>,
) -> DeliveryReport {
    let never = CancellationToken::new();
    deliver_batch(store, webhooks, alerts_cfg, client, now, &never).await
}

async fn deliver_batch(
    store: &Arc<Mutex<Store>>,
    webhooks: &[WebhookConfig],
    alerts_cfg: &Alerts,
    client: &reqwest::Client,
    now: DateTime<Utc>,
    stop: &CancellationToken,
) -> DeliveryReport {
    let due = match blocking(store, move |s| s.claim_due(now, CLAIM_BATCH)).await {
        Ok(due) => due,
        Err(e) => {
            tracing::error!(error = %e, "unable to read due alerts");
            return DeliveryReport {
                errors: 1,
                ..DeliveryReport::default()
            };
        }
    };
    let claimed = due.len();
    let mut by_webhook: BTreeMap<String, Vec<AlertRow>> = BTreeMap::new();
    for row in due {
        by_webhook.entry(row.webhook.clone()).or_default().push(row);
    }
    let rounds = by_webhook.into_iter().map(|(name, rows)| {
        let webhook = webhooks.iter().find(|w| w.name == name);
        let target = Target {
            store,
            alerts_cfg,
            client,
            now,
            stop,
        };
        target.deliver(name, webhook, rows)
    });
    let reports = futures_util::future::join_all(rounds).await;
    let total = DeliveryReport {
        claimed,
        ..DeliveryReport::default()
    };
    reports.into_iter().fold(total, DeliveryReport::merge)
}

/// What every send of one round shares.
#[derive(Clone, Copy)]
struct Target<'a> {
    store: &'a Arc<Mutex<Store>>,
    alerts_cfg: &'a Alerts,
    client: &'a reqwest::Client,
    now: DateTime<Utc>,
    stop: &'a CancellationToken,
}

/// The state of one webhook within a round.
struct Hook<'a> {
    config: &'a WebhookConfig,
    key: Option<SigningKey>,
    /// Set when the webhook answered 410 during this round.
    gone: AtomicBool,
}

impl<'a> Target<'a> {
    /// Sends one webhook's due alerts.
    async fn deliver(
        self,
        name: String,
        webhook: Option<&'a WebhookConfig>,
        rows: Vec<AlertRow>,
    ) -> DeliveryReport {
        let Some(webhook) = webhook else {
            let error = format!("webhook {name} is not configured");
            return self.fail_all(&rows, &error).await;
        };
        match self.gone_mark(webhook).await {
            Ok(Some(error)) => {
                return self
                    .fail_all(&rows, &format!("webhook gone: {error}"))
                    .await;
            }
            Ok(None) => {}
            Err(report) => return report,
        }
        let key = match webhook
            .secret
            .as_ref()
            .map(|s| SigningKey::from_secret(s.expose()))
        {
            Some(Err(e)) => return self.fail_all(&rows, &e.to_string()).await,
            Some(Ok(key)) => Some(key),
            None => None,
        };
        let (sends, mut report) = self.plan(webhook, rows).await;
        let hook = Hook {
            config: webhook,
            key,
            gone: AtomicBool::new(false),
        };
        let hook = &hook;
        let results = futures_util::stream::iter(sends)
            .map(|send| self.send(hook, send))
            .buffer_unordered(PER_WEBHOOK_CONCURRENCY)
            .collect::<Vec<_>>()
            .await;
        report = results.into_iter().fold(report, DeliveryReport::merge);
        report
    }

    async fn gone_mark(&self, webhook: &WebhookConfig) -> Result<Option<String>, DeliveryReport> {
        let (name, url) = (webhook.name.clone(), webhook.url.clone());
        blocking(self.store, move |s| s.webhook_gone(&name, &url)).await.map_err(|e| {
            tracing::error!(webhook = %webhook.name, error = %e, "unable to read webhook state");
            DeliveryReport { errors: 1, ..DeliveryReport::default() }
        })
    }

    /// Marks alerts failed without sending.
    async fn fail_all(&self, rows: &[AlertRow], error: &str) -> DeliveryReport {
        let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
        let error = error.to_owned();
        tracing::warn!(alerts = ids.len(), error = %error, "alerts failed without sending");
        let result = blocking(self.store, move |s| {
            ids.iter()
                .try_fold(0, |n, id| Ok(n + usize::from(s.mark_failed(*id, &error)?)))
        })
        .await;
        match result {
            Ok(failed) => DeliveryReport {
                failed,
                ..DeliveryReport::default()
            },
            Err(e) => {
                tracing::error!(error = %e, "unable to record failed alerts");
                DeliveryReport {
                    errors: 1,
                    ..DeliveryReport::default()
                }
            }
        }
    }

    /// Splits one webhook's rows into sends: health events go on their own,
    /// article alerts pass flood control per watchlist.
    async fn plan(
        &self,
        webhook: &WebhookConfig,
        rows: Vec<AlertRow>,
    ) -> (Vec<Send>, DeliveryReport) {
        let mut sends = Vec::new();
        let mut report = DeliveryReport::default();
        let mut by_watchlist: BTreeMap<String, Vec<AlertRow>> = BTreeMap::new();
        for row in rows {
            if row.kind == "watchlist.match" && !row.watchlist.is_empty() {
                by_watchlist
                    .entry(row.watchlist.clone())
                    .or_default()
                    .push(row);
            } else {
                sends.push(Send::one(row));
            }
        }
        for (watchlist, due) in by_watchlist {
            let window =
                chrono::Duration::from_std(self.alerts_cfg.flood_window).unwrap_or_default();
            let since = self.now - window;
            let (w, h) = (watchlist.clone(), webhook.name.clone());
            let usage = match blocking(self.store, move |s| s.flood_usage(&w, &h, since)).await {
                Ok(usage) => usage,
                Err(e) => {
                    tracing::error!(watchlist = %watchlist, error = %e, "unable to count recent alerts");
                    report.errors += 1;
                    continue;
                }
            };
            let plan = flood::plan(due, usage, self.alerts_cfg, self.now);
            report.deferred += plan.deferred.len();
            if let Some(until) = plan.defer_until {
                tracing::info!(watchlist = %watchlist, webhook = %webhook.name, held = plan.deferred.len(),
                               until = %until, "flood control holds alerts for the next window");
                let ids = plan.deferred;
                if let Err(e) = blocking(self.store, move |s| s.defer(&ids, until)).await {
                    tracing::error!(error = %e, "unable to defer alerts");
                    report.errors += 1;
                }
            }
            sends.extend(plan.sends);
        }
        (sends, report)
    }

    /// Sends one message and records its outcome.
    async fn send(self, hook: &Hook<'_>, send: Send) -> DeliveryReport {
        if self.stop.is_cancelled() {
            // Not started: left due, nothing to record.
            return DeliveryReport::default();
        }
        if hook.gone.load(Ordering::Relaxed) {
            return self
                .fail_all(send.alerts(), "webhook gone (410) earlier in this round")
                .await;
        }
        let attempt = self.attempt(hook, &send).await;
        let mut report = self.record(hook, &send, attempt).await;
        report.requests += 1;
        report
    }

    /// One HTTP request.
    async fn attempt(&self, hook: &Hook<'_>, send: &Send) -> Attempt {
        let rendered = format::render(send.payload(), hook.config);
        // The attempt's own time: receivers check it against their clock.
        let timestamp = Utc::now().timestamp();
        let mut request = self
            .client
            .post(&hook.config.url)
            .header(reqwest::header::CONTENT_TYPE, rendered.content_type)
            .header("webhook-id", send.msg_id())
            .header("webhook-timestamp", timestamp.to_string());
        if let Some(key) = &hook.key {
            request = request.header(
                "webhook-signature",
                key.sign(send.msg_id(), timestamp, &rendered.body),
            );
        }
        for (name, value) in rendered.headers {
            request = request.header(name, value);
        }
        match request.body(rendered.body).send().await {
            Ok(response) => Attempt::from_response(response, self.now).await,
            Err(e) => Attempt {
                verdict: Verdict::Retry,
                retry_after: None,
                error: describe(&e),
            },
        }
    }

    /// Records an attempt's outcome for every alert the message carried.
    async fn record(&self, hook: &Hook<'_>, send: &Send, attempt: Attempt) -> DeliveryReport {
        let name = hook.config.name.as_str();
        let alerts = send.alerts().len();
        let mut report = DeliveryReport::default();
        let result = match attempt.verdict {
            Verdict::Delivered => {
                events::alert_delivered(name, send.msg_id(), &queued_for(send));
                report.delivered = alerts;
                report.digests = usize::from(matches!(send, Send::Digest(_)));
                self.record_delivered(send).await
            }
            Verdict::Gone => {
                hook.gone.store(true, Ordering::Relaxed);
                events::webhook_gone(name, &hook.config.url, &attempt.error, alerts);
                report.failed = alerts;
                self.record_gone(hook, send, &attempt.error).await
            }
            Verdict::Retry | Verdict::Permanent => {
                let (retrying, result) = self.record_failures(send, &attempt).await;
                events::alert_delivery_failed(
                    name,
                    send.msg_id(),
                    &attempt.error,
                    retrying,
                    alerts - retrying,
                );
                report.retrying = retrying;
                report.failed = alerts - retrying;
                result
            }
        };
        if let Err(e) = result {
            tracing::error!(webhook = %name, error = %e, "unable to record an alert's delivery");
            report.errors += 1;
        }
        report
    }

    async fn record_delivered(&self, send: &Send) -> Result<(), StoreError> {
        let now = self.now;
        match send {
            Send::One(row) => {
                let id = row.id;
                blocking(self.store, move |s| s.record_delivered(id, now)).await
            }
            Send::Digest(d) => {
                let ids: Vec<_> = d.alerts.iter().map(|r| r.id).collect();
                let digest = d.msg_id.clone();
                blocking(self.store, move |s| {
                    s.record_digest_delivered(&ids, &digest, now)
                })
                .await
            }
        }
    }

    async fn record_gone(
        &self,
        hook: &Hook<'_>,
        send: &Send,
        error: &str,
    ) -> Result<(), StoreError> {
        let (now, name, url) = (self.now, hook.config.name.clone(), hook.config.url.clone());
        let ids: Vec<_> = send.alerts().iter().map(|r| r.id).collect();
        let error = format!("webhook gone: {error}");
        blocking(self.store, move |s| {
            for id in &ids {
                s.record_failure(*id, now, &error, None)?;
            }
            s.mark_webhook_gone(&name, &url, &error, now).map(drop)
        })
        .await
    }

    /// Schedules retries (or marks failed); returns how many will be retried.
    async fn record_failures(
        &self,
        send: &Send,
        attempt: &Attempt,
    ) -> (usize, Result<(), StoreError>) {
        // ThreadRng is not Send: it must be gone before the await below.
        let plans: Vec<_> = self.plan_failures(send, attempt);
        let retrying = plans.iter().filter(|(_, next)| next.is_some()).count();
        let (now, error) = (self.now, attempt.error.clone());
        let result = blocking(self.store, move |s| {
            plans
                .iter()
                .try_for_each(|(id, next)| s.record_failure(*id, now, &error, *next))
        })
        .await;
        (retrying, result)
    }

    /// The next attempt of each alert of a failed message (`None`: give up).
    fn plan_failures(
        &self,
        send: &Send,
        attempt: &Attempt,
    ) -> Vec<(crate::model::AlertId, Option<DateTime<Utc>>)> {
        let mut rng = rand::rng();
        send.alerts()
            .iter()
            .map(|row| {
                let next = match attempt.verdict {
                    Verdict::Retry => outbox::plan_retry(
                        row.since(),
                        self.now,
                        row.attempts + 1,
                        self.alerts_cfg,
                        attempt.retry_after,
                        &mut rng,
                    ),
                    _ => None,
                };
                (row.id, next)
            })
            .collect()
    }
}

/// The outcome of one request.
struct Attempt {
    verdict: Verdict,
    retry_after: Option<Duration>,
    error: String,
}

impl Attempt {
    async fn from_response(mut response: reqwest::Response, now: DateTime<Utc>) -> Attempt {
        let status = response.status();
        let verdict = outbox::classify(status.as_u16());
        if verdict == Verdict::Delivered {
            return Attempt {
                verdict,
                retry_after: None,
                error: String::new(),
            };
        }
        let mut retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| outbox::parse_retry_after(v, now));
        let mut error = format!("http {}", status.as_u16());
        if status.is_redirection() {
            let location = response.headers().get(reqwest::header::LOCATION);
            let location = location.and_then(|v| v.to_str().ok()).unwrap_or("");
            error.push_str(&format!(
                " redirect to {location} (not followed; update the webhook URL)"
            ));
        } else if let Ok(Some(chunk)) = response.chunk().await {
            retry_after = retry_after.or_else(|| body_retry_after(&chunk));
            let text = String::from_utf8_lossy(&chunk);
            let text = text.trim();
            if !text.is_empty() {
                error.push_str(&format!(": {}", format::cut(text, ERROR_BODY_MAX)));
            }
        }
        Attempt {
            verdict,
            retry_after,
            error,
        }
    }
}

/// The wait a chat API puts in its JSON error body instead of (or besides) a
/// `Retry-After` header: Telegram's `parameters.retry_after` (seconds) and
/// Discord's `retry_after` (seconds, fractional).
fn body_retry_after(body: &[u8]) -> Option<Duration> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    let secs = json["parameters"]["retry_after"]
        .as_f64()
        .or_else(|| json["retry_after"].as_f64())?;
    Duration::try_from_secs_f64(secs.ceil()).ok()
}

/// A transport error with its causes, e.g. "timeout" or "connect: connection refused".
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect error"
    } else {
        "request error"
    };
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Delivers everything due now, again and again until nothing is due now, or
/// `max_wait` has passed (`run --once`). Retries scheduled for later stay
/// pending for the next run.
pub async fn drain(
    store: &Arc<Mutex<Store>>,
    config: &Config,
    max_wait: Duration,
) -> DeliveryReport {
    match client(config) {
        Ok(http) => drain_with(store, &config.webhooks, &config.alerts, &http, max_wait).await,
        Err(e) => {
            tracing::error!(error = %e, "alerts not delivered");
            DeliveryReport {
                errors: 1,
                ..DeliveryReport::default()
            }
        }
    }
}

/// [`drain`] with an explicit client and webhook list.
pub async fn drain_with(
    store: &Arc<Mutex<Store>>,
    webhooks: &[WebhookConfig],
    alerts_cfg: &Alerts,
    client: &reqwest::Client,
    max_wait: Duration,
) -> DeliveryReport {
    let started = tokio::time::Instant::now();
    let mut total = DeliveryReport::default();
    loop {
        let report = deliver_due(store, webhooks, alerts_cfg, client, Utc::now()).await;
        total = total.merge(report);
        // Nothing claimed, or all claimed ones held back by flood control: done.
        if report.claimed == report.deferred || report.errors > 0 || started.elapsed() >= max_wait {
            return total;
        }
    }
}

/// The delivery task of the daemon. Returns when `shutdown` is cancelled.
///
/// `config` carries whatever the daemon publishes its running configuration
/// in (an `Arc<Config>`, or a larger state implementing `AsRef<Config>`); a
/// new value applies from the next round. The poller calls
/// `wake.notify_one()` after a commit that created alerts.
pub async fn run<C>(
    store: Arc<Mutex<Store>>,
    mut config: tokio::sync::watch::Receiver<Arc<C>>,
    wake: Arc<tokio::sync::Notify>,
    shutdown: CancellationToken,
) where
    C: AsRef<Config> + std::marker::Send + Sync + 'static,
{
    let mut current = config.borrow_and_update().clone();
    let mut http = client((*current).as_ref());
    let mut watching = true;
    while !shutdown.is_cancelled() {
        let cfg: &Config = (*current).as_ref();
        let report = match &http {
            Ok(http) => {
                deliver_batch(
                    &store,
                    &cfg.webhooks,
                    &cfg.alerts,
                    http,
                    Utc::now(),
                    &shutdown,
                )
                .await
            }
            Err(e) => {
                tracing::error!(error = %e, "webhook delivery is off");
                DeliveryReport::default()
            }
        };
        let pause = if report.claimed == CLAIM_BATCH {
            Duration::ZERO
        } else {
            idle_time(&store).await
        };
        // Biased: shutdown first, then a new configuration before a wake-up,
        // so alerts created after a reload go out under the new one.
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            changed = config.changed(), if watching => {
                if changed.is_ok() {
                    current = config.borrow_and_update().clone();
                    http = client((*current).as_ref());
                } else {
                    watching = false;
                }
            }
            () = wake.notified() => {}
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// How long to sleep: until the next pending alert is due, at most [`IDLE_MAX`].
async fn idle_time(store: &Arc<Mutex<Store>>) -> Duration {
    match blocking(store, |s| s.next_due()).await {
        Ok(Some(next)) => (next - Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(IDLE_MAX),
        Ok(None) => IDLE_MAX,
        Err(e) => {
            tracing::error!(error = %e, "unable to read the next due alert");
            IDLE_MAX
        }
    }
}

/// How long each alert of a message waited from being queued to its delivery now.
fn queued_for(send: &Send) -> Vec<Duration> {
    let now = Utc::now();
    send.alerts()
        .iter()
        .map(|r| (now - r.created).to_std().unwrap_or_default())
        .collect()
}
