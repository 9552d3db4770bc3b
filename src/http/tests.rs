//! The HTTP server end to end: a real server on 127.0.0.1 over a real SQLite
//! file seeded through the store's API, called with reqwest.

use super::check_bind;
use super::guard::CONTENT_SECURITY_POLICY;
use super::testing::{self, Options, Seed, TestServer, seed_realistic, titles_for_country};
use crate::config::Secret;
use crate::model::ArticleId;
use reqwest::header;
use scraper::{Html, Selector};
use serde_json::Value;

async fn realistic(options: Options) -> (TestServer, Vec<Seed>, Vec<ArticleId>) {
    let mut seeded = None;
    let server = TestServer::start(options, |store, now| {
        seeded = Some(seed_realistic(store, now))
    })
    .await;
    let (seeds, ids) = seeded.unwrap();
    (server, seeds, ids)
}

fn titles(articles: &Value) -> Vec<String> {
    let mut t: Vec<String> = articles
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

fn select_texts(html: &str, css: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(css).unwrap();
    doc.select(&sel)
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

#[tokio::test]
async fn api_filters_articles_and_pages_through_them_with_the_cursor() {
    let (server, seeds, _) = realistic(Options::default()).await;
    let tm = server.json("/api/articles?country=tm").await;
    assert_eq!(titles(&tm["articles"]), titles_for_country(&seeds, "TM"));
    assert_eq!(tm["next"], Value::Null);

    let mut seen: Vec<Value> = Vec::new();
    let mut path = "/api/articles?country=KZ&limit=7".to_string();
    loop {
        let page = server.json(&path).await;
        let articles = page["articles"].as_array().unwrap();
        assert!(articles.len() <= 7);
        seen.extend(articles.iter().cloned());
        match page["next"].as_i64() {
            Some(next) => path = format!("/api/articles?country=KZ&limit=7&before={next}"),
            None => break,
        }
    }
    assert_eq!(
        titles(&Value::Array(seen.clone())),
        titles_for_country(&seeds, "KZ")
    );
    let mut ids: Vec<i64> = seen.iter().map(|a| a["id"].as_i64().unwrap()).collect();
    let published: Vec<&str> = seen
        .iter()
        .map(|a| a["published"].as_str().unwrap())
        .collect();
    assert!(
        published.windows(2).all(|w| w[0] >= w[1]),
        "newest first across pages"
    );
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), seen.len(), "no article on two pages");

    let topic = server.json("/api/articles?topic=tourism&watchlist=").await;
    assert_eq!(
        titles(&topic["articles"]),
        vec!["Samarkand tourism numbers double year on year".to_string()]
    );
    let lists = server
        .json("/api/articles?watchlist=railway-crossing&country=KZ&region=Dostyk")
        .await;
    assert_eq!(
        titles(&lists["articles"]),
        vec!["Dostyk border crossing clears winter freight backlog".to_string()]
    );
    let recent = server.json("/api/articles?since=2d&limit=500").await;
    let expected = seeds.iter().filter(|s| s.minutes_ago < 2 * 1440).count();
    assert_eq!(recent["articles"].as_array().unwrap().len(), expected);

    for bad in [
        "/api/articles?limit=0",
        "/api/articles?limit=abc",
        "/api/articles?before=x",
        "/api/articles?since=soon",
    ] {
        let response = server.get(bad).await;
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{bad}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn api_search_ranks_hits_and_applies_the_other_filters() {
    let (server, _, _) = realistic(Options::default()).await;
    let hits = server.json("/api/articles?q=Kambarata").await;
    let articles = hits["articles"].as_array().unwrap();
    assert_eq!(articles.len(), 1);
    assert!(
        articles[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Kyrgyzstan's Kambarata-1")
    );
    assert!(
        articles[0]["snippet"]
            .as_str()
            .unwrap()
            .contains("[Kambarata"),
        "{}",
        articles[0]["snippet"]
    );
    let filtered = server.json("/api/articles?q=railway&country=UZ").await;
    assert_eq!(
        titles(&filtered["articles"]),
        vec![
            "China–Kyrgyzstan–Uzbekistan railway: construction starts on Kashgar section"
                .to_string()
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn api_article_has_tags_sources_body_and_matched_terms() {
    let (server, _, ids) = realistic(Options::default()).await;
    let a = server.json(&format!("/api/articles/{}", ids[0])).await;
    assert_eq!(
        a["title"],
        "Kazakhstan and China open second railway crossing at Khorgos–Altynkol"
    );
    assert_eq!(a["countries"], serde_json::json!(["CN", "KZ"]));
    assert_eq!(a["regions"], serde_json::json!(["Khorgos", "Xinjiang"]));
    assert_eq!(a["sources"][0]["feed"], "The Astana Times");
    assert!(a["body"].as_str().unwrap().contains("Officials said"));
    let matches = a["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 2);
    let rail = matches
        .iter()
        .find(|m| m["watchlist"] == "railway-crossing")
        .unwrap();
    assert_eq!(rail["terms"][0]["term"], "Khorgos");
    assert!(
        rail["terms"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("[Khorgos]")
    );

    assert_eq!(server.get("/api/articles/99999").await.status(), 404);
    assert_eq!(server.get("/api/articles/abc").await.status(), 400);
    server.stop().await;
}

#[tokio::test]
async fn api_alerts_feeds_watchlists_and_daily_counts() {
    let (server, seeds, _) = realistic(Options::default()).await;
    let failed = server.json("/api/alerts?status=failed").await;
    assert_eq!(failed["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(failed["alerts"][0]["status"], "failed");
    let pending = server.json("/api/alerts?status=pending&limit=10").await;
    assert_eq!(pending["alerts"].as_array().unwrap().len(), 2);
    assert_eq!(server.get("/api/alerts?status=lost").await.status(), 400);

    let feeds = server.json("/api/feeds").await;
    let feeds = feeds["feeds"].as_array().unwrap();
    assert_eq!(feeds.len(), testing::FEEDS.len());
    let azattyq = feeds
        .iter()
        .find(|f| f["name"] == "RFE/RL Azattyq")
        .unwrap();
    assert_eq!(azattyq["status"], "failing");
    assert!(azattyq["last_error"].as_str().unwrap().contains("503"));
    assert!(
        azattyq.get("etag").is_none(),
        "fetch internals stay internal"
    );

    let response = server.get("/api/watchlists").await;
    let text = response.text().await.unwrap();
    assert!(
        !text.contains("hooks.example.org") && !text.contains("whsec"),
        "no webhook URL or secret: {text}"
    );
    let lists: Value = serde_json::from_str(&text).unwrap();
    let names: Vec<&str> = lists["watchlists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["xinjiang", "railway-crossing"]);
    assert_eq!(
        lists["watchlists"][0]["webhooks"],
        serde_json::json!(["ops", "chat"])
    );
    assert_eq!(
        lists["watchlists"][0]["atom"],
        "/watchlists/xinjiang/feed.atom"
    );

    let sum = |v: &Value| {
        v["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["count"].as_u64().unwrap())
            .sum::<u64>()
    };
    let tm = server.json("/api/stats/country/tm?days=90").await;
    assert_eq!(tm["days"].as_array().unwrap().len(), 90);
    assert_eq!(sum(&tm), titles_for_country(&seeds, "TM").len() as u64);
    let xinjiang = server.json("/api/stats/watchlist/xinjiang").await;
    let expected = seeds
        .iter()
        .filter(|s| s.watchlists.iter().any(|(w, _)| *w == "xinjiang"))
        .count();
    assert_eq!(sum(&xinjiang), expected as u64);
    let week = server.json("/api/stats/topic/tourism?days=7").await;
    assert_eq!(week["days"].as_array().unwrap().len(), 7);
    assert_eq!(sum(&week), 1);
    for bad in [
        "/api/stats/planet/mars",
        "/api/stats/country/KZ?days=0",
        "/api/stats/country/KZ?days=5000",
    ] {
        assert_eq!(server.get(bad).await.status(), 400, "{bad}");
    }
    server.stop().await;
}

#[tokio::test]
async fn atom_feed_per_watchlist_is_valid_and_capped() {
    let (server, seeds, _) = realistic(Options::default()).await;
    let response = server.get("/watchlists/railway-crossing/feed.atom").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/atom+xml; charset=utf-8"
    );
    let feed = feed_rs::parser::parse(response.bytes().await.unwrap().as_ref())
        .expect("a valid Atom feed");
    let expected = seeds
        .iter()
        .filter(|s| s.watchlists.iter().any(|(w, _)| *w == "railway-crossing"))
        .count();
    assert!(expected < super::atom::FEED_ENTRIES);
    assert_eq!(feed.entries.len(), expected);
    assert_eq!(
        feed.entries[0].title.as_ref().unwrap().content,
        seeds[0].title
    );
    assert_eq!(feed.entries[0].links[0].href, seeds[0].url);

    let xinjiang = server
        .get("/watchlists/xinjiang/feed.atom")
        .await
        .bytes()
        .await
        .unwrap();
    let feed = feed_rs::parser::parse(xinjiang.as_ref()).unwrap();
    assert_eq!(
        feed.entries.len(),
        super::atom::FEED_ENTRIES,
        "newest 50 only"
    );
    assert_eq!(server.get("/watchlists/nope/feed.atom").await.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn page_shows_alerts_charts_filtered_articles_and_feed_health() {
    let (server, seeds, _) = realistic(Options::default()).await;
    let response = server.get("/?country=TM").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    let html = response.text().await.unwrap();
    let mut rows = select_texts(&html, "#articles li.article a.title");
    rows.sort();
    assert_eq!(rows, titles_for_country(&seeds, "TM"));
    assert_eq!(
        select_texts(&html, "#filter-country option[selected]"),
        ["Turkmenistan (TM)"]
    );
    // Two watchlists and the six most mentioned countries.
    assert_eq!(select_texts(&html, "#trends svg.chart").len(), 8);
    assert_eq!(
        select_texts(&html, "#feeds tbody tr").len(),
        testing::FEEDS.len()
    );
    // One line per article and watchlist, its webhooks side by side.
    let lines = select_texts(&html, "#alerts li.alert");
    assert_eq!(lines.len(), 10);
    let mut unique = lines.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), lines.len(), "{lines:?}");
    assert_eq!(
        select_texts(&html, "#alerts li.alert:first-child .hook").len(),
        2,
        "ops and chat"
    );
    assert!(select_texts(&html, "#alerts .badge").contains(&"failed".to_string()));

    let text = server.get("/?q=uranium").await.text().await.unwrap();
    assert_eq!(
        select_texts(&text, "#articles li.article a.title"),
        ["Kazakhstan's uranium output to rise as Kazatomprom expands"]
    );
    let none = server
        .get("/?country=TM&topic=tourism")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(select_texts(&none, "#no-articles").len(), 1);

    let page = server.get("/").await.text().await.unwrap();
    let older = Html::parse_document(&page);
    let more = older
        .select(&Selector::parse("a.more").unwrap())
        .next()
        .expect("an older-articles link");
    let href = more.value().attr("href").unwrap();
    let next = server.get(href).await.text().await.unwrap();
    let first: Vec<String> = select_texts(&page, "#articles li.article a.title");
    let second: Vec<String> = select_texts(&next, "#articles li.article a.title");
    assert_eq!(first.len(), 30);
    assert_eq!(second.len(), 30);
    assert!(!second.contains(&first[0]));
    server.stop().await;
}

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "<img src=x onerror=alert(1)>";
const LINK: &str = "<a href=\"javascript:alert(1)\">statement</a>";

/// See: issue 9 (XSS test).
#[tokio::test]
async fn hostile_feed_text_renders_inert_on_the_page_and_as_plain_json() {
    let mut ids = Vec::new();
    let server = TestServer::start(Options::default(), |store, now| {
        let mut s = testing::recent_articles().remove(0);
        s.title = format!("Border talks {SCRIPT} resume");
        s.summary = format!("Officials met {IMG} in Osh");
        s.body = format!("Read {LINK} here.\n{SCRIPT}");
        s.url = "javascript:alert(1)".to_string();
        s.watchlists = vec![("xinjiang", "<script>")];
        ids = testing::store_seeds(store, &[s], now);
    })
    .await;
    let id = ids[0];
    for path in [
        "/".to_string(),
        format!("/articles/{id}"),
        "/?q=Border".to_string(),
    ] {
        let html = server.get(&path).await.text().await.unwrap();
        let doc = Html::parse_document(&html);
        let all = Selector::parse("*").unwrap();
        for el in doc.select(&all) {
            let name = el.value().name();
            assert!(
                name != "script" && name != "img" && name != "iframe",
                "{path}: <{name}> in page"
            );
            for (attr, value) in el.value().attrs() {
                assert!(
                    !attr.starts_with("on"),
                    "{path}: event handler {attr} in page"
                );
                let v = value.trim().to_ascii_lowercase();
                assert!(
                    !v.starts_with("javascript:") && !v.starts_with("data:"),
                    "{path}: {attr}={value}"
                );
            }
        }
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}: the title shows as text"
        );
    }
    let page = server
        .get(&format!("/articles/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        select_texts(&page, "h1"),
        [format!("Border talks {SCRIPT} resume")]
    );
    assert!(select_texts(&page, ".body p").contains(&format!("Read {LINK} here.")));

    let response = server.get(&format!("/api/articles/{id}")).await;
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    let a: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(a["title"], format!("Border talks {SCRIPT} resume"));
    assert_eq!(a["summary"], format!("Officials met {IMG} in Osh"));
    assert_eq!(a["body"], format!("Read {LINK} here.\n{SCRIPT}"));
    server.stop().await;
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let server = TestServer::start(
        Options {
            token: Some("tok".into()),
            ..Default::default()
        },
        |_, _| {},
    )
    .await;
    let check = |response: &reqwest::Response, what: &str| {
        let h = response.headers();
        assert_eq!(
            h[header::CONTENT_SECURITY_POLICY],
            CONTENT_SECURITY_POLICY,
            "{what}"
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{what}");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{what}");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer", "{what}");
    };
    for path in [
        "/",
        "/articles/1",
        "/api/articles",
        "/metrics",
        "/login",
        "/healthz",
        "/static/style.css",
        "/nowhere",
    ] {
        let plain = server.get(path).await;
        check(&plain, path);
        let authed = server
            .client
            .get(server.url(path))
            .bearer_auth("tok")
            .send()
            .await
            .unwrap();
        check(&authed, path);
    }
    let refused = server
        .client
        .get(server.url("/"))
        .header(header::HOST, "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 421);
    check(&refused, "421");
    assert!(
        !CONTENT_SECURITY_POLICY.contains("script-src"),
        "no script source is allowed at all"
    );
    assert!(CONTENT_SECURITY_POLICY.contains("default-src 'none'"));
    server.stop().await;
}

/// See: issue 9 (DNS rebinding).
#[tokio::test]
async fn requests_for_other_host_names_are_refused() {
    let options = Options {
        hosts: vec!["steppewatch.lan".into()],
        ..Default::default()
    };
    let server = TestServer::start(options, |_, _| {}).await;
    let port = server.addr.port();
    let with_host = |host: String| {
        let request = server
            .client
            .get(server.url("/api/watchlists"))
            .header(header::HOST, host);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(with_host(format!("127.0.0.1:{port}")).await, 200);
    assert_eq!(with_host(format!("localhost:{port}")).await, 200);
    assert_eq!(with_host(format!("[::1]:{port}")).await, 200);
    assert_eq!(with_host("steppewatch.lan".into()).await, 200);
    assert_eq!(
        with_host(format!("rebind.attacker.example:{port}")).await,
        421
    );
    assert_eq!(
        with_host(format!("localhost:{}", port.wrapping_add(1))).await,
        421
    );
    assert_eq!(with_host("".into()).await, 421);
    server.stop().await;
}

#[tokio::test]
async fn a_configured_token_is_required_by_bearer_or_login_cookie() {
    let server = TestServer::start(
        Options {
            token: Some("correct horse".into()),
            ..Default::default()
        },
        |_, _| {},
    )
    .await;
    let api = server.get("/api/articles").await;
    assert_eq!(api.status(), 401);
    assert_eq!(api.headers()[header::WWW_AUTHENTICATE], "Bearer");
    for path in [
        "/",
        "/metrics",
        "/api/watchlists",
        "/watchlists/xinjiang/feed.atom",
        "/articles/1",
    ] {
        assert_eq!(server.get(path).await.status(), 401, "{path}");
        let wrong = server
            .client
            .get(server.url(path))
            .bearer_auth("correct horsf")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{path}");
    }
    let ok = server
        .client
        .get(server.url("/api/articles"))
        .bearer_auth("correct horse")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        server.get("/healthz").await.status(),
        200,
        "probes need no token"
    );
    assert_eq!(server.get("/static/style.css").await.status(), 200);

    // The page answers 401 with the login form.
    let page = server.get("/").await.text().await.unwrap();
    assert_eq!(
        select_texts(&page, "form[action='/login'] button"),
        ["Log in"]
    );
    let login = |token: &str| {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .finish();
        let request = server.client.post(server.url("/login"));
        request
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    assert_eq!(login("guess").await.unwrap().status(), 401);
    let response = login("correct horse").await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()[header::LOCATION], "/");
    let set_cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    assert!(
        !set_cookie.contains("correct"),
        "the cookie is not the token"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let with_cookie = server
        .client
        .get(server.url("/"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status(), 200);
    let html = with_cookie.text().await.unwrap();
    assert_eq!(select_texts(&html, "form.logout button"), ["Log out"]);
    let logout = server
        .client
        .post(server.url("/logout"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert!(
        logout.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    server.stop().await;
}

/// See: issue 9 (a non-loopback bind without a token refuses to start).
#[test]
fn check_bind_refuses_a_non_loopback_address_without_a_token() {
    let token = Secret::new("long-random-token".into());
    let empty = Secret::new("  ".into());
    for loopback in [
        "127.0.0.1:8620",
        "127.0.0.53:1",
        "[::1]:8620",
        "[::ffff:127.0.0.1]:8620",
    ] {
        assert_eq!(
            check_bind(loopback.parse().unwrap(), None),
            Ok(()),
            "{loopback}"
        );
    }
    for open in [
        "0.0.0.0:8620",
        "[::]:8620",
        "192.168.1.10:8620",
        "[2001:db8::1]:80",
    ] {
        let err = check_bind(open.parse().unwrap(), None).unwrap_err();
        assert!(err.contains("[http] token"), "{err}");
        assert!(
            check_bind(open.parse().unwrap(), Some(&empty)).is_err(),
            "{open}"
        );
        assert_eq!(
            check_bind(open.parse().unwrap(), Some(&token)),
            Ok(()),
            "{open}"
        );
    }
}

#[tokio::test]
async fn healthz_and_metrics_report_the_database() {
    let (server, seeds, _) = realistic(Options::default()).await;
    let health = server.get("/healthz").await;
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok\n");
    let metrics = server.get("/metrics").await;
    assert!(
        metrics.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains(&format!("\nsteppewatch_articles {}\n", seeds.len())),
        "{text}"
    );
    assert!(
        text.contains("steppewatch_alerts{status=\"failed\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("steppewatch_feeds{status=\"failing\"} 1\n"),
        "{text}"
    );
    server.stop().await;

    // A database path that cannot be opened (a directory) is unhealthy.
    let broken = TestServer::start(Options::default(), |_, _| {}).await;
    let dir = broken.db.parent().unwrap().to_path_buf();
    let state = super::AppState::new(
        dir.clone(),
        broken_engine(),
        None,
        vec![],
        "127.0.0.1:0".parse().unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(super::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    let response = broken
        .client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(
        !response
            .text()
            .await
            .unwrap()
            .contains(&dir.display().to_string()),
        "no paths to the public"
    );
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    broken.stop().await;
}

fn broken_engine() -> tokio::sync::watch::Receiver<std::sync::Arc<crate::engine::Engine>> {
    let config =
        crate::config::Config::from_toml(testing::CONFIG, std::path::Path::new("/tmp/t.toml"))
            .unwrap();
    let (tx, rx) = tokio::sync::watch::channel(std::sync::Arc::new(
        crate::engine::Engine::build(config).unwrap(),
    ));
    drop(tx);
    rx
}
