//! Issue 8: the daemon as a system service — the sd_notify protocol and
//! watchdog, credentials that never leak, reload and prompt shutdown with a
//! poll in flight, `/metrics` in the Prometheus text format, `/healthz` on a
//! database that cannot be written, and the offline demo.

use crate::support::daemon::{BIN, header};
use crate::support::feeds::{TestItem, dev_set, rss};
use crate::support::{Daemon, Env, FeedServer, Reply, WebhookPeer};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn item(n: usize, title: &str) -> TestItem {
    TestItem {
        guid: Some(format!("urn:service-test:{n}")),
        link: Some(format!("https://news.example.kz/{n}")),
        title: title.to_string(),
        summary: format!("{title}. A summary."),
        body: format!("{title}.\n\nSecond paragraph of story {n}."),
        published: "2026-10-18T09:00:00Z".to_string(),
    }
}

fn feed_toml(name: &str, url: &str) -> String {
    format!("[[feed]]\nname = \"{name}\"\nurl = \"{url}\"\n\n")
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The standard test header with HTTP on `port`, plus `body`.
fn env_with_http(port: u16, body: &str) -> Env {
    let head = header(Path::new("{dir}"))
        .replace("listen = \"\"", &format!("listen = \"127.0.0.1:{port}\""));
    Env::raw(&format!("{head}\n{body}"))
}

/// `steppewatch run` with extra environment variables.
fn spawn_with(env: &Env, vars: &[(&str, &std::ffi::OsStr)]) -> Daemon {
    static N: AtomicUsize = AtomicUsize::new(0);
    let log = env.dir.path().join(format!(
        "service-daemon-{}.log",
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let file = std::fs::File::create(&log).expect("log file");
    let mut cmd = env.command(&["run"]);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .expect("spawn daemon");
    Daemon { child, log }
}

/// One HTTP/1.0 GET on 127.0.0.1 (HTTP/1.0, so the body ends at close and is
/// never chunked); `None` while nothing listens.
async fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

/// Waits until the daemon's HTTP server answers `path`.
async fn wait_http(port: u16, path: &str) -> (u16, String) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Some(answer) = http_get(port, path).await {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing answered http://127.0.0.1:{port}{path} within 20 s");
}

/// Waits for the daemon to exit on its own (after a signal the test sent).
async fn wait_exit(mut daemon: Daemon, limit: Duration) -> (std::process::ExitStatus, String) {
    let status = tokio::time::timeout(limit, daemon.child.wait())
        .await
        .unwrap_or_else(|_| panic!("no exit within {limit:?}:\n{}", daemon.logs()))
        .expect("wait");
    (status, daemon.logs())
}

async fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------
// sd_notify and the watchdog
// ---------------------------------------------------------------------------

/// Receives datagrams until one contains `needle`; returns every message seen.
async fn recv_until(sock: &tokio::net::UnixDatagram, needle: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut buf = vec![0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(20), sock.recv(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("no {needle} within 20 s; got {seen:?}"))
            .expect("recv");
        let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
        let found = msg.lines().any(|l| l == needle);
        seen.push(msg);
        if found {
            return seen;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn notify_socket_gets_ready_after_database_and_http_then_watchdog_then_stopping() {
    let feeds = FeedServer::start().await;
    feeds.set("/a.xml", Reply::rss(rss("A", &[item(1, "Story one")])));
    let port = free_port();
    let env = env_with_http(port, &feed_toml("A", &feeds.url("/a.xml")));
    let sock_path = env.dir.path().join("notify.sock");
    let sock = tokio::net::UnixDatagram::bind(&sock_path).unwrap();
    // systemd asks for a ping every WATCHDOG_USEC; the daemon pings at half that.
    let daemon = spawn_with(
        &env,
        &[
            ("NOTIFY_SOCKET", sock_path.as_os_str()),
            ("WATCHDOG_USEC", std::ffi::OsStr::new("400000")),
        ],
    );

    let before_ready = recv_until(&sock, "READY=1").await;
    assert!(
        before_ready[..before_ready.len() - 1]
            .iter()
            .all(|m| !m.contains("WATCHDOG=1")),
        "no watchdog ping before READY: {before_ready:?}"
    );
    // At READY the database exists with its schema, and the HTTP port accepts.
    let conn = rusqlite::Connection::open(env.db()).expect("database exists at READY");
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('feeds', 'articles')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 2, "schema in place at READY");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "HTTP port bound at READY"
    );

    // Pings keep coming (the scheduler's heartbeat is fresh).
    for _ in 0..3 {
        recv_until(&sock, "WATCHDOG=1").await;
    }

    daemon.signal("TERM");
    recv_until(&sock, "STOPPING=1").await;
    let (status, logs) = wait_exit(daemon, Duration::from_secs(10)).await;
    assert!(status.success(), "exit 0 after SIGTERM:\n{logs}");
}

// ---------------------------------------------------------------------------
// Secrets from $CREDENTIALS_DIRECTORY
// ---------------------------------------------------------------------------

/// Standard Webhooks signature computed from the specification, not by our signer.
fn expected_signature(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> String {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(tag)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_directory_secret_is_used_and_never_shown() {
    use base64::Engine as _;
    let raw_key = "canary-4f1c9a-steppewatch-never-print-me";
    let encoded = base64::engine::general_purpose::STANDARD.encode(raw_key);
    let secret = format!("whsec_{encoded}");

    let feeds = FeedServer::start().await;
    feeds.set(
        "/a.xml",
        Reply::rss(rss(
            "A",
            &[
                item(1, "Trade talks in Urumqi"),
                item(2, "Weather in Almaty"),
            ],
        )),
    );
    let peer = WebhookPeer::start().await;
    let port = free_port();
    let body = format!(
        "{}[[watchlist]]\nname = \"xj\"\nany = [\"Urumqi\"]\nwebhooks = [\"ops\"]\n\n\
         [[webhook]]\nname = \"ops\"\nurl = \"{}\"\nformat = \"json\"\nsecret = \"file:ops\"\n",
        feed_toml("A", &feeds.url("/a.xml")),
        peer.url("/hook"),
    );
    let env = env_with_http(port, &body);
    let creds = env.dir.path().join("credentials");
    std::fs::create_dir(&creds).unwrap();
    std::fs::write(creds.join("ops"), format!("{secret}\n")).unwrap();

    let mut everything = String::new();
    // Without $CREDENTIALS_DIRECTORY, `file:ops` is looked for next to the
    // configuration and is missing: the secret really comes from the directory.
    let without = env.run(&["check"]).await;
    assert_eq!(
        without.status.code(),
        Some(2),
        "check without credentials fails"
    );
    let with = env
        .command(&["check"])
        .env("CREDENTIALS_DIRECTORY", &creds)
        .output()
        .await
        .unwrap();
    assert!(
        with.status.success(),
        "{}",
        String::from_utf8_lossy(&with.stderr)
    );
    for out in [with, without] {
        everything += &String::from_utf8_lossy(&out.stdout);
        everything += &String::from_utf8_lossy(&out.stderr);
    }

    let daemon = spawn_with(
        &env,
        &[
            ("CREDENTIALS_DIRECTORY", creds.as_os_str()),
            ("RUST_LOG", std::ffi::OsStr::new("steppewatch=trace,debug")),
        ],
    );
    wait_until("one delivery", Duration::from_secs(30), || {
        !peer.received().is_empty()
    })
    .await;
    let got = &peer.received()[0];
    let (id, ts, sig) = (
        got.header("webhook-id").unwrap(),
        got.header("webhook-timestamp").unwrap(),
        got.header("webhook-signature").expect("signed"),
    );
    assert!(
        sig.split(' ')
            .any(|s| s == expected_signature(&secret, &id, &ts, &got.body)),
        "signature made with the credential file's secret"
    );

    for path in [
        "/metrics",
        "/healthz",
        "/",
        "/articles/1",
        "/api/alerts",
        "/api/watchlists",
        "/api/feeds",
        "/api/articles",
        "/api/articles/1",
        "/watchlists/xj/feed.atom",
    ] {
        let (status, text) = wait_http(port, path).await;
        assert_eq!(status, 200, "{path}: {text}");
        everything += &text;
    }
    for args in [
        &["alerts", "list", "--json"][..],
        &["feeds", "list", "--json"],
        &["articles", "list", "--json"],
    ] {
        // Every command loads the configuration, secrets included.
        let out = env
            .command(args)
            .env("CREDENTIALS_DIRECTORY", &creds)
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        everything += &String::from_utf8_lossy(&out.stdout);
        everything += &String::from_utf8_lossy(&out.stderr);
    }
    let (status, logs) = daemon.stop().await;
    assert!(status.success(), "{logs}");
    everything += &logs;
    for file in ["steppewatch.db", "steppewatch.db-wal"] {
        if let Ok(bytes) = std::fs::read(env.dir.path().join(file)) {
            everything += &String::from_utf8_lossy(&bytes);
        }
    }

    assert!(everything.contains("alert delivered"), "the logs were read");
    for needle in [secret.as_str(), encoded.as_str(), raw_key] {
        assert!(
            !everything.contains(needle),
            "secret {needle:?} leaked into logs, check output, the API, /metrics or the database"
        );
    }
}

// ---------------------------------------------------------------------------
// SIGHUP and SIGTERM with a poll in flight
// ---------------------------------------------------------------------------

/// Serves an RSS document at `/slow.xml` that stalls half-way through its body
/// while `stall` is set, and whole otherwise. Counts requests.
struct StallingServer {
    addr: std::net::SocketAddr,
    hits: Arc<AtomicUsize>,
    stall: Arc<AtomicBool>,
}

impl StallingServer {
    async fn start(doc: String) -> StallingServer {
        use axum::body::Body;
        use futures_util::StreamExt;
        let hits = Arc::new(AtomicUsize::new(0));
        let stall = Arc::new(AtomicBool::new(true));
        let (h, s) = (hits.clone(), stall.clone());
        let app = axum::Router::new().route(
            "/slow.xml",
            axum::routing::get(move || {
                let (doc, h, s) = (doc.clone(), h.clone(), s.clone());
                async move {
                    h.fetch_add(1, Ordering::SeqCst);
                    let body = if s.load(Ordering::SeqCst) {
                        let half = doc.as_bytes()[..doc.len() / 2].to_vec();
                        let first = futures_util::stream::iter([Ok::<_, std::io::Error>(half)]);
                        Body::from_stream(first.chain(futures_util::stream::pending()))
                    } else {
                        Body::from(doc)
                    };
                    ([("content-type", "application/rss+xml")], body)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        StallingServer { addr, hits, stall }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_reloads_and_sigterm_exits_promptly_while_a_poll_is_in_flight() {
    let fast_items: Vec<TestItem> = (1..=3)
        .map(|n| item(n, &format!("Fast story {n}")))
        .collect();
    let slow_items: Vec<TestItem> = (10..=11)
        .map(|n| item(n, &format!("Slow story {n}")))
        .collect();
    let feeds = FeedServer::start().await;
    feeds.set("/fast.xml", Reply::rss(rss("Fast", &fast_items)));
    let slow = StallingServer::start(rss("Slow", &slow_items)).await;
    let body = |watchlists: &str| {
        format!(
            "{}{}[reload]\nwatch_file = false\n\n{watchlists}",
            feed_toml("Fast", &feeds.url("/fast.xml")),
            feed_toml("Slow", &format!("http://{}/slow.xml", slow.addr)),
        )
    };
    // A long fetch timeout: the slow poll stays in flight for the whole test.
    let env = Env::new(&body(""));
    let text = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace("timeout = \"2s\"", "timeout = \"60s\"");
    std::fs::write(&env.config, &text).unwrap();

    let daemon = env.spawn(&[]);
    daemon
        .wait_for_log("feed polled", 1, Duration::from_secs(20))
        .await;
    wait_until("slow poll in flight", Duration::from_secs(20), || {
        slow.hits.load(Ordering::SeqCst) >= 1
    })
    .await;

    let edited = text.clone() + "\n[[watchlist]]\nname = \"fast\"\nany = [\"Fast story\"]\n";
    std::fs::write(&env.config, edited).unwrap();
    daemon.signal("HUP");
    daemon
        .wait_for_log("configuration reloaded", 1, Duration::from_secs(10))
        .await;
    assert!(daemon.logs().contains("watchlists=1"), "{}", daemon.logs());
    assert_eq!(
        slow.hits.load(Ordering::SeqCst),
        1,
        "the reload did not restart the poll in flight"
    );

    daemon.signal("TERM");
    let (status, logs) = wait_exit(daemon, Duration::from_secs(5)).await;
    assert!(status.success(), "exit 0:\n{logs}");
    assert!(logs.contains("poll abandoned at shutdown"), "{logs}");

    // Nothing lost: what was polled is stored, the abandoned feed is fetched
    // whole on the next run, nothing twice, and the file is sound.
    let titles = |articles: Vec<serde_json::Value>| -> BTreeSet<String> {
        articles
            .iter()
            .map(|a| a["title"].as_str().unwrap().to_string())
            .collect()
    };
    let stored = titles(env.json_lines(&["articles", "list", "--json"]).await);
    let fast: BTreeSet<String> = fast_items.iter().map(|i| i.title.clone()).collect();
    assert_eq!(stored, fast);
    slow.stall.store(false, Ordering::SeqCst);
    env.ok(&["run", "--once"]).await;
    let articles = env.json_lines(&["articles", "list", "--json"]).await;
    assert_eq!(articles.len(), fast_items.len() + slow_items.len());
    let all: BTreeSet<String> = fast_items
        .iter()
        .chain(&slow_items)
        .map(|i| i.title.clone())
        .collect();
    assert_eq!(titles(articles), all);
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

// ---------------------------------------------------------------------------
// /metrics and /healthz
// ---------------------------------------------------------------------------

/// One sample of the text format.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// One metric family: its TYPE, whether it had a HELP, and its samples.
#[derive(Debug, Default)]
struct Family {
    kind: String,
    help: bool,
    samples: Vec<Sample>,
}

/// A strict parser of the Prometheus text exposition format 0.0.4. Every line
/// must be a HELP, a TYPE, another comment or a sample; names and labels must
/// be well-formed with the format's escapes; a family's TYPE comes before its
/// samples and its samples form one group; histograms have cumulative
/// buckets ending in `+Inf` equal to `_count`, and a `_sum`.
fn parse_prometheus(text: &str) -> Result<BTreeMap<String, Family>, String> {
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut closed: BTreeSet<String> = BTreeSet::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let at = |e: String| format!("line {}: {e}: {line:?}", n + 1);
        if line.trim().is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap_or_default();
            check_name(name).map_err(at)?;
            let fam = families.entry(name.to_string()).or_default();
            if fam.help {
                return Err(at("second HELP".into()));
            }
            fam.help = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let (name, kind) = (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
            );
            check_name(name).map_err(at)?;
            if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind)
                || parts.next().is_some()
            {
                return Err(at("bad TYPE".into()));
            }
            let fam = families.entry(name.to_string()).or_default();
            if !fam.kind.is_empty() || !fam.samples.is_empty() {
                return Err(at("TYPE after samples or twice".into()));
            }
            fam.kind = kind.to_string();
            if let Some(prev) = current.replace(name.to_string()) {
                closed.insert(prev);
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let sample = parse_sample(line).map_err(at)?;
        let family =
            family_of(&families, &sample.name).ok_or_else(|| at("sample without a TYPE".into()))?;
        if current.as_deref() != Some(family.as_str()) || closed.contains(&family) {
            return Err(at(format!("sample of {family} outside its group")));
        }
        let key = format!("{}{:?}", sample.name, sample.labels);
        if !seen.insert(key) {
            return Err(at("duplicate sample".into()));
        }
        families.get_mut(&family).unwrap().samples.push(sample);
    }
    for (name, fam) in &families {
        if fam.kind == "histogram" {
            check_histogram(name, fam)?;
        }
    }
    Ok(families)
}

fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
        Ok(())
    } else {
        Err(format!("bad name {name:?}"))
    }
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..name_end];
    check_name(name)?;
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices().peekable();
        loop {
            let start = chars.peek().map(|(i, _)| *i).ok_or("unterminated labels")?;
            if inner[start..].starts_with('}') {
                rest = &inner[start + 1..];
                break;
            }
            let eq = inner[start..].find('=').ok_or("label without =")? + start;
            let label = &inner[start..eq];
            check_name(label)?;
            if label.contains(':') {
                return Err(format!("bad label name {label:?}"));
            }
            if !inner[eq + 1..].starts_with('"') {
                return Err("unquoted label value".into());
            }
            while chars.peek().is_some_and(|(i, _)| *i <= eq + 1) {
                chars.next();
            }
            let mut value = String::new();
            loop {
                match chars.next().ok_or("unterminated label value")? {
                    (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        'n' => value.push('\n'),
                        c => return Err(format!("bad escape \\{c}")),
                    },
                    (_, '"') => break,
                    (_, '\n') => return Err("newline in label value".into()),
                    (_, c) => value.push(c),
                }
            }
            if labels.insert(label.to_string(), value).is_some() {
                return Err(format!("label {label} twice"));
            }
            match chars.peek() {
                Some((_, ',')) => {
                    chars.next();
                }
                Some((_, '}')) => {}
                _ => return Err("expected , or }".into()),
            }
        }
    }
    let mut fields = rest
        .strip_prefix(' ')
        .ok_or("no space before value")?
        .split(' ');
    let value = match fields.next().ok_or("no value")? {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v
            .parse::<f64>()
            .map_err(|e| format!("bad value {v:?}: {e}"))?,
    };
    if let Some(ts) = fields.next() {
        ts.parse::<i64>()
            .map_err(|_| format!("bad timestamp {ts:?}"))?;
    }
    if fields.next().is_some() {
        return Err("trailing fields".into());
    }
    Ok(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

/// The family a sample belongs to: its own name, or a histogram or summary
/// name with its suffix removed.
fn family_of(families: &BTreeMap<String, Family>, name: &str) -> Option<String> {
    if families
        .get(name)
        .is_some_and(|f| !f.kind.is_empty() && f.kind != "histogram")
    {
        return Some(name.to_string());
    }
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = name.strip_suffix(suffix)
            && families.get(base).is_some_and(|f| {
                f.kind == "histogram" || (f.kind == "summary" && suffix != "_bucket")
            })
        {
            return Some(base.to_string());
        }
    }
    None
}

fn check_histogram(name: &str, fam: &Family) -> Result<(), String> {
    let mut series: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let mut counts: BTreeMap<String, f64> = BTreeMap::new();
    let mut sums = BTreeSet::new();
    for s in &fam.samples {
        let mut rest = s.labels.clone();
        let le = rest.remove("le");
        let key = format!("{rest:?}");
        match s.name.strip_prefix(name) {
            Some("_bucket") => {
                let le = le.ok_or(format!("{name}: bucket without le"))?;
                let bound = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().map_err(|_| format!("{name}: bad le {le}"))?
                };
                series.entry(key).or_default().push((bound, s.value));
            }
            Some("_count") => {
                counts.insert(key, s.value);
            }
            Some("_sum") => {
                sums.insert(key);
            }
            _ => return Err(format!("{name}: stray sample {}", s.name)),
        }
    }
    for (key, buckets) in &series {
        if !buckets
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1)
        {
            return Err(format!(
                "{name}{key}: buckets not increasing and cumulative"
            ));
        }
        let last = buckets.last().unwrap();
        if last.0 != f64::INFINITY || counts.get(key) != Some(&last.1) || !sums.contains(key) {
            return Err(format!(
                "{name}{key}: +Inf bucket, _count and _sum disagree or are missing"
            ));
        }
    }
    Ok(())
}

#[test]
fn the_strict_parser_refuses_malformed_exposition() {
    let good = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"q\\\"\\\\\\n\"} 3\n";
    let fams = parse_prometheus(good).unwrap();
    assert_eq!(fams["a_total"].samples[0].labels["x"], "q\"\\\n");
    for bad in [
        "a_total 1\n",                                  // no TYPE
        "# TYPE a counter\na{x=\"1} 1\n",               // unterminated
        "# TYPE a counter\na{x=1} 1\n",                 // unquoted
        "# TYPE a counter\na 1 2 3\n",                  // trailing
        "# TYPE a counter\na one\n",                    // value
        "# TYPE a counter\n# TYPE b gauge\nb 1\na 1\n", // split group
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 0\n",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 2\nh_sum 0\n",
    ] {
        assert!(parse_prometheus(bad).is_err(), "accepted {bad:?}");
    }
}

/// How the test makes the database unwritable for the daemon, whoever runs it.
///
/// Tests run as root here, and root ignores file modes (CAP_DAC_OVERRIDE), so
/// `chmod` alone would prove nothing. As root, the daemon is therefore started
/// the way the systemd unit starts it, with an empty capability bounding set
/// (`setpriv --bounding-set=-all`): uid 0 without capabilities obeys file
/// modes like any user, and `chmod 0444` on the database really makes its
/// writes fail. This works in an unprivileged container too (dropping
/// capabilities needs none). An ordinary user needs no wrapper.
#[derive(Clone, Copy, PartialEq)]
enum Confinement {
    /// Not root: file modes already apply.
    User,
    /// Root: run the daemon under `setpriv` with no capabilities.
    NoCapabilities,
}

impl Confinement {
    fn detect() -> Option<Confinement> {
        let root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        if !root {
            return Some(Confinement::User);
        }
        let setpriv = std::process::Command::new("setpriv")
            .args(["--bounding-set=-all", "--inh-caps=-all", "--", "true"])
            .status()
            .is_ok_and(|s| s.success());
        setpriv.then_some(Confinement::NoCapabilities)
    }

    /// `steppewatch run`, without capabilities when root.
    fn spawn(self, env: &Env) -> Daemon {
        if self == Confinement::User {
            return env.spawn(&[]);
        }
        let log = env.dir.path().join("confined-daemon.log");
        let file = std::fs::File::create(&log).expect("log file");
        let child = tokio::process::Command::new("setpriv")
            .args([
                "--bounding-set=-all",
                "--inh-caps=-all",
                "--",
                BIN,
                "--config",
            ])
            .arg(&env.config)
            .arg("run")
            .env("RUST_LOG", "steppewatch=debug,info")
            .env_remove("STEPPEWATCH_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .kill_on_drop(true)
            .spawn()
            .expect("spawn setpriv steppewatch");
        Daemon { child, log }
    }
}

/// Sets a file's mode, and puts 0644 back when dropped (even on a failed assert).
struct Mode(PathBuf);

impl Mode {
    fn set(path: &Path, mode: u32) -> Mode {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        Mode(path.to_path_buf())
    }
}

impl Drop for Mode {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o644));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_parse_strictly_and_healthz_fails_on_an_unwritable_database() {
    let feeds = FeedServer::start().await;
    feeds.set(
        "/a.xml",
        Reply::rss(rss(
            "A",
            &[item(1, "Trade talks in Urumqi"), item(2, "Rail news")],
        )),
    );
    feeds.set("/broken.xml", Reply::status(500));
    let peer = WebhookPeer::start().await;
    let port = free_port();
    let body = format!(
        // A feed name needing escapes in a label value (a TOML literal string).
        "[[feed]]\nname = 'A \"quoted\" feed'\nurl = \"{}\"\n\n{}\
         [[watchlist]]\nname = \"xj\"\nany = [\"Urumqi\"]\nwebhooks = [\"ops\"]\n\n\
         [[webhook]]\nname = \"ops\"\nurl = \"{}\"\nformat = \"json\"\n",
        feeds.url("/a.xml"),
        feed_toml("Broken", &feeds.url("/broken.xml")),
        peer.url("/hook"),
    );
    let env = env_with_http(port, &body);
    let confinement = Confinement::detect();
    let daemon = match confinement {
        Some(c) => c.spawn(&env),
        None => env.spawn(&[]),
    };
    daemon
        .wait_for_log("alert delivered", 1, Duration::from_secs(30))
        .await;
    daemon
        .wait_for_log("feed poll failed", 1, Duration::from_secs(30))
        .await;

    let (status, text) = wait_http(port, "/metrics").await;
    assert_eq!(status, 200, "{text}");
    let fams = parse_prometheus(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    // The sample `name` with the label `k="v"` (or with no labels: `("", "")`).
    let value = |name: &str, (k, v): (&str, &str)| -> f64 {
        let fam = family_of(&fams, name).unwrap_or_else(|| panic!("no {name} in\n{text}"));
        fams[&fam]
            .samples
            .iter()
            .find(|s| {
                s.name == name
                    && if k.is_empty() {
                        s.labels.is_empty()
                    } else {
                        s.labels.get(k).map(String::as_str) == Some(v)
                    }
            })
            .unwrap_or_else(|| panic!("no {name}{{{k}={v:?}}} in\n{text}"))
            .value
    };
    let quoted = ("feed", "A \"quoted\" feed");
    assert!(value("steppewatch_feed_polls_total", quoted) >= 1.0);
    assert_eq!(value("steppewatch_feed_articles_new_total", quoted), 2.0);
    assert!(value("steppewatch_feed_fetch_errors_total", ("feed", "Broken")) >= 1.0);
    assert!(value("steppewatch_feed_last_success_timestamp_seconds", quoted) > 1.7e9);
    assert_eq!(
        value("steppewatch_alerts_delivered_total", ("webhook", "ops")),
        1.0
    );
    assert_eq!(
        value("steppewatch_alert_delivery_latency_seconds_count", ("", "")),
        1.0
    );
    assert_eq!(
        fams["steppewatch_alert_delivery_latency_seconds"].kind,
        "histogram"
    );
    assert_eq!(
        value(
            "steppewatch_build_info",
            ("version", env!("CARGO_PKG_VERSION"))
        ),
        1.0
    );
    for (name, fam) in &fams {
        assert!(fam.help, "{name} has HELP");
        assert!(!fam.kind.is_empty(), "{name} has TYPE");
    }

    let (status, _) = wait_http(port, "/healthz").await;
    assert_eq!(status, 200);
    if confinement.is_none() {
        eprintln!("SKIPPED the unwritable-database half: running as root without setpriv");
        let (status, logs) = daemon.stop().await;
        assert!(status.success(), "{logs}");
        return;
    }
    let read_only = Mode::set(&env.db(), 0o444);
    let (status, reason) = wait_http(port, "/healthz").await;
    assert_eq!(
        status, 503,
        "healthz with the database file read-only: {reason}"
    );
    drop(read_only);
    let (status, _) = wait_http(port, "/healthz").await;
    assert_eq!(status, 200, "healthy again once writable");
    let (status, logs) = daemon.stop().await;
    assert!(status.success(), "{logs}");
}

// ---------------------------------------------------------------------------
// steppewatch demo
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn demo_once_prints_exactly_the_alerts_the_dev_set_expects() {
    let dir = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(BIN)
        .args(["demo", "--once", "--dir"])
        .arg(dir.path())
        .env_remove("STEPPEWATCH_CONFIG")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: BTreeSet<(String, String)> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("ALERT ["))
        .filter_map(|l| l.split_once("] "))
        .map(|(w, t)| (w.to_string(), t.to_string()))
        .collect();
    let demo_watchlists = [
        "xinjiang",
        "railway-crossing",
        "caspian-oil",
        "uzbek-energy",
    ];
    let expected: BTreeSet<(String, String)> = dev_set()
        .iter()
        .flat_map(|a| {
            demo_watchlists
                .iter()
                .filter(|w| a["expect"]["watch"][**w] == true)
                .map(|w| (w.to_string(), a["title"].as_str().unwrap().to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(printed, expected, "{stdout}");
    assert!(stdout.contains(&format!("{} alerts received", expected.len())));
    // The kept directory holds what was stored, for the commands the demo suggests.
    let config = dir.path().join("steppewatch.toml");
    let listed = tokio::process::Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .args(["articles", "list", "--json", "--limit", "100"])
        .output()
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout).lines().count(),
        dev_set().len()
    );
}
