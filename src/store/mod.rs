//! The store: one SQLite file in WAL mode; all SQL lives under this module.
//!
//! One `Store` is one connection. The daemon owns a single writer `Store`
//! (behind a std `Mutex`, used from `spawn_blocking`); readers such as the CLI
//! and the HTTP API open their own. Every write that belongs together is one
//! `BEGIN IMMEDIATE` transaction: taking the write lock up front means a
//! reader's snapshot can never make the writer fail half-way with `SQLITE_BUSY`.
//!
//! Times are stored as Unix seconds (UTC).

pub mod alerts;
pub mod articles;
mod checkpoint;
pub mod feeds;
pub mod group;
mod pending;
pub mod search;
pub mod stats;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use rusqlite_migration::{M, Migrations};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use articles::{ArticleFilter, ArticleView, IngestReport, ReplayHit, ReplayReport, SourceView};
pub use feeds::{FeedRow, FeedStatus, FetchRecord};
pub use search::SearchHit;

/// Schema migrations, applied in order; the schema version is `PRAGMA user_version`,
/// the number of steps applied.
const STEPS: &[M<'static>] = &[
    M::up(include_str!("../../migrations/0001_init.sql")),
    M::up(include_str!("../../migrations/0002_alert_delivery.sql")),
    M::up(include_str!("../../migrations/0003_stories.sql")),
    M::up(include_str!("../../migrations/0004_compact_store.sql")),
    M::up(include_str!("../../migrations/0005_batched_fts.sql")),
];

pub const MIGRATIONS: Migrations<'static> = Migrations::from_slice(STEPS);

/// How long a statement waits for another connection's lock before failing.
/// Writes are short transactions, so anything longer than this means a stuck peer.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "database {path} has schema version {found}, newer than this steppewatch knows ({known}); refusing to touch it (upgrade steppewatch or use another database)"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("database {path}: migration failed: {source}")]
    Migration {
        path: PathBuf,
        source: rusqlite_migration::Error,
    },
    #[error("database: no feed with id {0}")]
    NoFeed(i64),
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("database: unable to start the checkpoint thread: {0}")]
    Checkpointer(std::io::Error),
    #[error("database: unable to sync the write-ahead log: {0}")]
    Sync(std::io::Error),
}

impl StoreError {
    /// Another connection held a lock that SQLite would not wait for (it
    /// returns `SQLITE_BUSY` at once where waiting could deadlock, e.g. while
    /// two processes set up a new file together).
    fn is_busy(&self) -> bool {
        let source = match self {
            StoreError::Open { source, .. } | StoreError::Sql(source) => source,
            StoreError::Migration {
                source: rusqlite_migration::Error::RusqliteError { err, .. },
                ..
            } => err,
            _ => return false,
        };
        source.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
    }
}

/// A connection to the database.
pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
    /// Set on the daemon's writer ([`Store::checkpoint_in_background`]).
    checkpointer: Option<checkpoint::Checkpointer>,
}

impl Drop for Store {
    fn drop(&mut self) {
        // Before the connection closes: the thread's connection must close
        // first for the writer's close to checkpoint and remove the log.
        if let Some(checkpointer) = self.checkpointer.take() {
            checkpointer.stop(&self.conn);
        }
    }
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    ///
    /// A database whose schema is newer than this binary is refused before
    /// anything is written to it (not even the journal mode).
    ///
    /// # Errors
    /// The file cannot be opened, a migration fails, or the schema is newer than this binary.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut waited = Duration::ZERO;
        loop {
            match Store::open_once(path) {
                Err(e) if e.is_busy() && waited < BUSY_TIMEOUT => {
                    std::thread::sleep(OPEN_RETRY);
                    waited += OPEN_RETRY;
                }
                result => return result,
            }
        }
    }

    /// One attempt of [`Store::open`].
    fn open_once(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        let found: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(open_err)?;
        let known = MIGRATIONS_COUNT;
        if found > known {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found,
                known,
            });
        }
        if found == 0 {
            // A new file: both settings only take effect before the first
            // table exists. Incremental auto-vacuum lets retention give pages
            // back to the file system without a blocking VACUUM.
            conn.execute_batch(&format!(
                "PRAGMA page_size = {PAGE_SIZE}; PRAGMA auto_vacuum = INCREMENTAL;"
            ))
            .map_err(open_err)?;
        }
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .map_err(open_err)?;
        if let Err(source) = MIGRATIONS.to_latest(&mut conn) {
            // Two processes opening a new file at once (daemon and CLI) both
            // try to migrate; the loser fails, but the schema is then current.
            let now: i64 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(open_err)?;
            if now != known {
                return Err(StoreError::Migration {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            checkpointer: None,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves this connection's WAL checkpoints to a thread of their own, so
    /// that its commits do not wait for them (for the daemon's single writer:
    /// see `store::checkpoint`). Stopped when the store is dropped. Calling it
    /// again changes nothing.
    ///
    /// # Errors
    /// The thread's connection cannot be opened or the thread cannot start;
    /// commits then checkpoint as before.
    pub fn checkpoint_in_background(&mut self) -> Result<(), StoreError> {
        if self.checkpointer.is_none() {
            self.checkpointer = Some(checkpoint::Checkpointer::start(&self.conn, &self.path)?);
        }
        Ok(())
    }

    /// Puts every transaction committed so far on disk, whatever
    /// `synchronous` it committed with: an fsync of the write-ahead log, which
    /// holds them all until a checkpoint (itself synced) copies them into the
    /// database file. Without a log there is nothing to sync.
    ///
    /// # Errors
    /// The log cannot be opened or synced.
    pub fn sync_log(&self) -> Result<(), StoreError> {
        let mut log = self.path.clone().into_os_string();
        log.push("-wal");
        match std::fs::File::open(&log) {
            Ok(file) => file.sync_data().map_err(StoreError::Sync),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::Sync(e)),
        }
    }

    /// Gives back the memory this connection keeps only for speed: the page
    /// cache (up to `cache_size`, 2 MB by default, about 2.3 MB of an idle
    /// daemon's heap) and the prepared statements. Both refill on the next
    /// use, so call it when the connection goes unused for a while.
    ///
    /// # Errors
    /// SQLite refuses (it does not while no statement is running).
    pub fn release_memory(&self) -> Result<(), StoreError> {
        self.conn.flush_prepared_statement_cache();
        // `sqlite3_db_release_memory`, as `PRAGMA shrink_memory`: drops every
        // unpinned page of this connection's caches.
        self.conn.release_memory()?;
        Ok(())
    }

    /// Begins a write transaction that holds the write lock from its start.
    pub(crate) fn begin_immediate(&mut self) -> Result<Transaction<'_>, StoreError> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }
}

/// Pause between attempts when opening meets a lock SQLite will not wait for.
const OPEN_RETRY: Duration = Duration::from_millis(20);

/// Page size of new databases. Articles are rows of a few KB, and a page keeps
/// on average about half a row free at its end, so the waste per article falls
/// as pages grow: measured on the ingest benchmark (rows of ~2.5 KB), 0.49 KB
/// of free space per article in the articles table with 8 KiB pages, 0.22 KB
/// with 16 KiB (and 2.7 KB per article beyond the text with 4 KiB pages, 2.2
/// KB with 8 KiB, on an earlier corpus). Larger pages would save a little more
/// but make every commit write more: a page of each random-keyed index an
/// insert touches goes to the WAL whole. Existing files keep their page size.
const PAGE_SIZE: u32 = 16384;

/// The newest schema version this binary knows.
const MIGRATIONS_COUNT: i64 = STEPS.len() as i64;

/// A time as stored: Unix seconds.
pub(crate) fn to_ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// A stored time back; out-of-range values (never written by us) become the epoch.
pub(crate) fn from_ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// A stored time as the RFC 3339 text of the JSON outputs (`2026-10-18T09:00:00Z`).
pub(crate) fn ts_text(secs: i64) -> String {
    from_ts(secs).to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::Store;
    use crate::config::FeedConfig;
    use crate::model::{Article, ArticleId, FeedId, Match, Tags, TermMatch};
    use crate::store::ArticleFilter;
    use chrono::{DateTime, TimeZone, Utc};

    /// FTS5's own check that the full-text index matches the articles;
    /// panics when it does not.
    pub fn check_fts(store: &Store) {
        store
            .conn
            .execute(
                "INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')",
                [],
            )
            .unwrap();
    }

    pub fn open() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("test.db")).unwrap();
        (dir, store)
    }

    pub fn t(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 10, day, hour, 0, 0).unwrap()
    }

    pub fn feed_config(url: &str, name: Option<&str>) -> FeedConfig {
        FeedConfig {
            url: url.into(),
            name: name.map(Into::into),
            ..FeedConfig::default()
        }
    }

    /// Two feeds, "A" and "B"; returns their ids.
    pub fn two_feeds(store: &mut Store) -> (FeedId, FeedId) {
        let rows = store
            .sync_feeds(
                &[
                    feed_config("http://a.test/feed", Some("A")),
                    feed_config("http://b.test/feed", Some("B")),
                ],
                t(1, 0),
            )
            .unwrap();
        (rows[0].id, rows[1].id)
    }

    pub fn article(feed_id: FeedId, identity: &str, url: &str, title: &str) -> Article {
        Article {
            feed_id,
            feed: if feed_id == 1 { "A".into() } else { "B".into() },
            identity: identity.into(),
            url: url.into(),
            title: title.into(),
            summary: format!("summary of {title}"),
            body: format!("body of {title}"),
            lang: Some("en".into()),
            published: t(10, 8),
            fetched: t(10, 9),
            tags: Tags::default(),
        }
    }

    /// The stored `article_sources.url` column, in insertion order (NULL when
    /// it equals the article's own URL).
    pub fn source_urls(store: &Store) -> Vec<Option<String>> {
        store
            .conn
            .prepare("SELECT url FROM article_sources ORDER BY rowid")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// The ids `list_articles` gives for `filter`, sorted.
    pub fn listed_ids(store: &Store, filter: &ArticleFilter) -> Vec<ArticleId> {
        let mut ids: Vec<ArticleId> = store
            .list_articles(filter)
            .unwrap()
            .iter()
            .map(|v| v.id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// A matcher that fires watchlist `name` (webhooks `hooks`) when the title contains `word`.
    pub fn title_matcher(
        rules: &'static [(&'static str, &'static str, &'static [&'static str])],
    ) -> impl FnMut(&Article) -> Vec<Match> {
        move |a: &Article| {
            rules
                .iter()
                .filter(|(word, _, _)| a.title.contains(word) || a.body.contains(word))
                .map(|(word, name, hooks)| Match {
                    watchlist: (*name).into(),
                    webhooks: hooks.iter().map(|h| (*h).into()).collect(),
                    matches: vec![TermMatch {
                        term: (*word).into(),
                        snippet: format!("[{word}]"),
                    }],
                    per_story: false,
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::OptionalExtension;

    #[test]
    fn migrations_are_valid() {
        MIGRATIONS.validate().unwrap();
        assert_eq!(MIGRATIONS_COUNT, {
            let (_dir, store) = testutil::open();
            store
                .conn
                .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
                .unwrap()
        });
    }

    #[test]
    fn fresh_database_is_wal_with_incremental_vacuum() {
        let (_dir, store) = testutil::open();
        let pragma = |name: &str| -> String {
            let sql = format!("PRAGMA {name}");
            store
                .conn
                .query_row(&sql, [], |r| r.get::<_, rusqlite::types::Value>(0))
                .map(|v| match v {
                    rusqlite::types::Value::Integer(i) => i.to_string(),
                    rusqlite::types::Value::Text(t) => t,
                    other => format!("{other:?}"),
                })
                .unwrap()
        };
        assert_eq!(pragma("journal_mode"), "wal");
        assert_eq!(pragma("auto_vacuum"), "2", "incremental");
        assert_eq!(pragma("foreign_keys"), "1");
        assert_eq!(pragma("synchronous"), "2", "full");
        assert_eq!(pragma("page_size"), PAGE_SIZE.to_string());
    }

    #[test]
    fn concurrent_first_opens_all_succeed() {
        let dir = tempfile::tempdir().unwrap();
        for round in 0..10 {
            let path = dir.path().join(format!("race{round}.db"));
            let start = std::sync::Arc::new(std::sync::Barrier::new(4));
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    let (path, start) = (path.clone(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        Store::open(&path).map(|_| ())
                    })
                })
                .collect();
            for h in handles {
                h.join().unwrap().unwrap();
            }
        }
    }

    #[test]
    fn reopening_keeps_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        let mut store = Store::open(&path).unwrap();
        testutil::two_feeds(&mut store);
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.list_feeds(None).unwrap().len(), 2);
    }

    /// Heap bytes held by the connection's page cache
    /// (`SQLITE_DBSTATUS_CACHE_USED`).
    fn cache_used(conn: &Connection) -> i32 {
        let (mut current, mut highest) = (0, 0);
        // SAFETY: the handle is live for the borrow of `conn`, and
        // `sqlite3_db_status` only writes the two integers we pass.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_db_status(
                conn.handle(),
                rusqlite::ffi::SQLITE_DBSTATUS_CACHE_USED,
                &mut current,
                &mut highest,
                0,
            )
        };
        assert_eq!(rc, rusqlite::ffi::SQLITE_OK);
        current
    }

    #[test]
    fn release_memory_empties_the_page_cache_and_keeps_data() {
        let (_dir, mut store) = testutil::open();
        testutil::two_feeds(&mut store);
        // A megabyte of pages, read back so they sit in the cache.
        store
            .conn
            .execute_batch(
                "CREATE TABLE filler(b BLOB);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 250)
                 INSERT INTO filler SELECT zeroblob(4000) FROM n;",
            )
            .unwrap();
        let total: i64 = store
            .conn
            .query_row("SELECT sum(length(b)) FROM filler", [], |r| r.get(0))
            .unwrap();
        assert_eq!(total, 1_000_000);
        let before = cache_used(&store.conn);
        assert!(before > 500_000, "cache holds the table: {before}");

        store.release_memory().unwrap();
        let after = cache_used(&store.conn);
        assert!(after < 100_000, "cache released: {before} -> {after}");
        assert_eq!(store.list_feeds(None).unwrap().len(), 2);
    }

    /// A database as schema version 3 left it: two feeds, an article of each
    /// (the second of the first one's story, with its band keys), tags in two
    /// spellings of one value, a source under another link, a watchlist match.
    fn schema_3_database(path: &Path) {
        use crate::model::ArticleText;
        use crate::story::samples::{KAZINFORM_BAKHTY, REPUBLISHED_BAKHTY, text};
        let mut conn = Connection::open(path).unwrap();
        Migrations::from_slice(&STEPS[..3])
            .to_latest(&mut conn)
            .unwrap();
        let insert = |id: i64,
                      feed: i64,
                      url: &str,
                      (title, summary, body): (&str, &str, &str),
                      story: Option<i64>| {
            conn.execute(
                "INSERT INTO articles (id, feed_id, url, title, summary, body, lang, published, fetched, content_hash, story_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'en', 1791626400, 1791630000, x'00112233', ?7)",
                rusqlite::params![id, feed, url, title, summary, body, story],
            )
            .unwrap();
            let bands = crate::story::fingerprint(ArticleText {
                title,
                summary,
                body,
            });
            for key in bands.bands() {
                conn.execute(
                    "INSERT INTO story_bands (key, article_id) VALUES (?1, ?2)",
                    [*key, id],
                )
                .unwrap();
            }
        };
        conn.execute_batch(
            "INSERT INTO feeds (id, url, current_url, name, created) VALUES
                (1, 'http://a.test/feed', 'http://a.test/feed', 'A', 0),
                (2, 'http://b.test/feed', 'http://b.test/feed', 'B', 0);",
        )
        .unwrap();
        let t = |s| {
            let x = text(s);
            (x.title, x.summary, x.body)
        };
        insert(1, 1, "https://a.test/bakhty", t(&KAZINFORM_BAKHTY), None);
        insert(
            2,
            2,
            "https://b.test/bakhty",
            t(&REPUBLISHED_BAKHTY),
            Some(1),
        );
        conn.execute_batch(
            r#"INSERT INTO article_sources (feed_id, identity, article_id, url, first_seen, content_hash) VALUES
                (1, 'a-1', 1, 'https://a.test/bakhty', 100, x'00'),
                (2, 'b-1', 2, 'https://b.test/bakhty', 100, x'00'),
                (1, 'a-2', 1, 'https://a.test/bakhty-updated', 200, x'00');
             INSERT INTO article_tags (article_id, kind, value) VALUES
                (1, 'country', 'KZ'), (1, 'country', 'CN'), (1, 'region', 'Xinjiang'),
                (2, 'country', 'kz'), (2, 'topic', 'transport');
             INSERT INTO article_matches (article_id, watchlist, matches, matched_at) VALUES
                (2, 'rail', '[]', 0);"#,
        )
        .unwrap();
    }

    #[test]
    fn schema_3_database_upgrades_in_place_with_its_data() {
        use crate::store::stats::TagKind;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v3.db");
        schema_3_database(&path);
        let mut store = Store::open(&path).unwrap();
        let version: i64 = store
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS_COUNT);

        let list = store.list_articles(&ArticleFilter::default()).unwrap();
        let by_id = |id| list.iter().find(|v| v.id == id).unwrap();
        let (first, second) = (by_id(1), by_id(2));
        assert_eq!(
            (&first.countries, &first.regions, &first.topics),
            (
                &vec!["CN".to_string(), "KZ".into()],
                &vec!["Xinjiang".to_string()],
                &vec![]
            )
        );
        // `kz` and `KZ` were one value for filters and counts; now they are one tag,
        // spelled as first stored.
        assert_eq!(
            (&second.countries, &second.topics),
            (&vec!["KZ".to_string()], &vec!["transport".to_string()])
        );
        assert_eq!((first.story, second.story), (1, 1));
        assert_eq!(second.watchlists, ["rail"]);
        let urls: Vec<&str> = first.sources.iter().map(|s| s.url.as_str()).collect();
        assert_eq!(
            urls,
            ["https://a.test/bakhty", "https://a.test/bakhty-updated"]
        );
        let stored = testutil::source_urls(&store);
        assert_eq!(
            stored,
            [None, None, Some("https://a.test/bakhty-updated".into())]
        );

        for (country, expected) in [("kz", vec![2, 1]), ("CN", vec![1]), ("uz", vec![])] {
            let filter = ArticleFilter {
                country: Some(country.into()),
                ..ArticleFilter::default()
            };
            let ids: Vec<i64> = store
                .list_articles(&filter)
                .unwrap()
                .iter()
                .map(|v| v.id)
                .collect();
            assert_eq!(ids, expected, "--country {country}");
        }
        assert_eq!(
            store.top_tags(TagKind::Country, None, 10).unwrap(),
            [("KZ".to_string(), 2), ("CN".to_string(), 1)]
        );
        assert_eq!(hit_ids(&store, "\"second railway line\""), [1]);

        // Band keys stored by version 3 still find the story; a third feed's copy joins it.
        let c = store
            .sync_feeds(
                &[testutil::feed_config("http://c.test/feed", Some("C"))],
                testutil::t(10, 0),
            )
            .unwrap()
            .iter()
            .find(|f| f.name == "C")
            .unwrap()
            .id;
        let copy = crate::model::Article {
            title: crate::story::samples::KAZINFORM_BAKHTY.0.into(),
            summary: crate::story::samples::KAZINFORM_BAKHTY.1.into(),
            body: crate::story::samples::KAZINFORM_BAKHTY.2.into(),
            ..testutil::article(c, "c-1", "https://c.test/bakhty", "")
        };
        let report = store
            .ingest(&[copy], &mut |_| Vec::new(), testutil::t(10, 10))
            .unwrap();
        assert_eq!(report.grouped, 1);
        assert_eq!(store.article(report.new[0]).unwrap().unwrap().story, 1);

        // Retention deletes the upgraded articles with all their tag rows.
        assert_eq!(
            store
                .prune(testutil::t(20, 0), testutil::t(20, 0), 10)
                .unwrap(),
            3
        );
        for table in [
            "article_tags",
            "tag_articles",
            "article_sources",
            "story_bands",
        ] {
            let n: i64 = store
                .conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 0, "{table}");
        }
        let check: String = store
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let fk: Option<String> = store
            .conn
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()
            .unwrap();
        assert_eq!(fk, None);
        crate::store::testutil::check_fts(&store);
    }

    fn hit_ids(store: &Store, query: &str) -> Vec<i64> {
        store
            .search(query, 10)
            .unwrap()
            .iter()
            .map(|h| h.article.id)
            .collect()
    }

    #[test]
    fn newer_schema_is_refused_and_left_unmodified() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("future.db");
        {
            // A database from a future version, in rollback-journal mode so
            // that any write we made would change the main file.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE future (x INTEGER); INSERT INTO future VALUES (42);
                 PRAGMA user_version = 99;",
            )
            .unwrap();
        }
        // Compared by digest so a failure prints two lines, not the file.
        let digest = |p: &Path| -> Vec<u8> {
            use sha2::Digest;
            sha2::Sha256::digest(std::fs::read(p).unwrap()).to_vec()
        };
        let before = digest(&path);
        let err = Store::open(&path)
            .err()
            .expect("a newer schema must be refused");
        assert!(
            matches!(
                err,
                StoreError::TooNew {
                    found: 99,
                    known: MIGRATIONS_COUNT,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("newer than this steppewatch knows")
        );
        assert_eq!(digest(&path), before, "the file was modified");
        assert!(
            !dir.path().join("future.db-wal").exists(),
            "journal mode was changed"
        );
        let conn = Connection::open(&path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete");
    }
}
