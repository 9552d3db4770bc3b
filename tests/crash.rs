//! Issue 10: crash safety. The daemon is killed with SIGKILL at random moments
//! while it migrates, ingests and delivers, with new items appearing between
//! runs; then it runs cleanly. Every article is stored exactly once, every
//! expected alert is delivered at least once and recorded once, and SQLite's
//! integrity checks (the database and the FTS5 index) pass.
//!
//! The default suite kills 20 times (about 35 s); `STEPPEWATCH_LONG_TESTS=1`
//! kills 100 times.

use crate::faults::{Fault, FaultServer, body, config, feed_toml, recent, wait_until};
use crate::support::feeds::{TestItem, rss};
use crate::support::{Daemon, Env, FeedServer, Reply};
use rand::Rng;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

/// Feeds polled at once; several, so that a kill can land between two feeds' commits.
const FEEDS: usize = 6;

/// Items each feed gains before every run, so that every run has new work.
const NEW_PER_RUN: usize = 4;

/// The window a kill lands in once the database is open: from its first
/// migration or poll to well after the first deliveries of a run.
const KILL_AFTER_MS: std::ops::Range<u64> = 0..1500;

/// Every this many runs, the kill lands during start-up instead (configuration,
/// compiling the tagger and watchlists, opening and migrating the database).
const STARTUP_KILL_EVERY: usize = 4;

fn kills() -> usize {
    if std::env::var_os("STEPPEWATCH_LONG_TESTS").is_some_and(|v| v == "1") {
        100
    } else {
        20
    }
}

/// Item `n` of `feed`; every other one mentions Khorgos (the watched term).
fn item(feed: usize, n: usize) -> TestItem {
    let topic = if n.is_multiple_of(2) {
        "Freight through Khorgos dry port grows again"
    } else {
        "Wheat harvest in the north is on schedule"
    };
    TestItem {
        guid: Some(format!("urn:crash:{feed}:{n}")),
        link: Some(format!("https://feed{feed}.example.kz/news/{n}")),
        title: format!("Feed {feed} story {n}: {topic}"),
        summary: format!("{topic}, officials said."),
        body: body(topic, n),
        published: recent(n % 48),
    }
}

/// The feeds with `per_feed` items each (newest first, as feeds list them).
fn publish(server: &FeedServer, per_feed: usize) {
    for f in 0..FEEDS {
        let items: Vec<TestItem> = (0..per_feed).rev().map(|n| item(f, n)).collect();
        server.set(
            &format!("/feed{f}.xml"),
            Reply::rss(rss(&format!("Feed {f}"), &items)),
        );
    }
}

fn open_db(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("open the daemon's database")
}

fn count(db: &rusqlite::Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Articles stored so far (0 before the schema exists).
fn stored(path: &Path) -> i64 {
    if !path.exists() {
        return 0;
    }
    open_db(path)
        .query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0))
        .unwrap_or(0)
}

async fn kill(mut daemon: Daemon) {
    daemon.signal("KILL");
    tokio::time::timeout(Duration::from_secs(10), daemon.child.wait())
        .await
        .expect("killed daemon is reaped")
        .expect("wait");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_at_random_moments_loses_and_duplicates_nothing() {
    let server = FeedServer::start().await;
    let hook = FaultServer::start(vec![], Fault::SlowOk).await;
    let mut body = String::new();
    for f in 0..FEEDS {
        body += &feed_toml(&format!("feed{f}"), &server.url(&format!("/feed{f}.xml")));
    }
    body += &format!(
        "[[watchlist]]\nname = \"khorgos\"\nany = [\"Khorgos\"]\nwebhooks = [\"ops\"]\n\n\
         [[webhook]]\nname = \"ops\"\nurl = \"{}\"\nformat = \"json\"\n",
        hook.url("/hook")
    );
    let env = Env::raw(&config(&body));
    let db = env.db();

    let mut per_feed = 0;
    let mut progress = Vec::new();
    for run in 0..kills() {
        per_feed += NEW_PER_RUN;
        publish(&server, per_feed);
        let daemon = env.spawn(&[]);
        // Timed from the moment the database is open, so that the kills land
        // in ingest and delivery however long start-up takes on a busy machine.
        if run % STARTUP_KILL_EVERY != STARTUP_KILL_EVERY - 1 {
            daemon
                .wait_for_log("database open", 1, Duration::from_secs(60))
                .await;
        }
        let after = rand::rng().random_range(KILL_AFTER_MS);
        tokio::time::sleep(Duration::from_millis(after)).await;
        kill(daemon).await;
        progress.push((after, stored(&db), hook.delivered().len()));
    }
    eprintln!("(kill after ms, articles stored, deliveries received) per kill: {progress:?}");
    let stored_between: BTreeSet<i64> = progress.iter().map(|p| p.1).collect();
    assert!(
        stored_between.len() > 1,
        "the kills landed at different stages of ingest: {progress:?}"
    );

    // A clean run finishes the work.
    let total = (FEEDS * per_feed) as i64;
    let watched = FEEDS * per_feed.div_ceil(2);
    let daemon = env.spawn(&[]);
    // Debug builds on a shared machine deliver a few hundred alerts a minute.
    let limit = Duration::from_secs(60 + 4 * kills() as u64);
    wait_until(&daemon, limit, "all stored and delivered", || {
        let env = &env;
        async move {
            let alerts = env
                .json_lines(&["alerts", "list", "--json", "--limit", "10000"])
                .await;
            stored(&env.db()) == total
                && alerts.len() == watched
                && alerts.iter().all(|a| a["status"] == "delivered")
        }
    })
    .await;
    let (status, log) = daemon.stop().await;
    assert!(status.success(), "clean exit:\n{log}");

    // Exactly once in the database.
    let conn = open_db(&db);
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM articles"), total);
    assert_eq!(
        count(&conn, "SELECT COUNT(DISTINCT url) FROM articles"),
        total
    );
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM article_sources"),
        total,
        "one source row per item"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH 'Khorgos'"
        ),
        watched as i64,
        "the full-text index finds every matching article once"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM alerts WHERE article_id IS NOT NULL"
        ),
        watched as i64,
        "one alert per matching article"
    );
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    conn.execute(
        "INSERT INTO articles_fts(articles_fts) VALUES('integrity-check')",
        [],
    )
    .expect("FTS5 index consistent with its table");

    // At least once at the receiver: every alert's webhook-id answered 200.
    let received: BTreeSet<String> = hook.delivered().into_iter().map(|(id, _)| id).collect();
    let mut stmt = conn
        .prepare("SELECT msg_id FROM alerts WHERE article_id IS NOT NULL")
        .unwrap();
    let ids: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for id in &ids {
        assert!(
            received.contains(id),
            "alert {id} never reached the receiver"
        );
    }
    let resent = hook.delivered().len() - received.len();
    eprintln!(
        "{total} articles, {} alerts, {resent} re-sent after a kill (receivers deduplicate on webhook-id)",
        ids.len()
    );
}
