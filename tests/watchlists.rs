//! Issue 6: watchlists through the real binary — hot reload, replay, `watch test`.

use crate::support::feeds::{TestItem, rss};
use crate::support::{Env, FeedServer, Reply};
use std::time::Duration;

fn item(n: u32, text: &str) -> TestItem {
    TestItem {
        guid: Some(format!("urn:test:{n}")),
        link: Some(format!("https://news.example.kz/{n}")),
        title: format!("Story {n}: {text}"),
        summary: text.to_string(),
        body: String::new(),
        published: format!("2026-10-{:02}T09:00:00Z", n % 28 + 1),
    }
}

fn config(feed: &str, watch_term: &str) -> String {
    format!(
        "[[feed]]\nname = \"news\"\nurl = \"{feed}\"\n\n[[watchlist]]\nname = \"watch\"\nany = [\"{watch_term}\"]\n"
    )
}

async fn watched(env: &Env) -> Vec<String> {
    env.json_lines(&["articles", "list", "--json", "--watchlist", "watch"])
        .await
        .iter()
        .map(|a| a["url"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edited_watchlist_applies_to_the_next_poll_and_a_broken_edit_is_refused() {
    let server = FeedServer::start().await;
    let mut items = vec![item(1, "Trade through Khorgos grows")];
    server.set("/news.xml", Reply::rss(rss("News", &items)));
    let env = Env::new(&config(&server.url("/news.xml"), "Tashkent"));
    let daemon = env.spawn(&[]);
    daemon
        .wait_for_log("feed polled", 1, Duration::from_secs(20))
        .await;
    assert!(
        watched(&env).await.is_empty(),
        "Khorgos does not match a Tashkent watchlist"
    );

    env.rewrite(&config(&server.url("/news.xml"), "Khorgos"));
    daemon
        .wait_for_log("configuration reloaded", 1, Duration::from_secs(20))
        .await;
    items.push(item(2, "A new dry port at Khorgos"));
    server.set("/news.xml", Reply::rss(rss("News", &items)));
    let polls = daemon.logs().matches("feed polled").count();
    daemon
        .wait_for_log("feed polled", polls + 2, Duration::from_secs(20))
        .await;
    assert_eq!(
        watched(&env).await,
        vec!["https://news.example.kz/2"],
        "the new item matches the edited watchlist"
    );

    std::fs::write(&env.config, "[[watchlist]\nname = broken").unwrap();
    daemon
        .wait_for_log("configuration refused", 1, Duration::from_secs(20))
        .await;
    items.push(item(3, "Khorgos again"));
    server.set("/news.xml", Reply::rss(rss("News", &items)));
    let polls = daemon.logs().matches("feed polled").count();
    daemon
        .wait_for_log("feed polled", polls + 2, Duration::from_secs(20))
        .await;
    let (status, logs) = daemon.stop().await;
    assert!(status.success(), "{logs}");
    env.rewrite(&config(&server.url("/news.xml"), "Khorgos"));
    let urls = watched(&env).await;
    assert!(
        urls.contains(&"https://news.example.kz/3".to_string()),
        "the running watchlist stayed in force: {urls:?}"
    );
    let refused = logs
        .lines()
        .find(|l| l.contains("configuration refused"))
        .unwrap();
    assert!(
        refused.contains("steppewatch.toml:"),
        "the log names the file and line: {refused}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_dry_run_lists_and_real_run_queues_each_pair_once() {
    let server = FeedServer::start().await;
    let items = vec![
        item(1, "Freight via Khorgos"),
        item(2, "Cotton harvest in Fergana"),
    ];
    server.set("/news.xml", Reply::rss(rss("News", &items)));
    let env = Env::new(&config(&server.url("/news.xml"), "Tashkent"));
    env.ok(&["run", "--once"]).await;

    let body = format!(
        "{}\n[[webhook]]\nname = \"ops\"\nurl = \"http://127.0.0.1:9/hook\"\n",
        config(&server.url("/news.xml"), "Khorgos")
            .replace("any = [", "webhooks = [\"ops\"]\nany = [")
    );
    env.rewrite(&body);
    let dry = env.ok(&["replay", "--since", "3650d", "--dry-run"]).await;
    assert!(
        dry.contains("Freight via Khorgos") && !dry.contains("Cotton"),
        "{dry}"
    );
    assert!(
        env.json_lines(&["alerts", "list", "--json"])
            .await
            .is_empty(),
        "a dry run queues nothing"
    );

    env.ok(&["replay", "--since", "3650d"]).await;
    env.ok(&["replay", "--since", "3650d"]).await;
    let alerts = env.json_lines(&["alerts", "list", "--json"]).await;
    assert_eq!(
        alerts.len(),
        1,
        "one alert for the one (article, watchlist, webhook): {alerts:?}"
    );
    assert_eq!(alerts[0]["watchlist"], "watch");
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_test_shows_terms_and_marked_snippets() {
    let env = Env::new("[[watchlist]]\nname = \"xinjiang\"\nany = [\"Xinjiang\", \"Синьцзян*\"]\n");
    let mut cmd = env.command(&["watch", "test", "-", "--json"]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    use tokio::io::AsyncWriteExt;
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all("Trade talks\nДелегация из Синьцзяна прибыла в Алматы.".as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success());
    let line: serde_json::Value =
        serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["watchlist"], "xinjiang");
    assert_eq!(line["matches"][0]["term"], "Синьцзян*");
    assert!(
        line["matches"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("[Синьцзяна]"),
        "{line}"
    );
}
