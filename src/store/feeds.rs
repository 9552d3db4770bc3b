//! Feeds and their fetch state: configured feeds synced into the table, and
//! the outcome of every fetch recorded so `feeds list` and restarts see it.

use super::{Store, StoreError, from_ts, to_ts};
use crate::config::FeedConfig;
use crate::model::FeedId;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, named_params, params};
use serde::Serialize;

/// A feed as stored, with its health.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedRow {
    pub id: FeedId,
    /// The URL as configured (the feed's key).
    pub url: String,
    /// Where it is fetched now, after permanent redirects.
    pub current_url: String,
    /// Configured name, else the feed's own title, else the URL.
    pub name: String,
    /// The feed's own title, once fetched.
    pub title: Option<String>,
    /// Configured publishing country (`source_country`).
    pub country: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// `new`, `ok`, `error`, `failing`, `gone` or `quiet`.
    pub status: String,
    pub last_http_status: Option<u16>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub last_polled: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub next_poll: Option<DateTime<Utc>>,
    /// No request before this time (429/503 Retry-After).
    pub retry_after: Option<DateTime<Utc>>,
    /// When the feed last gave a new article.
    pub last_new_item: Option<DateTime<Utc>>,
}

/// A feed's health after one fetch, as decided by the caller (scheduler/poll).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedStatus {
    /// Never fetched yet.
    New,
    /// Fetched and parsed.
    Ok,
    /// Answered 304. Stored as `ok`, except that a feed already `quiet` stays
    /// `quiet`: a 304 is no sign of life.
    NotModified,
    /// The fetch failed (network, HTTP error, unparsable body), but not yet
    /// often enough in a row to call the feed failing.
    Error,
    /// The fetch failed several times in a row.
    Failing,
    /// 410 Gone: the feed is disabled.
    Gone,
    /// Answers fine but has published nothing for several times its cadence.
    Quiet,
}

impl FeedStatus {
    /// The text stored in `feeds.status` (`NotModified` is resolved in SQL).
    pub fn as_str(self) -> &'static str {
        match self {
            FeedStatus::New => "new",
            FeedStatus::Ok | FeedStatus::NotModified => "ok",
            FeedStatus::Error => "error",
            FeedStatus::Failing => "failing",
            FeedStatus::Gone => "gone",
            FeedStatus::Quiet => "quiet",
        }
    }

    /// Whether the server answered usefully (a success for `last_success`).
    pub fn is_success(self) -> bool {
        matches!(
            self,
            FeedStatus::Ok | FeedStatus::NotModified | FeedStatus::Quiet
        )
    }
}

/// The outcome of one fetch, written with [`Store::record_fetch`].
#[derive(Debug, Clone, PartialEq)]
pub struct FetchRecord {
    pub at: DateTime<Utc>,
    pub status: FeedStatus,
    pub http_status: Option<u16>,
    /// `None` on success clears the last error.
    pub error: Option<String>,
    /// Validators for the next conditional GET; `None` keeps the stored value
    /// (a 304 or a failure says nothing new, and a stale validator is harmless:
    /// a server without ETags ignores If-None-Match).
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Set after a permanent redirect (301/308): the new `current_url`.
    pub new_url: Option<String>,
    /// The feed's own title, when the body was parsed.
    pub title: Option<String>,
    pub next_poll: DateTime<Utc>,
    pub retry_after: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    /// Articles this fetch added (from `IngestReport::new`).
    pub new_items: usize,
}

/// The columns of a `FeedRow`, in `from_row` order.
const FEED_COLUMNS: &str = "id, url, current_url, COALESCE(name, title, url), title, country, \
     etag, last_modified, status, last_http_status, last_error, consecutive_failures, \
     last_polled, last_success, next_poll, retry_after, last_new_item";

fn from_row(row: &Row<'_>) -> rusqlite::Result<FeedRow> {
    let time = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
        Ok(row.get::<_, Option<i64>>(i)?.map(from_ts))
    };
    Ok(FeedRow {
        id: row.get(0)?,
        url: row.get(1)?,
        current_url: row.get(2)?,
        name: row.get(3)?,
        title: row.get(4)?,
        country: row.get(5)?,
        etag: row.get(6)?,
        last_modified: row.get(7)?,
        status: row.get(8)?,
        last_http_status: row.get(9)?,
        last_error: row.get(10)?,
        consecutive_failures: row.get(11)?,
        last_polled: time(12)?,
        last_success: time(13)?,
        next_poll: time(14)?,
        retry_after: time(15)?,
        last_new_item: time(16)?,
    })
}

impl Store {
    /// Makes the table agree with the configured feeds (upsert by configured
    /// URL, name and country from the configuration) and returns their rows
    /// in configuration order. Feeds no longer configured keep their rows,
    /// since articles refer to them, but are not returned.
    ///
    /// # Errors
    /// A database error; nothing is changed then.
    pub fn sync_feeds(
        &mut self,
        feeds: &[FeedConfig],
        now: DateTime<Utc>,
    ) -> Result<Vec<FeedRow>, StoreError> {
        let tx = self.begin_immediate()?;
        {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO feeds (url, current_url, name, country, created) VALUES (?1, ?1, ?2, ?3, ?4)
                 ON CONFLICT (url) DO UPDATE SET name = excluded.name, country = excluded.country",
            )?;
            for feed in feeds {
                upsert.execute(params![feed.url, feed.name, feed.country, to_ts(now)])?;
            }
        }
        tx.commit()?;
        let urls: Vec<String> = feeds.iter().map(|f| f.url.clone()).collect();
        self.list_feeds(Some(&urls))
    }

    /// One feed by id.
    ///
    /// # Errors
    /// [`StoreError::NoFeed`] when there is no such feed, or a database error.
    pub fn feed(&self, id: FeedId) -> Result<FeedRow, StoreError> {
        let sql = format!("SELECT {FEED_COLUMNS} FROM feeds WHERE id = ?1");
        self.conn
            .query_row(&sql, [id], from_row)
            .optional()?
            .ok_or(StoreError::NoFeed(id))
    }

    /// Every feed in id order, or with `urls` only those feeds, in the order of `urls`
    /// (URLs with no row are skipped).
    ///
    /// # Errors
    /// A database error.
    pub fn list_feeds(&self, urls: Option<&[String]>) -> Result<Vec<FeedRow>, StoreError> {
        let Some(urls) = urls else {
            let sql = format!("SELECT {FEED_COLUMNS} FROM feeds ORDER BY id");
            let mut stmt = self.conn.prepare(&sql)?;
            return Ok(stmt.query_map([], from_row)?.collect::<Result<_, _>>()?);
        };
        let sql = format!("SELECT {FEED_COLUMNS} FROM feeds WHERE url = ?1");
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = Vec::with_capacity(urls.len());
        for url in urls {
            if let Some(row) = stmt.query_row([url], from_row).optional()? {
                rows.push(row);
            }
        }
        Ok(rows)
    }

    /// Records one fetch's outcome: a single UPDATE of the feed's row (so a 304
    /// costs nothing more).
    ///
    /// This one commit does not wait for the disk (`synchronous = NORMAL` for
    /// its duration; WAL mode keeps it atomic, and a process crash or restart
    /// keeps it). Only a power cut can lose it, and the next durable commit
    /// (any ingest) makes it durable too. Losing it costs one extra request;
    /// waiting for the disk cost 2.5 ms per feed per poll, most of an all-304
    /// round. Articles and alerts are always committed with `FULL`.
    ///
    /// # Errors
    /// [`StoreError::NoFeed`] when there is no such feed, or a database error.
    pub fn record_fetch(&mut self, id: FeedId, rec: &FetchRecord) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let result = update_fetch_state(&self.conn, id, rec);
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        result
    }
}

/// The UPDATE of [`Store::record_fetch`], on a connection that may be inside a
/// transaction (a group commit stores the record with the feed's articles).
pub(crate) fn update_fetch_state(
    conn: &Connection,
    id: FeedId,
    rec: &FetchRecord,
) -> Result<(), StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE feeds SET
                status = CASE WHEN :status = 'not_modified'
                    THEN (CASE status WHEN 'quiet' THEN 'quiet' ELSE 'ok' END)
                    ELSE :status END,
                last_http_status = :http_status,
                last_error = :error,
                etag = COALESCE(:etag, etag),
                last_modified = COALESCE(:last_modified, last_modified),
                current_url = COALESCE(:new_url, current_url),
                title = COALESCE(:title, title),
                last_polled = :at,
                last_success = CASE WHEN :success THEN :at ELSE last_success END,
                next_poll = :next_poll,
                retry_after = :retry_after,
                consecutive_failures = :failures,
                last_new_item = CASE WHEN :new_items > 0 THEN :at ELSE last_new_item END
             WHERE id = :id",
        )?
        .execute(named_params! {
            ":id": id,
            ":status": stored_status(rec.status),
            ":http_status": rec.http_status,
            ":error": rec.error,
            ":etag": rec.etag,
            ":last_modified": rec.last_modified,
            ":new_url": rec.new_url,
            ":title": rec.title,
            ":at": to_ts(rec.at),
            ":success": rec.status.is_success(),
            ":next_poll": to_ts(rec.next_poll),
            ":retry_after": rec.retry_after.map(to_ts),
            ":failures": rec.consecutive_failures,
            ":new_items": rec.new_items as i64,
        })?;
    if changed == 0 {
        return Err(StoreError::NoFeed(id));
    }
    Ok(())
}

/// The status parameter of `record_fetch`'s UPDATE; `not_modified` is resolved there.
fn stored_status(status: FeedStatus) -> &'static str {
    match status {
        FeedStatus::NotModified => "not_modified",
        other => other.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testutil::{feed_config, open, t};

    fn ok_record(at: DateTime<Utc>) -> FetchRecord {
        FetchRecord {
            at,
            status: FeedStatus::Ok,
            http_status: Some(200),
            error: None,
            etag: Some("\"v1\"".into()),
            last_modified: Some("Sat, 10 Oct 2026 08:00:00 GMT".into()),
            new_url: None,
            title: Some("The Astana Times".into()),
            next_poll: at + chrono::Duration::minutes(15),
            retry_after: None,
            consecutive_failures: 0,
            new_items: 3,
        }
    }

    #[test]
    fn sync_feeds_upserts_in_config_order_and_keeps_removed_rows() {
        let (_dir, mut store) = open();
        let a = feed_config("http://a.test/feed", Some("A"));
        let b = feed_config("http://b.test/feed", None);
        let first = store.sync_feeds(&[a.clone(), b.clone()], t(1, 0)).unwrap();
        assert_eq!(
            first.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["A", "http://b.test/feed"]
        );
        assert_eq!(first[1].status, "new");

        let renamed = feed_config("http://a.test/feed", Some("A renamed"));
        let second = store.sync_feeds(&[b, renamed], t(2, 0)).unwrap();
        assert_eq!(second[0].id, first[1].id);
        assert_eq!(second[1].id, first[0].id);
        assert_eq!(second[1].name, "A renamed");

        let only_b = store
            .sync_feeds(&[feed_config("http://b.test/feed", None)], t(3, 0))
            .unwrap();
        assert_eq!(only_b.len(), 1);
        assert_eq!(
            store.list_feeds(None).unwrap().len(),
            2,
            "a removed feed keeps its row"
        );
    }

    #[test]
    fn unnamed_feed_takes_its_title_and_a_configured_name_wins() {
        let (_dir, mut store) = open();
        let id = store
            .sync_feeds(&[feed_config("http://a.test/feed", None)], t(1, 0))
            .unwrap()[0]
            .id;
        store.record_fetch(id, &ok_record(t(1, 1))).unwrap();
        assert_eq!(store.feed(id).unwrap().name, "The Astana Times");
        store
            .sync_feeds(&[feed_config("http://a.test/feed", Some("Mine"))], t(1, 2))
            .unwrap();
        assert_eq!(store.feed(id).unwrap().name, "Mine");
        store
            .sync_feeds(&[feed_config("http://a.test/feed", None)], t(1, 3))
            .unwrap();
        assert_eq!(store.feed(id).unwrap().name, "The Astana Times");
    }

    #[test]
    fn record_fetch_keeps_validators_on_304_and_failure() {
        let (_dir, mut store) = open();
        let id = store
            .sync_feeds(&[feed_config("http://a.test/feed", None)], t(1, 0))
            .unwrap()[0]
            .id;
        store.record_fetch(id, &ok_record(t(1, 1))).unwrap();

        let not_modified = FetchRecord {
            status: FeedStatus::NotModified,
            http_status: Some(304),
            etag: None,
            last_modified: None,
            title: None,
            new_items: 0,
            ..ok_record(t(1, 2))
        };
        store.record_fetch(id, &not_modified).unwrap();
        let row = store.feed(id).unwrap();
        assert_eq!(row.status, "ok");
        assert_eq!(row.etag.as_deref(), Some("\"v1\""));
        assert_eq!(
            row.last_modified.as_deref(),
            Some("Sat, 10 Oct 2026 08:00:00 GMT")
        );
        assert_eq!(row.last_success, Some(t(1, 2)));
        assert_eq!(row.last_new_item, Some(t(1, 1)));
        assert_eq!(row.title.as_deref(), Some("The Astana Times"));

        let failed = FetchRecord {
            status: FeedStatus::Failing,
            http_status: Some(503),
            error: Some("http 503".into()),
            etag: None,
            last_modified: None,
            title: None,
            retry_after: Some(t(1, 4)),
            consecutive_failures: 4,
            new_items: 0,
            ..ok_record(t(1, 3))
        };
        store.record_fetch(id, &failed).unwrap();
        let row = store.feed(id).unwrap();
        assert_eq!(
            (
                row.status.as_str(),
                row.last_http_status,
                row.last_error.as_deref()
            ),
            ("failing", Some(503), Some("http 503"))
        );
        assert_eq!(
            (row.consecutive_failures, row.retry_after),
            (4, Some(t(1, 4)))
        );
        assert_eq!(row.last_success, Some(t(1, 2)));
        assert_eq!(row.last_polled, Some(t(1, 3)));
        assert_eq!(row.etag.as_deref(), Some("\"v1\""));

        // A 304 reported as a plain `ok` without validators keeps them too,
        // and an error below the failing threshold is stored as `error`.
        let plain = FetchRecord {
            etag: None,
            last_modified: None,
            ..ok_record(t(1, 5))
        };
        store.record_fetch(id, &plain).unwrap();
        let error = FetchRecord {
            status: FeedStatus::Error,
            error: Some("timeout".into()),
            ..plain
        };
        store.record_fetch(id, &error).unwrap();
        let row = store.feed(id).unwrap();
        assert_eq!(row.etag.as_deref(), Some("\"v1\""));
        assert_eq!(
            (row.status.as_str(), row.last_success),
            ("error", Some(t(1, 5)))
        );
    }

    #[test]
    fn quiet_feed_stays_quiet_on_304_and_redirect_moves_current_url() {
        let (_dir, mut store) = open();
        let id = store
            .sync_feeds(&[feed_config("http://a.test/feed", None)], t(1, 0))
            .unwrap()[0]
            .id;
        let quiet = FetchRecord {
            status: FeedStatus::Quiet,
            new_url: Some("https://a.test/rss".into()),
            ..ok_record(t(1, 1))
        };
        store.record_fetch(id, &quiet).unwrap();
        let nm = FetchRecord {
            status: FeedStatus::NotModified,
            http_status: Some(304),
            ..ok_record(t(1, 2))
        };
        store.record_fetch(id, &nm).unwrap();
        let row = store.feed(id).unwrap();
        assert_eq!(row.status, "quiet");
        assert_eq!(row.url, "http://a.test/feed");
        assert_eq!(row.current_url, "https://a.test/rss");
    }

    #[test]
    fn missing_feed_is_an_error_and_durability_is_restored() {
        let (_dir, mut store) = open();
        assert!(matches!(store.feed(7), Err(StoreError::NoFeed(7))));
        let sync = |s: &Store| -> i64 {
            s.conn
                .query_row("PRAGMA synchronous", [], |r| r.get(0))
                .unwrap()
        };
        assert!(store.record_fetch(7, &ok_record(t(1, 1))).is_err());
        assert_eq!(
            sync(&store),
            2,
            "synchronous must be FULL again after record_fetch"
        );
        assert!(matches!(
            store.record_fetch(7, &ok_record(t(1, 1))),
            Err(StoreError::NoFeed(7))
        ));
    }

    #[test]
    fn feed_row_serialises_times_as_rfc3339() {
        let (_dir, mut store) = open();
        let id = store
            .sync_feeds(&[feed_config("http://a.test/feed", None)], t(1, 0))
            .unwrap()[0]
            .id;
        store.record_fetch(id, &ok_record(t(1, 1))).unwrap();
        let json = serde_json::to_value(store.feed(id).unwrap()).unwrap();
        assert_eq!(json["last_polled"], "2026-10-01T01:00:00Z");
        assert_eq!(json["status"], "ok");
        assert_eq!(json["last_http_status"], 200);
    }
}
