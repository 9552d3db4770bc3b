//! `steppewatch demo`: the bundled sample feeds and a webhook sink served on
//! 127.0.0.1, and the real daemon run against them with a configuration
//! written to a scratch directory, so a newcomer sees the whole pipeline work
//! in one command with no network.
//!
//! The feeds (demo/feeds/, generated from the dev set by demo/generate.py) are
//! compiled into the binary. The sink receives alerts in the generic `json`
//! format and hands one readable block per alert to a [`Printer`].

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio_util::sync::CancellationToken;

/// The sample feeds: file name, content type, document.
pub const FEEDS: &[(&str, &str, &str)] = &[
    (
        "steppe-wire.xml",
        "application/rss+xml; charset=utf-8",
        include_str!("../demo/feeds/steppe-wire.xml"),
    ),
    (
        "caspian-vestnik.xml",
        "application/atom+xml; charset=utf-8",
        include_str!("../demo/feeds/caspian-vestnik.xml"),
    ),
    (
        "regional-languages.xml",
        "application/rss+xml; charset=utf-8",
        include_str!("../demo/feeds/regional-languages.xml"),
    ),
];

/// The configuration template; see the file for its placeholders.
const CONFIG_TEMPLATE: &str = include_str!("../demo/steppewatch.toml");

/// Receives one printable block per alert the sink gets.
pub type Printer = Arc<dyn Fn(String) + Send + Sync>;

/// The demo's peers: one axum server on 127.0.0.1 serving the feeds at
/// `/feeds/NAME` and taking alerts at `POST /webhook`.
pub struct Peers {
    pub addr: SocketAddr,
    received: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct Sink {
    printer: Printer,
    received: Arc<AtomicUsize>,
}

impl Peers {
    /// Starts the server on an ephemeral port; it stops when `shutdown` is cancelled.
    ///
    /// # Errors
    /// The loopback port cannot be bound.
    pub async fn start(printer: Printer, shutdown: CancellationToken) -> std::io::Result<Peers> {
        let received = Arc::new(AtomicUsize::new(0));
        let sink = Sink {
            printer,
            received: received.clone(),
        };
        let app = Router::new()
            .route("/feeds/{name}", get(feed))
            .route("/webhook", post(webhook))
            .with_state(sink);
        let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let serve =
                axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned());
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "demo feed server failed");
            }
        });
        Ok(Peers { addr, received })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Alerts the sink has received so far.
    pub fn alerts_received(&self) -> usize {
        self.received.load(Ordering::Relaxed)
    }
}

async fn feed(UrlPath(name): UrlPath<String>) -> Response {
    match FEEDS.iter().find(|(file, _, _)| *file == name) {
        Some((_, content_type, body)) => {
            ([(header::CONTENT_TYPE, *content_type)], *body).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such demo feed\n").into_response(),
    }
}

async fn webhook(State(sink): State<Sink>, body: Bytes) -> StatusCode {
    let text = match serde_json::from_slice::<Value>(&body) {
        Ok(alert) => describe(&alert),
        Err(_) => format!("(an alert the demo could not read: {} bytes)", body.len()),
    };
    sink.received.fetch_add(1, Ordering::Relaxed);
    (sink.printer)(text);
    StatusCode::NO_CONTENT
}

/// A readable block for one alert body in the generic `json` format: the
/// watchlist and title, then the feed and tags, then the first snippet.
pub fn describe(alert: &Value) -> String {
    let data = &alert["data"];
    let kind = alert["type"].as_str().unwrap_or("?");
    if kind == "watchlist.digest" {
        let n = data["articles"].as_array().map_or(0, Vec::len);
        return format!(
            "ALERT [{}] digest of {n} articles (flood control)",
            text(&data["watchlist"])
        );
    }
    if kind != "watchlist.match" {
        return format!("EVENT {kind}: {}", text(&data["feed"]["name"]));
    }
    let article = &data["article"];
    let tags: Vec<String> = ["countries", "regions", "topics"]
        .iter()
        .map(|k| list(&article[*k]))
        .filter(|s| !s.is_empty())
        .collect();
    let mut out = format!(
        "ALERT [{}] {}\n      {}",
        text(&data["watchlist"]),
        text(&article["title"]),
        text(&article["feed"])
    );
    if !tags.is_empty() {
        out.push_str(&format!(" | {}", tags.join(" | ")));
    }
    if let Some(snippet) = data["matches"][0]["snippet"].as_str() {
        out.push_str(&format!("\n      {snippet}"));
    }
    out
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("?")
}

fn list(v: &Value) -> String {
    let items: Vec<&str> = v
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    items.join(", ")
}

/// Writes the demo configuration into `dir` and returns its path. `base` is
/// the peers' URL, `listen` the web page's address ("" for none).
///
/// # Errors
/// The file cannot be written.
pub fn write_config(dir: &Path, base: &str, listen: &str) -> std::io::Result<PathBuf> {
    let toml_escape = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let text = CONFIG_TEMPLATE
        .replace("{dir}", &toml_escape(&dir.display().to_string()))
        .replace("{base}", base)
        .replace("{listen}", listen);
    let path = dir.join("steppewatch.toml");
    std::fs::write(&path, text)?;
    Ok(path)
}

/// A free port on 127.0.0.1 for the web page. Another process could take it
/// before the daemon binds it; the daemon then fails to start and says so,
/// which is acceptable for a demo.
///
/// # Errors
/// No loopback port can be bound.
pub fn free_loopback_port() -> std::io::Result<SocketAddr> {
    std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))?.local_addr()
}

/// What a demo run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoReport {
    pub alerts: usize,
}

/// Starts the peers, writes the configuration into `dir` and runs the daemon
/// on it until `shutdown` (or, with `once`, for one poll of every feed and the
/// delivery of its alerts). `web` is where the web page listens (`None`: off).
///
/// # Errors
/// The peers cannot start, the configuration cannot be written or loaded, or
/// the daemon fails to start.
pub async fn run(
    dir: &Path,
    web: Option<SocketAddr>,
    once: bool,
    printer: Printer,
    shutdown: CancellationToken,
) -> anyhow::Result<DemoReport> {
    let peers_stop = CancellationToken::new();
    let peers = Peers::start(printer, peers_stop.clone()).await?;
    let listen = web.map(|a| a.to_string()).unwrap_or_default();
    let config = write_config(dir, &peers.base_url(), &listen)?;
    let engine = crate::engine::Engine::load(&config)?;
    let result = crate::daemon::run(&config, engine, once, shutdown).await;
    peers_stop.cancel();
    result.map(|()| DemoReport {
        alerts: peers.alerts_received(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn describe_shows_watchlist_title_feed_tags_and_snippet() {
        let alert = json!({"type": "watchlist.match", "timestamp": "2026-10-18T09:00:00Z",
            "data": {"watchlist": "xinjiang",
                     "article": {"title": "Trade talks in Urumqi", "feed": "Steppe Wire (demo)",
                                 "countries": ["KZ", "CN"], "regions": ["Xinjiang"], "topics": []},
                     "matches": [{"term": "Urumqi", "snippet": "talks in [Urumqi] on"}]}});
        assert_eq!(
            describe(&alert),
            "ALERT [xinjiang] Trade talks in Urumqi\n      Steppe Wire (demo) | KZ, CN | Xinjiang\n      talks in [Urumqi] on"
        );
    }

    #[test]
    fn describe_names_digests_and_other_events() {
        let digest = json!({"type": "watchlist.digest", "data": {"watchlist": "w", "articles": [{}, {}, {}]}});
        assert_eq!(
            describe(&digest),
            "ALERT [w] digest of 3 articles (flood control)"
        );
        let health = json!({"type": "feed.failing", "data": {"feed": {"name": "Kun.uz"}}});
        assert_eq!(describe(&health), "EVENT feed.failing: Kun.uz");
    }

    #[test]
    fn config_fills_every_placeholder_and_validates() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_config(dir.path(), "http://127.0.0.1:9", "127.0.0.1:8").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("{dir}") && !text.contains("{base}") && !text.contains("{listen}"));
        let config = crate::config::Config::load(&path).unwrap();
        assert_eq!(config.feeds.len(), FEEDS.len());
        assert!(config.fetch.allow_private);
    }

    #[test]
    fn bundled_feeds_parse_with_every_item() {
        for (name, content_type, body) in FEEDS {
            let parsed =
                crate::parser::parse(body.as_bytes(), Some(content_type), "http://127.0.0.1/")
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            let expected = body.matches("<item>").count() + body.matches("<entry>").count();
            assert!(expected > 0, "{name} has items");
            assert_eq!(parsed.items.len(), expected, "{name}");
        }
    }
}
