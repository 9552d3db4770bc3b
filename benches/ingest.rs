//! End-to-end ingest benchmark: the release binary's `run --once` over 200
//! local feeds of 50 items each, cold and again when every feed answers 304,
//! with 1,000 watch terms configured; newsboat side by side when installed.
//!
//! The feeds are generated from the dev set's English and Russian sentences
//! (seeded, so every run serves the same bytes): 60% English, 40% Russian;
//! a quarter Atom, the rest RSS 2.0 with `content:encoded`, and half of the
//! Russian RSS feeds encoded as windows-1251. They are served by axum on 50
//! loopback addresses (127.0.0.1-50, four feeds per "outlet", as news sites
//! have several feeds), with ETag and Last-Modified, so a second poll gets 304.
//!
//! Measured with GNU time: wall time, peak resident memory; then the database
//! size per article beyond the article's own text.
//!
//! Run with `scripts/bench-ingest.sh` (or `cargo bench --bench ingest`);
//! `BENCH_REPS` (default 3) sets the repetitions, the median is reported.
//! The table is printed and written to `target/bench-ingest.md`. `BENCH_BIN`
//! measures another build of the binary (e.g. a copy of main's) instead.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The binary measured: this build's, or `BENCH_BIN` (another build, for
/// side-by-side runs of two versions on the same served feeds).
fn bin() -> String {
    std::env::var("BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_steppewatch").to_string())
}
const FEEDS: usize = 200;
const ITEMS: usize = 50;
/// Feeds per loopback address: several feeds per outlet, as news sites have.
const FEEDS_PER_HOST: usize = 4;
const WATCH_TERMS: usize = 1000;
const TERMS_PER_WATCHLIST: usize = 20;
const LAST_MODIFIED: &str = "Sun, 29 Nov 2026 06:00:00 GMT";

/// One generated feed, ready to serve.
struct Feed {
    body: Vec<u8>,
    content_type: &'static str,
    etag: String,
}

/// What the server saw.
#[derive(Default)]
struct Counts {
    full: AtomicUsize,
    not_modified: AtomicUsize,
}

struct Served {
    feeds: Vec<Feed>,
    counts: Counts,
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and a
    // debug build would only measure the debug build.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("ingest: a benchmark; run it with `cargo bench --bench ingest`");
        return;
    }
    let reps: usize = std::env::var("BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let corpus = Corpus::from_dev_set();
    let served = Arc::new(Served {
        feeds: (0..FEEDS).map(|n| corpus.feed(n)).collect(),
        counts: Counts::default(),
    });
    let text_bytes: usize = served.feeds.iter().map(|f| f.body.len()).sum();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let port = runtime.block_on(serve(served.clone()));
    let urls: Vec<String> = (0..FEEDS).map(|n| feed_url(port, n)).collect();
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-ingest");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let terms = &corpus.terms;

    eprintln!(
        "ingest bench: {FEEDS} feeds x {ITEMS} items ({:.1} MB of feed XML), {} watch terms, {reps} reps",
        text_bytes as f64 / 1e6,
        terms.len()
    );
    let mut sw_cold = Vec::new();
    let mut sw_warm = Vec::new();
    let mut db = None;
    let bin = bin();
    let bin = bin.as_str();
    for rep in 0..reps {
        let dir = work.join(format!("steppewatch-{rep}"));
        std::fs::create_dir_all(&dir).unwrap();
        let config = write_config(&dir, &urls, terms);
        let before = served.counts.full.load(Ordering::Relaxed);
        sw_cold.push(run_timed(&[
            bin,
            "--config",
            path(&config),
            "run",
            "--once",
        ]));
        let fetched = served.counts.full.load(Ordering::Relaxed) - before;
        assert_eq!(fetched, FEEDS, "cold run fetched every feed once");
        let before = served.counts.not_modified.load(Ordering::Relaxed);
        sw_warm.push(run_timed(&[
            bin,
            "--config",
            path(&config),
            "run",
            "--once",
        ]));
        let unchanged = served.counts.not_modified.load(Ordering::Relaxed) - before;
        assert_eq!(unchanged, FEEDS, "second run got 304 from every feed");
        if rep == 0 {
            db = Some(db_stats(&dir.join("steppewatch.db")));
        }
    }
    let db = db.expect("one rep at least");
    assert_eq!(db.articles, FEEDS * ITEMS, "every item stored once");

    let newsboat = which("newsboat")
        .filter(|_| std::env::var_os("BENCH_NO_NEWSBOAT").is_none())
        .map(|nb| run_newsboat(&nb, &work, &urls, &served, reps));
    let table = report(&sw_cold, &sw_warm, &db, newsboat.as_ref());
    println!("{table}");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../bench-ingest.md");
    std::fs::write(&out, &table).expect("write report");
    eprintln!("written to {}", out.display());
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn feed_url(port: u16, n: usize) -> String {
    let host = n / FEEDS_PER_HOST + 1;
    format!("http://127.0.0.{host}:{port}/feed/{n}.xml")
}

// ---------------------------------------------------------------------------
// Feed generation

/// Sentences and words of one language of the dev set, which items are drawn from.
struct Pool {
    russian: bool,
    sentences: Vec<String>,
    /// Every word as it occurs (so common words are drawn more often).
    words: Vec<String>,
}

impl Pool {
    fn new(russian: bool) -> Pool {
        Pool {
            russian,
            sentences: vec![],
            words: vec![],
        }
    }
}

/// The English and Russian pools, and the watch terms.
struct Corpus {
    en: Pool,
    ru: Pool,
    terms: Vec<String>,
}

impl Corpus {
    fn from_dev_set() -> Corpus {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/dev-set/articles.json"
        );
        let articles: Vec<serde_json::Value> =
            serde_json::from_slice(&std::fs::read(path).expect("dev set")).expect("dev set json");
        let (mut en, mut ru) = (Pool::new(false), Pool::new(true));
        for a in &articles {
            let pool = match a["lang"].as_str() {
                Some("en") => &mut en,
                Some("ru") => &mut ru,
                _ => continue,
            };
            for field in ["title", "summary", "body"] {
                pool.sentences
                    .extend(sentences(a[field].as_str().unwrap_or("")));
            }
        }
        for pool in [&mut en, &mut ru] {
            pool.sentences.sort();
            pool.sentences.dedup();
            pool.words = pool
                .sentences
                .iter()
                .flat_map(|s| s.split(' '))
                .map(str::to_string)
                .collect();
        }
        Corpus {
            en,
            ru,
            terms: watch_terms(),
        }
    }

    fn feed(&self, n: usize) -> Feed {
        let mut rng = StdRng::seed_from_u64(n as u64);
        let russian = n % 5 >= 3;
        let pool = if russian { &self.ru } else { &self.en };
        let cyrillic = |t: &&String| t.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c));
        let names: Vec<String> = self
            .terms
            .iter()
            .filter(|t| cyrillic(t) == russian)
            .cloned()
            .collect();
        let items: Vec<GenItem> = (0..ITEMS)
            .map(|i| gen_item(&mut rng, pool, &names, n, i))
            .collect();
        let title = format!("Bench outlet {n}");
        let etag = format!("\"bench-{n}-v1\"");
        if n.is_multiple_of(4) {
            return Feed {
                body: atom(&title, &items).into_bytes(),
                content_type: "application/atom+xml; charset=utf-8",
                etag,
            };
        }
        if russian && n % 2 == 1 {
            let xml = rss(&title, &items, "windows-1251");
            let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&xml);
            return Feed {
                body: bytes.into_owned(),
                content_type: "application/rss+xml; charset=windows-1251",
                etag,
            };
        }
        Feed {
            body: rss(&title, &items, "utf-8").into_bytes(),
            content_type: "application/rss+xml; charset=utf-8",
            etag,
        }
    }
}

/// 1,000 watch terms as users write them: names of companies, people and
/// places, 70% in Latin and 30% in Cyrillic script, some two-word names
/// (`Zhanbulak Holding`), half of the Cyrillic ones as prefix terms
/// (`Жанбулак*`). They are made up, so that they match exactly the items
/// that [`mention`] them ([`MENTIONS`] of all items) and nothing else.
fn watch_terms() -> Vec<String> {
    const LATIN: &[&str] = &[
        "ka", "ra", "zhan", "tas", "bu", "lak", "ba", "tyr", "kol", "sai", "ar", "man", "tal",
        "dy", "kor", "gan", "mur", "sha", "ty", "ken", "aul", "bek", "uz", "on",
    ];
    const CYRILLIC: &[&str] = &[
        "ка", "ра", "жан", "тас", "бу", "лак", "ба", "тыр", "кол", "сай", "ар", "ман", "тал", "ды",
        "кор", "ган", "мур", "ша", "ты", "кен", "аул", "бек", "уз", "он",
    ];
    let mut rng = StdRng::seed_from_u64(1000);
    let mut terms: Vec<String> = Vec::new();
    while terms.len() < WATCH_TERMS {
        let cyrillic = rng.random_bool(0.3);
        let syllables = if cyrillic { CYRILLIC } else { LATIN };
        let mut name: String = (0..rng.random_range(3..=4))
            .map(|_| *syllables.choose(&mut rng).unwrap())
            .collect();
        let first = name.chars().next().unwrap();
        name = first.to_uppercase().chain(name.chars().skip(1)).collect();
        if !cyrillic && rng.random_bool(0.2) {
            name.push_str(" Holding");
        } else if cyrillic && rng.random_bool(0.5) {
            name.push('*');
        }
        if !terms.contains(&name) {
            terms.push(name);
        }
    }
    terms
}

/// Sentences of a text: split after `.`, `!`, `?` followed by a space.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for w in chars.windows(2) {
        let ((i, c), (_, next)) = (w[0], w[1]);
        if matches!(c, '.' | '!' | '?') && next.is_whitespace() {
            let s = text[start..=i].trim();
            if s.chars().count() > 30 {
                out.push(s.to_string());
            }
            start = i + 1;
        }
    }
    out
}

struct GenItem {
    guid: String,
    link: String,
    title: String,
    summary: String,
    paragraphs: Vec<String>,
    published: chrono::DateTime<chrono::Utc>,
}

/// Share of the words of a drawn sentence replaced by another word of the
/// same language: the pool is small, and without it every article would share
/// whole sentences (3-word shingles) with hundreds of others, which no real
/// corpus does and which makes near-duplicate detection do all its work.
const SUBSTITUTION: f64 = 0.4;

/// Share of items that mention one of the watched names.
const MENTIONS: f64 = 0.2;

/// A pool sentence with [`SUBSTITUTION`] of its words replaced.
fn sentence(rng: &mut StdRng, pool: &Pool) -> String {
    let s = pool.sentences.choose(rng).unwrap();
    s.split(' ')
        .map(|w| {
            if rng.random_bool(SUBSTITUTION) {
                pool.words.choose(rng).unwrap().as_str()
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A sentence naming a watched name, in the item's language; Russian prefix
/// terms (`Жанбулак*`) appear inflected, as Russian text has them.
fn mention(rng: &mut StdRng, names: &[String], russian: bool) -> String {
    let name = names.choose(rng).unwrap();
    match (russian, name.strip_suffix('*')) {
        (false, _) => format!("Representatives of {name} took part in the talks."),
        (true, Some(stem)) => format!("Представители {stem}а приняли участие в переговорах."),
        (true, None) => format!("Об этом сообщила компания {name}."),
    }
}

fn gen_item(rng: &mut StdRng, pool: &Pool, names: &[String], feed: usize, i: usize) -> GenItem {
    let first = sentence(rng, pool);
    let title: String = first
        .split_whitespace()
        .take(11)
        .collect::<Vec<_>>()
        .join(" ");
    let mut paragraphs: Vec<String> = (0..rng.random_range(3..=6))
        .map(|_| {
            (0..rng.random_range(2..=3))
                .map(|_| sentence(rng, pool))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    if rng.random_bool(MENTIONS) {
        let at = rng.random_range(0..paragraphs.len());
        let text = mention(rng, names, pool.russian);
        paragraphs[at].push(' ');
        paragraphs[at].push_str(&text);
    }
    let base = chrono::DateTime::parse_from_rfc3339("2026-11-29T06:00:00Z")
        .unwrap()
        .to_utc();
    GenItem {
        guid: format!("urn:bench:{feed}:{i}"),
        link: format!("https://outlet{feed}.bench.example/news/{i}"),
        title: title.trim_end_matches(['.', ',']).to_string(),
        summary: first,
        paragraphs,
        published: base - chrono::Duration::minutes((i * 37 + feed) as i64),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn html(paragraphs: &[String]) -> String {
    paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>\n", esc(p)))
        .collect()
}

fn rss(title: &str, items: &[GenItem], encoding: &str) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"{encoding}\"?>\n<rss version=\"2.0\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n<channel>\
         <title>{}</title><link>https://bench.example/</link><description>bench</description>\n",
        esc(title)
    );
    for i in items {
        let _ = writeln!(
            s,
            "<item><title>{}</title><link>{}</link><guid isPermaLink=\"false\">{}</guid>\
             <pubDate>{}</pubDate><description>{}</description>\
             <content:encoded><![CDATA[{}]]></content:encoded></item>",
            esc(&i.title),
            i.link,
            i.guid,
            i.published.to_rfc2822(),
            esc(&i.summary),
            html(&i.paragraphs)
        );
    }
    s.push_str("</channel></rss>\n");
    s
}

fn atom(title: &str, items: &[GenItem]) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <title>{}</title><id>urn:bench:{}</id><updated>2026-11-29T06:00:00Z</updated>\n",
        esc(title),
        esc(title)
    );
    for i in items {
        let _ = writeln!(
            s,
            "<entry><title>{}</title><id>{}</id><link rel=\"alternate\" href=\"{}\"/>\
             <published>{}</published><updated>{}</updated><summary>{}</summary>\
             <content type=\"html\">{}</content></entry>",
            esc(&i.title),
            i.guid,
            i.link,
            i.published.to_rfc3339(),
            i.published.to_rfc3339(),
            esc(&i.summary),
            esc(&html(&i.paragraphs))
        );
    }
    s.push_str("</feed>\n");
    s
}

// ---------------------------------------------------------------------------
// Serving

/// Serves every feed on 127.0.0.1-50 (one port); returns the port.
async fn serve(served: Arc<Served>) -> u16 {
    let app = Router::new()
        .route("/feed/{file}", axum::routing::get(feed))
        .with_state(served);
    let first = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = first.local_addr().unwrap().port();
    tokio::spawn(axum::serve(first, app.clone()).into_future());
    for host in 2..=FEEDS.div_ceil(FEEDS_PER_HOST) {
        let addr: SocketAddr = format!("127.0.0.{host}:{port}").parse().unwrap();
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .unwrap_or_else(|e| panic!("bind {addr}: {e}"));
        tokio::spawn(axum::serve(listener, app.clone()).into_future());
    }
    port
}

async fn feed(
    State(served): State<Arc<Served>>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let Some(feed) = file
        .strip_suffix(".xml")
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| served.feeds.get(n))
    else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::empty())
            .unwrap();
    };
    let etag_matches = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == feed.etag.as_bytes());
    let date_matches = headers
        .get(header::IF_MODIFIED_SINCE)
        .is_some_and(|v| v.as_bytes() == LAST_MODIFIED.as_bytes());
    let builder = Response::builder()
        .header(header::ETAG, &feed.etag)
        .header(header::LAST_MODIFIED, LAST_MODIFIED);
    if etag_matches || (date_matches && !headers.contains_key(header::IF_NONE_MATCH)) {
        served.counts.not_modified.fetch_add(1, Ordering::Relaxed);
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap();
    }
    served.counts.full.fetch_add(1, Ordering::Relaxed);
    builder
        .header(header::CONTENT_TYPE, feed.content_type)
        .body(Body::from(feed.body.clone()))
        .unwrap()
}

// ---------------------------------------------------------------------------
// Running and measuring

fn write_config(dir: &Path, urls: &[String], terms: &[String]) -> PathBuf {
    let mut s = format!(
        "[storage]\npath = \"{}\"\n\n[fetch]\nallow_private = true\n\n[http]\nlisten = \"\"\n\n",
        dir.join("steppewatch.db").display()
    );
    for (n, url) in urls.iter().enumerate() {
        let _ = writeln!(
            s,
            "[[feed]]\nname = \"Bench outlet {n}\"\nurl = \"{url}\"\n"
        );
    }
    for (n, chunk) in terms.chunks(TERMS_PER_WATCHLIST).enumerate() {
        let list: Vec<String> = chunk.iter().map(|t| format!("{t:?}")).collect();
        let _ = writeln!(
            s,
            "[[watchlist]]\nname = \"watch-{n}\"\nany = [{}]\n",
            list.join(", ")
        );
    }
    let path = dir.join("steppewatch.toml");
    std::fs::write(&path, s).expect("write config");
    path
}

/// Wall time, CPU time (user + system) and peak resident memory of one command.
#[derive(Debug, Clone, Copy)]
struct Run {
    wall: Duration,
    cpu: Duration,
    max_rss_kib: u64,
}

/// Numbers the logs kept with `BENCH_LOG`, and the runs for `BENCH_WRAP`.
static RUNS: AtomicUsize = AtomicUsize::new(0);
static RUN_NO: AtomicUsize = AtomicUsize::new(0);

fn run_timed(argv: &[&str]) -> Run {
    let stats = std::env::temp_dir().join(format!("bench-ingest-time-{}", std::process::id()));
    let start = Instant::now();
    // `BENCH_WRAP="perf record -g -o /tmp/perf-{n}.data --"` profiles the runs;
    // `{n}` in it numbers the runs.
    let wrap = std::env::var("BENCH_WRAP")
        .unwrap_or_default()
        .replace("{n}", &RUN_NO.fetch_add(1, Ordering::Relaxed).to_string());
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M %U %S", "-o", path(&stats)])
        .args(wrap.split_whitespace())
        .args(argv)
        .env(
            "RUST_LOG",
            std::env::var("BENCH_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .output()
        .expect("run /usr/bin/time (GNU time)");
    if std::env::var_os("BENCH_LOG").is_some() {
        let n = RUNS.fetch_add(1, Ordering::Relaxed);
        let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-ingest/run-{n}.log"));
        let _ = std::fs::write(log, &out.stderr);
    }
    let wall = start.elapsed();
    assert!(
        out.status.success(),
        "{argv:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&stats).unwrap_or_default();
    let fields: Vec<f64> = text
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let (max_rss_kib, cpu) = match fields[..] {
        [rss, user, sys] => (rss as u64, Duration::from_secs_f64(user + sys)),
        _ => (0, Duration::ZERO),
    };
    Run {
        wall,
        cpu,
        max_rss_kib,
    }
}

fn median(runs: &[Run]) -> Run {
    let mut walls: Vec<Duration> = runs.iter().map(|r| r.wall).collect();
    walls.sort();
    let mut cpus: Vec<Duration> = runs.iter().map(|r| r.cpu).collect();
    cpus.sort();
    let mut rss: Vec<u64> = runs.iter().map(|r| r.max_rss_kib).collect();
    rss.sort();
    Run {
        wall: walls[walls.len() / 2],
        cpu: cpus[cpus.len() / 2],
        max_rss_kib: rss[rss.len() / 2],
    }
}

struct DbStats {
    articles: usize,
    file_bytes: u64,
    text_bytes: u64,
    matches: usize,
    matched_articles: usize,
    /// Articles per detected language (`-` for none), most first: the
    /// corpus is 60% English and 40% Russian.
    languages: String,
    tables: Vec<(String, u64)>,
}

fn db_stats(db: &Path) -> DbStats {
    let file_bytes = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", db.display())).ok())
        .map(|m| m.len())
        .sum();
    let conn = rusqlite::Connection::open(db).expect("open bench db");
    let one = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap_or(0) };
    let tables = conn
        .prepare("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")
        .and_then(|mut st| {
            st.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .unwrap_or_default();
    DbStats {
        articles: one("SELECT COUNT(*) FROM articles") as usize,
        file_bytes,
        text_bytes: one(
            "SELECT SUM(LENGTH(CAST(url AS BLOB)) + LENGTH(CAST(title AS BLOB)) \
             + LENGTH(CAST(summary AS BLOB)) + LENGTH(CAST(body AS BLOB))) FROM articles",
        ) as u64,
        matches: one("SELECT COUNT(*) FROM article_matches") as usize,
        matched_articles: one("SELECT COUNT(DISTINCT article_id) FROM article_matches") as usize,
        languages: conn
            .prepare("SELECT COALESCE(lang, '-') || ' ' || COUNT(*) FROM articles GROUP BY lang ORDER BY COUNT(*) DESC")
            .and_then(|mut st| st.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>())
            .unwrap_or_default()
            .join(", "),
        tables,
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// newsboat's cold reload, its second, and its third (the first to send
/// conditional requests), each the median over `reps` fresh caches.
struct Newsboat {
    version: String,
    cold: Run,
    second: Run,
    third: Run,
    third_304: usize,
}

fn run_newsboat(nb: &Path, work: &Path, urls: &[String], served: &Served, reps: usize) -> Newsboat {
    let mut runs = [vec![], vec![], vec![]];
    let mut third_304 = 0;
    for rep in 0..reps {
        let dir = work.join(format!("newsboat-{rep}"));
        std::fs::create_dir_all(&dir).unwrap();
        let url_file = dir.join("urls");
        std::fs::write(&url_file, urls.join("\n") + "\n").unwrap();
        let conf = dir.join("config");
        std::fs::write(&conf, "reload-threads 2\n").unwrap();
        let cache = dir.join("cache.db");
        let argv = [
            path(nb),
            "-x",
            "reload",
            "-u",
            path(&url_file),
            "-c",
            path(&cache),
            "-C",
            path(&conf),
        ];
        for (k, slot) in runs.iter_mut().enumerate() {
            let before = served.counts.not_modified.load(Ordering::Relaxed);
            slot.push(run_timed(&argv));
            if k == 2 {
                third_304 = served.counts.not_modified.load(Ordering::Relaxed) - before;
            }
        }
    }
    let version = Command::new(nb)
        .arg("-v")
        .output()
        .map(|o| {
            let out = String::from_utf8_lossy(&o.stdout).into_owned();
            let line = out.lines().next().unwrap_or("");
            line.split(" - ").next().unwrap_or(line).to_string()
        })
        .unwrap_or_default();
    Newsboat {
        version,
        cold: median(&runs[0]),
        second: median(&runs[1]),
        third: median(&runs[2]),
        third_304,
    }
}

fn report(cold: &[Run], warm: &[Run], db: &DbStats, nb: Option<&Newsboat>) -> String {
    let (cold, warm) = (median(cold), median(warm));
    let secs = |r: Run| r.wall.as_secs_f64();
    let mib = |r: Run| r.max_rss_kib as f64 / 1024.0;
    let per_article = (db.file_bytes.saturating_sub(db.text_bytes)) as f64 / db.articles as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{FEEDS} feeds x {ITEMS} items = {} articles; {WATCH_TERMS} watch terms in {} watchlists; \
         {} cores; median of {} runs.\n",
        db.articles,
        WATCH_TERMS / TERMS_PER_WATCHLIST,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cold_reps(),
    );
    let _ = writeln!(s, "| | wall time | CPU time | articles/s | peak RSS |");
    let _ = writeln!(s, "|---|---:|---:|---:|---:|");
    let articles = db.articles as f64;
    let mut row = |label: &str, r: Run, rate: bool| {
        let rate = if rate {
            format!("{:.0}", articles / secs(r))
        } else {
            "-".into()
        };
        let _ = writeln!(
            s,
            "| {label} | {:.2} s | {:.2} s | {rate} | {:.1} MiB |",
            secs(r),
            r.cpu.as_secs_f64(),
            mib(r)
        );
    };
    row("steppewatch `run --once`, cold", cold, true);
    row("steppewatch `run --once`, every feed 304", warm, false);
    if let Some(nb) = nb {
        row(&format!("{} `-x reload`, cold", nb.version), nb.cold, true);
        row("newsboat, second reload (unconditional)", nb.second, false);
        row(
            &format!(
                "newsboat, third reload ({} of {FEEDS} feeds 304)",
                nb.third_304
            ),
            nb.third,
            false,
        );
        let _ = writeln!(
            s,
            "\nRatios to newsboat: cold {:.2}x its time (target <= 0.5), all-304 {:.2}x \
             its third reload (target <= 0.2), peak memory {:.2}x (target <= 1).",
            secs(cold) / secs(nb.cold),
            secs(warm) / secs(nb.third),
            mib(cold).max(mib(warm)) / mib(nb.cold).max(mib(nb.third))
        );
    } else {
        let _ = writeln!(s, "\n(newsboat not installed: no side-by-side figures.)");
    }
    let _ = writeln!(
        s,
        "\nDatabase: {:.1} MB for {} articles, of which {:.1} MB is their text (URL, title, summary, body): \
         {:.2} KB per article beyond the text (target <= 2.5). {} watchlist matches recorded; \
         {:.0}% of the articles match at least one watchlist. Languages detected: {}.",
        db.file_bytes as f64 / 1e6,
        db.articles,
        db.text_bytes as f64 / 1e6,
        per_article / 1000.0,
        db.matches,
        100.0 * db.matched_articles as f64 / db.articles as f64,
        db.languages
    );
    if !db.tables.is_empty() {
        let _ = writeln!(s, "\n| table or index | size |\n|---|---:|");
        for (name, bytes) in db.tables.iter().take(12) {
            let _ = writeln!(s, "| {name} | {:.2} MB |", *bytes as f64 / 1e6);
        }
    }
    s
}

fn cold_reps() -> usize {
    std::env::var("BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}
