//! Issue 3: fetching like a good citizen — through the real binary against a
//! local server that counts requests.

use crate::support::feeds::{TestItem, dev_item, dev_set, rss};
use crate::support::{Env, FeedServer, Reply, fixture_bytes};
use serde_json::Value;
use std::time::Duration;

fn feed_toml(name: &str, url: &str) -> String {
    format!("[[feed]]\nname = \"{name}\"\nurl = \"{url}\"\n\n")
}

fn items(n: usize) -> Vec<TestItem> {
    dev_set().iter().take(n).map(dev_item).collect()
}

async fn feed_row(env: &Env, name: &str) -> Value {
    env.json_lines(&["feeds", "list", "--json"])
        .await
        .into_iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no feed {name}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unchanged_feed_is_asked_conditionally_and_answers_304() {
    let server = FeedServer::start().await;
    server.set(
        "/news.xml",
        Reply::rss(rss("News", &items(3)))
            .with_header("etag", "\"v1\"")
            .with_header("last-modified", "Sat, 18 Oct 2026 09:00:00 GMT"),
    );
    let env = Env::new(&feed_toml("news", &server.url("/news.xml")));
    env.ok(&["run", "--once"]).await;
    env.ok(&["run", "--once"]).await;
    assert_eq!(server.statuses("/news.xml"), vec![200, 304]);
    let asked = server.last_headers("/news.xml").unwrap();
    assert_eq!(asked["if-none-match"], "\"v1\"");
    assert_eq!(asked["if-modified-since"], "Sat, 18 Oct 2026 09:00:00 GMT");
    let row = feed_row(&env, "news").await;
    assert_eq!(row["last_http_status"], 304);
    assert_eq!(row["status"], "ok");
    assert_eq!(
        env.json_lines(&["articles", "list", "--json"]).await.len(),
        3
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_is_honoured_even_across_a_restart() {
    let server = FeedServer::start().await;
    server.set(
        "/limited.xml",
        Reply::status(429).with_header("retry-after", "3600"),
    );
    server.set("/fine.xml", Reply::rss(rss("Fine", &items(2))));
    let env = Env::new(
        &(feed_toml("limited", &server.url("/limited.xml"))
            + &feed_toml("fine", &server.url("/fine.xml"))),
    );
    env.ok(&["run", "--once"]).await;
    env.ok(&["run", "--once"]).await;
    let daemon = env.spawn(&[]);
    daemon
        .wait_for_log("feed polled", 2, Duration::from_secs(20))
        .await;
    let (status, logs) = daemon.stop().await;
    assert!(status.success(), "{logs}");
    assert_eq!(
        server.hits("/limited.xml"),
        1,
        "no second request within the hour"
    );
    assert!(
        server.hits("/fine.xml") >= 3,
        "a sibling on the same host is not silenced"
    );
    let row = feed_row(&env, "limited").await;
    assert_eq!(row["last_http_status"], 429);
    assert!(row["retry_after"].is_string(), "{row}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_windows_1251_feed_stores_correct_cyrillic() {
    let server = FeedServer::start().await;
    server.set(
        "/kabar.xml",
        Reply::ok(
            "application/rss+xml",
            fixture_bytes("feeds/rss2/kabar-windows-1251.xml"),
        ),
    );
    server.set(
        "/asiaplus.xml",
        Reply::ok(
            "application/rss+xml; charset=windows-1251",
            fixture_bytes("feeds/rss2/asiaplus-http-charset-windows-1251.xml"),
        ),
    );
    let env = Env::new(
        &(feed_toml("kabar", &server.url("/kabar.xml"))
            + &feed_toml("asiaplus", &server.url("/asiaplus.xml"))),
    );
    env.ok(&["run", "--once"]).await;
    let articles = env
        .json_lines(&["articles", "list", "--json", "--feed", "kabar"])
        .await;
    let titles: Vec<&str> = articles
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"Жапаров встретился с председателем КНР Си Цзиньпином"),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"В Нарынской области выпал первый снег"),
        "{titles:?}"
    );
    let asiaplus = env
        .json_lines(&["articles", "list", "--json", "--feed", "asiaplus"])
        .await;
    assert!(!asiaplus.is_empty());
    for a in &asiaplus {
        let title = a["title"].as_str().unwrap();
        assert!(
            title.chars().any(|c| ('а'..='я').contains(&c)),
            "not Cyrillic: {title}"
        );
        assert!(
            !title.contains('\u{FFFD}'),
            "replacement characters in {title}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permanent_redirect_updates_the_feed_url() {
    let server = FeedServer::start().await;
    server.set(
        "/old.xml",
        Reply::status(301).with_header("location", "/new.xml"),
    );
    server.set("/new.xml", Reply::rss(rss("Moved", &items(2))));
    let env = Env::new(&feed_toml("moved", &server.url("/old.xml")));
    env.ok(&["run", "--once"]).await;
    env.ok(&["run", "--once"]).await;
    let row = feed_row(&env, "moved").await;
    assert_eq!(row["current_url"], server.url("/new.xml"));
    assert_eq!(
        server.hits("/old.xml"),
        1,
        "the second poll goes to the new URL"
    );
    assert_eq!(
        env.json_lines(&["articles", "list", "--json"]).await.len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn thirty_feeds_on_one_host_never_exceed_per_host() {
    let server = FeedServer::start().await;
    server.set_delay(Duration::from_millis(150));
    let mut config = String::new();
    for n in 0..30 {
        let path = format!("/f{n}.xml");
        let item = TestItem {
            guid: Some(format!("g{n}")),
            link: Some(format!("https://x.kz/{n}")),
            ..dev_item(&dev_set()[n % 24])
        };
        server.set(&path, Reply::rss(rss(&format!("F{n}"), &[item])));
        config += &feed_toml(&format!("f{n}"), &server.url(&path));
    }
    let env = Env::new(&config);
    let text = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace("allow_private = true", "allow_private = true\nper_host = 3");
    std::fs::write(&env.config, text).unwrap();
    env.ok(&["run", "--once"]).await;
    assert_eq!(
        env.json_lines(&["articles", "list", "--json", "--limit", "100"])
            .await
            .len(),
        30
    );
    let max = server.max_in_flight();
    assert!(
        (2..=3).contains(&max),
        "at most per_host = 3 at once, saw {max}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn private_addresses_are_refused_directly_and_through_redirects() {
    // A raw listener that counts accepted connections on 127.0.0.1.
    let target = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target_addr = target.local_addr().unwrap();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((_conn, _)) = target.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    // A "public" redirector on 127.0.0.2, allow-listed, pointing at 127.0.0.1.
    let redirector = FeedServer::start_on("127.0.0.2").await;
    redirector.set(
        "/go.xml",
        Reply::status(302).with_header("location", &format!("http://{target_addr}/feed.xml")),
    );
    let env = Env::new(
        &(feed_toml("direct", &format!("http://{target_addr}/feed.xml"))
            + &feed_toml(
                "numeric",
                &format!("http://2130706433:{}/numeric.xml", target_addr.port()),
            )
            + &feed_toml("redirected", &redirector.url("/go.xml"))),
    );
    let text = std::fs::read_to_string(&env.config).unwrap().replace(
        "allow_private = true",
        "allow_private = false\nallow_addrs = [\"127.0.0.2\"]",
    );
    std::fs::write(&env.config, text).unwrap();
    env.ok(&["run", "--once"]).await;
    assert_eq!(
        redirector.hits("/go.xml"),
        1,
        "the allow-listed redirector was reached"
    );
    for name in ["direct", "numeric", "redirected"] {
        let row = feed_row(&env, name).await;
        let err = row["last_error"].as_str().unwrap_or_default();
        assert!(err.contains("blocked"), "{name}: {row}");
    }
    assert_eq!(
        accepted.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no connection reached 127.0.0.1"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn opml_import_adds_new_feeds_keeping_comments_and_export_lists_them() {
    let env = Env::new(
        "# my hand-written notes stay\n[[feed]]\nname = \"24.kg\"\nurl = \"https://24.kg/rss/\"\n",
    );
    let opml = env.dir.path().join("reader.opml");
    std::fs::write(
        &opml,
        r#"<?xml version="1.0"?><opml version="2.0"><body><outline text="CA">
<outline type="rss" text="24.kg again" xmlUrl="https://24.kg/rss/"/>
<outline type="rss" text="Kun.uz" xmlUrl="https://kun.uz/en/news/rss"/>
</outline></body></opml>"#,
    )
    .unwrap();
    let opml = opml.to_str().unwrap();
    let dry = env.ok(&["feeds", "import", opml, "--dry-run"]).await;
    assert!(
        dry.contains("kun.uz") && dry.contains("1 new feed"),
        "{dry}"
    );
    assert!(
        !std::fs::read_to_string(&env.config)
            .unwrap()
            .contains("kun.uz"),
        "a dry run writes nothing"
    );

    env.ok(&["feeds", "import", opml]).await;
    let text = std::fs::read_to_string(&env.config).unwrap();
    assert!(text.contains("# my hand-written notes stay"));
    assert_eq!(
        text.matches("[[feed]]").count(),
        2,
        "the known feed is not added twice:\n{text}"
    );
    env.ok(&["check"]).await;
    env.ok(&["feeds", "import", opml]).await;
    assert_eq!(
        std::fs::read_to_string(&env.config).unwrap(),
        text,
        "importing again changes nothing"
    );

    let exported = env.ok(&["feeds", "export"]).await;
    assert!(
        exported.contains("xmlUrl=\"https://24.kg/rss/\""),
        "{exported}"
    );
    assert!(
        exported.contains("xmlUrl=\"https://kun.uz/en/news/rss\"")
            && exported.contains("text=\"Kun.uz\""),
        "{exported}"
    );
}
