//! Issue 4: full text for teaser feeds, HTML list pages, retention — through the binary.

use crate::support::feeds::{TestItem, rss};
use crate::support::{Env, FeedServer, Reply, WebhookPeer, fixture_bytes};
use std::time::Duration;

fn serve_fixture(server: &FeedServer, path: &str, rel: &str, content_type: &str) {
    server.set(path, Reply::ok(content_type, fixture_bytes(rel)));
}

#[tokio::test(flavor = "multi_thread")]
async fn teaser_feeds_get_the_article_page_text_and_terms_on_the_page_match() {
    let server = FeedServer::start().await;
    serve_fixture(
        &server,
        "/feeds/rss2/teaser.xml",
        "feeds/rss2/teaser.xml",
        "application/rss+xml",
    );
    for page in ["wordpress", "bitrix", "drupal", "chinese-portal", "amp"] {
        serve_fixture(
            &server,
            &format!("/pages/{page}.html"),
            &format!("pages/{page}.html"),
            "text/html; charset=utf-8",
        );
    }
    let env = Env::new(&format!(
        "[[feed]]\nname = \"teasers\"\nurl = \"{}\"\n\n[[watchlist]]\nname = \"page-terms\"\nany = [\"Middle Corridor\", \"Торугарт\", \"Qosh Tepa\", \"伊犁\", \"Навоийуран\"]\n",
        server.url("/feeds/rss2/teaser.xml")
    ));
    env.ok(&["run", "--once"]).await;
    let articles = env.json_lines(&["articles", "list", "--json"]).await;
    assert_eq!(articles.len(), 5);
    let matched = env
        .json_lines(&["articles", "list", "--json", "--watchlist", "page-terms"])
        .await;
    let titles: Vec<&str> = matched
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        matched.len(),
        5,
        "every teaser matched a term found only on its page: {titles:?}"
    );
    for page in ["wordpress", "bitrix", "drupal", "chinese-portal", "amp"] {
        assert_eq!(
            server.hits(&format!("/pages/{page}.html")),
            1,
            "{page} fetched once"
        );
    }
    // A second poll fetches no page again: the items are known.
    env.ok(&["run", "--once"]).await;
    assert_eq!(server.hits("/pages/wordpress.html"), 1);
    let hits = env
        .json_lines(&["search", "Middle Corridor", "--json"])
        .await;
    assert_eq!(hits.len(), 1, "the page text is searchable");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_html_list_page_becomes_items() {
    let server = FeedServer::start().await;
    serve_fixture(
        &server,
        "/ru/news/",
        "pages/news-list.html",
        "text/html; charset=utf-8",
    );
    let env = Env::new(&format!(
        "[[feed]]\nname = \"mfa\"\nurl = \"{}\"\nkind = \"html\"\n\n[feed.selectors]\nitem = \".news-item\"\nlink = \"a.news-item__title\"\ndate = \".news-item__date\"\nsummary = \".news-item__lead\"\n",
        server.url("/ru/news/")
    ));
    env.ok(&["run", "--once"]).await;
    env.ok(&["run", "--once"]).await;
    let articles = env.json_lines(&["articles", "list", "--json"]).await;
    let titles: Vec<&str> = articles
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        articles.len(),
        3,
        "three stories, the repeated one once: {titles:?}"
    );
    assert!(titles.contains(&"Министр иностранных дел встретился с послом Китая"));
    assert!(titles.contains(&"Консультации по делимитации границы с Кыргызстаном"));
    let urls: Vec<&str> = articles
        .iter()
        .map(|a| a["url"].as_str().unwrap())
        .collect();
    assert!(
        urls.iter().all(|u| !u.contains("utm_") && !u.contains('#')),
        "{urls:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_prunes_old_articles_and_keeps_alert_history() {
    let server = FeedServer::start().await;
    let peer = WebhookPeer::start().await;
    let item = TestItem {
        guid: Some("old-1".into()),
        link: Some("https://news.example.kz/old-1".into()),
        title: "Khorgos handled a record number of containers".into(),
        summary: "Record at Khorgos".into(),
        body: String::new(),
        published: "2026-01-10T09:00:00Z".into(),
    };
    server.set("/k.xml", Reply::rss(rss("K", &[item])));
    let env = Env::new(&format!(
        "[[feed]]\nname = \"K\"\nurl = \"{}\"\n\n[[webhook]]\nname = \"ops\"\nurl = \"{}\"\n\n[[watchlist]]\nname = \"khorgos\"\nany = [\"Khorgos\"]\nwebhooks = [\"ops\"]\n",
        server.url("/k.xml"),
        peer.url("/hook")
    ));
    env.ok(&["run", "--once"]).await;
    assert_eq!(
        env.json_lines(&["articles", "list", "--json"]).await.len(),
        1
    );
    assert_eq!(peer.received().len(), 1);

    let text = std::fs::read_to_string(&env.config).unwrap().replacen(
        "[storage]\n",
        "[storage]\nkeep = \"1s\"\n",
        1,
    );
    std::fs::write(&env.config, text).unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let daemon = env.spawn(&[]);
    daemon
        .wait_for_log("old articles pruned", 1, Duration::from_secs(20))
        .await;
    daemon
        .wait_for_log("feed polled", 1, Duration::from_secs(20))
        .await;
    let (status, logs) = daemon.stop().await;
    assert!(status.success(), "{logs}");
    assert!(
        env.json_lines(&["articles", "list", "--json"])
            .await
            .is_empty(),
        "pruned, and not brought back by the next poll"
    );
    assert!(
        env.json_lines(&["search", "Khorgos", "--json"])
            .await
            .is_empty(),
        "gone from the full-text index"
    );
    let alerts = env.json_lines(&["alerts", "list", "--json"]).await;
    assert_eq!(alerts.len(), 1, "alert history is kept");
    assert_eq!(peer.received().len(), 1, "and not sent again");
}

#[tokio::test(flavor = "multi_thread")]
async fn publisher_country_is_a_separate_filter_from_subject_country() {
    let server = FeedServer::start().await;
    let item = TestItem {
        guid: Some("kg-1".into()),
        link: Some("https://24.kg/english/1".into()),
        title: "Kazakhstan raises wheat export quota".into(),
        summary: "Astana announced a higher wheat export quota for the season.".into(),
        body: String::new(),
        published: "2026-10-18T09:00:00Z".into(),
    };
    server.set("/kg.xml", Reply::rss(rss("24.kg", &[item])));
    let env = Env::new(&format!(
        "[[feed]]\nname = \"24.kg\"\nurl = \"{}\"\ncountry = \"KG\"\n",
        server.url("/kg.xml")
    ));
    env.ok(&["run", "--once"]).await;
    let about_kz = env
        .json_lines(&["articles", "list", "--json", "--country", "KZ"])
        .await;
    assert_eq!(about_kz.len(), 1);
    assert_eq!(about_kz[0]["source_country"], "KG");
    assert!(
        !about_kz[0]["countries"]
            .as_array()
            .unwrap()
            .contains(&"KG".into()),
        "the publisher is not a subject tag"
    );
    assert!(
        env.json_lines(&["articles", "list", "--json", "--country", "KG"])
            .await
            .is_empty()
    );
    assert_eq!(
        env.json_lines(&["articles", "list", "--json", "--source-country", "kg"])
            .await
            .len(),
        1
    );
}
