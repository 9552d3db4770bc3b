//! Issue 7: alerts through the real binary, delivered to a local receiver.

use crate::support::feeds::{TestItem, dev_item, dev_set, rss};
use crate::support::{Env, FeedServer, Reply, WebhookPeer};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

fn feed_toml(name: &str, url: &str) -> String {
    format!("[[feed]]\nname = \"{name}\"\nurl = \"{url}\"\n\n")
}

fn webhook_toml(url: &str, secret: Option<&str>) -> String {
    let secret = secret
        .map(|s| format!("secret = \"{s}\"\n"))
        .unwrap_or_default();
    format!("[[webhook]]\nname = \"ops\"\nurl = \"{url}\"\nformat = \"json\"\n{secret}\n")
}

/// The dev-set watchlists, each alerting the `ops` webhook.
fn dev_watchlists() -> String {
    let text = std::fs::read_to_string(crate::support::fixture("dev-set/watchlists.toml")).unwrap();
    text.replace("[[watchlist]]", "[[watchlist]]\nwebhooks = [\"ops\"]")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dev_set_alerts_exactly_once_per_expected_pair_across_polls() {
    let server = FeedServer::start().await;
    let peer = WebhookPeer::start().await;
    let articles = dev_set();
    let items: Vec<TestItem> = articles.iter().map(dev_item).collect();
    // Half the articles first, then all of them: the first half is seen twice.
    server.set("/a.xml", Reply::rss(rss("A", &items[..12])));
    server.set("/b.xml", Reply::rss(rss("B", &items[12..])));
    let env = Env::new(&format!(
        "{}{}{}{}",
        feed_toml("A", &server.url("/a.xml")),
        feed_toml("B", &server.url("/b.xml")),
        webhook_toml(&peer.url("/hook"), None),
        dev_watchlists()
    ));
    env.ok(&["run", "--once"]).await;
    server.set("/a.xml", Reply::rss(rss("A", &items)));
    env.ok(&["run", "--once"]).await;
    env.ok(&["run", "--once"]).await;

    let expected: HashSet<(String, String)> = articles
        .iter()
        .flat_map(|a| {
            let url = a["url"].as_str().unwrap().to_string();
            a["expect"]["watch"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(_, v)| v.as_bool() == Some(true))
                .map(move |(w, _)| (url.clone(), w.clone()))
        })
        .collect();
    let mut got: HashMap<(String, String), usize> = HashMap::new();
    for r in peer.received() {
        let body = r.json();
        let key = (
            body["data"]["article"]["url"].as_str().unwrap().to_string(),
            body["data"]["watchlist"].as_str().unwrap().to_string(),
        );
        *got.entry(key).or_default() += 1;
    }
    let twice: Vec<_> = got.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    let got: HashSet<_> = got.into_keys().collect();
    let missing: Vec<_> = expected.difference(&got).collect();
    let extra: Vec<_> = got.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nextra {extra:?}"
    );
}

fn khorgos_env(server: &FeedServer, peer_url: &str, secret: Option<&str>) -> Env {
    let item = TestItem {
        guid: Some("k1".into()),
        link: Some("https://news.example.kz/k1".into()),
        title: "New freight terminal opens at Khorgos".into(),
        summary: "Trains from China now unload at Khorgos".into(),
        body: String::new(),
        published: "2026-10-18T09:00:00Z".into(),
    };
    server.set("/k.xml", Reply::rss(rss("K", &[item])));
    Env::new(&format!(
        "{}{}[[watchlist]]\nname = \"khorgos\"\nany = [\"Khorgos\"]\nwebhooks = [\"ops\"]\n",
        feed_toml("K", &server.url("/k.xml")),
        webhook_toml(peer_url, secret),
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receiver_that_is_down_gets_the_alert_later_with_the_same_id() {
    let server = FeedServer::start().await;
    let peer = WebhookPeer::start().await;
    peer.script(&[503, 503]);
    let env = khorgos_env(&server, &peer.url("/hook"), None);
    let daemon = env.spawn(&[]);
    daemon
        .wait_for_log("alert delivered", 1, Duration::from_secs(30))
        .await;
    let (status, logs) = daemon.stop().await;
    assert!(status.success(), "{logs}");
    let received = peer.received();
    assert_eq!(received.len(), 3, "two 503s then a 200");
    let ids: HashSet<_> = received
        .iter()
        .map(|r| r.header("webhook-id").unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "one webhook-id on every attempt: {ids:?}");
    let alerts = env.json_lines(&["alerts", "list", "--json"]).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["status"], "delivered");
    assert_eq!(alerts[0]["attempts"], 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_survive_sigkill_between_storing_and_delivering() {
    let server = FeedServer::start().await;
    let peer = WebhookPeer::start().await;
    // Enough failures that a retry slipping in before the kill on a loaded
    // machine still leaves the alert undelivered at the kill.
    peer.script(&[503, 503, 503]);
    let env = khorgos_env(&server, &peer.url("/hook"), None);
    let daemon = env.spawn(&[]);
    // The article is stored and its first delivery failed: kill -9 now.
    let start = std::time::Instant::now();
    while peer.received().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no delivery attempt:\n{}",
            daemon.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    daemon.signal("KILL");
    let mut daemon = daemon;
    daemon.child.wait().await.unwrap();
    let pending = env
        .json_lines(&["alerts", "list", "--json", "--status", "pending"])
        .await;
    assert_eq!(pending.len(), 1, "the alert was stored with the article");

    let daemon = env.spawn(&[]);
    daemon
        .wait_for_log("alert delivered", 1, Duration::from_secs(30))
        .await;
    daemon.stop().await;
    let received = peer.received();
    assert_eq!(
        received.len(),
        4,
        "three 503s, then the 200 after the restart"
    );
    let ids: std::collections::HashSet<_> =
        received.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(ids.len(), 1, "one webhook-id across the crash");
    let alerts = env.json_lines(&["alerts", "list", "--json"]).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["status"], "delivered");
    let articles = env.json_lines(&["articles", "list", "--json"]).await;
    assert_eq!(articles.len(), 1, "the article was stored once");
}

#[tokio::test(flavor = "multi_thread")]
async fn deliveries_carry_a_standard_webhooks_signature() {
    let server = FeedServer::start().await;
    let peer = WebhookPeer::start().await;
    let key = b"0123456789abcdef0123456789abcdef";
    let secret = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    );
    let env = khorgos_env(&server, &peer.url("/hook"), Some(&secret));
    env.ok(&["run", "--once"]).await;
    let received = peer.received();
    assert_eq!(received.len(), 1);
    let r = &received[0];
    let (id, ts) = (
        r.header("webhook-id").unwrap(),
        r.header("webhook-timestamp").unwrap(),
    );
    let signed = [id.as_bytes(), b".", ts.as_bytes(), b".", &r.body].concat();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(&signed);
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    let header = r.header("webhook-signature").unwrap();
    assert!(
        header.split(' ').any(|s| s == expected),
        "{header} != {expected}"
    );
    let body = r.json();
    assert_eq!(body["type"], "watchlist.match");
    assert_eq!(body["data"]["watchlist"], "khorgos");
    assert_eq!(body["data"]["matches"][0]["term"], "Khorgos");
    assert!(
        body["data"]["matches"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("[Khorgos]")
    );
    let logs = String::from_utf8_lossy(&env.run(&["check"]).await.stdout).to_string();
    assert!(!logs.contains(&secret), "check never prints the secret");
}
