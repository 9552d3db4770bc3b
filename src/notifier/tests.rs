//! Delivery against a real HTTP receiver on 127.0.0.1 and a real SQLite file.
//!
//! Retry timing is driven through `deliver_due`'s `now` argument rather than
//! sleeps: each round is run at the time the store says the next alert is due.

use super::*;
use crate::config::{WebhookConfig, WebhookFormat};
use crate::store::alerts::AlertStatus;
use crate::store::alerts::tests::insert_alert;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
struct Seen {
    headers: HeaderMap,
    body: Bytes,
}

impl Seen {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A scripted answer: status and headers.
#[derive(Debug, Clone)]
struct Reply(u16, Vec<(&'static str, String)>, &'static str);

#[derive(Default)]
struct Peer {
    seen: Mutex<Vec<Seen>>,
    /// Answers in order; when empty, `fallback`.
    script: Mutex<VecDeque<Reply>>,
    fallback: Mutex<Option<Reply>>,
}

/// A webhook receiver recording every request and answering from a script.
struct Receiver {
    url: String,
    peer: Arc<Peer>,
}

impl Receiver {
    async fn start(script: Vec<Reply>, fallback: Reply) -> Receiver {
        let peer = Arc::new(Peer::default());
        *peer.script.lock().unwrap() = script.into();
        *peer.fallback.lock().unwrap() = Some(fallback);
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&peer));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, peer }
    }
    fn seen(&self) -> Vec<Seen> {
        self.peer.seen.lock().unwrap().clone()
    }
}

async fn answer(State(peer): State<Arc<Peer>>, headers: HeaderMap, body: Bytes) -> Response {
    peer.seen.lock().unwrap().push(Seen { headers, body });
    let next = peer.script.lock().unwrap().pop_front();
    let Reply(status, headers, body) =
        next.unwrap_or_else(|| peer.fallback.lock().unwrap().clone().unwrap());
    let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
    for (name, value) in headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

fn ok() -> Reply {
    Reply(200, vec![], "ok")
}

fn status(code: u16) -> Reply {
    Reply(code, vec![], "")
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<Mutex<Store>>,
    client: reqwest::Client,
    alerts: Alerts,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("alerts.db")).unwrap();
        let fetch = crate::config::Config::from_toml(
            "[fetch]\nallow_private = true\n",
            std::path::Path::new("test.toml"),
        )
        .unwrap()
        .fetch;
        let client = build_client(&fetch).unwrap();
        Fixture {
            _dir: dir,
            store: Arc::new(Mutex::new(store)),
            client,
            alerts: Alerts::default(),
        }
    }
    fn insert(&self, article: i64, watchlist: &str, webhook: &str, created: DateTime<Utc>) -> i64 {
        insert_alert(
            &mut self.store.lock().unwrap(),
            article,
            watchlist,
            webhook,
            created,
        )
    }
    fn row(&self, id: i64) -> AlertRow {
        self.store.lock().unwrap().alert(id).unwrap().unwrap()
    }
    async fn deliver(&self, hooks: &[WebhookConfig], now: DateTime<Utc>) -> DeliveryReport {
        deliver_due(&self.store, hooks, &self.alerts, &self.client, now).await
    }
    fn next_due(&self) -> Option<DateTime<Utc>> {
        self.store.lock().unwrap().next_due().unwrap()
    }
}

fn hook(name: &str, url: &str, format: WebhookFormat) -> WebhookConfig {
    WebhookConfig {
        name: name.into(),
        url: url.into(),
        format,
        secret: None,
        chat_id: None,
    }
}

fn t0() -> DateTime<Utc> {
    // A whole second, as the store keeps Unix seconds.
    DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap()
}

// Issue 7: the receiver answering 503 for a while, then 200: everything is
// delivered, with the same webhook-id on every attempt of one alert.
#[tokio::test]
async fn retries_until_delivered_with_one_webhook_id_per_alert() {
    let rx = Receiver::start(
        vec![status(503), status(503), status(502), status(503)],
        ok(),
    )
    .await;
    let fx = Fixture::new();
    let hooks = [hook("ops", &rx.url, WebhookFormat::Json)];
    let start = t0();
    let ids: Vec<_> = (1..=3)
        .map(|a| fx.insert(a, "xinjiang", "ops", start))
        .collect();
    let mut now = start;
    for _ in 0..10 {
        fx.deliver(&hooks, now).await;
        match fx.next_due() {
            Some(next) => now = next.max(now),
            None => break,
        }
    }
    let seen = rx.seen();
    assert_eq!(
        seen.len(),
        3 + 4,
        "three deliveries and four failed attempts"
    );
    for id in ids {
        let row = fx.row(id);
        assert_eq!(row.status, AlertStatus::Delivered, "{row:?}");
        let attempts: Vec<_> = seen
            .iter()
            .filter(|s| s.header("webhook-id") == row.msg_id)
            .collect();
        assert_eq!(
            attempts.len() as u32,
            row.attempts,
            "every attempt carries the alert's own id"
        );
        assert!(
            attempts.iter().all(|s| s.json() == row.payload),
            "the same frozen body every time"
        );
    }
    assert!(
        seen.iter()
            .all(|s| s.header("content-type") == "application/json")
    );
    assert!(
        seen.iter()
            .all(|s| s.header("webhook-timestamp").parse::<i64>().is_ok())
    );
    assert!(
        seen.iter()
            .all(|s| s.header("webhook-signature").is_empty()),
        "no secret, no signature"
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let later = Reply(503, vec![("retry-after", "120".into())], "busy");
    let rx = Receiver::start(
        vec![later, Reply(429, vec![("retry-after", "7200".into())], "")],
        ok(),
    )
    .await;
    let fx = Fixture::new();
    let hooks = [hook("ops", &rx.url, WebhookFormat::Json)];
    let start = t0();
    let id = fx.insert(1, "xinjiang", "ops", start);
    fx.deliver(&hooks, start).await;
    let row = fx.row(id);
    assert_eq!(
        row.next_attempt,
        Some(start + chrono::Duration::seconds(120))
    );
    assert_eq!(row.last_error.as_deref(), Some("http 503: busy"));
    // Not due before then.
    assert_eq!(
        fx.deliver(&hooks, start + chrono::Duration::seconds(119))
            .await
            .requests,
        0
    );
    let second = start + chrono::Duration::seconds(120);
    fx.deliver(&hooks, second).await;
    assert_eq!(
        fx.row(id).next_attempt,
        Some(second + chrono::Duration::hours(2)),
        "429's Retry-After beats the 5 min step"
    );
}

#[tokio::test]
async fn a_chat_api_wait_in_the_json_body_is_honoured() {
    let telegram = r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}"#;
    let rx = Receiver::start(vec![Reply(429, vec![], telegram)], ok()).await;
    let fx = Fixture::new();
    let mut tg = hook("tg", &rx.url, WebhookFormat::Telegram);
    tg.chat_id = Some("42".into());
    let start = t0();
    let id = fx.insert(1, "xinjiang", "tg", start);
    fx.deliver(&[tg], start).await;
    assert_eq!(
        fx.row(id).next_attempt,
        Some(start + chrono::Duration::seconds(35))
    );
    assert_eq!(rx.seen()[0].json()["chat_id"], 42);
}

#[tokio::test]
async fn a_400_fails_at_once() {
    let rx = Receiver::start(vec![], Reply(400, vec![], "invalid_payload")).await;
    let fx = Fixture::new();
    let hooks = [hook("ops", &rx.url, WebhookFormat::Slack)];
    let id = fx.insert(1, "xinjiang", "ops", t0());
    let report = fx.deliver(&hooks, t0()).await;
    assert_eq!((report.failed, report.retrying), (1, 0));
    let row = fx.row(id);
    assert_eq!((row.status, row.attempts), (AlertStatus::Failed, 1));
    assert_eq!(row.last_error.as_deref(), Some("http 400: invalid_payload"));
    assert_eq!(
        fx.deliver(&hooks, t0() + chrono::Duration::days(1))
            .await
            .requests,
        0
    );
}

#[tokio::test]
async fn a_410_disables_the_webhook_until_requeued() {
    let rx = Receiver::start(vec![status(410)], ok()).await;
    let fx = Fixture::new();
    let hooks = [hook("ops", &rx.url, WebhookFormat::Json)];
    let start = t0();
    let first = fx.insert(1, "xinjiang", "ops", start);
    let waiting = fx.insert(2, "xinjiang", "ops", start);
    fx.store
        .lock()
        .unwrap()
        .defer(&[waiting], start + chrono::Duration::hours(1))
        .unwrap();
    fx.deliver(&hooks, start).await;
    assert_eq!(fx.row(first).status, AlertStatus::Failed);
    let waiting_row = fx.row(waiting);
    assert_eq!(
        waiting_row.status,
        AlertStatus::Failed,
        "pending alerts of a gone webhook fail"
    );
    assert!(waiting_row.last_error.unwrap().starts_with("webhook gone"));
    // A new alert for the gone webhook fails without a request.
    let late = fx.insert(3, "xinjiang", "ops", start);
    fx.deliver(&hooks, start).await;
    assert_eq!(fx.row(late).status, AlertStatus::Failed);
    assert_eq!(rx.seen().len(), 1);
    // The operator fixes the receiver and requeues: delivered.
    fx.store.lock().unwrap().requeue_at(late, start).unwrap();
    fx.deliver(&hooks, start).await;
    assert_eq!(fx.row(late).status, AlertStatus::Delivered);
    assert_eq!(rx.seen().len(), 2);
}

#[tokio::test]
async fn a_redirect_is_a_failure_and_is_not_followed() {
    let target = Receiver::start(vec![], ok()).await;
    let moved = Reply(301, vec![("location", target.url.clone())], "");
    let rx = Receiver::start(vec![], moved).await;
    let fx = Fixture::new();
    let hooks = [hook("ops", &rx.url, WebhookFormat::Json)];
    let id = fx.insert(1, "xinjiang", "ops", t0());
    fx.deliver(&hooks, t0()).await;
    let row = fx.row(id);
    assert_eq!(row.status, AlertStatus::Failed);
    assert!(
        row.last_error
            .unwrap()
            .starts_with("http 301 redirect to http://127.0.0.1:")
    );
    assert_eq!(rx.seen().len(), 1);
    assert_eq!(
        target.seen().len(),
        0,
        "the redirect target receives nothing"
    );
}

#[tokio::test]
async fn connection_errors_are_retried() {
    // A port with nothing listening: bind, take the port, close.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    drop(listener);
    let fx = Fixture::new();
    let id = fx.insert(1, "xinjiang", "ops", t0());
    let report = fx
        .deliver(&[hook("ops", &url, WebhookFormat::Json)], t0())
        .await;
    assert_eq!(report.retrying, 1);
    let row = fx.row(id);
    assert_eq!(row.status, AlertStatus::Pending);
    assert!(row.last_error.unwrap().starts_with("connect error"));
}

#[tokio::test]
async fn give_up_age_marks_failed_and_shows_in_the_list() {
    let rx = Receiver::start(vec![], status(503)).await;
    let mut fx = Fixture::new();
    fx.alerts.give_up = Duration::from_secs(3600);
    let hooks = [hook("ops", &rx.url, WebhookFormat::Json)];
    let start = t0();
    let id = fx.insert(1, "xinjiang", "ops", start);
    let mut now = start;
    let mut rounds = 0;
    while let Some(next) = fx.next_due() {
        now = next.max(now);
        fx.deliver(&hooks, now).await;
        rounds += 1;
        assert!(rounds < 20, "gives up");
    }
    assert_eq!(
        now,
        start + chrono::Duration::hours(1),
        "the last try is at the give-up deadline"
    );
    let failed = fx
        .store
        .lock()
        .unwrap()
        .list_alerts(Some(AlertStatus::Failed), 10)
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].id, failed[0].attempts), (id, rounds));
    assert_eq!(failed[0].last_error.as_deref(), Some("http 503"));
    // At once, after 5 s, 5 min and 30 min, then at the deadline.
    assert_eq!(rounds, 5);
}

// Issue 7: a delivery is verified by an HMAC computed from the specification
// in the test, never by calling our signer.
#[tokio::test]
async fn a_signed_delivery_verifies_independently() {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let rx = Receiver::start(vec![], ok()).await;
    let fx = Fixture::new();
    let mut ops = hook("ops", &rx.url, WebhookFormat::Json);
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    ops.secret = Some(crate::config::Secret::new(secret.into()));
    let id = fx.insert(1, "xinjiang", "ops", t0());
    fx.deliver(&[ops], t0()).await;
    let seen = &rx.seen()[0];
    let (msg_id, timestamp) = (seen.header("webhook-id"), seen.header("webhook-timestamp"));
    assert_eq!(msg_id, fx.row(id).msg_id);
    let key = base64::engine::general_purpose::STANDARD
        .decode(&secret["whsec_".len()..])
        .unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{msg_id}.{timestamp}.").as_bytes());
    mac.update(&seen.body);
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(seen.header("webhook-signature"), format!("v1,{expected}"));
}

#[tokio::test]
async fn flood_control_folds_the_excess_into_one_digest() {
    let rx = Receiver::start(vec![], ok()).await;
    let mut fx = Fixture::new();
    fx.alerts.flood_max = 3;
    fx.alerts.flood_window = Duration::from_secs(3600);
    let hooks = [hook("ops", &rx.url, WebhookFormat::Json)];
    let start = t0();
    let ids: Vec<_> = (1..=10)
        .map(|a| fx.insert(a, "xinjiang", "ops", start))
        .collect();
    let other = fx.insert(1, "railway-crossing", "ops", start);
    let report = fx.deliver(&hooks, start).await;
    assert_eq!(
        (report.delivered, report.digests, report.requests),
        (11, 1, 4)
    );
    let seen = rx.seen();
    let digest = seen
        .iter()
        .find(|s| s.json()["type"] == "watchlist.digest")
        .unwrap();
    let body = digest.json();
    assert_eq!(body["data"]["watchlist"], "xinjiang");
    assert_eq!(body["data"]["articles"].as_array().unwrap().len(), 8);
    assert_eq!(body["data"]["articles"][0]["title"], "Story 3");
    let folded: Vec<_> = ids
        .iter()
        .map(|id| fx.row(*id))
        .filter(|r| r.digest.is_some())
        .collect();
    assert_eq!(folded.len(), 8);
    assert!(
        folded
            .iter()
            .all(|r| r.digest.as_deref() == Some(&*digest.header("webhook-id")))
    );
    assert!(
        ids.iter()
            .all(|id| fx.row(*id).status == AlertStatus::Delivered)
    );
    assert_eq!(
        fx.row(other).digest,
        None,
        "another watchlist has its own budget"
    );

    // Two more within the window wait for it to pass, then go on their own.
    let late: Vec<_> = (11..=12)
        .map(|a| fx.insert(a, "xinjiang", "ops", start))
        .collect();
    let report = fx
        .deliver(&hooks, start + chrono::Duration::minutes(10))
        .await;
    assert_eq!((report.deferred, report.requests), (2, 0));
    assert_eq!(fx.next_due(), Some(start + chrono::Duration::hours(1)));
    fx.deliver(
        &hooks,
        start + chrono::Duration::hours(1) + chrono::Duration::seconds(1),
    )
    .await;
    assert!(
        late.iter()
            .all(|id| fx.row(*id).status == AlertStatus::Delivered && fx.row(*id).digest.is_none())
    );

    // Nothing lost, nothing sent twice: every article of the watchlist exactly once.
    let mut articles: Vec<i64> = Vec::new();
    for s in rx.seen() {
        let body = s.json();
        if body["data"]["watchlist"] != "xinjiang" {
            continue;
        }
        match body["type"].as_str().unwrap() {
            "watchlist.digest" => articles.extend(
                body["data"]["articles"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["id"].as_i64().unwrap()),
            ),
            _ => articles.push(body["data"]["article"]["id"].as_i64().unwrap()),
        }
    }
    articles.sort_unstable();
    assert_eq!(articles, (1..=12).collect::<Vec<_>>());
}

#[tokio::test]
async fn health_events_are_delivered_and_not_flood_limited() {
    let rx = Receiver::start(vec![], ok()).await;
    let mut fx = Fixture::new();
    fx.alerts.flood_max = 1;
    let hooks = [hook("ops", &rx.url, WebhookFormat::Ntfy)];
    let start = t0();
    for kind in outbox::HEALTH_KINDS {
        let event = outbox::health_event(kind, "Kabar", "https://kabar.kg/rss", None, start);
        fx.store
            .lock()
            .unwrap()
            .enqueue_health_event("ops", &event, start)
            .unwrap();
    }
    let report = fx.deliver(&hooks, start).await;
    assert_eq!((report.delivered, report.digests), (3, 0));
    let titles: Vec<_> = rx.seen().iter().map(|s| s.header("title")).collect();
    assert!(
        titles.contains(&"Feed Kabar is failing".to_owned()),
        "{titles:?}"
    );
    assert!(
        rx.seen()
            .iter()
            .all(|s| s.header("content-type") == "text/plain; charset=utf-8")
    );
}

#[tokio::test]
async fn alerts_for_a_removed_webhook_fail_with_a_reason() {
    let fx = Fixture::new();
    let id = fx.insert(1, "xinjiang", "old-hook", t0());
    let report = fx.deliver(&[], t0()).await;
    assert_eq!(report.failed, 1);
    assert_eq!(
        fx.row(id).last_error.as_deref(),
        Some("webhook old-hook is not configured")
    );
}

#[tokio::test]
async fn drain_delivers_what_is_due_now_and_stops() {
    let rx = Receiver::start(vec![status(503)], ok()).await;
    let mut fx = Fixture::new();
    fx.alerts.flood_max = 0;
    let hooks = [hook("ops", &rx.url, WebhookFormat::Json)];
    let now = Utc::now();
    let ids: Vec<_> = (1..=70)
        .map(|a| fx.insert(a, "xinjiang", "ops", now))
        .collect();
    let report = drain_with(
        &fx.store,
        &hooks,
        &fx.alerts,
        &fx.client,
        Duration::from_secs(60),
    )
    .await;
    // More than one batch, and the one 503 stays pending for its retry.
    assert_eq!(
        (report.claimed, report.delivered, report.retrying),
        (70, 69, 1)
    );
    let pending: Vec<_> = ids
        .iter()
        .filter(|id| fx.row(**id).status == AlertStatus::Pending)
        .collect();
    assert_eq!(pending.len(), 1);
}

/// Waits (bounded) until `check` holds; the bound only keeps a broken build
/// from hanging, it asserts nothing about timing.
async fn eventually(mut check: impl FnMut() -> bool) {
    for _ in 0..500 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("condition not reached");
}

fn config_for(url: &str, db: &std::path::Path) -> Arc<Config> {
    let text = format!(
        "[storage]\npath = {db:?}\n[fetch]\nallow_private = true\n\
         [[webhook]]\nname = \"ops\"\nurl = \"{url}\"\nformat = \"json\"\n"
    );
    Arc::new(Config::from_toml(&text, std::path::Path::new("test.toml")).unwrap())
}

#[tokio::test]
async fn run_delivers_when_woken_follows_reloads_and_stops_on_shutdown() {
    let first = Receiver::start(vec![], ok()).await;
    let second = Receiver::start(vec![], ok()).await;
    let fx = Fixture::new();
    let db = fx._dir.path().join("alerts.db");
    let (publish, config) = tokio::sync::watch::channel(config_for(&first.url, &db));
    let wake = Arc::new(tokio::sync::Notify::new());
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run(
        Arc::clone(&fx.store),
        config,
        Arc::clone(&wake),
        shutdown.clone(),
    ));

    let a = fx.insert(1, "xinjiang", "ops", Utc::now());
    wake.notify_one();
    eventually(|| fx.row(a).status == AlertStatus::Delivered).await;
    assert_eq!(first.seen().len(), 1);

    publish.send(config_for(&second.url, &db)).unwrap();
    let b = fx.insert(2, "xinjiang", "ops", Utc::now());
    wake.notify_one();
    eventually(|| fx.row(b).status == AlertStatus::Delivered).await;
    assert_eq!(
        (first.seen().len(), second.seen().len()),
        (1, 1),
        "the reloaded URL is used"
    );

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
}

/// The daemon spawns these on a multi-threaded runtime.
#[allow(dead_code)]
fn futures_are_send(store: Arc<Mutex<Store>>, config: &Config, client: &reqwest::Client) {
    fn is_send<T: std::marker::Send>(_: T) {}
    let (_tx, rx) = tokio::sync::watch::channel(Arc::new(config.clone()));
    is_send(run(
        Arc::clone(&store),
        rx,
        Arc::new(tokio::sync::Notify::new()),
        CancellationToken::new(),
    ));
    is_send(drain(&store, config, Duration::ZERO));
    is_send(deliver_due(
        &store,
        &config.webhooks,
        &config.alerts,
        client,
        Utc::now(),
    ));
}
