//! Issue 2: poll, parse, store, list — through the real binary.

use crate::support::feeds::{TestItem, atom, dev_item, dev_set, json_feed, rss};
use crate::support::{Env, FeedServer, Reply};
use serde_json::Value;
use std::collections::HashMap;

fn feed_toml(name: &str, url: &str) -> String {
    format!("[[feed]]\nname = \"{name}\"\nurl = \"{url}\"\n\n")
}

/// Serves the dev set split across an RSS 2.0, an Atom and a JSON feed.
async fn serve_dev_set() -> (FeedServer, String, usize) {
    let server = FeedServer::start().await;
    let items: Vec<TestItem> = dev_set().iter().map(dev_item).collect();
    let third = items.len() / 3;
    server.set("/rss.xml", Reply::rss(rss("RSS source", &items[..third])));
    server.set(
        "/atom.xml",
        Reply::ok(
            "application/atom+xml",
            atom("Atom source", &items[third..2 * third]),
        ),
    );
    server.set(
        "/feed.json",
        Reply::ok(
            "application/feed+json",
            json_feed("JSON source", &items[2 * third..]),
        ),
    );
    let config = feed_toml("rss", &server.url("/rss.xml"))
        + &feed_toml("atom", &server.url("/atom.xml"))
        + &feed_toml("json", &server.url("/feed.json"));
    (server, config, items.len())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_format_is_stored_exactly_once_with_the_spec_fields() {
    let (_server, config, count) = serve_dev_set().await;
    let env = Env::new(&config);
    env.ok(&["run", "--once"]).await;
    let articles = env
        .json_lines(&["articles", "list", "--json", "--limit", "1000"])
        .await;
    assert_eq!(articles.len(), count);
    let expected: HashMap<String, Value> = dev_set()
        .into_iter()
        .map(|a| (a["url"].as_str().unwrap().to_string(), a))
        .collect();
    for a in &articles {
        for field in [
            "id",
            "url",
            "title",
            "feed",
            "published",
            "fetched",
            "lang",
            "summary",
            "countries",
            "regions",
            "topics",
            "watchlists",
        ] {
            assert!(a.get(field).is_some(), "field {field} missing in {a}");
        }
        let source = expected
            .get(a["url"].as_str().unwrap())
            .unwrap_or_else(|| panic!("unexpected article {a}"));
        assert_eq!(a["title"], source["title"]);
        assert!(["rss", "atom", "json"].contains(&a["feed"].as_str().unwrap()));
    }
    let mut urls: Vec<_> = articles
        .iter()
        .map(|a| a["url"].as_str().unwrap())
        .collect();
    urls.dedup();
    assert_eq!(urls.len(), count, "no duplicates");

    env.ok(&["run", "--once"]).await;
    let again = env
        .json_lines(&["articles", "list", "--json", "--limit", "1000"])
        .await;
    let ids = |v: &[Value]| {
        v.iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&again),
        ids(&articles),
        "a second poll stores nothing new"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_set_articles_are_findable_with_search() {
    let (_server, config, _) = serve_dev_set().await;
    let env = Env::new(&config);
    env.ok(&["run", "--once"]).await;
    for a in dev_set() {
        // The first four longer words of the body.
        let words: Vec<String> = a["body"]
            .as_str()
            .unwrap()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() > 3)
            .map(str::to_string)
            .take(4)
            .collect();
        let query = words.join(" ");
        let hits = env
            .json_lines(&["search", &query, "--json", "--limit", "50"])
            .await;
        assert!(
            hits.iter().any(|h| h["url"] == a["url"]),
            "search {query:?} does not find {}",
            a["id"]
        );
        assert!(hits.iter().all(|h| h["snippet"].is_string()));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_feeds_are_logged_and_do_not_stop_the_others() {
    let server = FeedServer::start().await;
    let good = vec![dev_item(&dev_set()[0])];
    server.set("/good.xml", Reply::rss(rss("Good", &good)));
    server.set("/500.xml", Reply::status(500));
    server.set(
        "/invalid.xml",
        Reply::rss("<rss><channel><item><title>unclosed"),
    );
    server.set("/stall.xml", Reply::Stall);
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    }; // dropped: connections are refused
    let config = feed_toml("Good feed", &server.url("/good.xml"))
        + &feed_toml("Server error feed", &server.url("/500.xml"))
        + &feed_toml("Invalid XML feed", &server.url("/invalid.xml"))
        + &feed_toml("Stalling feed", &server.url("/stall.xml"))
        + &feed_toml("Refusing feed", &format!("http://{refused}/rss.xml"));
    let env = Env::new(&config);
    let out = env.run(&["run", "--once"]).await;
    assert!(out.status.success());
    let log = String::from_utf8_lossy(&out.stderr);
    for name in [
        "Server error feed",
        "Invalid XML feed",
        "Stalling feed",
        "Refusing feed",
    ] {
        assert!(
            log.lines()
                .any(|l| l.contains(name) && l.contains("feed poll failed")),
            "no failure log for {name}:\n{log}"
        );
    }
    let articles = env.json_lines(&["articles", "list", "--json"]).await;
    assert_eq!(articles.len(), 1);
    let feeds = env.json_lines(&["feeds", "list", "--json"]).await;
    let by_name: HashMap<&str, &Value> = feeds
        .iter()
        .map(|f| (f["name"].as_str().unwrap(), f))
        .collect();
    assert_eq!(by_name["Good feed"]["status"], "ok");
    assert!(by_name["Good feed"]["last_error"].is_null());
    for (name, needle) in [
        ("Server error feed", "500"),
        ("Invalid XML feed", "parse"),
        ("Stalling feed", "time"),
        ("Refusing feed", "connect"),
    ] {
        let err = by_name[name]["last_error"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} has no error"));
        assert!(
            err.to_lowercase().contains(needle),
            "{name}: {err:?} should mention {needle}"
        );
        assert_ne!(by_name[name]["status"], "ok");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn check_reports_every_problem_with_its_line() {
    let env = Env::raw(
        r#"[storage]
path = "{dir}/db.sqlite"

[poll]
interval = "soon"
colour = "blue"

[[watchlist]]
name = "xinjiang"
any = ["Xinjiang"]
webhooks = ["nowhere"]
"#,
    );
    let out = env.run(&["check"]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let path = env.config.display().to_string();
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with(&path)).collect();
    assert_eq!(lines.len(), 3, "one line per problem:\n{err}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains(":5:") && l.contains("interval")),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(":6:") && l.contains("colour")),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(":11:") && l.contains("nowhere")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_accepts_the_shipped_configuration() {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/config/steppewatch.toml");
    let out = tokio::process::Command::new(crate::support::daemon::BIN)
        .args(["--config", shipped, "check"])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains("xinjiang") && summary.contains("railway-crossing"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn items_without_guid_or_link_are_stored_once_across_reordered_polls() {
    let server = FeedServer::start().await;
    let items: Vec<TestItem> = dev_set()
        .iter()
        .take(5)
        .map(|a| TestItem {
            guid: None,
            link: None,
            ..dev_item(a)
        })
        .collect();
    let env = Env::new(&feed_toml("anonymous", &server.url("/anon.xml")));
    let mut order = items.clone();
    for poll in 0..3 {
        server.set("/anon.xml", Reply::rss(rss("Anonymous", &order)));
        env.ok(&["run", "--once"]).await;
        let articles = env.json_lines(&["articles", "list", "--json"]).await;
        assert_eq!(articles.len(), 5, "poll {poll}");
        order.rotate_left(2);
        order.reverse();
    }
}
