//! Rows of the random-keyed indexes (story bands, tag links) that a write
//! transaction holds back and inserts in key order just before it commits,
//! plus the transaction's cache of tag ids.
//!
//! Why: an article's 16 band keys and ~19 tag links land on pages all over
//! `story_bands` and `tag_articles`. Inserted one article at a time, those
//! pages did not stay in the 2 MB page cache alongside the articles and the
//! full-text index, so SQLite wrote dirty pages out to the WAL before the
//! commit (its cache-stress spill) and read them back for the next article:
//! 1.4 GB written and 2.4 GB read for a 48 MB database on the cold ingest
//! benchmark. Sorted and inserted once per transaction, each page is read and
//! dirtied once. The rows are written in the same transaction, so crash
//! safety is unchanged; readers of that transaction (the near-duplicate
//! lookup, edits) consult the pending rows as well as the tables.

use crate::model::ArticleId;
use rusqlite::{Connection, params};
use std::collections::HashMap;

/// The articles stored with one band key.
const BAND_ARTICLES: &str = "SELECT article_id FROM story_bands WHERE key = ?1";

/// `Band::prev` of the first pending row of a key.
const NO_ROW: u32 = u32::MAX;

/// A transaction's pending rows; see the module doc.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    rows: Rows,
    prefetched: Prefetched,
    /// State at the start of the open feed savepoint, if any.
    savepoint: Option<Mark>,
}

#[derive(Debug, Default, Clone)]
struct Rows {
    /// `story_bands` rows in the order added.
    bands: Vec<Band>,
    /// Band key -> index in `bands` of its last row, whose `prev` chain lists
    /// the others: the lookup by key without a map entry (and allocation) per key.
    last_of_key: HashMap<i64, u32>,
    /// `tag_articles` rows: (tag id, article id).
    links: Vec<(i64, ArticleId)>,
    /// Tag ids by (kind, ASCII-lowercased value), as `tags` has them in this
    /// transaction (its `value` is `COLLATE NOCASE`, which folds ASCII only).
    tag_ids: HashMap<(&'static str, String), i64>,
    /// Keys of `tag_ids` whose tag this transaction inserted, oldest first.
    new_tags: Vec<(&'static str, String)>,
    /// Articles whose `story_bands` rows this transaction deleted (edits):
    /// what [`Prefetched`] read of them is stale.
    cleared: Vec<ArticleId>,
}

/// `story_bands` rows read in one sorted pass before a group's articles are
/// stored, so that each article's lookup of its 16 keys touches no pages.
#[derive(Debug, Default)]
struct Prefetched {
    /// The keys read, sorted.
    keys: Vec<i64>,
    /// The stored articles of those keys that have any.
    articles: HashMap<i64, Vec<ArticleId>>,
}

#[derive(Debug, Clone, Copy)]
struct Band {
    key: i64,
    article: ArticleId,
    /// Index of the previous row with the same key, or [`NO_ROW`].
    prev: u32,
}

/// Where a savepoint began: rows past these lengths are its own.
#[derive(Debug)]
struct Mark {
    bands: usize,
    links: usize,
    new_tags: usize,
    cleared: usize,
    /// Everything as it was before the savepoint's first removal (edits
    /// remove rows added earlier), which truncating cannot undo.
    before_removal: Option<Rows>,
}

impl Pending {
    /// A feed's savepoint begins: [`Pending::rollback`] returns to this state.
    pub(crate) fn savepoint(&mut self) {
        self.savepoint = Some(Mark {
            bands: self.rows.bands.len(),
            links: self.rows.links.len(),
            new_tags: self.rows.new_tags.len(),
            cleared: self.rows.cleared.len(),
            before_removal: None,
        });
    }

    /// The savepoint's rows are kept.
    pub(crate) fn release(&mut self) {
        self.savepoint = None;
    }

    /// The savepoint was rolled back: so are its rows (and tag ids it cached
    /// for tags it inserted, which the database no longer has).
    pub(crate) fn rollback(&mut self) {
        let Some(mark) = self.savepoint.take() else {
            return;
        };
        if let Some(rows) = mark.before_removal {
            self.rows = rows;
            return;
        }
        let rows = &mut self.rows;
        for band in rows.bands.drain(mark.bands..).rev() {
            if band.prev == NO_ROW {
                rows.last_of_key.remove(&band.key);
            } else {
                rows.last_of_key.insert(band.key, band.prev);
            }
        }
        rows.links.truncate(mark.links);
        for key in rows.new_tags.drain(mark.new_tags..) {
            rows.tag_ids.remove(&key);
        }
        rows.cleared.truncate(mark.cleared);
    }

    /// Reads the stored articles of band keys `keys` (those of the articles
    /// about to be stored) in key order, for [`Pending::stored_sharing`].
    ///
    /// # Errors
    /// A database error.
    pub(crate) fn prefetch_bands(
        &mut self,
        conn: &Connection,
        keys: impl Iterator<Item = i64>,
    ) -> Result<(), rusqlite::Error> {
        let mut keys: Vec<i64> = keys.collect();
        keys.sort_unstable();
        keys.dedup();
        let mut stmt = conn.prepare_cached(BAND_ARTICLES)?;
        let mut articles: HashMap<i64, Vec<ArticleId>> = HashMap::new();
        for &key in &keys {
            let mut rows = stmt.query([key])?;
            while let Some(r) = rows.next()? {
                articles.entry(key).or_default().push(r.get(0)?);
            }
        }
        self.prefetched = Prefetched { keys, articles };
        Ok(())
    }

    /// Like [`Pending::sharing`] for the rows in the table: the stored
    /// articles with each distinct key of `keys`, from the prefetched rows
    /// where it has them, else from the table.
    ///
    /// # Errors
    /// A database error.
    pub(crate) fn stored_sharing(
        &self,
        conn: &Connection,
        keys: &[i64],
    ) -> Result<Vec<ArticleId>, rusqlite::Error> {
        let mut out = Vec::new();
        let mut stmt = None;
        for key in distinct(keys) {
            if self.prefetched.keys.binary_search(&key).is_ok() {
                let found = self.prefetched.articles.get(&key).into_iter().flatten();
                out.extend(found.filter(|id| !self.rows.cleared.contains(id)));
                continue;
            }
            let stmt = match &mut stmt {
                Some(stmt) => stmt,
                None => stmt.insert(conn.prepare_cached(BAND_ARTICLES)?),
            };
            let mut rows = stmt.query([key])?;
            while let Some(r) = rows.next()? {
                out.push(r.get(0)?);
            }
        }
        Ok(out)
    }

    /// The `story_bands` rows of article `id` were deleted from the table.
    pub(crate) fn cleared_bands(&mut self, id: ArticleId) {
        self.rows.cleared.push(id);
    }

    /// Adds the band rows of article `id` (each distinct key once, as the
    /// table's primary key would keep it).
    pub(crate) fn add_bands(&mut self, id: ArticleId, keys: &[i64]) {
        let rows = &mut self.rows;
        for key in distinct(keys) {
            let prev = rows.last_of_key.get(&key).copied().unwrap_or(NO_ROW);
            let at = u32::try_from(rows.bands.len()).expect("fewer than 2^32 pending rows");
            rows.bands.push(Band {
                key,
                article: id,
                prev,
            });
            rows.last_of_key.insert(key, at);
        }
    }

    /// Adds the `tag_articles` rows of article `id`.
    pub(crate) fn add_links(&mut self, id: ArticleId, tags: &[i64]) {
        self.rows.links.extend(tags.iter().map(|&tag| (tag, id)));
    }

    /// For each distinct key of `keys`, the pending articles with that band
    /// key: an article appears once per key it shares.
    pub(crate) fn sharing(&self, keys: &[i64]) -> Vec<ArticleId> {
        let rows = &self.rows;
        let mut out = Vec::new();
        for key in distinct(keys) {
            let mut at = rows.last_of_key.get(&key).copied().unwrap_or(NO_ROW);
            while at != NO_ROW {
                let band = rows.bands[at as usize];
                out.push(band.article);
                at = band.prev;
            }
        }
        out
    }

    /// Drops the pending band rows of article `id` (its text is being replaced).
    pub(crate) fn remove_bands(&mut self, id: ArticleId) {
        if !self.rows.bands.iter().any(|b| b.article == id) {
            return;
        }
        self.keep_for_rollback();
        let kept: Vec<Band> = self.rows.bands.drain(..).collect();
        self.rows.last_of_key.clear();
        for band in kept.into_iter().filter(|b| b.article != id) {
            self.add_bands(band.article, &[band.key]);
        }
    }

    /// Drops the pending tag links of article `id` (its tags are being replaced).
    pub(crate) fn remove_links(&mut self, id: ArticleId) {
        if !self.rows.links.iter().any(|&(_, a)| a == id) {
            return;
        }
        self.keep_for_rollback();
        self.rows.links.retain(|&(_, a)| a != id);
    }

    /// The id of tag (`kind`, `value`) if this transaction has looked it up.
    pub(crate) fn tag_id(&self, kind: &'static str, value: &str) -> Option<i64> {
        // Borrowed lookups would need a key type of our own; tags are short.
        let key = (kind, value.to_ascii_lowercase());
        self.rows.tag_ids.get(&key).copied()
    }

    /// Remembers tag (`kind`, `value`)'s id; `inserted` when this transaction
    /// added the tag, so that a rollback forgets it.
    pub(crate) fn cache_tag(&mut self, kind: &'static str, value: &str, id: i64, inserted: bool) {
        let key = (kind, value.to_ascii_lowercase());
        if inserted {
            self.rows.new_tags.push(key.clone());
        }
        self.rows.tag_ids.insert(key, id);
    }

    /// Inserts every pending row, sorted by key, and forgets them.
    ///
    /// # Errors
    /// A database error; the caller's transaction must then be rolled back.
    pub(crate) fn flush(&mut self, conn: &Connection) -> Result<(), rusqlite::Error> {
        self.prefetched = Prefetched::default();
        let rows = std::mem::take(&mut self.rows);
        let mut bands: Vec<(i64, ArticleId)> =
            rows.bands.iter().map(|b| (b.key, b.article)).collect();
        drop(rows.bands);
        bands.sort_unstable();
        let mut stmt = conn.prepare_cached(
            "INSERT OR IGNORE INTO story_bands (key, article_id) VALUES (?1, ?2)",
        )?;
        for (key, id) in bands {
            stmt.execute(params![key, id])?;
        }
        let mut links = rows.links;
        links.sort_unstable();
        let mut stmt =
            conn.prepare_cached("INSERT INTO tag_articles (tag_id, article_id) VALUES (?1, ?2)")?;
        for (tag, id) in links {
            stmt.execute(params![tag, id])?;
        }
        Ok(())
    }

    /// Before the open savepoint's first removal: a copy to roll back to.
    fn keep_for_rollback(&mut self) {
        if let Some(mark) = &mut self.savepoint
            && mark.before_removal.is_none()
        {
            mark.before_removal = Some(self.rows.clone());
        }
    }
}

/// `keys` sorted, without repeats.
fn distinct(keys: &[i64]) -> Vec<i64> {
    let mut keys = keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database with the two tables the pending rows go to.
    fn tables() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE story_bands (key INTEGER NOT NULL, article_id INTEGER NOT NULL,
                 PRIMARY KEY (key, article_id)) WITHOUT ROWID;
             CREATE TABLE tag_articles (tag_id INTEGER NOT NULL, article_id INTEGER NOT NULL,
                 PRIMARY KEY (tag_id, article_id)) WITHOUT ROWID;",
        )
        .unwrap();
        conn
    }

    fn sorted(mut ids: Vec<ArticleId>) -> Vec<ArticleId> {
        ids.sort_unstable();
        ids
    }

    fn rows(conn: &Connection, table: &str) -> Vec<(i64, i64)> {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn pending_bands_are_found_by_key_and_a_rollback_drops_the_savepoints_own() {
        let mut p = Pending::default();
        p.add_bands(1, &[5, 6, 6]);
        p.savepoint();
        p.add_bands(2, &[6, 7]);
        assert_eq!(sorted(p.sharing(&[6, 7, 7])), [1, 2, 2]);
        p.rollback();
        assert_eq!(sorted(p.sharing(&[5, 6, 7])), [1, 1]);
        // An edit replaces article 1's rows; rolled back, the old ones return.
        p.savepoint();
        p.remove_bands(1);
        p.add_bands(1, &[8]);
        assert_eq!(p.sharing(&[5, 6, 8]), [1]);
        p.rollback();
        assert_eq!(sorted(p.sharing(&[5, 6, 8])), [1, 1]);

        let conn = tables();
        p.add_links(1, &[4, 3]);
        p.flush(&conn).unwrap();
        assert_eq!(rows(&conn, "story_bands"), [(5, 1), (6, 1)]);
        assert_eq!(rows(&conn, "tag_articles"), [(3, 1), (4, 1)]);
        assert!(
            p.sharing(&[5, 6]).is_empty(),
            "flushed rows are no longer pending"
        );
    }

    #[test]
    fn stored_bands_come_from_the_prefetch_or_the_table_and_edits_hide_them() {
        let conn = tables();
        conn.execute_batch("INSERT INTO story_bands VALUES (1, 10), (2, 10), (2, 11), (3, 12)")
            .unwrap();
        let mut p = Pending::default();
        p.prefetch_bands(&conn, [2, 1, 2].into_iter()).unwrap();
        // Key 3 was not prefetched: read from the table as it is now.
        conn.execute("INSERT INTO story_bands VALUES (3, 13)", [])
            .unwrap();
        let all = [1, 2, 2, 3];
        assert_eq!(
            sorted(p.stored_sharing(&conn, &all).unwrap()),
            [10, 10, 11, 12, 13]
        );
        // An edit deleted article 10's rows; its feed then rolls back.
        p.savepoint();
        p.cleared_bands(10);
        assert_eq!(sorted(p.stored_sharing(&conn, &[1, 2]).unwrap()), [11]);
        p.rollback();
        assert_eq!(
            sorted(p.stored_sharing(&conn, &[1, 2]).unwrap()),
            [10, 10, 11]
        );
    }

    #[test]
    fn cached_tag_ids_ignore_ascii_case_and_forget_tags_a_rollback_removed() {
        let mut p = Pending::default();
        p.cache_tag("country", "KZ", 1, false);
        p.savepoint();
        p.cache_tag("region", "Osh", 2, true);
        p.cache_tag("country", "KG", 3, false);
        assert_eq!(p.tag_id("region", "OSH"), Some(2));
        assert_eq!(
            p.tag_id("topic", "osh"),
            None,
            "the kind is part of the key"
        );
        p.rollback();
        assert_eq!(
            p.tag_id("region", "osh"),
            None,
            "its insert was rolled back"
        );
        assert_eq!(
            p.tag_id("country", "kg"),
            Some(3),
            "stored before the savepoint"
        );
        assert_eq!(p.tag_id("country", "kz"), Some(1));
    }
}
