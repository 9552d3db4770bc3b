//! Full-text search over stored articles (FTS5, bm25 ranking, snippets), and
//! the translation of a user's query into FTS5 syntax that cannot fail.

use super::{Store, StoreError};
use crate::model::ArticleId;
use rusqlite::{Connection, params};
use serde::Serialize;
use std::collections::HashMap;

/// bm25 column weights (title, summary, body): a word in the title says more
/// about what an article is about than the same word in paragraph six.
const WEIGHTS: (f64, f64, f64) = (10.0, 4.0, 1.0);

/// Tokens around the match in a snippet: about a sentence.
const SNIPPET_TOKENS: i64 = 16;

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    pub article: super::ArticleView,
    /// Text around the best match, the matched words marked `[like this]`.
    pub snippet: String,
}

impl Store {
    /// Articles matching every word of `query`, best first. The query is
    /// plain words, `"quoted phrases"` and `prefix*` words; nothing the user
    /// types is taken as FTS5 syntax, so no query can fail. A query without
    /// any word finds nothing.
    ///
    /// # Errors
    /// A database error.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
        let Some(fts) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let limit = if limit == 0 { -1 } else { limit as i64 };
        let (wt, ws, wb) = WEIGHTS;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT rowid, snippet(articles_fts, -1, '[', ']', '…', {SNIPPET_TOKENS})
             FROM articles_fts WHERE articles_fts MATCH ?1
             ORDER BY bm25(articles_fts, {wt}, {ws}, {wb}), rowid DESC LIMIT ?2"
        ))?;
        let ranked: Vec<(ArticleId, String)> = stmt
            .query_map(params![fts, limit], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let ids: Vec<ArticleId> = ranked.iter().map(|(id, _)| *id).collect();
        let mut views: HashMap<ArticleId, super::ArticleView> = self
            .views_by_id(&ids)?
            .into_iter()
            .map(|v| (v.id, v))
            .collect();
        Ok(ranked
            .into_iter()
            .filter_map(|(id, snippet)| {
                Some(SearchHit {
                    article: views.remove(&id)?,
                    snippet,
                })
            })
            .collect())
    }
}

/// Adds the articles stored since the last call (those above
/// `fts_progress.indexed_to`) to the full-text index, in one statement. The
/// store calls it in every transaction that inserts articles, just before the
/// commit: FTS5 starts a new index segment at every savepoint, and SQLite opens
/// one for each statement that fires a trigger, so indexing by an insert
/// trigger made a segment per article and most of the index's cost was merging
/// them back (migrations/0005_batched_fts.sql).
///
/// # Errors
/// A database error; the caller's transaction should then roll back.
pub(super) fn index_new_articles(conn: &Connection) -> Result<(), StoreError> {
    let (indexed_to, newest): (i64, i64) = conn
        .prepare_cached(
            "SELECT indexed_to, (SELECT COALESCE(MAX(id), 0) FROM articles) FROM fts_progress",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if newest <= indexed_to {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO articles_fts (rowid, title, summary, body)
         SELECT id, title, summary, body FROM articles WHERE id > ?1 ORDER BY id",
    )?
    .execute([indexed_to])?;
    conn.prepare_cached("UPDATE fts_progress SET indexed_to = ?1")?
        .execute([newest])?;
    Ok(())
}

/// The user's query as an FTS5 expression: each word or phrase quoted (so
/// `AND`, `NEAR`, `(`, `:` and `^` are just text), a trailing `*` kept as a
/// prefix mark, all ANDed. `None` when no word is left.
pub fn fts_query(query: &str) -> Option<String> {
    let mut terms = Vec::new();
    let mut rest = query;
    while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
        rest = &rest[start..];
        let (text, after) = if let Some(phrase) = rest.strip_prefix('"') {
            // A phrase runs to the next quote, or to the end if unbalanced.
            match phrase.find('"') {
                Some(end) => (&phrase[..end], &phrase[end + 1..]),
                None => (phrase, ""),
            }
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '"')
                .unwrap_or(rest.len());
            (&rest[..end], &rest[end..])
        };
        let prefix = text.ends_with('*') || after.starts_with('*');
        rest = after.trim_start_matches('*');
        let text = text.trim_end_matches('*');
        if text.chars().any(char::is_alphanumeric) {
            let mut term = format!("\"{}\"", text.replace('"', "\"\""));
            if prefix {
                term.push('*');
            }
            terms.push(term);
        }
    }
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Article;
    use crate::store::ArticleFilter;
    use crate::store::testutil::{article, open, t, two_feeds};

    fn no_match(_: &Article) -> Vec<crate::model::Match> {
        Vec::new()
    }

    fn store_with(items: &[(&str, &str, &str)]) -> (tempfile::TempDir, Store, Vec<ArticleId>) {
        let (dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        let articles: Vec<Article> = items
            .iter()
            .enumerate()
            .map(|(i, (title, summary, body))| {
                let mut x = article(a, &format!("g{i}"), &format!("https://x.test/{i}"), title);
                x.summary = (*summary).into();
                x.body = (*body).into();
                x
            })
            .collect();
        let ids = store
            .ingest(&articles, &mut no_match, t(10, 9))
            .unwrap()
            .new;
        (dir, store, ids)
    }

    fn hit_ids(hits: &[SearchHit]) -> Vec<ArticleId> {
        hits.iter().map(|h| h.article.id).collect()
    }

    #[test]
    fn query_translation() {
        assert_eq!(
            fts_query("Xinjiang cotton").as_deref(),
            Some("\"Xinjiang\" AND \"cotton\"")
        );
        assert_eq!(
            fts_query("\"railway crossing\" Khorg*").as_deref(),
            Some("\"railway crossing\" AND \"Khorg\"*")
        );
        assert_eq!(fts_query("\"dry port\"*").as_deref(), Some("\"dry port\"*"));
        assert_eq!(fts_query("a\"b").as_deref(), Some("\"a\" AND \"b\""));
        assert_eq!(fts_query("  * \" ( ) - ").as_deref(), None);
        assert_eq!(fts_query("").as_deref(), None);
    }

    #[test]
    fn title_hits_rank_first_and_snippets_are_marked() {
        let (_dir, store, ids) = store_with(&[
            (
                "Cotton harvest",
                "Uzbek farms",
                "The harvest mentions Xinjiang once in passing.",
            ),
            (
                "Xinjiang trade grows",
                "Urumqi exports",
                "Trade between Xinjiang and Kazakhstan grew.",
            ),
            ("Weather", "Sunny", "Nothing relevant here."),
        ]);
        let hits = store.search("xinjiang", 10).unwrap();
        assert_eq!(hit_ids(&hits), [ids[1], ids[0]]);
        assert!(
            hits[0].snippet.contains("[Xinjiang]"),
            "{}",
            hits[0].snippet
        );
        assert!(
            hits[1].snippet.contains("[Xinjiang]"),
            "{}",
            hits[1].snippet
        );
        assert_eq!(store.search("xinjiang", 1).unwrap().len(), 1);
    }

    #[test]
    fn phrases_prefixes_and_all_words() {
        let (_dir, store, ids) = store_with(&[
            (
                "Railway crossing opens",
                "",
                "A new railway crossing at Khorgos.",
            ),
            (
                "Crossing the railway",
                "",
                "Words apart: crossing, then railway.",
            ),
        ]);
        assert_eq!(
            hit_ids(&store.search("\"railway crossing\"", 10).unwrap()),
            [ids[0]]
        );
        assert_eq!(hit_ids(&store.search("Khorg*", 10).unwrap()), [ids[0]]);
        assert_eq!(
            hit_ids(&store.search("railway khorgos", 10).unwrap()),
            [ids[0]]
        );
        assert_eq!(store.search("railway", 10).unwrap().len(), 2);
    }

    #[test]
    fn cyrillic_and_diacritics() {
        let (_dir, store, ids) = store_with(&[
            ("Синьцзян и Казахстан", "", "Торговля через Хоргос растёт."),
            ("Ürümqi airport", "", "Flights resume."),
        ]);
        assert_eq!(hit_ids(&store.search("СИНЬЦЗЯН", 10).unwrap()), [ids[0]]);
        assert_eq!(hit_ids(&store.search("Казахст*", 10).unwrap()), [ids[0]]);
        assert_eq!(hit_ids(&store.search("urumqi", 10).unwrap()), [ids[1]]);
    }

    #[test]
    fn hostile_queries_never_fail() {
        let (_dir, store, ids) = store_with(&[("Near the border AND beyond", "", "x")]);
        for q in [
            "\"",
            "AND(",
            "*",
            "NEAR",
            "NEAR(a b)",
            "title:border",
            "OR",
            "^border",
            "\"\"\"",
            "a:",
            "-",
            "(",
            "{x y}",
            "NOT",
            "border*:",
            "'",
            "AND OR NOT",
        ] {
            store.search(q, 10).unwrap_or_else(|e| panic!("{q:?}: {e}"));
        }
        assert_eq!(hit_ids(&store.search("NEAR", 10).unwrap()), [ids[0]]);
        assert_eq!(
            hit_ids(&store.search("border AND(", 10).unwrap()),
            [ids[0]],
            "AND is a word here"
        );
    }

    #[test]
    fn index_follows_edits_and_prune() {
        let (_dir, mut store) = open();
        let (a, _) = two_feeds(&mut store);
        let mut v1 = article(a, "g", "https://x.test/s", "Draft about Bishkek");
        v1.fetched = t(1, 0);
        store.ingest(&[v1.clone()], &mut no_match, t(1, 0)).unwrap();
        let v2 = Article {
            title: "Final about Osh".into(),
            body: "Osh only".into(),
            summary: String::new(),
            ..v1
        };
        store.ingest(&[v2], &mut no_match, t(2, 0)).unwrap();
        assert!(
            store.search("Bishkek", 10).unwrap().is_empty(),
            "old text still indexed"
        );
        assert_eq!(store.search("Osh", 10).unwrap().len(), 1);
        store.prune(t(5, 0), t(5, 0), 10).unwrap();
        assert!(store.search("Osh", 10).unwrap().is_empty());
        assert!(
            store
                .list_articles(&ArticleFilter::default())
                .unwrap()
                .is_empty()
        );
        crate::store::testutil::check_fts(&store);
    }
}
