//! Test support: a real server on 127.0.0.1 over a real SQLite file seeded
//! through the store's public API, and a realistic data set for the page.

use super::{AppState, serve};
use crate::config::{Config, FeedConfig};
use crate::engine::Engine;
use crate::model::{Article, ArticleId, Match, Tags, TermMatch};
use crate::store::Store;
use crate::store::feeds::{FeedStatus, FetchRecord};
use chrono::{DateTime, Duration, Utc};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{oneshot, watch};

/// Configuration of the test server: two watchlists alerting two webhooks.
/// The webhook URL and secret must never appear in any response.
pub const CONFIG: &str = r#"
[[watchlist]]
name = "xinjiang"
any = ["Xinjiang", "Urumqi", "Kashgar"]
webhooks = ["ops", "chat"]

[[watchlist]]
name = "railway-crossing"
any = ["railway crossing*", "Khorgos", "Dostyk"]
webhooks = ["ops"]

[[webhook]]
name = "ops"
url = "https://hooks.example.org/steppewatch-secret-path"
format = "json"
secret = "whsec-test-secret-value"

[[webhook]]
name = "chat"
url = "https://chat.example.org/hook"
format = "slack"
"#;

/// A running server and what a test needs to talk to it.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub addr: SocketAddr,
    /// Follows no redirects, so tests see 303s and their cookies.
    pub client: reqwest::Client,
    pub db: PathBuf,
    _dir: tempfile::TempDir,
    _engine: watch::Sender<Arc<Engine>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// How to start a test server.
#[derive(Default)]
pub struct Options {
    pub token: Option<String>,
    pub hosts: Vec<String>,
}

impl TestServer {
    /// Starts a server over a fresh database that `seed` fills first.
    pub async fn start(
        options: Options,
        seed: impl FnOnce(&mut Store, DateTime<Utc>),
    ) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("steppewatch.db");
        let mut store = Store::open(&db).unwrap();
        seed(&mut store, Utc::now());
        drop(store);
        let config_path = dir.path().join("steppewatch.toml");
        let config = Config::from_toml(CONFIG, &config_path).expect("test configuration is valid");
        let (engine_tx, engine_rx) = watch::channel(Arc::new(Engine::build(config).unwrap()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let token = options.token.map(crate::config::Secret::new);
        let state = AppState::new(db.clone(), engine_rx, token, options.hosts, addr);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state, async move {
            let _ = stopped.await;
        }));
        let client = client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestServer {
            base: format!("http://{addr}"),
            addr,
            client,
            db,
            _dir: dir,
            _engine: engine_tx,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// GETs `path` expecting 200 and JSON.
    pub async fn json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        let text = response.text().await.unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: {e}: {text}"))
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// A reqwest builder that works with the crate's `rustls-no-provider` build:
/// the process-wide provider is installed first, as the daemon does.
pub fn client_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// One seeded article, written as the test reads it.
#[derive(Debug, Clone)]
pub struct Seed {
    pub feed: usize,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub url: String,
    pub countries: Vec<&'static str>,
    pub regions: Vec<&'static str>,
    pub topics: Vec<&'static str>,
    /// Watchlists it matches, with the term found.
    pub watchlists: Vec<(&'static str, &'static str)>,
    /// Minutes before the seeding time it was published.
    pub minutes_ago: i64,
}

/// The feeds of the seed, with the health each is given.
pub const FEEDS: &[(&str, &str, FeedStatus, Option<&str>)] = &[
    (
        "The Astana Times",
        "https://astanatimes.com/feed/",
        FeedStatus::Ok,
        None,
    ),
    (
        "Eurasianet",
        "https://eurasianet.org/feed",
        FeedStatus::Ok,
        None,
    ),
    ("24.kg", "https://24.kg/english/rss/", FeedStatus::Ok, None),
    ("Kun.uz", "https://kun.uz/en/news/rss", FeedStatus::Ok, None),
    (
        "Asia-Plus",
        "https://asiaplustj.info/en/rss",
        FeedStatus::Quiet,
        None,
    ),
    (
        "RFE/RL Azattyq",
        "https://rus.azattyq.org/api/zrqiteuuir",
        FeedStatus::Failing,
        Some("HTTP 503 Service Unavailable (Retry-After 3600 s)"),
    ),
    (
        "Turkmen.news",
        "https://turkmen.news/en/feed/",
        FeedStatus::Ok,
        None,
    ),
    (
        "The Diplomat",
        "https://thediplomat.com/regions/central-asia/feed/",
        FeedStatus::Error,
        Some("invalid XML at line 1 column 1: unexpected end of file"),
    ),
];

fn seed(
    feed: usize,
    minutes_ago: i64,
    title: &str,
    summary: &str,
    tags: (&[&'static str], &[&'static str], &[&'static str]),
    watchlists: &[(&'static str, &'static str)],
) -> Seed {
    let slug: String = title
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let host = FEEDS[feed].1.split('/').nth(2).unwrap_or("example.org");
    Seed {
        feed,
        title: title.to_string(),
        summary: summary.to_string(),
        body: format!(
            "{title}. Officials said further details would follow.\n\nMore reporting is expected this week."
        ),
        url: format!("https://{host}/news/{slug}"),
        countries: tags.0.to_vec(),
        regions: tags.1.to_vec(),
        topics: tags.2.to_vec(),
        watchlists: watchlists.to_vec(),
        minutes_ago,
    }
}

/// Recent, hand-written articles: what the first screen of the page shows.
pub fn recent_articles() -> Vec<Seed> {
    const H: i64 = 60;
    vec![
        seed(
            0,
            95,
            "Kazakhstan and China open second railway crossing at Khorgos–Altynkol",
            "The new line doubles freight capacity on the Middle Corridor's eastern gate, officials in Astana said.",
            (
                &["CN", "KZ"],
                &["Khorgos", "Xinjiang"],
                &["trade", "transport"],
            ),
            &[("railway-crossing", "Khorgos"), ("xinjiang", "Xinjiang")],
        ),
        seed(
            1,
            3 * H,
            "Urumqi trade fair draws record Central Asian delegations",
            "Exhibitors from all five Central Asian states signed agreements worth $4bn at the China–Eurasia Expo.",
            (
                &["CN", "KG", "KZ", "UZ"],
                &["Urumqi", "Xinjiang"],
                &["trade"],
            ),
            &[("xinjiang", "Urumqi")],
        ),
        seed(
            2,
            5 * H,
            "Kyrgyzstan's Kambarata-1 hydropower project secures World Bank financing",
            "The 1,860 MW plant on the Naryn river is expected to ease winter power shortages.",
            (&["KG"], &["Naryn"], &["energy", "water"]),
            &[],
        ),
        seed(
            3,
            7 * H,
            "Uzbekistan cuts cotton export quotas as textile sector expands",
            "More fibre will stay at home for domestic mills, the agriculture ministry said.",
            (&["UZ"], &[], &["agriculture", "economy", "trade"]),
            &[],
        ),
        seed(
            4,
            9 * H,
            "Tajikistan and Kyrgyzstan agree new border demarcation stretch in Fergana Valley",
            "Commissions approved a further 24 km of the frontier near Batken.",
            (
                &["KG", "TJ"],
                &["Batken", "Fergana Valley"],
                &["politics", "security"],
            ),
            &[],
        ),
        seed(
            6,
            11 * H,
            "Turkmenistan raises gas deliveries to China as Line D talks resume",
            "State gas company Turkmengaz said exports through the Central Asia–China pipeline rose 8%.",
            (&["CN", "TM"], &[], &["energy", "trade"]),
            &[],
        ),
        seed(
            0,
            14 * H,
            "Caspian shipping: Aktau port handles record container volumes",
            "Container traffic across the Caspian rose by a third as shippers avoid northern routes.",
            (
                &["AZ", "KZ"],
                &["Aktau", "Caspian Sea"],
                &["trade", "transport"],
            ),
            &[],
        ),
        seed(
            0,
            17 * H,
            "Almaty air quality worsens as coal heating season begins",
            "Monitoring stations recorded PM2.5 levels four times above WHO guidelines.",
            (&["KZ"], &["Almaty"], &["environment", "health"]),
            &[],
        ),
        seed(
            1,
            20 * H,
            "Rights groups report new detentions of ethnic Kazakhs in Xinjiang",
            "Relatives in Almaty say at least six people were taken in Ili prefecture this month.",
            (&["CN", "KZ"], &["Ili", "Xinjiang"], &["human-rights"]),
            &[("xinjiang", "Xinjiang")],
        ),
        seed(
            2,
            23 * H,
            "Bishkek hosts SCO energy ministers",
            "Ministers discussed grid links and a regional electricity market.",
            (
                &["CN", "KG", "KZ", "RU", "UZ"],
                &["Bishkek"],
                &["energy", "politics"],
            ),
            &[],
        ),
        seed(
            6,
            26 * H,
            "Ashgabat unveils plan for Trans-Caspian fibre link",
            "The cable would connect Turkmenbashi with Baku and carry traffic on to Europe.",
            (&["AZ", "TM"], &["Ashgabat", "Caspian Sea"], &["technology"]),
            &[],
        ),
        seed(
            1,
            29 * H,
            "China–Kyrgyzstan–Uzbekistan railway: construction starts on Kashgar section",
            "Work began on the first tunnels of the 523 km line from Kashgar to Andijan.",
            (
                &["CN", "KG", "UZ"],
                &["Kashgar", "Xinjiang"],
                &["transport"],
            ),
            &[
                ("railway-crossing", "railway crossing"),
                ("xinjiang", "Kashgar"),
            ],
        ),
        seed(
            3,
            33 * H,
            "Samarkand tourism numbers double year on year",
            "Visa-free travel and new rail links brought 1.2 million foreign visitors.",
            (&["UZ"], &["Samarkand"], &["tourism"]),
            &[],
        ),
        seed(
            4,
            37 * H,
            "Dushanbe water conference calls for Amu Darya cooperation",
            "Delegates from Afghanistan joined talks on the Qosh Tepa canal for the first time.",
            (
                &["AF", "TJ", "TM", "UZ"],
                &["Amu Darya", "Dushanbe"],
                &["environment", "politics", "water"],
            ),
            &[],
        ),
        seed(
            6,
            41 * H,
            "Turkmen cotton harvest still relies on forced labour, monitors say",
            "Teachers and doctors were again sent to the fields, according to independent monitors.",
            (&["TM"], &[], &["agriculture", "human-rights"]),
            &[],
        ),
        seed(
            0,
            45 * H,
            "Kazakhstan's uranium output to rise as Kazatomprom expands",
            "The world's largest producer expects output to grow 12% next year.",
            (&["KZ"], &[], &["energy", "mining"]),
            &[],
        ),
        seed(
            0,
            50 * H,
            "Dostyk border crossing clears winter freight backlog",
            "Waiting times for trucks at the Dostyk–Alashankou crossing fell to under a day.",
            (
                &["CN", "KZ"],
                &["Dostyk", "Xinjiang"],
                &["trade", "transport"],
            ),
            &[("railway-crossing", "Dostyk"), ("xinjiang", "Xinjiang")],
        ),
        seed(
            2,
            55 * H,
            "Kyrgyz parliament passes media law criticised by journalists",
            "The law lets the government block websites without a court order.",
            (&["KG"], &[], &["human-rights", "politics"]),
            &[],
        ),
        seed(
            3,
            60 * H,
            "Uzbek migrant workers' remittances from Russia reach a new high",
            "Transfers grew 20% in the first nine months, the central bank said.",
            (&["RU", "UZ"], &[], &["economy"]),
            &[],
        ),
        seed(
            4,
            66 * H,
            "Rogun's second turbine comes online",
            "Tajikistan's flagship dam now generates 600 MW.",
            (&["TJ"], &["Rogun"], &["energy", "water"]),
            &[],
        ),
        seed(
            3,
            72 * H,
            "Kazakh wheat exports to Afghanistan rise via Termez hub",
            "Shipments through the Termez logistics centre reached 1.1 million tonnes.",
            (&["AF", "KZ", "UZ"], &["Termez"], &["agriculture", "trade"]),
            &[],
        ),
        seed(
            1,
            80 * H,
            "New audit questions Xinjiang cotton supply chain claims",
            "Researchers found Xinjiang fibre in products labelled as sourced elsewhere.",
            (&["CN"], &["Xinjiang"], &["human-rights", "trade"]),
            &[("xinjiang", "Xinjiang")],
        ),
    ]
}

/// Older articles for the charts: a steady flow per country over 85 days,
/// with Xinjiang coverage rising in the last weeks. Deterministic; never tags TM.
pub fn background_articles() -> Vec<Seed> {
    type Template = (
        usize,
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
        &'static [&'static str],
    );
    const POOL: &[Template] = &[
        (
            0,
            "Kazakhstan's central bank holds base rate",
            &["KZ"],
            &[],
            &["economy"],
        ),
        (
            0,
            "Astana International Financial Centre lists new bond",
            &["KZ"],
            &["Astana"],
            &["economy"],
        ),
        (
            2,
            "Kyrgyz gold miner reports higher output at Kumtor",
            &["KG"],
            &["Issyk-Kul"],
            &["mining"],
        ),
        (
            3,
            "Uzbekistan expands solar capacity in Navoi",
            &["UZ"],
            &["Navoi"],
            &["energy"],
        ),
        (
            4,
            "Tajik aluminium smelter restarts second potline",
            &["TJ"],
            &["Tursunzoda"],
            &["mining", "energy"],
        ),
        (
            1,
            "Russia and Kazakhstan sign grain transit deal",
            &["KZ", "RU"],
            &[],
            &["agriculture", "trade"],
        ),
        (
            3,
            "Tashkent metro extension opens",
            &["UZ"],
            &["Tashkent"],
            &["transport"],
        ),
        (
            2,
            "Osh bazaar traders protest new tax rules",
            &["KG"],
            &["Osh"],
            &["economy", "politics"],
        ),
        (
            0,
            "Shymkent refinery upgrade completed",
            &["KZ"],
            &["Shymkent"],
            &["energy"],
        ),
        (
            1,
            "Mongolia and Kazakhstan discuss Altai road link",
            &["KZ", "MN"],
            &["Altai"],
            &["transport"],
        ),
    ];
    const XINJIANG: &[Template] = &[
        (
            1,
            "Xinjiang solar makers face new import checks",
            &["CN"],
            &["Xinjiang"],
            &["trade", "energy"],
        ),
        (
            1,
            "Kazakh families petition over relatives held in Xinjiang",
            &["CN", "KZ"],
            &["Xinjiang"],
            &["human-rights"],
        ),
        (
            0,
            "Khorgos dry port adds new container cranes",
            &["CN", "KZ"],
            &["Khorgos", "Xinjiang"],
            &["transport"],
        ),
    ];
    let mut out = Vec::new();
    for day in 4..=85i64 {
        for k in 0..(2 + (day % 3) as usize) {
            let (feed, title, c, r, t) = POOL[(day as usize * 7 + k * 3) % POOL.len()];
            out.push(background(feed, title, day, k, (c, r, t), &[]));
        }
        // Rising: every 4th day early on, every other day, then daily and more.
        let xinjiang = match day {
            4..=6 => 3,
            7..=9 => 2,
            10..=20 => 1,
            21..=40 => usize::from(day % 2 == 0),
            _ => usize::from(day % 4 == 0),
        };
        for k in 0..xinjiang {
            let (feed, title, c, r, t) = XINJIANG[(day as usize + k) % XINJIANG.len()];
            let term: &'static str = if title.contains("Khorgos") {
                "Khorgos"
            } else {
                "Xinjiang"
            };
            let mut lists = vec![("xinjiang", "Xinjiang")];
            if term == "Khorgos" {
                lists.push(("railway-crossing", "Khorgos"));
            }
            out.push(background(feed, title, day, 10 + k, (c, r, t), &lists));
        }
    }
    out
}

fn background(
    feed: usize,
    title: &str,
    day: i64,
    k: usize,
    tags: (&[&'static str], &[&'static str], &[&'static str]),
    lists: &[(&'static str, &'static str)],
) -> Seed {
    let mut s = seed(
        feed,
        day * 1440 + (k as i64) * 97 + 60,
        title,
        &format!("{title}, reports said."),
        tags,
        lists,
    );
    s.url = format!("{}-{day}-{k}", s.url);
    s
}

/// Stores the feeds, then `seeds` one poll at a time (oldest first, as the
/// daemon would have), and returns each seed's article id in `seeds` order.
pub fn store_seeds(store: &mut Store, seeds: &[Seed], now: DateTime<Utc>) -> Vec<ArticleId> {
    let configs: Vec<FeedConfig> = FEEDS
        .iter()
        .map(|(name, url, _, _)| FeedConfig {
            url: url.to_string(),
            name: Some(name.to_string()),
            interval: None,
            full_text: false,
            country: None,
            kind: Default::default(),
            selectors: None,
        })
        .collect();
    let rows = store
        .sync_feeds(&configs, now - Duration::days(100))
        .unwrap();
    let mut order: Vec<usize> = (0..seeds.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(seeds[i].minutes_ago));
    let mut ids = vec![0; seeds.len()];
    for i in order {
        let s = &seeds[i];
        let published = now - Duration::minutes(s.minutes_ago);
        let article = Article {
            feed_id: rows[s.feed].id,
            feed: FEEDS[s.feed].0.to_string(),
            identity: s.url.clone(),
            url: s.url.clone(),
            title: s.title.clone(),
            summary: s.summary.clone(),
            body: s.body.clone(),
            lang: Some("en".to_string()),
            published,
            fetched: published + Duration::minutes(4),
            tags: Tags {
                countries: sorted(&s.countries),
                regions: sorted(&s.regions),
                topics: sorted(&s.topics),
            },
        };
        let matches: Vec<Match> = s
            .watchlists
            .iter()
            .map(|(w, term)| watch_match(w, term, &s.title))
            .collect();
        let report = store
            .ingest(
                std::slice::from_ref(&article),
                &mut |_| matches.clone(),
                article.fetched,
            )
            .unwrap();
        ids[i] = *report.new.first().expect("each seed is a new article");
    }
    for (row, (_, _, status, error)) in rows.iter().zip(FEEDS) {
        record_health(store, row.id, *status, *error, now);
    }
    ids
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    out.sort();
    out
}

fn watch_match(watchlist: &str, term: &str, title: &str) -> Match {
    let snippet = match title.find(term) {
        Some(at) => format!("{}[{term}]{}", &title[..at], &title[at + term.len()..]),
        None => format!("… [{term}] …"),
    };
    let webhooks = if watchlist == "xinjiang" {
        vec!["ops".into(), "chat".into()]
    } else {
        vec!["ops".into()]
    };
    Match {
        watchlist: watchlist.to_string(),
        webhooks,
        matches: vec![TermMatch {
            term: term.to_string(),
            snippet,
        }],
        per_story: false,
    }
}

fn record_health(
    store: &mut Store,
    id: i64,
    status: FeedStatus,
    error: Option<&str>,
    now: DateTime<Utc>,
) {
    let failing = error.is_some();
    let record = FetchRecord {
        at: now - Duration::minutes(6),
        status,
        http_status: Some(if status == FeedStatus::Failing {
            503
        } else {
            200
        }),
        error: error.map(str::to_string),
        etag: None,
        last_modified: None,
        new_url: None,
        title: None,
        next_poll: now + Duration::minutes(9),
        retry_after: None,
        consecutive_failures: if failing { 7 } else { 0 },
        new_items: 0,
    };
    store.record_fetch(id, &record).unwrap();
}

/// Marks the seeded alerts as a running daemon would have left them: most
/// delivered, the newest still pending, one given up.
pub fn settle_alerts(store: &mut Store) {
    let alerts = store.list_alerts(None, 10_000).unwrap();
    for (i, alert) in alerts.iter().enumerate() {
        match i {
            0 | 1 => {}
            4 => {
                let error = "HTTP 500 Internal Server Error; gave up after 10 attempts";
                assert!(store.mark_failed(alert.id, error).unwrap());
            }
            _ => store
                .record_delivered(alert.id, alert.created + Duration::seconds(3))
                .unwrap(),
        }
    }
}

/// The full realistic data set: recent and background articles, feed health
/// and settled alerts. Returns the recent seeds and their ids.
pub fn seed_realistic(store: &mut Store, now: DateTime<Utc>) -> (Vec<Seed>, Vec<ArticleId>) {
    let mut seeds = recent_articles();
    seeds.extend(background_articles());
    let ids = store_seeds(store, &seeds, now);
    settle_alerts(store);
    (seeds, ids)
}

/// Titles of the seeds tagged with `country`.
pub fn titles_for_country(seeds: &[Seed], country: &str) -> Vec<String> {
    let mut titles: Vec<String> = seeds
        .iter()
        .filter(|s| s.countries.contains(&country))
        .map(|s| s.title.clone())
        .collect();
    titles.sort();
    titles
}
