//! Articles: one poll's ingest as one transaction (dedup, tags, watchlist
//! matches and alert outbox rows), listings with filters, replay and retention.

use super::pending::Pending;
use super::{Store, StoreError, from_ts, to_ts, ts_text};
use crate::model::{Article, ArticleId, ArticleText, FeedId, Match, Tags, TermMatch};
use crate::outbox;
use crate::story::{self, Fingerprint};
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// Articles matched per transaction by a real replay: short transactions, so
/// a running daemon's poll never waits long for the write lock.
const REPLAY_BATCH: usize = 500;

/// How far apart, by publication time, two articles of one story may be.
/// Republications of an agency story follow within hours or a few days; a
/// longer window would only let recurring news (a yearly forum, a long trial)
/// join last month's story.
pub const STORY_WINDOW: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// How far apart, by publication time, a feed's item and its re-issue under a
/// new link may be. Outlets re-issue an item the same day or the next (a
/// corrected headline); beyond that, near-identical text from one feed is a
/// new item on a template.
pub const REISSUE_WINDOW: chrono::TimeDelta = chrono::TimeDelta::days(2);

/// Candidates compared exactly per new article, those sharing the most band
/// keys first. True near-duplicates share many bands; the cap bounds the work
/// when a key is shared by many articles (an outlet's boilerplate paragraph).
const MAX_STORY_CANDIDATES: usize = 20;

/// Pages given back to the file system per `incremental_vacuum` step, so one
/// step holds the write lock only briefly (16 KiB pages: 8 MiB a step).
const VACUUM_STEP_PAGES: i64 = 512;

/// The ids of the articles one prune batch deletes: `?2` articles first stored
/// before `?1`, oldest first.
const PRUNE_BATCH: &str =
    "SELECT id FROM articles WHERE fetched < ?1 ORDER BY fetched, id LIMIT ?2";

/// What one ingest did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    /// Articles stored for the first time.
    pub new: Vec<ArticleId>,
    /// Articles whose text changed (edited in place).
    pub updated: Vec<ArticleId>,
    /// Items already stored as they are (or deleted by retention): nothing written.
    pub unchanged: usize,
    /// Items that were a new source (another feed, or a new GUID) of an
    /// article already stored, without an edit.
    pub linked: usize,
    /// New articles that joined a story already stored (another outlet's text of it).
    pub grouped: usize,
    /// Alert rows created.
    pub alerts: usize,
}

/// Filters of `articles list`; all given filters must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleFilter {
    /// ISO alpha-2 code, any case.
    pub country: Option<String>,
    /// Region name, any ASCII case.
    pub region: Option<String>,
    pub topic: Option<String>,
    /// Articles this watchlist matched.
    pub watchlist: Option<String>,
    /// Articles that came through this feed (its name or configured URL).
    pub feed: Option<String>,
    /// Published at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// At most this many; 0 means no limit.
    pub limit: usize,
    /// Pagination: only articles listed after this one (newest-first order).
    pub before_id: Option<ArticleId>,
    /// Articles carried by a feed configured with this publishing country
    /// (news *from* an outlet there, not news *about* it).
    pub source_country: Option<String>,
    /// Articles of this story (its id, as in [`ArticleView::story`]).
    pub story: Option<ArticleId>,
}

/// One source of an article: a feed that carried it and the link it gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceView {
    pub feed: String,
    pub url: String,
}

/// An article as listed (`articles list --json`, the API). Field names are a
/// contract: they may be added to, never renamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleView {
    pub id: ArticleId,
    pub url: String,
    pub title: String,
    /// The feed that brought it first.
    pub feed: String,
    /// RFC 3339, UTC.
    pub published: String,
    pub fetched: String,
    pub lang: Option<String>,
    pub summary: String,
    pub countries: Vec<String>,
    pub regions: Vec<String>,
    pub topics: Vec<String>,
    /// Watchlists that matched it.
    pub watchlists: Vec<String>,
    /// Every feed that carried it, first one first.
    pub sources: Vec<SourceView>,
    /// Publishing country configured for the first feed, if any.
    pub source_country: Option<String>,
    /// The story it belongs to: the id of the story's first article, its own id
    /// when no other outlet's text of it was found (see `story`).
    pub story: ArticleId,
}

/// One (article, watchlist) pair a replay found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplayHit {
    pub article_id: ArticleId,
    pub title: String,
    pub url: String,
    pub published: String,
    pub watchlist: String,
    pub matches: Vec<TermMatch>,
    /// False when the watchlist had already matched this article: no alert
    /// is (or would be) queued for it.
    pub new: bool,
}

/// What a replay found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplayReport {
    /// Articles the watchlists were run over.
    pub scanned: usize,
    pub hits: Vec<ReplayHit>,
    /// Alert rows queued (always 0 for a dry run).
    pub alerts: usize,
}

/// Bytes of [`content_hash`] kept: 128 bits are plenty to notice an edit of
/// one article, and half of a SHA-256 saves space on every article and source.
const HASH_BYTES: usize = 16;

/// Hash of the text an edit can change; tags are derived from it.
fn content_hash(a: &Article) -> Vec<u8> {
    text_hash(a.text())
}

/// [`content_hash`] of an article's text.
fn text_hash(t: ArticleText<'_>) -> Vec<u8> {
    let mut h = Sha256::new();
    for part in [t.title, t.summary, t.body] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize()[..HASH_BYTES].to_vec()
}

impl Store {
    /// Every article published since `since`, oldest first, as the matcher
    /// sees it at ingest (text, tags, first feed). For large ranges prefer
    /// [`Store::replay`], which holds one batch in memory at a time.
    ///
    /// # Errors
    /// A database error.
    pub fn articles_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(ArticleId, Article)>, StoreError> {
        let mut out = Vec::new();
        let mut cursor = (to_ts(since), ArticleId::MIN);
        loop {
            let batch = self.replay_batch(cursor)?;
            let Some((last_id, last)) = batch.last() else {
                return Ok(out);
            };
            cursor = (to_ts(last.published), *last_id);
            out.extend(batch);
        }
    }

    /// Stores one poll's articles in a single `BEGIN IMMEDIATE` transaction,
    /// together with their tags, watchlist matches and alert outbox rows.
    ///
    /// Per article: an item already known by (feed, identity) is unchanged when
    /// its text hash is the same, else an edit; an unknown item whose
    /// normalised URL is stored becomes another source of that article (and an
    /// edit when its feed already had a source of it, e.g. a changed GUID);
    /// an unknown item whose text is nearly that of an item its feed gave
    /// within [`REISSUE_WINDOW`] (and no longer carries) is that item re-issued
    /// under a new link, so an edit too; anything else is new. A new article
    /// joins the story of the most similar article published within
    /// [`STORY_WINDOW`] by another feed, if one is similar enough
    /// ([`story::same_story`]). `matcher` runs only for new, edited and newly
    /// linked articles, and a watchlist alerts only the first time it matches
    /// an article (with `per = "story"`, the first time it matches the story).
    /// If anything fails (or `matcher` panics), nothing is stored.
    ///
    /// # Errors
    /// A database error; the whole poll is rolled back.
    pub fn ingest(
        &mut self,
        articles: &[Article],
        matcher: &mut dyn FnMut(&Article) -> Vec<Match>,
        now: DateTime<Utc>,
    ) -> Result<IngestReport, StoreError> {
        self.ingest_fingerprinted(articles, &[], matcher, now)
    }

    /// [`Store::ingest`] with story fingerprints computed beforehand:
    /// `fingerprints[i]`, when given, is [`story::fingerprint`] of `articles[i]`'s
    /// text. The poller computes them before it locks the store, so that the
    /// writer lock is held only for the lookups and inserts. Missing ones (`None`,
    /// or fewer fingerprints than articles) are computed here, for new items only.
    ///
    /// # Errors
    /// A database error; the whole poll is rolled back.
    pub fn ingest_fingerprinted(
        &mut self,
        articles: &[Article],
        fingerprints: &[Option<Fingerprint>],
        matcher: &mut dyn FnMut(&Article) -> Vec<Match>,
        now: DateTime<Utc>,
    ) -> Result<IngestReport, StoreError> {
        let tx = self.begin_immediate()?;
        let mut pending = Pending::default();
        let keys = fingerprints.iter().flatten().flat_map(|f| f.bands());
        pending.prefetch_bands(&tx, keys.copied())?;
        let report = ingest_rows(&tx, &mut pending, articles, fingerprints, matcher, now)?;
        pending.flush(&tx)?;
        super::search::index_new_articles(&tx)?;
        tx.commit()?;
        Ok(report)
    }

    /// Records `matches` for a stored article and queues one alert per
    /// (watchlist, webhook) for watchlists that never matched it before, in
    /// one transaction. Returns the number of alerts queued.
    ///
    /// # Errors
    /// A database error; nothing is written then.
    pub fn apply_matches(
        &mut self,
        article_id: ArticleId,
        article: &Article,
        matches: &[Match],
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let tx = self.begin_immediate()?;
        let alerts = apply_matches(&tx, article_id, article, matches, now)?;
        tx.commit()?;
        Ok(alerts)
    }

    /// Stored articles, newest first (published, then id), filtered.
    ///
    /// # Errors
    /// A database error.
    pub fn list_articles(&self, filter: &ArticleFilter) -> Result<Vec<ArticleView>, StoreError> {
        let (clauses, args) = filter_clauses(filter);
        let mut sql =
            format!("{VIEW_SELECT} WHERE 1{clauses} ORDER BY a.published DESC, a.id DESC");
        if filter.limit > 0 {
            sql.push_str(&format!(" LIMIT {}", filter.limit));
        }
        self.views(&sql, args)
    }

    /// One article, if stored.
    ///
    /// # Errors
    /// A database error.
    pub fn article(&self, id: ArticleId) -> Result<Option<ArticleView>, StoreError> {
        let sql = format!("{VIEW_SELECT} WHERE a.id = ?1");
        Ok(self.views(&sql, vec![Value::Integer(id)])?.pop())
    }

    /// One article with its full plain-text body, if stored.
    ///
    /// # Errors
    /// A database error.
    pub fn article_body(&self, id: ArticleId) -> Result<Option<(ArticleView, String)>, StoreError> {
        let Some(view) = self.article(id)? else {
            return Ok(None);
        };
        let body: String =
            self.conn
                .query_row("SELECT body FROM articles WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?;
        Ok(Some((view, body)))
    }

    /// Runs `matcher` over the articles published since `since`, oldest first.
    /// Unless `dry_run`, the matches are recorded and alerts queued for
    /// (article, watchlist) pairs that never matched before, one short
    /// transaction per [`REPLAY_BATCH`] articles.
    ///
    /// # Errors
    /// A database error; batches already committed stay.
    pub fn replay(
        &mut self,
        since: DateTime<Utc>,
        matcher: &mut dyn FnMut(&Article) -> Vec<Match>,
        dry_run: bool,
        now: DateTime<Utc>,
    ) -> Result<ReplayReport, StoreError> {
        let mut report = ReplayReport::default();
        let mut cursor = (to_ts(since), ArticleId::MIN);
        loop {
            let batch = self.replay_batch(cursor)?;
            let Some((last_id, last)) = batch.last() else {
                break;
            };
            cursor = (to_ts(last.published), *last_id);
            report.scanned += batch.len();
            let ids: Vec<ArticleId> = batch.iter().map(|(id, _)| *id).collect();
            let matched = self.matched_watchlists(&ids)?;
            let found: Vec<(ArticleId, &Article, Vec<Match>)> =
                batch.iter().map(|(id, a)| (*id, a, matcher(a))).collect();
            for (id, a, matches) in &found {
                for m in matches {
                    let new = !matched.get(id).is_some_and(|w| w.contains(&m.watchlist));
                    report.hits.push(replay_hit(*id, a, m, new));
                }
            }
            if !dry_run {
                let tx = self.begin_immediate()?;
                for (id, a, matches) in &found {
                    report.alerts += apply_matches(&tx, *id, a, matches, now)?;
                }
                tx.commit()?;
            }
        }
        Ok(report)
    }

    /// Deletes articles first stored before `older_than` with their sources,
    /// tags, matches and full-text rows, `batch` articles per transaction so
    /// that no lock is held for long. Alert history is kept. The deleted
    /// items are remembered (tombstones, for as long again) so a feed still
    /// carrying one does not bring it back as new. Then gives free pages back
    /// to the file system. Returns the number of articles deleted.
    ///
    /// # Errors
    /// A database error; batches already committed stay deleted.
    pub fn prune(
        &mut self,
        older_than: DateTime<Utc>,
        now: DateTime<Utc>,
        batch: usize,
    ) -> Result<usize, StoreError> {
        let batch = batch.max(1) as i64;
        let cutoff = to_ts(older_than);
        while self.conn.execute(
            "DELETE FROM pruned_sources WHERE (feed_id, identity) IN
               (SELECT feed_id, identity FROM pruned_sources WHERE pruned_at < ?1 LIMIT ?2)",
            params![cutoff, batch],
        )? as i64
            == batch
        {}
        let mut deleted = 0;
        loop {
            let tx = self.begin_immediate()?;
            delete_pruned_bands(&tx, cutoff, batch)?;
            delete_tags(&tx, PRUNE_BATCH, params![cutoff, batch])?;
            tx.execute(
                "INSERT OR REPLACE INTO pruned_sources (feed_id, identity, pruned_at)
                 SELECT s.feed_id, s.identity, ?3 FROM article_sources s WHERE s.article_id IN
                   (SELECT id FROM articles WHERE fetched < ?1 ORDER BY fetched, id LIMIT ?2)",
                params![cutoff, batch, to_ts(now)],
            )?;
            // Sources and matches go by ON DELETE CASCADE, FTS rows by trigger.
            let n = tx.execute(
                &format!("DELETE FROM articles WHERE id IN ({PRUNE_BATCH})"),
                params![cutoff, batch],
            )?;
            tx.commit()?;
            deleted += n;
            if (n as i64) < batch {
                break;
            }
        }
        self.incremental_vacuum()?;
        Ok(deleted)
    }

    /// Frees unused pages in small steps when the database was created with
    /// `auto_vacuum = INCREMENTAL` (older files simply keep their free pages).
    fn incremental_vacuum(&mut self) -> Result<(), StoreError> {
        let mode: i64 = self
            .conn
            .query_row("PRAGMA auto_vacuum", [], |r| r.get(0))?;
        if mode != 2 {
            return Ok(());
        }
        loop {
            let free: i64 = self
                .conn
                .query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
            if free == 0 {
                return Ok(());
            }
            // The pragma steps like a query; draining it runs it to completion.
            let mut stmt = self
                .conn
                .prepare(&format!("PRAGMA incremental_vacuum({VACUUM_STEP_PAGES})"))?;
            let mut rows = stmt.query([])?;
            while rows.next()?.is_some() {}
        }
    }

    /// Views of `ids`, in no particular order.
    pub(super) fn views_by_id(&self, ids: &[ArticleId]) -> Result<Vec<ArticleView>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("{VIEW_SELECT} WHERE a.id IN (SELECT value FROM json_each(?1))");
        self.views(&sql, vec![Value::Text(id_list(ids))])
    }

    /// Runs a `VIEW_SELECT` query and fills in tags, matches and sources with
    /// one query each for all rows.
    fn views(&self, sql: &str, args: Vec<Value>) -> Result<Vec<ArticleView>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut views = stmt
            .query_map(params_from_iter(args), |r| {
                Ok(ArticleView {
                    id: r.get(0)?,
                    url: r.get(1)?,
                    title: r.get(2)?,
                    feed: r.get(3)?,
                    published: ts_text(r.get(4)?),
                    fetched: ts_text(r.get(5)?),
                    lang: r.get(6)?,
                    summary: r.get(7)?,
                    countries: Vec::new(),
                    regions: Vec::new(),
                    topics: Vec::new(),
                    watchlists: Vec::new(),
                    sources: Vec::new(),
                    source_country: r.get(8)?,
                    story: r.get(9)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        self.fill_details(&mut views)?;
        Ok(views)
    }

    fn fill_details(&self, views: &mut [ArticleView]) -> Result<(), StoreError> {
        if views.is_empty() {
            return Ok(());
        }
        let ids: Vec<ArticleId> = views.iter().map(|v| v.id).collect();
        let at: HashMap<ArticleId, usize> =
            ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let mut tags = self.load_tags(&ids)?;
        for view in views.iter_mut() {
            let t = tags.remove(&view.id).unwrap_or_default();
            (view.countries, view.regions, view.topics) = (t.countries, t.regions, t.topics);
        }
        for (id, watchlists) in self.matched_watchlists(&ids)? {
            views[at[&id]].watchlists = watchlists;
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.article_id, COALESCE(f.name, f.title, f.url), COALESCE(s.url, a.url)
             FROM article_sources s JOIN feeds f ON f.id = s.feed_id
             JOIN articles a ON a.id = s.article_id
             WHERE s.article_id IN (SELECT value FROM json_each(?1))
             ORDER BY s.article_id, s.first_seen, s.rowid",
        )?;
        let mut rows = stmt.query([id_list(&ids)])?;
        while let Some(r) = rows.next()? {
            let id: ArticleId = r.get(0)?;
            views[at[&id]].sources.push(SourceView {
                feed: r.get(1)?,
                url: r.get(2)?,
            });
        }
        Ok(())
    }

    /// Tags of several articles, each list sorted.
    fn load_tags(&self, ids: &[ArticleId]) -> Result<HashMap<ArticleId, Tags>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT x.article_id, t.kind, t.value
             FROM article_tags x, json_each(x.tag_ids) j JOIN tags t ON t.id = j.value
             WHERE x.article_id IN (SELECT value FROM json_each(?1))
             ORDER BY x.article_id, t.kind, t.value",
        )?;
        let mut rows = stmt.query([id_list(ids)])?;
        let mut out: HashMap<ArticleId, Tags> = HashMap::new();
        while let Some(r) = rows.next()? {
            let tags = out.entry(r.get(0)?).or_default();
            let (kind, value): (String, String) = (r.get(1)?, r.get(2)?);
            match kind.as_str() {
                "country" => tags.countries.push(value),
                "region" => tags.regions.push(value),
                _ => tags.topics.push(value),
            }
        }
        Ok(out)
    }

    /// Watchlists that matched each of `ids` (sorted), for those with any.
    fn matched_watchlists(
        &self,
        ids: &[ArticleId],
    ) -> Result<HashMap<ArticleId, Vec<String>>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT article_id, watchlist FROM article_matches
             WHERE article_id IN (SELECT value FROM json_each(?1)) ORDER BY article_id, watchlist",
        )?;
        let mut rows = stmt.query([id_list(ids)])?;
        let mut out: HashMap<ArticleId, Vec<String>> = HashMap::new();
        while let Some(r) = rows.next()? {
            out.entry(r.get(0)?).or_default().push(r.get(1)?);
        }
        Ok(out)
    }

    /// Up to [`REPLAY_BATCH`] articles after `cursor` (published, id), rebuilt as
    /// the matcher sees them at ingest.
    fn replay_batch(
        &self,
        cursor: (i64, ArticleId),
    ) -> Result<Vec<(ArticleId, Article)>, StoreError> {
        // The limit is a literal, not a parameter: see `near_duplicates`.
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT a.id, a.feed_id, COALESCE(f.name, f.title, f.url),
                    COALESCE((SELECT identity FROM article_sources s
                              WHERE s.article_id = a.id AND s.feed_id = a.feed_id LIMIT 1), ''),
                    a.url, a.title, a.summary, a.body, a.lang, a.published, a.fetched
             FROM articles a JOIN feeds f ON f.id = a.feed_id
             WHERE (a.published, a.id) > (?1, ?2)
             ORDER BY a.published, a.id LIMIT {REPLAY_BATCH}",
        ))?;
        let mut batch = stmt
            .query_map(params![cursor.0, cursor.1], |r| {
                Ok((
                    r.get(0)?,
                    Article {
                        feed_id: r.get(1)?,
                        feed: r.get(2)?,
                        identity: r.get(3)?,
                        url: r.get(4)?,
                        title: r.get(5)?,
                        summary: r.get(6)?,
                        body: r.get(7)?,
                        lang: r.get(8)?,
                        published: from_ts(r.get(9)?),
                        fetched: from_ts(r.get(10)?),
                        tags: Tags::default(),
                    },
                ))
            })?
            .collect::<Result<Vec<(ArticleId, Article)>, _>>()?;
        let ids: Vec<ArticleId> = batch.iter().map(|(id, _)| *id).collect();
        let mut tags = self.load_tags(&ids)?;
        for (id, article) in &mut batch {
            article.tags = tags.remove(id).unwrap_or_default();
        }
        Ok(batch)
    }
}

/// Article columns of an `ArticleView`, joined with the first feed for its name.
const VIEW_SELECT: &str = "SELECT a.id, a.url, a.title, COALESCE(f.name, f.title, f.url), \
     a.published, a.fetched, a.lang, a.summary, f.country, COALESCE(a.story_id, a.id) \
     FROM articles a JOIN feeds f ON f.id = a.feed_id";

/// ` AND ...` clauses and their parameters for a filter.
fn filter_clauses(filter: &ArticleFilter) -> (String, Vec<Value>) {
    let mut sql = String::new();
    let mut args = Vec::new();
    let mut add = |clause: &str, value: Value| {
        args.push(value);
        sql.push_str(&clause.replace("?", &format!("?{}", args.len())));
    };
    for (kind, value) in [
        ("country", &filter.country),
        ("region", &filter.region),
        ("topic", &filter.topic),
    ] {
        if let Some(value) = value {
            let clause = format!(
                " AND a.id IN (SELECT x.article_id FROM tags t JOIN tag_articles x ON x.tag_id = t.id
                  WHERE t.kind = '{kind}' AND t.value = ?)"
            );
            add(&clause, Value::Text(value.trim().to_string()));
        }
    }
    if let Some(w) = &filter.watchlist {
        add(
            " AND a.id IN (SELECT article_id FROM article_matches WHERE watchlist = ?)",
            Value::Text(w.clone()),
        );
    }
    if let Some(feed) = &filter.feed {
        add(
            " AND a.id IN (SELECT s.article_id FROM article_sources s JOIN feeds f ON f.id = s.feed_id
                  WHERE f.url = ? OR COALESCE(f.name, f.title, f.url) = ?)",
            Value::Text(feed.clone()),
        );
    }
    if let Some(cc) = &filter.source_country {
        add(
            " AND a.id IN (SELECT s.article_id FROM article_sources s JOIN feeds f ON f.id = s.feed_id
                  WHERE f.country = ? COLLATE NOCASE)",
            Value::Text(cc.trim().to_string()),
        );
    }
    if let Some(story) = filter.story {
        add(
            " AND a.id IN (SELECT id FROM articles WHERE story_id = ? UNION ALL SELECT ?)",
            Value::Integer(story),
        );
    }
    if let Some(since) = filter.since {
        add(" AND a.published >= ?", Value::Integer(to_ts(since)));
    }
    if let Some(before) = filter.before_id {
        add(
            " AND (a.published, a.id) < (SELECT published, id FROM articles WHERE id = ?)",
            Value::Integer(before),
        );
    }
    (sql, args)
}

/// Ids as a JSON array, for `IN (SELECT value FROM json_each(?))`: one
/// statement for any number of ids.
fn id_list(ids: &[ArticleId]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

fn replay_hit(id: ArticleId, a: &Article, m: &Match, new: bool) -> ReplayHit {
    ReplayHit {
        article_id: id,
        title: a.title.clone(),
        url: a.url.clone(),
        published: ts_text(to_ts(a.published)),
        watchlist: m.watchlist.clone(),
        matches: m.matches.clone(),
        new,
    }
}

/// One article of a poll, with its fingerprint when computed beforehand.
#[derive(Clone, Copy)]
struct Item<'a> {
    article: &'a Article,
    fingerprint: Option<&'a Fingerprint>,
}

/// The rows of [`Store::ingest_fingerprinted`] on a connection inside a
/// transaction (or a group's savepoint), which the caller commits after
/// flushing `pending`, the transaction's held-back index rows.
pub(crate) fn ingest_rows(
    conn: &Connection,
    pending: &mut Pending,
    articles: &[Article],
    fingerprints: &[Option<Fingerprint>],
    matcher: &mut dyn FnMut(&Article) -> Vec<Match>,
    now: DateTime<Utc>,
) -> Result<IngestReport, StoreError> {
    let mut report = IngestReport::default();
    // Items this poll carries: none of them is a re-issue of another.
    let in_poll: HashSet<(FeedId, &str)> = articles
        .iter()
        .map(|a| (a.feed_id, a.identity.as_str()))
        .collect();
    for (i, article) in articles.iter().enumerate() {
        let item = Item {
            article,
            fingerprint: fingerprints.get(i).and_then(Option::as_ref),
        };
        let tx = Tx { conn, pending };
        ingest_one(tx, item, matcher, now, &in_poll, &mut report)?;
    }
    Ok(report)
}

/// The ingest transaction: its connection and its held-back index rows.
struct Tx<'a> {
    conn: &'a Connection,
    pending: &'a mut Pending,
}

/// Stores one article of a poll, per the rules of [`Store::ingest`].
fn ingest_one(
    tx: Tx<'_>,
    item: Item<'_>,
    matcher: &mut dyn FnMut(&Article) -> Vec<Match>,
    now: DateTime<Utc>,
    in_poll: &HashSet<(FeedId, &str)>,
    report: &mut IngestReport,
) -> Result<(), StoreError> {
    let Tx { conn: tx, pending } = tx;
    let a = item.article;
    let hash = content_hash(a);
    if let Some((id, source_hash)) = find_source(tx, a.feed_id, &a.identity)? {
        if source_hash == hash {
            report.unchanged += 1;
            return Ok(());
        }
        tx.prepare_cached(
            "UPDATE article_sources SET content_hash = ?3 WHERE feed_id = ?1 AND identity = ?2",
        )?
        .execute(params![a.feed_id, a.identity, hash])?;
        if !update_text(tx, pending, id, a, &hash, item.fingerprint)? {
            // This source now gives the text the article already has.
            report.unchanged += 1;
            return Ok(());
        }
        report.updated.push(id);
        report.alerts += apply_matches(tx, id, a, &matcher(a), now)?;
        return Ok(());
    }
    if let Some(id) = find_by_url(tx, &a.url)? {
        let same_feed = has_source(tx, id, a.feed_id)?;
        insert_source(tx, id, a, &hash, now)?;
        if same_feed && update_text(tx, pending, id, a, &hash, item.fingerprint)? {
            report.updated.push(id);
        } else {
            report.linked += 1;
        }
        report.alerts += apply_matches(tx, id, a, &matcher(a), now)?;
        return Ok(());
    }
    if is_pruned(tx, a.feed_id, &a.identity)? {
        report.unchanged += 1;
        return Ok(());
    }
    let computed;
    let fingerprint = match item.fingerprint {
        Some(f) => f,
        None => {
            computed = story::fingerprint(a.text());
            &computed
        }
    };
    let near = near_duplicates(tx, pending, a, fingerprint, in_poll)?;
    if let Some(id) = near.reissue_of {
        insert_source(tx, id, a, &hash, now)?;
        if update_text(tx, pending, id, a, &hash, Some(fingerprint))? {
            report.updated.push(id);
        } else {
            report.linked += 1;
        }
        report.alerts += apply_matches(tx, id, a, &matcher(a), now)?;
        return Ok(());
    }
    let id = insert_article(tx, pending, a, &hash, near.story, fingerprint, now)?;
    report.new.push(id);
    report.grouped += usize::from(near.story.is_some());
    report.alerts += apply_matches(tx, id, a, &matcher(a), now)?;
    Ok(())
}

/// What the stored near-duplicates of a new item say about it.
#[derive(Debug, Default)]
struct Near {
    /// The item is this article of its own feed, re-issued under a new link.
    reissue_of: Option<ArticleId>,
    /// The story (its first article's id) another feed's text of it belongs to.
    story: Option<ArticleId>,
}

/// Finds the new item's near-duplicates through the band index and checks each
/// exactly; the most similar of each kind wins.
fn near_duplicates(
    tx: &Connection,
    pending: &Pending,
    a: &Article,
    fingerprint: &Fingerprint,
    in_poll: &HashSet<(FeedId, &str)>,
) -> Result<Near, StoreError> {
    let mut near = Near::default();
    if fingerprint.bands().is_empty() {
        return Ok(near);
    }
    let published = to_ts(a.published);
    let window = STORY_WINDOW.num_seconds();
    let candidates = story_candidates(
        tx,
        pending,
        fingerprint.bands(),
        (published - window, published + window),
    )?;
    let mut stmt = tx.prepare_cached(
        "SELECT COALESCE(a.story_id, a.id), a.published, a.title, a.summary, a.body,
                (SELECT s.identity FROM article_sources s
                 WHERE s.article_id = a.id AND s.feed_id = ?2 LIMIT 1)
         FROM articles a WHERE a.id = ?1",
    )?;
    let (mut best_reissue, mut best_story) = (0.0, 0.0);
    for id in candidates {
        let mut rows = stmt.query(params![id, a.feed_id])?;
        let Some(r) = rows.next()? else {
            continue;
        };
        let (story_id, their_published): (ArticleId, i64) = (r.get(0)?, r.get(1)?);
        let same_feed_identity: Option<String> = r.get(5)?;
        // An item of the same feed is only ever a re-issue: one this poll
        // still carries, or published too far apart, needs no comparison.
        if let Some(identity) = &same_feed_identity
            && (in_poll.contains(&(a.feed_id, identity.as_str()))
                || (published - their_published).abs() > REISSUE_WINDOW.num_seconds())
        {
            continue;
        }
        let theirs = story::comparable(row_text(r, 2)?);
        let similarity = fingerprint.similarity(&theirs);
        match same_feed_identity {
            Some(_) if story::republished(fingerprint, &theirs) && similarity > best_reissue => {
                (near.reissue_of, best_reissue) = (Some(id), similarity);
            }
            None if story::same_story(fingerprint, &theirs) && similarity > best_story => {
                (near.story, best_story) = (Some(story_id), similarity);
            }
            _ => {}
        }
    }
    Ok(near)
}

/// The articles worth comparing with a new one whose band keys are `bands`:
/// those sharing any key and published within `window` (inclusive), the
/// [`MAX_STORY_CANDIDATES`] sharing the most keys first, then the oldest.
/// Keys are looked up in the rows prefetched for the group, the table and the
/// transaction's pending rows (an article's rows are all in one place, so
/// none is counted twice).
fn story_candidates(
    tx: &Connection,
    pending: &Pending,
    bands: &[i64],
    window: (i64, i64),
) -> Result<Vec<ArticleId>, StoreError> {
    // One entry per shared key: counted by sorting, then ranked.
    let mut sharing = pending.stored_sharing(tx, bands)?;
    sharing.extend(pending.sharing(bands));
    sharing.sort_unstable();
    let mut ranked: Vec<(ArticleId, usize)> = sharing
        .chunk_by(|x, y| x == y)
        .map(|run| (run[0], run.len()))
        .collect();
    ranked.sort_unstable_by_key(|&(id, n)| (std::cmp::Reverse(n), id));
    let mut published = tx.prepare_cached("SELECT published FROM articles WHERE id = ?1")?;
    let mut out = Vec::new();
    for (id, _) in ranked {
        let Some(when) = published
            .query_row([id], |r| r.get::<_, i64>(0))
            .optional()?
        else {
            continue;
        };
        if (window.0..=window.1).contains(&when) {
            out.push(id);
            if out.len() == MAX_STORY_CANDIDATES {
                break;
            }
        }
    }
    Ok(out)
}

fn find_source(
    tx: &Connection,
    feed_id: FeedId,
    identity: &str,
) -> Result<Option<(ArticleId, Vec<u8>)>, StoreError> {
    Ok(tx
        .prepare_cached("SELECT article_id, content_hash FROM article_sources WHERE feed_id = ?1 AND identity = ?2")?
        .query_row(params![feed_id, identity], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

fn find_by_url(tx: &Connection, url: &str) -> Result<Option<ArticleId>, StoreError> {
    if url.is_empty() {
        return Ok(None);
    }
    Ok(tx
        .prepare_cached("SELECT id FROM articles WHERE url = ?1 AND url <> ''")?
        .query_row([url], |r| r.get(0))
        .optional()?)
}

fn has_source(tx: &Connection, id: ArticleId, feed_id: FeedId) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM article_sources WHERE article_id = ?1 AND feed_id = ?2")?
        .exists(params![id, feed_id])?)
}

fn is_pruned(tx: &Connection, feed_id: FeedId, identity: &str) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM pruned_sources WHERE feed_id = ?1 AND identity = ?2")?
        .exists(params![feed_id, identity])?)
}

fn insert_article(
    tx: &Connection,
    pending: &mut Pending,
    a: &Article,
    hash: &[u8],
    story: Option<ArticleId>,
    fingerprint: &Fingerprint,
    now: DateTime<Utc>,
) -> Result<ArticleId, StoreError> {
    tx.prepare_cached(
        "INSERT INTO articles (feed_id, url, title, summary, body, lang, published, fetched, content_hash, story_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        a.feed_id,
        a.url,
        a.title,
        a.summary,
        a.body,
        a.lang,
        to_ts(a.published),
        to_ts(a.fetched),
        hash,
        story
    ])?;
    let id = tx.last_insert_rowid();
    insert_source(tx, id, a, hash, now)?;
    insert_tags(tx, pending, id, &a.tags)?;
    pending.add_bands(id, fingerprint.bands());
    Ok(id)
}

/// Deletes the band rows of article `id`, whose stored text has `fingerprint`.
fn delete_bands(
    tx: &Connection,
    id: ArticleId,
    fingerprint: &Fingerprint,
) -> Result<(), StoreError> {
    each_band(
        tx,
        "DELETE FROM story_bands WHERE key = ?1 AND article_id = ?2",
        id,
        fingerprint,
    )
}

/// Runs `sql` with (band key, `id`) for each band of `fingerprint`.
fn each_band(
    tx: &Connection,
    sql: &str,
    id: ArticleId,
    fingerprint: &Fingerprint,
) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(sql)?;
    for key in fingerprint.bands() {
        stmt.execute(params![key, id])?;
    }
    Ok(())
}

fn insert_source(
    tx: &Connection,
    id: ArticleId,
    a: &Article,
    hash: &[u8],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // The link is stored only when it differs from the article's (a re-issue
    // under a new link); most sources carry the article's own.
    tx.prepare_cached(
        "INSERT INTO article_sources (feed_id, identity, article_id, url, first_seen, content_hash)
         VALUES (?1, ?2, ?3, NULLIF(?4, (SELECT url FROM articles WHERE id = ?3)), ?5, ?6)",
    )?
    .execute(params![a.feed_id, a.identity, id, a.url, to_ts(now), hash])?;
    Ok(())
}

/// Links the article to its tags (its `article_tags` list now, its
/// `tag_articles` rows pending until the commit), adding values the
/// dictionary lacks.
fn insert_tags(
    tx: &Connection,
    pending: &mut Pending,
    id: ArticleId,
    tags: &Tags,
) -> Result<(), StoreError> {
    let mut ids = Vec::new();
    for (kind, values) in [
        ("country", &tags.countries),
        ("region", &tags.regions),
        ("topic", &tags.topics),
    ] {
        for value in values {
            ids.push(tag_id(tx, pending, kind, value)?);
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    // Values equal but for case are one tag.
    ids.sort_unstable();
    ids.dedup();
    pending.add_links(id, &ids);
    tx.prepare_cached("INSERT INTO article_tags (article_id, tag_ids) VALUES (?1, ?2)")?
        .execute(params![id, id_list(&ids)])?;
    Ok(())
}

/// The id of tag (`kind`, `value`), added to the dictionary when new.
fn tag_id(
    tx: &Connection,
    pending: &mut Pending,
    kind: &'static str,
    value: &str,
) -> Result<i64, StoreError> {
    if let Some(tag) = pending.tag_id(kind, value) {
        return Ok(tag);
    }
    let known = tx
        .prepare_cached("SELECT id FROM tags WHERE kind = ?1 AND value = ?2")?
        .query_row(params![kind, value], |r| r.get(0))
        .optional()?;
    let tag = match known {
        Some(tag) => tag,
        None => {
            tx.prepare_cached("INSERT INTO tags (kind, value) VALUES (?1, ?2)")?
                .execute(params![kind, value])?;
            tx.last_insert_rowid()
        }
    };
    pending.cache_tag(kind, value, tag, known.is_none());
    Ok(tag)
}

/// Deletes the tag rows of the articles that `articles`, a query of article
/// ids with parameters `args`, selects: `tag_articles` rows by the ids listed
/// in `article_tags`, then the lists.
fn delete_tags(
    tx: &Connection,
    articles: &str,
    args: impl rusqlite::Params + Copy,
) -> Result<(), StoreError> {
    tx.prepare_cached(&format!(
        "DELETE FROM tag_articles WHERE (tag_id, article_id) IN
           (SELECT j.value, x.article_id FROM article_tags x, json_each(x.tag_ids) j
            WHERE x.article_id IN ({articles}))"
    ))?
    .execute(args)?;
    tx.prepare_cached(&format!(
        "DELETE FROM article_tags WHERE article_id IN ({articles})"
    ))?
    .execute(args)?;
    Ok(())
}

/// Replaces the article's text and tags with `a`'s when they differ (the
/// full-text index follows by trigger, the story bands here; the article stays
/// in its story). Returns whether anything changed.
fn update_text(
    tx: &Connection,
    pending: &mut Pending,
    id: ArticleId,
    a: &Article,
    hash: &[u8],
    fingerprint: Option<&Fingerprint>,
) -> Result<bool, StoreError> {
    // The old text, only when it differs: its band keys must go before it does.
    let Some(old) = tx
        .prepare_cached(
            "SELECT title, summary, body FROM articles WHERE id = ?1 AND content_hash <> ?2",
        )?
        .query_row(params![id, hash], |r| row_fingerprint(r, 0))
        .optional()?
    else {
        return Ok(false);
    };
    tx.prepare_cached(
        "UPDATE articles SET title = ?2, summary = ?3, body = ?4, lang = ?5, content_hash = ?6
         WHERE id = ?1",
    )?
    .execute(params![id, a.title, a.summary, a.body, a.lang, hash])?;
    // The old rows are in the table or still pending (an article stored
    // earlier in this transaction): both places are cleared.
    delete_bands(tx, id, &old)?;
    pending.cleared_bands(id);
    pending.remove_bands(id);
    match fingerprint {
        Some(f) => pending.add_bands(id, f.bands()),
        None => pending.add_bands(id, story::fingerprint(a.text()).bands()),
    }
    delete_tags(tx, "SELECT ?1", [id])?;
    pending.remove_links(id);
    insert_tags(tx, pending, id, &a.tags)?;
    Ok(true)
}

/// Records matches and queues alerts for watchlists new to this article;
/// returns the number of alert rows created. Shared by ingest and replay.
///
/// A `per_story` match queues no alert for a webhook that an alert of the same
/// watchlist already went to (or waits for) about any article of the story.
pub(crate) fn apply_matches(
    tx: &Connection,
    id: ArticleId,
    article: &Article,
    matches: &[Match],
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut record = tx.prepare_cached(
        "INSERT OR IGNORE INTO article_matches (article_id, watchlist, matches, matched_at) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut alert = tx.prepare_cached(
        "INSERT OR IGNORE INTO alerts (msg_id, article_id, watchlist, webhook, payload, status, created, next_attempt)
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6)",
    )?;
    let mut alerts = 0;
    for m in matches {
        let terms = serde_json::to_string(&m.matches).unwrap_or_else(|_| "[]".into());
        if record.execute(params![id, m.watchlist, terms, to_ts(now)])? == 0 {
            continue; // matched before: never alert twice
        }
        let payload = outbox::payload(id, article, m, now).to_string();
        let story = if m.per_story {
            Some(story_of(tx, id)?)
        } else {
            None
        };
        for webhook in &m.webhooks {
            if let Some(story) = story
                && story_alerted(tx, story, &m.watchlist, webhook)?
            {
                continue;
            }
            alerts += alert.execute(params![
                outbox::new_msg_id(),
                id,
                m.watchlist,
                webhook,
                payload,
                to_ts(now)
            ])?;
        }
    }
    Ok(alerts)
}

/// The fingerprint of the title, summary and body in columns `first..first + 3` of `row`.
fn row_fingerprint(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Fingerprint> {
    Ok(story::fingerprint(row_text(row, first)?))
}

/// The title, summary and body in columns `first..first + 3` of `row`,
/// borrowed from the row rather than copied.
fn row_text<'r>(row: &'r rusqlite::Row<'_>, first: usize) -> rusqlite::Result<ArticleText<'r>> {
    let text = |i: usize| {
        row.get_ref(i)?.as_str().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
        })
    };
    Ok(ArticleText {
        title: text(first)?,
        summary: text(first + 1)?,
        body: text(first + 2)?,
    })
}

/// Deletes the story band rows of the articles the next prune batch deletes
/// (the same query as the batch's), by keys recomputed from their text.
fn delete_pruned_bands(tx: &Connection, cutoff: i64, batch: i64) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, title, summary, body FROM articles WHERE id IN
           (SELECT id FROM articles WHERE fetched < ?1 ORDER BY fetched, id LIMIT ?2)",
    )?;
    let mut rows = stmt.query(params![cutoff, batch])?;
    while let Some(r) = rows.next()? {
        delete_bands(tx, r.get(0)?, &row_fingerprint(r, 1)?)?;
    }
    Ok(())
}

/// The story an article belongs to (see [`ArticleView::story`]).
fn story_of(tx: &Connection, id: ArticleId) -> Result<ArticleId, StoreError> {
    Ok(tx
        .prepare_cached("SELECT COALESCE(story_id, id) FROM articles WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .unwrap_or(id))
}

/// True when an alert of `watchlist` to `webhook` exists for an article of
/// `story`, including its first article after retention deleted it (alerts outlive
/// their articles).
fn story_alerted(
    tx: &Connection,
    story: ArticleId,
    watchlist: &str,
    webhook: &str,
) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT 1 FROM alerts WHERE watchlist = ?2 AND webhook = ?3 AND article_id IN
               (SELECT id FROM articles WHERE story_id = ?1 UNION ALL SELECT ?1)",
        )?
        .exists(params![story, watchlist, webhook])?)
}

impl Store {
    /// Which of `identities` this feed has already delivered, so that the
    /// poller fetches article pages only for items it has never seen.
    ///
    /// # Errors
    /// A database failure.
    pub fn known_identities(
        &self,
        feed_id: FeedId,
        identities: &[&str],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM article_sources WHERE feed_id = ?1 AND identity = ?2")?;
        let mut known = std::collections::HashSet::new();
        for identity in identities {
            if stmt.exists(rusqlite::params![feed_id, identity])? {
                known.insert((*identity).to_string());
            }
        }
        Ok(known)
    }

    /// Which of a feed's items (identity and text) are stored from this feed
    /// with exactly this text: [`Store::ingest`] finds them unchanged and
    /// writes nothing, so the poller skips their language detection, tagging
    /// and matching. Read-only.
    ///
    /// # Errors
    /// A database failure.
    pub fn unchanged_items(
        &self,
        feed_id: FeedId,
        items: &[(&str, ArticleText<'_>)],
    ) -> Result<HashSet<String>, StoreError> {
        unchanged_items(&self.conn, feed_id, items)
    }
}

/// [`Store::unchanged_items`] on a connection that may be inside a transaction.
pub(crate) fn unchanged_items(
    conn: &Connection,
    feed_id: FeedId,
    items: &[(&str, ArticleText<'_>)],
) -> Result<HashSet<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT content_hash FROM article_sources WHERE feed_id = ?1 AND identity = ?2",
    )?;
    let mut unchanged = HashSet::new();
    for (identity, text) in items {
        let stored: Option<Vec<u8>> = stmt
            .query_row(params![feed_id, identity], |r| r.get(0))
            .optional()?;
        if stored.is_some_and(|h| h == text_hash(*text)) {
            unchanged.insert((*identity).to_string());
        }
    }
    Ok(unchanged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testutil::{article, open, t, title_matcher, two_feeds};

    fn no_match(_: &Article) -> Vec<Match> {
        Vec::new()
    }

    fn count(store: &Store, table: &str) -> i64 {
        store
            .conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    fn tagged(mut a: Article, countries: &[&str], regions: &[&str], topics: &[&str]) -> Article {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
        a.tags = Tags {
            countries: v(countries),
            regions: v(regions),
            topics: v(topics),
        };
        a
    }

    #[test]
    fn second_ingest_of_same_items_writes_nothing() {
        let (_dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        let items = vec![
            article(a, "g1", "https://x.test/1", "One"),
            article(a, "g2", "https://x.test/2", "Two"),
            article(a, "g3", "", "No link"),
        ];
        let first = store.ingest(&items, &mut no_match, t(10, 9)).unwrap();
        assert_eq!(first.new.len(), 3);
        let changes_before = store.conn.total_changes();
        let second = store.ingest(&items, &mut no_match, t(10, 10)).unwrap();
        assert_eq!(
            second,
            IngestReport {
                unchanged: 3,
                ..IngestReport::default()
            }
        );
        assert_eq!(
            store.conn.total_changes(),
            changes_before,
            "a re-poll wrote rows"
        );
        assert_eq!(count(&store, "articles"), 3);
    }

    #[test]
    fn same_url_through_two_feeds_is_one_article_with_two_sources() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        store
            .ingest(
                &[article(a, "a-1", "https://x.test/story", "Story")],
                &mut no_match,
                t(10, 9),
            )
            .unwrap();
        let mut via_b = article(b, "b-77", "https://x.test/story", "Story (syndicated)");
        via_b.body = "a different text of the story".into();
        let report = store.ingest(&[via_b], &mut no_match, t(10, 10)).unwrap();
        assert_eq!(
            (report.new.len(), report.linked, report.updated.len()),
            (0, 1, 0)
        );
        let list = store.list_articles(&ArticleFilter::default()).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(
            list[0].title, "Story",
            "another outlet's text must not replace the first"
        );
        assert_eq!(
            list[0].sources,
            [
                SourceView {
                    feed: "A".into(),
                    url: "https://x.test/story".into()
                },
                SourceView {
                    feed: "B".into(),
                    url: "https://x.test/story".into()
                },
            ]
        );
        // Both feeds polling again: nothing flips back and forth.
        let again = store
            .ingest(
                &[article(a, "a-1", "https://x.test/story", "Story"), {
                    let mut x = article(b, "b-77", "https://x.test/story", "Story (syndicated)");
                    x.body = "a different text of the story".into();
                    x
                }],
                &mut no_match,
                t(10, 11),
            )
            .unwrap();
        assert_eq!(again.unchanged, 2);
    }

    #[test]
    fn a_source_stores_its_link_only_when_it_differs_from_the_article() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        let items = [
            article(a, "a-1", "https://x.test/story", "Story"),
            article(b, "b-1", "https://x.test/story", "Story"),
            article(b, "b-2", "", "No link"),
        ];
        store.ingest(&items, &mut no_match, t(10, 9)).unwrap();
        let stored = crate::store::testutil::source_urls(&store);
        assert_eq!(stored, [None, None, None]);
        let list = store.list_articles(&ArticleFilter::default()).unwrap();
        let urls: Vec<Vec<&str>> = list
            .iter()
            .map(|v| v.sources.iter().map(|s| s.url.as_str()).collect())
            .collect();
        assert_eq!(
            urls,
            [
                vec![""],
                vec!["https://x.test/story", "https://x.test/story"]
            ]
        );
    }

    #[test]
    fn tags_are_stored_once_filtered_in_any_case_and_replaced_by_edits() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        let one = tagged(
            article(a, "1", "https://x.test/1", "One"),
            &["KZ", "CN"],
            &["Xinjiang"],
            &["trade"],
        );
        let two = tagged(
            article(b, "2", "https://x.test/2", "Two"),
            &["kz"],
            &["xinjiang"],
            &[],
        );
        let ids = store
            .ingest(&[one, two], &mut no_match, t(10, 9))
            .unwrap()
            .new;
        assert_eq!(
            count(&store, "tags"),
            4,
            "KZ/kz and Xinjiang/xinjiang are one tag each"
        );
        assert_eq!(count(&store, "tag_articles"), 6);
        let filtered = |store: &Store, country: &str, region: &str| -> Vec<ArticleId> {
            let filter = ArticleFilter {
                country: Some(country.into()),
                region: (!region.is_empty()).then(|| region.into()),
                ..ArticleFilter::default()
            };
            crate::store::testutil::listed_ids(store, &filter)
        };
        assert_eq!(filtered(&store, "kz", ""), ids);
        assert_eq!(filtered(&store, " Kz ", "XINJIANG"), ids);
        assert_eq!(filtered(&store, "cn", ""), [ids[0]]);
        let second = store.article(ids[1]).unwrap().unwrap();
        assert_eq!(
            (second.countries, second.regions),
            (vec!["KZ".to_string()], vec!["Xinjiang".to_string()])
        );

        // An edit replaces the article's tags, in the list and in the filter rows.
        let edited = tagged(
            article(a, "1", "https://x.test/1", "One, edited"),
            &["UZ"],
            &[],
            &["trade"],
        );
        let report = store.ingest(&[edited], &mut no_match, t(10, 10)).unwrap();
        assert_eq!(report.updated, [ids[0]]);
        assert_eq!(filtered(&store, "cn", ""), Vec::<ArticleId>::new());
        assert_eq!(filtered(&store, "kz", ""), [ids[1]]);
        assert_eq!(filtered(&store, "uz", ""), [ids[0]]);
        let first = store.article(ids[0]).unwrap().unwrap();
        assert_eq!(
            (first.countries, first.regions, first.topics),
            (vec!["UZ".to_string()], vec![], vec!["trade".to_string()])
        );
        assert_eq!(count(&store, "tag_articles"), 4);
    }

    #[test]
    fn precomputed_fingerprints_store_the_same_as_computed_ones() {
        let ingest_all = |precomputed: bool| {
            let (dir, mut store) = open();
            let (a, b) = two_feeds(&mut store);
            let polls = [
                vec![from_sample(
                    a,
                    "1",
                    "https://a.test/1",
                    &samples::KAZINFORM_BAKHTY,
                )],
                vec![
                    from_sample(b, "2", "https://b.test/2", &samples::REPUBLISHED_BAKHTY),
                    from_sample(b, "3", "https://b.test/3", &samples::DOSTYK_MOYINTY),
                ],
            ];
            let mut reports = Vec::new();
            for items in &polls {
                let fingerprints: Vec<Option<Fingerprint>> = if precomputed {
                    items
                        .iter()
                        .map(|x| Some(story::fingerprint(x.text())))
                        .collect()
                } else {
                    Vec::new()
                };
                reports.push(
                    store
                        .ingest_fingerprinted(items, &fingerprints, &mut no_match, t(10, 9))
                        .unwrap(),
                );
            }
            let stories: Vec<ArticleId> = (1..=3).map(|id| story_of_view(&store, id)).collect();
            drop((dir, store));
            (reports, stories)
        };
        let (reports, stories) = ingest_all(true);
        assert_eq!(stories, [1, 1, 3]);
        assert_eq!(reports[1].grouped, 1);
        assert_eq!((reports, stories), ingest_all(false));
    }

    #[test]
    fn changed_guid_with_same_url_is_one_article() {
        let (_dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        store
            .ingest(
                &[article(a, "guid-old", "https://x.test/s", "Story")],
                &mut no_match,
                t(10, 9),
            )
            .unwrap();
        let edited = article(a, "guid-new", "https://x.test/s", "Story, updated title");
        let report = store.ingest(&[edited], &mut no_match, t(10, 10)).unwrap();
        assert_eq!(report.new, Vec::<ArticleId>::new());
        assert_eq!(
            report.updated.len(),
            1,
            "a feed re-issuing its own item is an edit"
        );
        let list = store.list_articles(&ArticleFilter::default()).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].title, "Story, updated title");
        assert_eq!(list[0].sources.len(), 2);
    }

    #[test]
    fn edit_updates_in_place_and_alerts_only_new_watchlists() {
        let (_dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        let mut matcher = title_matcher(&[
            ("Xinjiang", "xinjiang", &["ops", "chat"]),
            ("railway", "rail", &["ops"]),
        ]);
        let v1 = tagged(
            article(a, "g", "https://x.test/s", "Xinjiang trade"),
            &["CN"],
            &["Xinjiang"],
            &["trade"],
        );
        let first = store.ingest(&[v1], &mut matcher, t(10, 9)).unwrap();
        assert_eq!(first.alerts, 2);
        let id = first.new[0];

        let v2 = tagged(
            article(a, "g", "https://x.test/s", "Xinjiang trade and railway"),
            &["CN", "KZ"],
            &["Xinjiang"],
            &["transport"],
        );
        let second = store
            .ingest(std::slice::from_ref(&v2), &mut matcher, t(10, 10))
            .unwrap();
        assert_eq!(
            (second.updated.clone(), second.alerts),
            (vec![id], 1),
            "only `rail` is new"
        );
        let alerts: Vec<(String, String)> = store
            .conn
            .prepare("SELECT watchlist, webhook FROM alerts ORDER BY watchlist, webhook")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            alerts,
            [
                ("rail".into(), "ops".into()),
                ("xinjiang".into(), "chat".into()),
                ("xinjiang".into(), "ops".into())
            ]
        );

        let view = store.article(id).unwrap().unwrap();
        assert_eq!(view.title, "Xinjiang trade and railway");
        assert_eq!(
            (view.countries.clone(), view.topics.clone()),
            (
                vec!["CN".to_string(), "KZ".into()],
                vec!["transport".to_string()]
            )
        );
        assert_eq!(view.watchlists, ["rail", "xinjiang"]);
        assert_eq!(count(&store, "articles"), 1);

        // The same edit seen again writes nothing and alerts nothing.
        let third = store.ingest(&[v2], &mut matcher, t(10, 11)).unwrap();
        assert_eq!((third.unchanged, third.alerts), (1, 0));
    }

    #[test]
    fn alert_rows_carry_payload_and_pending_state() {
        let (_dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        let mut matcher = title_matcher(&[("Xinjiang", "xinjiang", &["ops"])]);
        let item = tagged(
            article(a, "g", "https://x.test/s", "Xinjiang trade"),
            &["CN"],
            &[],
            &[],
        );
        let id = store.ingest(&[item], &mut matcher, t(10, 9)).unwrap().new[0];
        let (msg_id, payload, status, next): (String, String, String, i64) = store
            .conn
            .query_row(
                "SELECT msg_id, payload, status, next_attempt FROM alerts",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert!(msg_id.starts_with("msg_"));
        assert_eq!((status.as_str(), next), ("pending", to_ts(t(10, 9))));
        let json: serde_json::Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(json["data"]["article"]["id"], id);
        assert_eq!(json["data"]["watchlist"], "xinjiang");
        assert_eq!(json["data"]["matches"][0]["term"], "Xinjiang");
    }

    #[test]
    fn panicking_matcher_rolls_back_the_whole_poll() {
        let (_dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        let items = [
            article(a, "g1", "https://x.test/1", "fine"),
            article(a, "g2", "https://x.test/2", "boom"),
        ];
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut matcher = |x: &Article| -> Vec<Match> {
                assert!(x.title != "boom", "matcher exploded");
                Vec::new()
            };
            store.ingest(&items, &mut matcher, t(10, 9))
        }));
        assert!(result.is_err());
        assert_eq!(count(&store, "articles"), 0);
        assert_eq!(count(&store, "articles_fts"), 0);
        // The connection is usable and the poll can be redone.
        assert_eq!(
            store
                .ingest(&items[..1], &mut no_match, t(10, 9))
                .unwrap()
                .new
                .len(),
            1
        );
    }

    #[test]
    fn failing_item_rolls_back_articles_and_alerts() {
        let (_dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        let mut matcher = title_matcher(&[("Xinjiang", "xinjiang", &["ops"])]);
        let good = article(a, "g1", "https://x.test/1", "Xinjiang news");
        let bad = article(999, "g2", "https://x.test/2", "Xinjiang again"); // no such feed
        let err = store.ingest(&[good, bad], &mut matcher, t(10, 9));
        assert!(err.is_err());
        assert_eq!(
            (
                count(&store, "articles"),
                count(&store, "alerts"),
                count(&store, "article_matches")
            ),
            (0, 0, 0)
        );
    }

    #[test]
    fn list_filters() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        let mut kg_outlet = crate::store::testutil::feed_config("http://b.test/feed", Some("B"));
        kg_outlet.country = Some("KG".into());
        store.sync_feeds(&[kg_outlet], t(1, 0)).unwrap();
        let mut matcher = title_matcher(&[("water", "water-watch", &[])]);
        let mut kz = tagged(
            article(a, "1", "https://x.test/1", "Almaty water"),
            &["KZ"],
            &["Almaty"],
            &["water"],
        );
        kz.published = t(5, 0);
        let mut cn = tagged(
            article(b, "2", "https://x.test/2", "Urumqi trade"),
            &["CN"],
            &["Urumqi", "Xinjiang"],
            &["trade"],
        );
        cn.published = t(7, 0);
        let mut both = tagged(
            article(b, "3", "https://x.test/3", "Khorgos trade"),
            &["CN", "KZ"],
            &["Khorgos"],
            &["trade", "transport"],
        );
        both.published = t(9, 0);
        let ids = store
            .ingest(&[kz, cn, both], &mut matcher, t(10, 0))
            .unwrap()
            .new;
        let list = |f: ArticleFilter| -> Vec<ArticleId> {
            store
                .list_articles(&f)
                .unwrap()
                .iter()
                .map(|v| v.id)
                .collect()
        };
        let s = |x: &str| Some(x.to_string());
        assert_eq!(list(ArticleFilter::default()), [ids[2], ids[1], ids[0]]);
        assert_eq!(
            list(ArticleFilter {
                country: s("kz"),
                ..Default::default()
            }),
            [ids[2], ids[0]]
        );
        assert_eq!(
            list(ArticleFilter {
                region: s("xinjiang"),
                ..Default::default()
            }),
            [ids[1]]
        );
        assert_eq!(
            list(ArticleFilter {
                topic: s("trade"),
                ..Default::default()
            }),
            [ids[2], ids[1]]
        );
        assert_eq!(
            list(ArticleFilter {
                watchlist: s("water-watch"),
                ..Default::default()
            }),
            [ids[0]]
        );
        assert_eq!(
            list(ArticleFilter {
                feed: s("B"),
                ..Default::default()
            }),
            [ids[2], ids[1]]
        );
        assert_eq!(
            list(ArticleFilter {
                since: Some(t(7, 0)),
                ..Default::default()
            }),
            [ids[2], ids[1]]
        );
        assert_eq!(
            list(ArticleFilter {
                limit: 1,
                ..Default::default()
            }),
            [ids[2]]
        );
        assert_eq!(
            list(ArticleFilter {
                limit: 1,
                before_id: Some(ids[2]),
                ..Default::default()
            }),
            [ids[1]]
        );
        assert_eq!(
            list(ArticleFilter {
                country: s("KZ"),
                topic: s("trade"),
                since: Some(t(1, 0)),
                ..Default::default()
            }),
            [ids[2]]
        );
        assert!(
            list(ArticleFilter {
                country: s("TJ"),
                ..Default::default()
            })
            .is_empty()
        );
        assert_eq!(
            list(ArticleFilter {
                source_country: s("kg"),
                ..Default::default()
            }),
            [ids[2], ids[1]]
        );
        let views = store.list_articles(&ArticleFilter::default()).unwrap();
        assert_eq!(views[0].source_country.as_deref(), Some("KG"));
        assert_eq!(views[2].source_country, None);
    }

    #[test]
    fn view_has_the_contract_fields() {
        let (_dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        let item = tagged(
            article(a, "1", "https://x.test/1", "Title"),
            &["KZ"],
            &["Almaty"],
            &["water"],
        );
        let id = store.ingest(&[item], &mut no_match, t(10, 9)).unwrap().new[0];
        let json = serde_json::to_value(store.article(id).unwrap().unwrap()).unwrap();
        for field in [
            "id",
            "url",
            "title",
            "feed",
            "published",
            "fetched",
            "lang",
            "summary",
            "countries",
            "regions",
            "topics",
            "watchlists",
        ] {
            assert!(json.get(field).is_some(), "missing {field}");
        }
        assert_eq!(json["published"], "2026-10-10T08:00:00Z");
        assert_eq!(json["feed"], "A");
        assert_eq!(json["countries"], serde_json::json!(["KZ"]));
        let (_, body) = store.article_body(id).unwrap().unwrap();
        assert_eq!(body, "body of Title");
        assert_eq!(store.article(id + 100).unwrap(), None);
    }

    #[test]
    fn listing_many_articles_keeps_details_apart() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        let items: Vec<Article> = (0usize..1000)
            .map(|i| {
                let feed = if i.is_multiple_of(2) { a } else { b };
                tagged(
                    article(
                        feed,
                        &format!("g{i}"),
                        &format!("https://x.test/{i}"),
                        &format!("n{i}"),
                    ),
                    &[if i.is_multiple_of(3) { "KZ" } else { "UZ" }],
                    &[],
                    &[],
                )
            })
            .collect();
        store.ingest(&items, &mut no_match, t(10, 9)).unwrap();
        let list = store.list_articles(&ArticleFilter::default()).unwrap();
        assert_eq!(list.len(), 1000);
        for v in &list {
            let i: usize = v.title[1..].parse().unwrap();
            assert_eq!(v.countries, [if i.is_multiple_of(3) { "KZ" } else { "UZ" }]);
            assert_eq!(
                v.sources[0].feed,
                if i.is_multiple_of(2) { "A" } else { "B" }
            );
        }
    }

    #[test]
    fn replay_dry_run_reports_and_real_run_alerts_once() {
        let (_dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        let mut old = article(a, "1", "https://x.test/1", "Railway crossing at Khorgos");
        old.published = t(1, 0);
        let recent = article(a, "2", "https://x.test/2", "Railway crossing reopened");
        let unrelated = article(a, "3", "https://x.test/3", "Cotton harvest");
        store
            .ingest(&[old, recent, unrelated], &mut no_match, t(10, 9))
            .unwrap();

        let mut matcher = title_matcher(&[("Railway", "rail", &["ops"])]);
        let dry = store.replay(t(5, 0), &mut matcher, true, t(11, 0)).unwrap();
        assert_eq!((dry.scanned, dry.hits.len(), dry.alerts), (2, 1, 0));
        assert_eq!(dry.hits[0].title, "Railway crossing reopened");
        assert!(dry.hits[0].new);
        assert_eq!(count(&store, "alerts"), 0);

        let real = store
            .replay(t(1, 0), &mut matcher, false, t(11, 0))
            .unwrap();
        assert_eq!((real.scanned, real.alerts), (3, 2));
        let again = store
            .replay(t(1, 0), &mut matcher, false, t(12, 0))
            .unwrap();
        assert_eq!(again.alerts, 0);
        assert!(again.hits.iter().all(|h| !h.new));
        assert_eq!(count(&store, "alerts"), 2);
    }

    #[test]
    fn articles_since_rebuilds_articles_oldest_first() {
        let (_dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        let mut old = article(a, "1", "https://x.test/1", "old");
        old.published = t(1, 0);
        let mut newer = tagged(
            article(a, "2", "https://x.test/2", "newer"),
            &["KZ"],
            &["Almaty"],
            &[],
        );
        newer.published = t(9, 0);
        let mut mid = article(a, "3", "https://x.test/3", "mid");
        mid.published = t(6, 0);
        store
            .ingest(&[old, newer.clone(), mid], &mut no_match, t(10, 9))
            .unwrap();
        let got = store.articles_since(t(5, 0)).unwrap();
        let titles: Vec<&str> = got.iter().map(|(_, a)| a.title.as_str()).collect();
        assert_eq!(titles, ["mid", "newer"]);
        let (_, rebuilt) = &got[1];
        assert_eq!(
            (
                &rebuilt.tags,
                rebuilt.feed.as_str(),
                rebuilt.identity.as_str()
            ),
            (&newer.tags, "A", "2")
        );
        assert_eq!(
            (&rebuilt.body, rebuilt.published),
            (&newer.body, newer.published)
        );
    }

    #[test]
    fn replay_pages_through_many_articles() {
        let (_dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        let items: Vec<Article> = (0..(REPLAY_BATCH + 7))
            .map(|i| {
                let mut x = article(
                    a,
                    &format!("g{i}"),
                    &format!("https://x.test/{i}"),
                    "Railway",
                );
                x.published = t(1, 0) + chrono::Duration::minutes((i % 5) as i64);
                x
            })
            .collect();
        store.ingest(&items, &mut no_match, t(10, 9)).unwrap();
        let mut matcher = title_matcher(&[("Railway", "rail", &["ops"])]);
        let report = store
            .replay(t(1, 0), &mut matcher, false, t(11, 0))
            .unwrap();
        assert_eq!(
            (report.scanned, report.alerts),
            (REPLAY_BATCH + 7, REPLAY_BATCH + 7)
        );
    }

    #[test]
    fn prune_deletes_old_articles_keeps_alerts_and_does_not_resurrect() {
        let (_dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        let mut matcher = title_matcher(&[("Xinjiang", "xinjiang", &["ops"])]);
        let mut old = tagged(
            article(a, "old", "https://x.test/old", "Xinjiang old"),
            &["CN"],
            &[],
            &[],
        );
        old.fetched = t(1, 0);
        let mut old2 = article(a, "old2", "https://x.test/old2", "plain old");
        old2.fetched = t(1, 1);
        let fresh = article(a, "new", "https://x.test/new", "Xinjiang fresh");
        let ids = store
            .ingest(&[old.clone(), old2, fresh], &mut matcher, t(10, 9))
            .unwrap()
            .new;
        assert_eq!(count(&store, "alerts"), 2);

        assert_eq!(store.prune(t(5, 0), t(10, 12), 1).unwrap(), 2);
        let left: Vec<ArticleId> = store
            .list_articles(&ArticleFilter::default())
            .unwrap()
            .iter()
            .map(|v| v.id)
            .collect();
        assert_eq!(left, [ids[2]]);
        for table in ["article_sources", "article_matches"] {
            assert_eq!(count(&store, table), 1, "{table}");
        }
        for table in ["article_tags", "tag_articles"] {
            assert_eq!(
                count(&store, table),
                0,
                "{table}: the kept article has no tags"
            );
        }
        assert_eq!(
            count(&store, "alerts"),
            2,
            "alert history outlives retention"
        );
        assert!(
            store.search("old", 10).unwrap().is_empty(),
            "FTS rows must go too"
        );
        let integrity: String = store
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
        crate::store::testutil::check_fts(&store);

        // The feed still carries the pruned item: it is not stored or alerted again.
        let again = store.ingest(&[old], &mut matcher, t(10, 13)).unwrap();
        assert_eq!((again.new.len(), again.alerts), (0, 0));

        // A new article never reuses a pruned id (alerts refer to ids).
        let next = store
            .ingest(
                &[article(a, "n2", "https://x.test/n2", "x")],
                &mut no_match,
                t(10, 14),
            )
            .unwrap()
            .new[0];
        assert!(next > ids[2]);
    }

    #[test]
    fn prune_gives_pages_back() {
        let (dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        let items: Vec<Article> = (0..300)
            .map(|i| {
                let mut x = article(a, &format!("g{i}"), &format!("https://x.test/{i}"), "t");
                x.body = "steppe ".repeat(2000);
                x.fetched = t(1, 0);
                x
            })
            .collect();
        store.ingest(&items, &mut no_match, t(10, 9)).unwrap();
        let pages = |s: &Store| -> i64 {
            s.conn
                .query_row("PRAGMA page_count", [], |r| r.get(0))
                .unwrap()
        };
        let before = pages(&store);
        assert_eq!(store.prune(t(5, 0), t(10, 10), 50).unwrap(), 300);
        assert!(
            pages(&store) < before / 2,
            "{} pages before, {} after",
            before,
            pages(&store)
        );
        let free: i64 = store
            .conn
            .query_row("PRAGMA freelist_count", [], |r| r.get(0))
            .unwrap();
        assert_eq!(free, 0);
        drop(dir);
    }

    #[test]
    fn tombstones_expire_after_another_retention_period() {
        let (_dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        let mut old = article(a, "old", "https://x.test/old", "old");
        old.fetched = t(1, 0);
        store
            .ingest(&[old.clone()], &mut no_match, t(1, 0))
            .unwrap();
        store.prune(t(5, 0), t(6, 0), 10).unwrap();
        assert_eq!(count(&store, "pruned_sources"), 1);
        store.prune(t(7, 0), t(8, 0), 10).unwrap();
        assert_eq!(count(&store, "pruned_sources"), 0);
    }

    // ---- stories across outlets ----

    use crate::story::samples::{self, Sample};

    fn from_sample(feed_id: FeedId, identity: &str, url: &str, s: &Sample) -> Article {
        Article {
            title: s.0.into(),
            summary: s.1.into(),
            body: s.2.into(),
            ..article(feed_id, identity, url, "")
        }
    }

    fn story_of_view(store: &Store, id: ArticleId) -> ArticleId {
        store.article(id).unwrap().unwrap().story
    }

    fn story_members(store: &Store, story: ArticleId) -> Vec<ArticleId> {
        let filter = ArticleFilter {
            story: Some(story),
            ..Default::default()
        };
        crate::store::testutil::listed_ids(store, &filter)
    }

    #[test]
    fn one_story_rewritten_by_two_outlets_is_grouped() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        let first = store
            .ingest(
                &[from_sample(
                    a,
                    "kz-1",
                    "https://kazinform.test/1",
                    &samples::KAZINFORM_BAKHTY,
                )],
                &mut no_match,
                t(10, 9),
            )
            .unwrap();
        let mut copy = from_sample(
            b,
            "b-9",
            "https://other.test/9",
            &samples::REPUBLISHED_BAKHTY,
        );
        copy.published = t(10, 15);
        let second = store.ingest(&[copy], &mut no_match, t(10, 16)).unwrap();
        let (head, member) = (first.new[0], second.new[0]);
        assert_ne!(head, member, "two outlets' texts stay two articles");
        assert_eq!(second.grouped, 1);
        assert_eq!(
            (story_of_view(&store, head), story_of_view(&store, member)),
            (head, head)
        );
        assert_eq!(story_members(&store, head), [head, member]);
        let json = serde_json::to_value(store.article(member).unwrap().unwrap()).unwrap();
        assert_eq!(json["story"], head);
    }

    #[test]
    fn different_stories_on_one_topic_are_not_grouped() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        let ids = store
            .ingest(
                &[
                    from_sample(a, "1", "https://a.test/1", &samples::DOSTYK_MOYINTY),
                    from_sample(a, "2", "https://a.test/2", &samples::CKU_FINANCING),
                ],
                &mut no_match,
                t(10, 9),
            )
            .unwrap()
            .new;
        let report = store
            .ingest(
                &[from_sample(
                    b,
                    "3",
                    "https://b.test/3",
                    &samples::KAZINFORM_BAKHTY,
                )],
                &mut no_match,
                t(10, 10),
            )
            .unwrap();
        assert_eq!(report.grouped, 0);
        for id in ids.iter().chain(&report.new) {
            assert_eq!(story_of_view(&store, *id), *id);
        }
    }

    #[test]
    fn uzbek_story_in_cyrillic_and_latin_is_grouped() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        let latin = store
            .ingest(
                &[from_sample(
                    a,
                    "l",
                    "https://kun.test/uz/1",
                    &samples::UZ_METRO_LATIN,
                )],
                &mut no_match,
                t(10, 9),
            )
            .unwrap()
            .new[0];
        let report = store
            .ingest(
                &[
                    from_sample(b, "c", "https://kun.test/oz/1", &samples::UZ_METRO_CYRILLIC),
                    from_sample(b, "bus", "https://kun.test/oz/2", &samples::UZ_BUS_LATIN),
                ],
                &mut no_match,
                t(10, 10),
            )
            .unwrap();
        let (cyrillic, bus) = (report.new[0], report.new[1]);
        assert_eq!(story_of_view(&store, cyrillic), latin);
        assert_eq!(story_of_view(&store, bus), bus);
    }

    #[test]
    fn title_only_items_group_with_nothing() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        let headline = samples::KAZINFORM_BAKHTY.0;
        let bare = |feed, identity: &str, url: &str| Article {
            summary: String::new(),
            body: String::new(),
            ..article(feed, identity, url, headline)
        };
        let full = from_sample(a, "full", "https://a.test/full", &samples::KAZINFORM_BAKHTY);
        store
            .ingest(
                &[full, bare(a, "t1", "https://a.test/t1")],
                &mut no_match,
                t(10, 9),
            )
            .unwrap();
        let report = store
            .ingest(
                &[bare(b, "t2", "https://b.test/t2")],
                &mut no_match,
                t(10, 10),
            )
            .unwrap();
        assert_eq!(report.grouped, 0);
        let id = report.new[0];
        assert_eq!(story_of_view(&store, id), id);
        let bands: i64 = store
            .conn
            .query_row(
                "SELECT count(*) FROM story_bands WHERE article_id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(bands, 0, "a headline alone is never indexed");
    }

    #[test]
    fn stories_group_across_feeds_only_and_within_the_window() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        let mut first = from_sample(a, "1", "https://a.test/1", &samples::KAZINFORM_BAKHTY);
        first.published = t(1, 9);
        let head = store.ingest(&[first], &mut no_match, t(1, 9)).unwrap().new[0];
        // The same outlet's own follow-up with much the same text: its own story.
        let mut own = from_sample(a, "2", "https://a.test/2", &samples::REPUBLISHED_BAKHTY);
        own.published = t(1, 12);
        // Another outlet republishing it more than a week after both: a new story.
        let mut late = from_sample(b, "3", "https://b.test/3", &samples::REPUBLISHED_BAKHTY);
        late.published = t(1, 12) + STORY_WINDOW + chrono::TimeDelta::hours(1);
        let report = store.ingest(&[own, late], &mut no_match, t(9, 0)).unwrap();
        assert_eq!(report.grouped, 0);
        assert_eq!(report.new.len(), 2);
        assert_eq!(story_members(&store, head), [head]);
    }

    #[test]
    fn reissue_under_a_new_link_is_an_edit_of_the_same_article() {
        let (_dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        let mut matcher = title_matcher(&[("sign deal", "deal", &["ops"])]);
        let id = store
            .ingest(
                &[from_sample(
                    a,
                    "g1",
                    "https://a.test/kz-china-bakhty",
                    &samples::KAZINFORM_BAKHTY,
                )],
                &mut matcher,
                t(10, 9),
            )
            .unwrap()
            .new[0];
        // The feed drops the item and re-issues it with a new headline, GUID and link.
        let mut reissued = from_sample(
            a,
            "g2",
            "https://a.test/kazakhstan-china-sign-deal",
            &samples::KAZINFORM_BAKHTY,
        );
        reissued.title = "Kazakhstan and China sign deal on second Bakhty railway line".into();
        let report = store.ingest(&[reissued], &mut matcher, t(10, 12)).unwrap();
        assert_eq!(
            (report.new.len(), report.updated.clone(), report.alerts),
            (0, vec![id], 1),
            "an edit that makes a new watchlist match alerts for it"
        );
        let view = store.article(id).unwrap().unwrap();
        assert!(view.title.contains("sign deal"));
        let links: Vec<&str> = view.sources.iter().map(|s| s.url.as_str()).collect();
        assert_eq!(
            links,
            [
                "https://a.test/kz-china-bakhty",
                "https://a.test/kazakhstan-china-sign-deal"
            ],
            "a re-issue keeps its own link"
        );
        assert_eq!(count(&store, "articles"), 1);
        let bands: i64 = store
            .conn
            .query_row("SELECT count(*) FROM story_bands", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            bands,
            crate::story::BANDS as i64,
            "an edit replaces the band rows"
        );
    }

    #[test]
    fn near_identical_items_in_one_poll_stay_apart() {
        // A feed carrying both items at once means two items (daily items on a
        // template), not one re-issued.
        let (_dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        let one = from_sample(a, "g1", "https://a.test/1", &samples::KAZINFORM_BAKHTY);
        let mut two = from_sample(a, "g2", "https://a.test/2", &samples::KAZINFORM_BAKHTY);
        two.title = "Kazakhstan and China sign deal on second Bakhty railway line".into();
        store
            .ingest(std::slice::from_ref(&one), &mut no_match, t(10, 9))
            .unwrap();
        let report = store.ingest(&[one, two], &mut no_match, t(10, 10)).unwrap();
        assert_eq!((report.new.len(), report.unchanged), (1, 1));
        assert_eq!(count(&store, "articles"), 2);
    }

    /// Fires `per-story` (per = "story") and `per-article` on "Bakhty".
    fn bakhty_matcher(a: &Article) -> Vec<Match> {
        if !a.body.contains("Bakhty") {
            return Vec::new();
        }
        [("per-story", true), ("per-article", false)]
            .into_iter()
            .map(|(name, per_story)| Match {
                watchlist: name.into(),
                webhooks: vec!["ops".into(), "chat".into()],
                matches: vec![TermMatch {
                    term: "Bakhty".into(),
                    snippet: "[Bakhty]".into(),
                }],
                per_story,
            })
            .collect()
    }

    fn alerts_of(store: &Store, watchlist: &str) -> Vec<(ArticleId, String)> {
        store
            .conn
            .prepare("SELECT article_id, webhook FROM alerts WHERE watchlist = ?1 ORDER BY article_id, webhook")
            .unwrap()
            .query_map([watchlist], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn per_story_alerts_once_per_story_per_article_for_each() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        let head = store
            .ingest(
                &[from_sample(
                    a,
                    "1",
                    "https://a.test/1",
                    &samples::KAZINFORM_BAKHTY,
                )],
                &mut bakhty_matcher,
                t(10, 9),
            )
            .unwrap()
            .new[0];
        let report = store
            .ingest(
                &[from_sample(
                    b,
                    "2",
                    "https://b.test/2",
                    &samples::REPUBLISHED_BAKHTY,
                )],
                &mut bakhty_matcher,
                t(10, 10),
            )
            .unwrap();
        let member = report.new[0];
        assert_eq!(story_of_view(&store, member), head);
        assert_eq!(report.alerts, 2, "per-article only: one per webhook");
        assert_eq!(
            alerts_of(&store, "per-story"),
            [(head, "chat".into()), (head, "ops".into())]
        );
        assert_eq!(
            alerts_of(&store, "per-article"),
            [
                (head, "chat".into()),
                (head, "ops".into()),
                (member, "chat".into()),
                (member, "ops".into())
            ]
        );
        // The match itself is recorded for both articles.
        assert_eq!(
            store.article(member).unwrap().unwrap().watchlists,
            ["per-article", "per-story"]
        );
        // A replay finds nothing new to alert either.
        let replay = store
            .replay(t(1, 0), &mut bakhty_matcher, false, t(11, 0))
            .unwrap();
        assert_eq!(replay.alerts, 0);
    }

    #[test]
    fn per_story_alerts_once_for_two_articles_of_one_story_in_one_poll() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        // The agency's own item matches nothing here (say, a feed filter).
        let head = store
            .ingest(
                &[from_sample(
                    a,
                    "1",
                    "https://a.test/1",
                    &samples::KAZINFORM_BAKHTY,
                )],
                &mut no_match,
                t(10, 9),
            )
            .unwrap()
            .new[0];
        // One poll of another outlet carries its rewrite and, under another link,
        // the agency text as is: both join the story, in one transaction.
        let report = store
            .ingest(
                &[
                    from_sample(b, "2", "https://b.test/2", &samples::REPUBLISHED_BAKHTY),
                    from_sample(b, "3", "https://b.test/3", &samples::KAZINFORM_BAKHTY),
                ],
                &mut bakhty_matcher,
                t(10, 10),
            )
            .unwrap();
        assert_eq!(report.grouped, 2);
        let first = report.new[0];
        assert_eq!(story_members(&store, head), [head, first, report.new[1]]);
        assert_eq!(
            alerts_of(&store, "per-story"),
            [(first, "chat".into()), (first, "ops".into())]
        );
        assert_eq!(alerts_of(&store, "per-article").len(), 4);
    }

    #[test]
    fn per_story_remembers_alerts_of_a_pruned_first_article() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        let c = store
            .sync_feeds(
                &[crate::store::testutil::feed_config(
                    "http://c.test/feed",
                    Some("C"),
                )],
                t(1, 0),
            )
            .unwrap()
            .iter()
            .find(|f| f.name == "C")
            .unwrap()
            .id;
        let mut first = from_sample(a, "1", "https://a.test/1", &samples::KAZINFORM_BAKHTY);
        first.fetched = t(2, 0);
        let head = store
            .ingest(&[first], &mut bakhty_matcher, t(10, 9))
            .unwrap()
            .new[0];
        let second = store
            .ingest(
                &[from_sample(
                    b,
                    "2",
                    "https://b.test/2",
                    &samples::REPUBLISHED_BAKHTY,
                )],
                &mut bakhty_matcher,
                t(10, 10),
            )
            .unwrap()
            .new[0];
        // Retention deletes the story's first article; its alerts stay, and a third
        // outlet's copy, grouped through the second article, alerts nobody again.
        assert_eq!(store.prune(t(5, 0), t(10, 11), 10).unwrap(), 1);
        let third = store
            .ingest(
                &[from_sample(
                    c,
                    "3",
                    "https://c.test/3",
                    &samples::KAZINFORM_BAKHTY,
                )],
                &mut bakhty_matcher,
                t(10, 12),
            )
            .unwrap()
            .new[0];
        assert_eq!(story_of_view(&store, third), head);
        assert_eq!(story_members(&store, head), [second, third]);
        assert_eq!(
            alerts_of(&store, "per-story"),
            [(head, "chat".into()), (head, "ops".into())]
        );
        assert_eq!(alerts_of(&store, "per-article").len(), 6);
    }

    #[test]
    fn prune_deletes_story_band_rows() {
        let (_dir, mut store) = open();
        let (a, b) = two_feeds(&mut store);
        let mut items = vec![
            from_sample(a, "1", "https://a.test/1", &samples::KAZINFORM_BAKHTY),
            from_sample(a, "2", "https://a.test/2", &samples::UZ_METRO_LATIN),
        ];
        for x in &mut items {
            x.fetched = t(1, 0);
        }
        store.ingest(&items, &mut no_match, t(1, 0)).unwrap();
        let fresh = from_sample(b, "3", "https://b.test/3", &samples::DOSTYK_MOYINTY);
        store.ingest(&[fresh], &mut no_match, t(10, 0)).unwrap();
        assert_eq!(count(&store, "story_bands"), 3 * crate::story::BANDS as i64);
        assert_eq!(store.prune(t(5, 0), t(10, 1), 1).unwrap(), 2);
        assert_eq!(count(&store, "story_bands"), crate::story::BANDS as i64);
    }
}
