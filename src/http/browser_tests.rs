//! The page in a real browser: headless Chromium driven over plain WebDriver
//! HTTP calls (reqwest), against a real server with realistic seeded data.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the test
//! fails, unless `STEPPEWATCH_SKIP_BROWSER=1`. With
//! `STEPPEWATCH_WRITE_SCREENSHOT=1` it also writes `docs/screenshot.png`.

use super::testing::{Options, TestServer, seed_realistic, titles_for_country};
use base64::Engine as _;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The W3C WebDriver key of an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long chromedriver may take to start answering; generous for a busy CI box.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the filtered page may take to load after submitting the form.
const NAVIGATION_TIMEOUT: Duration = Duration::from_secs(30);
/// Laptop-sized window for the screenshot.
const WINDOW: (u32, u32) = (1440, 1500);
/// A phone's viewport for the second screenshot.
const PHONE: (u32, u32) = (390, 1200);

/// Finds a program on `PATH`, or at the path an environment variable gives.
fn find_program(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// The chromedriver process; killed when dropped so a failing test leaves nothing behind.
struct Driver {
    child: Child,
    base: String,
    client: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start(chromedriver: &Path) -> Driver {
        // Ask the kernel for a free port, then hand it to chromedriver.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            client: super::testing::client_builder().build().unwrap(),
        };
        let deadline = tokio::time::Instant::now() + DRIVER_START_TIMEOUT;
        loop {
            let status = driver
                .client
                .get(format!("{}/status", driver.base))
                .send()
                .await;
            if let Ok(r) = status {
                let v: Value =
                    serde_json::from_str(&r.text().await.unwrap_or_default()).unwrap_or_default();
                if v["value"]["ready"] == true {
                    return driver;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "chromedriver did not answer on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let value: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {path}: {text}"));
        assert!(status.is_success(), "{method} {path}: {status} {value}");
        value["value"].clone()
    }
}

/// One browser session.
struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl Session<'_> {
    async fn new<'a>(driver: &'a Driver, chromium: &Path, profile: &Path) -> Session<'a> {
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            &format!("--window-size={},{}", WINDOW.0, WINDOW.1),
            &format!("--user-data-dir={}", profile.display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium.display().to_string(), "args": args}
        }}});
        let value = driver
            .call(reqwest::Method::POST, "/session", Some(caps))
            .await;
        Session {
            driver,
            id: value["sessionId"]
                .as_str()
                .expect("a session id")
                .to_string(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.driver
            .call(method, &format!("/session/{}{path}", self.id), body)
            .await
    }

    async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    async fn find_all(&self, css: &str) -> Vec<String> {
        let found = self
            .call(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[ELEMENT_KEY].as_str().unwrap().to_string())
            .collect()
    }

    async fn find(&self, css: &str) -> String {
        let mut all = self.find_all(css).await;
        assert_eq!(all.len(), 1, "exactly one element for {css}");
        all.remove(0)
    }

    async fn click(&self, element: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    async fn text(&self, element: &str) -> String {
        self.call(
            reqwest::Method::GET,
            &format!("/element/{element}/text"),
            None,
        )
        .await
        .as_str()
        .unwrap()
        .to_string()
    }

    async fn property(&self, element: &str, name: &str) -> Value {
        self.call(
            reqwest::Method::GET,
            &format!("/element/{element}/property/{name}"),
            None,
        )
        .await
    }

    async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn screenshot(&self) -> Vec<u8> {
        let b64 = self.call(reqwest::Method::GET, "/screenshot", None).await;
        base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap())
            .unwrap()
    }

    async fn close(self) {
        let _ = self
            .driver
            .client
            .delete(format!("{}/session/{}", self.driver.base, self.id))
            .send()
            .await;
    }
}

const HOSTILE_TITLE: &str = "Border talks <script>alert(1)</script> resume";

/// Stores an old article whose text carries script, event-handler and
/// `javascript:` payloads; returns its id. Old, so the screenshot never shows it.
fn store_hostile(store: &mut crate::store::Store, now: chrono::DateTime<chrono::Utc>) -> i64 {
    let mut s = super::testing::recent_articles().remove(0);
    s.title = HOSTILE_TITLE.to_string();
    s.summary = "Officials met <img src=x onerror=alert(1)> in Osh".to_string();
    s.body = "Read <a href=\"javascript:alert(1)\">the statement</a>.".to_string();
    s.url = "javascript:alert(1)".to_string();
    s.minutes_ago = 60 * 24 * 80;
    s.watchlists = vec![];
    super::testing::store_seeds(store, &[s], now)[0]
}

/// The tools, or `None` when the run asked to skip the browser test.
fn browser_tools() -> Option<(PathBuf, PathBuf)> {
    let chromium = find_program(
        "CHROME_BIN",
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let driver = find_program("CHROMEDRIVER", &["chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        _ if std::env::var("STEPPEWATCH_SKIP_BROWSER").as_deref() == Ok("1") => {
            eprintln!("browser test skipped: STEPPEWATCH_SKIP_BROWSER=1");
            None
        }
        (c, d) => panic!(
            "the browser test needs Chromium and chromedriver (Debian: apt-get install chromium chromium-driver); \
             found chromium: {c:?}, chromedriver: {d:?}. Set STEPPEWATCH_SKIP_BROWSER=1 to skip it."
        ),
    }
}

/// See: issue 9 (browser test and screenshot).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_country_filter_shows_exactly_that_countrys_articles_in_chromium() {
    let Some((chromium, chromedriver)) = browser_tools() else {
        return;
    };
    let mut seeded = None;
    let mut hostile = 0;
    let server = TestServer::start(Options::default(), |store, now| {
        seeded = Some(seed_realistic(store, now));
        hostile = store_hostile(store, now);
    })
    .await;
    let (seeds, _) = seeded.unwrap();
    let driver = Driver::start(&chromedriver).await;
    let profile = tempfile::tempdir().unwrap();
    let session = Session::new(&driver, &chromium, profile.path()).await;

    session.go(&server.url("/")).await;
    assert!(
        session.find_all("#articles li.article").await.len() > 10,
        "the unfiltered page lists articles"
    );
    let shot = session.screenshot().await;
    assert_eq!(&shot[..8], b"\x89PNG\r\n\x1a\n", "the screenshot is a PNG");
    if std::env::var("STEPPEWATCH_WRITE_SCREENSHOT").as_deref() == Ok("1") {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshot.png");
        std::fs::write(&path, &shot).unwrap();
        eprintln!("wrote {}", path.display());
    }

    // Choose Turkmenistan in the form and submit it, as a user would.
    let option = session.find("#filter-country option[value='TM']").await;
    session.click(&option).await;
    let apply = session.find("#apply").await;
    session.click(&apply).await;
    let deadline = tokio::time::Instant::now() + NAVIGATION_TIMEOUT;
    while !session.url().await.contains("country=TM") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the filter form did not navigate"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut shown = Vec::new();
    for row in session.find_all("#articles li.article a.title").await {
        shown.push(session.text(&row).await);
    }
    shown.sort();
    assert_eq!(shown, titles_for_country(&seeds, "TM"));
    let select = session.find("#filter-country").await;
    assert_eq!(
        session.property(&select, "value").await,
        "TM",
        "the form keeps the chosen country"
    );

    if std::env::var("STEPPEWATCH_WRITE_SCREENSHOT").as_deref() == Ok("1") {
        let phone = json!({"width": PHONE.0, "height": PHONE.1});
        session
            .call(reqwest::Method::POST, "/window/rect", Some(phone))
            .await;
        session.go(&server.url("/")).await;
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshot-phone.png");
        std::fs::write(&path, session.screenshot().await).unwrap();
    }
    // Hostile feed text stays text in a real browser: nothing runs, no dialog opens.
    session
        .go(&server.url(&format!("/articles/{hostile}")))
        .await;
    assert_eq!(
        session.call(reqwest::Method::GET, "/title", None).await,
        HOSTILE_TITLE
    );
    assert!(session.find_all("script, img, iframe").await.is_empty());
    let heading = session.find("h1").await;
    assert_eq!(session.text(&heading).await, HOSTILE_TITLE);
    let alert = driver
        .client
        .get(format!("{}/session/{}/alert/text", driver.base, session.id))
        .send()
        .await
        .unwrap();
    assert_eq!(alert.status(), 404, "no alert() dialog is open");

    session.close().await;
    drop(driver);
    server.stop().await;
}
