//! Group commit: several feeds' polls stored in one `BEGIN IMMEDIATE`
//! transaction (one fsync), each feed's writes in its own savepoint so that a
//! failing feed rolls back alone.
//!
//! A commit with `synchronous = FULL` waits for the disk (about 4 ms on the
//! development machine); one transaction per feed made that 200 serial waits
//! per round of 200 feeds. The poller (`poll::settle_group`) gathers the feeds
//! that are ready and stores them together.

use super::articles::{IngestReport, ingest_rows, unchanged_items};
use super::feeds::{FetchRecord, update_fetch_state};
use super::pending::Pending;
use super::{Store, StoreError};
use crate::model::{AlertId, Article, ArticleText, FeedId, Match};
use crate::story::Fingerprint;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashSet;

/// An open group transaction. Dropped without [`Group::commit`] (or while a
/// panic unwinds), it rolls back everything.
pub struct Group<'s> {
    conn: &'s Connection,
    durable: bool,
    /// Story band and tag link rows of every feed so far, inserted in key
    /// order at the commit (see `store::pending`); a feed's savepoint
    /// rollback drops its own.
    pending: RefCell<Pending>,
}

impl Store {
    /// Begins a group transaction. With `durable` false its commit does not
    /// wait for the disk (`synchronous = NORMAL`, atomic in WAL mode; a crash
    /// of the process keeps it, only a power cut can lose it). The daemon's
    /// polls commit so: a poll lost to a power cut loses its fetch state with
    /// its articles, so the feed is fetched again in full and stored again,
    /// and the alerts it queued are made durable before anything is sent
    /// ([`Store::claim_due`] syncs the log first), so none is sent and then
    /// forgotten. (SQLite refuses to change `synchronous` inside a
    /// transaction, so this is decided up front.)
    ///
    /// # Errors
    /// The write lock cannot be taken within the busy timeout, or another
    /// database error.
    pub fn begin_group(&mut self, durable: bool) -> Result<Group<'_>, StoreError> {
        if !durable {
            self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        }
        let group = Group {
            conn: &self.conn,
            durable,
            pending: RefCell::default(),
        };
        // On failure the drop puts `synchronous` back.
        group.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(group)
    }
}

impl Group<'_> {
    /// Writes outside any feed's savepoint, committed with the group.
    pub fn writes(&self) -> Writes<'_> {
        Writes {
            conn: self.conn,
            pending: &self.pending,
        }
    }

    /// Reads the stored story band rows of `fingerprints` (those of the
    /// articles the group is about to store) in one pass in key order, so
    /// that each article's near-duplicate lookup finds them in memory instead
    /// of reading pages of the index at random. Optional: keys not read here
    /// are looked up in the table. Call it before the feeds' savepoints.
    ///
    /// # Errors
    /// A database error.
    pub fn prefetch_bands<'f>(
        &self,
        fingerprints: impl Iterator<Item = &'f Fingerprint>,
    ) -> Result<(), StoreError> {
        let keys = fingerprints.flat_map(|f| f.bands().iter().copied());
        self.pending.borrow_mut().prefetch_bands(self.conn, keys)?;
        Ok(())
    }

    /// Runs `f` in a savepoint: kept when `f` returns `Ok`, rolled back when
    /// it returns `Err` or panics (the panic goes on to the caller after the
    /// rollback). The rest of the group is untouched either way.
    ///
    /// # Errors
    /// The outer error is the savepoint's own failure (a database error); the
    /// inner one is `f`'s.
    pub fn isolated<T, E>(
        &mut self,
        f: impl FnOnce(Writes<'_>) -> Result<T, E>,
    ) -> Result<Result<T, E>, StoreError> {
        self.conn.execute_batch("SAVEPOINT feed")?;
        self.pending.borrow_mut().savepoint();
        let savepoint = Savepoint {
            conn: self.conn,
            pending: &self.pending,
            open: true,
        };
        let result = f(self.writes());
        if result.is_ok() {
            savepoint.release()?;
        }
        Ok(result)
    }

    /// SQLite rolled the whole transaction back on its own (it does on some
    /// errors, e.g. a full disk or an I/O error): later writes would no
    /// longer be part of the group, so the caller must stop and retry.
    pub fn is_aborted(&self) -> bool {
        self.conn.is_autocommit()
    }

    /// Commits every feed's writes at once.
    ///
    /// # Errors
    /// A database error (or [`Group::is_aborted`]); nothing is stored then.
    pub fn commit(self) -> Result<(), StoreError> {
        if self.is_aborted() {
            return Err(StoreError::Sql(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                Some("the group transaction was rolled back by SQLite".into()),
            )));
        }
        // After every savepoint: the held-back rows in key order, then one
        // index segment for the whole group.
        self.pending.borrow_mut().flush(self.conn)?;
        super::search::index_new_articles(self.conn)?;
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }
}

impl Drop for Group<'_> {
    fn drop(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        if !self.durable {
            let _ = self.conn.pragma_update(None, "synchronous", "FULL");
        }
    }
}

/// One feed's savepoint; rolled back unless released.
struct Savepoint<'c> {
    conn: &'c Connection,
    pending: &'c RefCell<Pending>,
    open: bool,
}

impl Savepoint<'_> {
    fn release(mut self) -> Result<(), StoreError> {
        self.open = false;
        self.pending.borrow_mut().release();
        self.conn.execute_batch("RELEASE feed")?;
        Ok(())
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if self.open {
            self.pending.borrow_mut().rollback();
            // Fails only when SQLite already rolled the whole transaction
            // back, which `Group::is_aborted` reports.
            let _ = self.conn.execute_batch("ROLLBACK TO feed; RELEASE feed");
        }
    }
}

/// The writes of one poll, inside a group.
#[derive(Clone, Copy)]
pub struct Writes<'c> {
    conn: &'c Connection,
    pending: &'c RefCell<Pending>,
}

impl Writes<'_> {
    /// [`Store::ingest_fingerprinted`] inside the group.
    ///
    /// # Errors
    /// A database error; the caller's savepoint rolls the feed back.
    pub fn ingest(
        &self,
        articles: &[Article],
        fingerprints: &[Option<Fingerprint>],
        matcher: &mut dyn FnMut(&Article) -> Vec<Match>,
        now: DateTime<Utc>,
    ) -> Result<IngestReport, StoreError> {
        let mut pending = self.pending.borrow_mut();
        ingest_rows(
            self.conn,
            &mut pending,
            articles,
            fingerprints,
            matcher,
            now,
        )
    }

    /// [`Store::unchanged_items`], seeing the group's writes so far.
    ///
    /// # Errors
    /// A database error.
    pub fn unchanged_items(
        &self,
        feed_id: FeedId,
        items: &[(&str, ArticleText<'_>)],
    ) -> Result<HashSet<String>, StoreError> {
        unchanged_items(self.conn, feed_id, items)
    }

    /// [`Store::record_fetch`] inside the group: the record commits with the
    /// feed's articles, so a crash keeps both or neither.
    ///
    /// # Errors
    /// [`StoreError::NoFeed`] when there is no such feed, or a database error.
    pub fn record_fetch(&self, id: FeedId, rec: &FetchRecord) -> Result<(), StoreError> {
        update_fetch_state(self.conn, id, rec)
    }

    /// [`Store::enqueue_health_event`] inside the group.
    ///
    /// # Errors
    /// A database error.
    pub fn enqueue_health_event(
        &self,
        webhook: &str,
        payload: &Value,
        now: DateTime<Utc>,
    ) -> Result<AlertId, StoreError> {
        super::alerts::enqueue_health_event(self.conn, webhook, payload, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testutil::{article, open, t, title_matcher, two_feeds};

    fn titles(store: &Store) -> Vec<String> {
        let mut stmt = store
            .conn
            .prepare("SELECT title FROM articles ORDER BY title")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// A feed of `group` that writes an article titled `title`, then fails.
    fn ingest_then_fail(
        group: &mut Group<'_>,
        feed: FeedId,
        title: &str,
        matcher: &mut dyn FnMut(&Article) -> Vec<Match>,
    ) {
        let failed: Result<(), StoreError> = group
            .isolated(|w| {
                let one = [article(feed, "2", "https://b.test/2", title)];
                w.ingest(&one, &[], matcher, t(1, 0))?;
                Err(StoreError::NoFeed(feed))
            })
            .unwrap();
        assert!(failed.is_err());
    }

    use crate::model::{ArticleId, Tags};
    use crate::story::samples::{self, Sample};

    /// Feed `feed`'s item `identity` with a sample's text, published at `hour`
    /// of day 10, tagged with `country`.
    fn sample(feed: FeedId, identity: &str, s: &Sample, hour: u32, country: &str) -> Article {
        Article {
            title: s.0.into(),
            summary: s.1.into(),
            body: s.2.into(),
            published: t(10, hour),
            tags: Tags {
                countries: vec![country.into()],
                ..Tags::default()
            },
            ..article(
                feed,
                identity,
                &format!("https://{feed}.test/{identity}"),
                "",
            )
        }
    }

    /// Stores `items` in a savepoint of `group`; with `fail`, the feed then
    /// fails and its savepoint rolls back.
    fn feed_poll(group: &mut Group<'_>, items: &[Article], fail: bool) -> Option<IngestReport> {
        let mut none = |_: &Article| Vec::new();
        let result: Result<IngestReport, StoreError> = group
            .isolated(|w| {
                let report = w.ingest(items, &[], &mut none, t(10, 20))?;
                if fail {
                    return Err(StoreError::NoFeed(items[0].feed_id));
                }
                Ok(report)
            })
            .unwrap();
        result.ok()
    }

    /// The stored band keys of each article, sorted.
    fn stored_bands(store: &Store) -> Vec<(ArticleId, i64)> {
        let mut stmt = store
            .conn
            .prepare("SELECT article_id, key FROM story_bands ORDER BY article_id, key")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// The band rows an article with a sample's text must have.
    fn expected_bands(id: ArticleId, s: &Sample) -> Vec<(ArticleId, i64)> {
        let mut keys = crate::story::fingerprint(samples::text(s)).bands().to_vec();
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter().map(|k| (id, k)).collect()
    }

    /// (article, country tag) of every `tag_articles` row, and the number of
    /// rows pointing at no tag.
    fn stored_links(store: &Store) -> (Vec<(ArticleId, String)>, i64) {
        let mut stmt = store
            .conn
            .prepare(
                "SELECT x.article_id, t.value FROM tag_articles x JOIN tags t ON t.id = x.tag_id
                 ORDER BY x.article_id, t.value",
            )
            .unwrap();
        let links = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let dangling = store
            .conn
            .query_row(
                "SELECT count(*) FROM tag_articles WHERE tag_id NOT IN (SELECT id FROM tags)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        (links, dangling)
    }

    #[test]
    fn issue10_a_story_is_found_within_one_group_but_not_through_a_rolled_back_feed() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        let mut group = store.begin_group(true).unwrap();
        // Rolled back: its article id is used again by the next feed, so any
        // band row or tag link (or cached new tag) it left would show.
        let gone = sample(b, "b-0", &samples::REPUBLISHED_BAKHTY, 14, "CN");
        assert!(feed_poll(&mut group, &[gone], true).is_none());
        let head = sample(a, "a-1", &samples::KAZINFORM_BAKHTY, 9, "KZ");
        let first = feed_poll(&mut group, &[head], false).unwrap();
        assert_eq!(first.grouped, 0, "the rolled-back article is no candidate");
        let copy = sample(b, "b-1", &samples::REPUBLISHED_BAKHTY, 15, "CN");
        let second = feed_poll(&mut group, &[copy], false).unwrap();
        assert_eq!(second.grouped, 1, "found among the group's pending rows");
        group.commit().unwrap();

        let (head, member) = (first.new[0], second.new[0]);
        assert_eq!(store.article(member).unwrap().unwrap().story, head);
        let mut want = expected_bands(head, &samples::KAZINFORM_BAKHTY);
        want.extend(expected_bands(member, &samples::REPUBLISHED_BAKHTY));
        assert_eq!(stored_bands(&store), want);
        let (links, dangling) = stored_links(&store);
        assert_eq!(links, [(head, "KZ".into()), (member, "CN".into())]);
        assert_eq!(dangling, 0, "the rolled-back feed's new tag is not reused");
    }

    #[test]
    fn issue10_an_edit_within_a_group_replaces_pending_rows_and_its_rollback_restores_them() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        let mut group = store.begin_group(true).unwrap();
        let head = sample(a, "a-1", &samples::KAZINFORM_BAKHTY, 9, "KZ");
        let id = feed_poll(&mut group, &[head], false).unwrap().new[0];
        // An edit of the pending article, rolled back with its feed.
        let edit = sample(a, "a-1", &samples::DOSTYK_MOYINTY, 9, "CN");
        assert!(feed_poll(&mut group, &[edit], true).is_none());
        // The original rows are back: another outlet's copy finds the story.
        let copy = sample(b, "b-1", &samples::REPUBLISHED_BAKHTY, 15, "CN");
        let copied = feed_poll(&mut group, &[copy], false).unwrap();
        assert_eq!(copied.grouped, 1);
        // A kept edit of the pending article replaces its rows.
        let edit = sample(a, "a-1", &samples::CKU_FINANCING, 9, "KG");
        let edited = feed_poll(&mut group, &[edit], false).unwrap();
        assert_eq!(edited.updated, [id]);
        group.commit().unwrap();

        let member = copied.new[0];
        let mut want = expected_bands(id, &samples::CKU_FINANCING);
        want.extend(expected_bands(member, &samples::REPUBLISHED_BAKHTY));
        assert_eq!(stored_bands(&store), want);
        let (links, dangling) = stored_links(&store);
        assert_eq!(links, [(id, "KG".into()), (member, "CN".into())]);
        assert_eq!(dangling, 0);
        let kz = crate::store::ArticleFilter {
            country: Some("kz".into()),
            ..Default::default()
        };
        assert!(store.list_articles(&kz).unwrap().is_empty());
    }

    #[test]
    fn issue10_a_group_commits_every_feed_but_the_one_that_failed_or_panicked() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        let mut matcher = title_matcher(&[("Khorgos", "railway", &["ops"])]);
        let mut group = store.begin_group(true).unwrap();
        let first = group
            .isolated(|w| {
                let one = [article(a, "1", "https://a.test/1", "Khorgos opens")];
                w.ingest(&one, &[], &mut matcher, t(1, 0))
            })
            .unwrap()
            .unwrap();
        assert_eq!((first.new.len(), first.alerts), (1, 1));
        // A feed that wrote and then failed: its rows go, the first feed's stay.
        ingest_then_fail(&mut group, b, "Failed feed", &mut matcher);
        // A feed that panicked half-way: likewise.
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            group.isolated(|w| -> Result<(), StoreError> {
                let three = [article(b, "3", "https://b.test/3", "Panicked feed")];
                w.ingest(&three, &[], &mut matcher, t(1, 0))?;
                panic!("a bug in one feed")
            })
        }));
        assert!(panicked.is_err());
        assert!(!group.is_aborted());
        group
            .isolated(|w| {
                let four = [article(b, "4", "https://b.test/4", "Later feed")];
                w.ingest(&four, &[], &mut matcher, t(1, 0))
            })
            .unwrap()
            .unwrap();
        group.commit().unwrap();
        assert_eq!(titles(&store), ["Khorgos opens", "Later feed"]);
        let alerts: i64 = store
            .conn
            .query_row("SELECT count(*) FROM alerts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(alerts, 1, "only the kept feed's alert is queued");
    }

    #[test]
    fn issue10_a_dropped_group_stores_nothing_and_restores_full_sync() {
        let (_dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        let mut matcher = title_matcher(&[("Khorgos", "railway", &["ops"])]);
        {
            let mut group = store.begin_group(false).unwrap();
            group
                .isolated(|w| {
                    let one = [article(a, "1", "https://a.test/1", "Khorgos opens")];
                    w.ingest(&one, &[], &mut matcher, t(1, 0))
                })
                .unwrap()
                .unwrap();
        }
        assert!(titles(&store).is_empty());
        let sync: i64 = store
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            sync, 2,
            "FULL again after a group that did not wait for the disk"
        );
    }

    #[test]
    fn issue10_the_group_indexes_its_articles_once_as_last_written() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        let mut none = |_: &Article| Vec::new();
        let mut group = store.begin_group(true).unwrap();
        let mut draft = article(a, "1", "https://a.test/1", "Draft about Bishkek");
        draft.fetched = t(1, 0);
        group
            .isolated(|w| w.ingest(&[draft.clone()], &[], &mut none, t(1, 0)))
            .unwrap()
            .unwrap();
        // Edited before the group commits: the index must get the edit only.
        let edited = Article {
            title: "Final about Osh".into(),
            summary: String::new(),
            body: "Osh only".into(),
            ..draft
        };
        group
            .isolated(|w| w.ingest(&[edited], &[], &mut none, t(1, 1)))
            .unwrap()
            .unwrap();
        ingest_then_fail(&mut group, b, "Rolled back Osh", &mut none);
        group.commit().unwrap();

        assert!(store.search("Bishkek", 10).unwrap().is_empty());
        let hits = store.search("Osh", 10).unwrap();
        assert_eq!(
            hits.len(),
            1,
            "the edit is indexed once, the rolled-back feed not"
        );
        assert_eq!(hits[0].article.title, "Final about Osh");
        crate::store::testutil::check_fts(&store);

        // Indexed articles are edited and deleted in the index as before.
        let later = Article {
            title: "Osh and Khujand".into(),
            ..article(a, "1", "https://a.test/1", "")
        };
        store.ingest(&[later], &mut none, t(2, 0)).unwrap();
        assert_eq!(store.search("Khujand", 10).unwrap().len(), 1);
        assert_eq!(store.prune(t(9, 0), t(9, 0), 10).unwrap(), 1);
        assert!(store.search("Osh", 10).unwrap().is_empty());
        crate::store::testutil::check_fts(&store);
    }
}
