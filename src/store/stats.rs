//! Reads for the web page, the API, `/metrics` and `/healthz`: tag counts per
//! day, the most frequent tags, an article's watchlist matches, table totals
//! and the write probe.

use super::{Store, StoreError};
use crate::model::{ArticleId, TermMatch};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::params;
use std::collections::HashMap;

/// Seconds in a UTC day; days are counted on the article's `published` time.
const DAY_SECS: i64 = 86_400;

/// What a count is over: one of the three tag kinds, or a watchlist's matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagKind {
    Country,
    Region,
    Topic,
    Watchlist,
}

impl TagKind {
    /// Parses the singular name used in URLs (`country`, `region`, `topic`, `watchlist`).
    pub fn from_name(name: &str) -> Option<TagKind> {
        match name {
            "country" => Some(TagKind::Country),
            "region" => Some(TagKind::Region),
            "topic" => Some(TagKind::Topic),
            "watchlist" => Some(TagKind::Watchlist),
            _ => None,
        }
    }

    /// The `tags.kind` value; `None` for watchlists, which live in `article_matches`.
    fn tag_column_value(self) -> Option<&'static str> {
        match self {
            TagKind::Country => Some("country"),
            TagKind::Region => Some("region"),
            TagKind::Topic => Some("topic"),
            TagKind::Watchlist => None,
        }
    }
}

/// Counts per UTC day, oldest first.
pub type DailySeries = Vec<(NaiveDate, u32)>;

/// Row counts for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub articles: u64,
    /// `(status, count)` for every alert status present in the outbox.
    pub alerts: Vec<(String, u64)>,
    /// `(status, count)` for every feed status present.
    pub feeds: Vec<(String, u64)>,
}

impl Store {
    /// Articles per UTC day carrying `kind = value`, for the `days` days ending
    /// with `today` (oldest first, days without articles included as 0).
    ///
    /// # Errors
    /// A database error.
    pub fn tag_counts_per_day(
        &self,
        kind: TagKind,
        value: &str,
        days: u32,
        today: NaiveDate,
    ) -> Result<Vec<(NaiveDate, u32)>, StoreError> {
        let mut series = self.daily_counts(kind, Some(value), days, today)?;
        Ok(match series.pop() {
            Some((_, points)) => points,
            None => dense(&HashMap::new(), days, today),
        })
    }

    /// Articles per UTC day for every value of `kind` seen in the `days` days
    /// ending with `today` (or only for `value`), in one pass over those days.
    /// Each series is dense and oldest first; series come by total, largest first.
    ///
    /// # Errors
    /// A database error.
    pub fn daily_counts(
        &self,
        kind: TagKind,
        value: Option<&str>,
        days: u32,
        today: NaiveDate,
    ) -> Result<Vec<(String, DailySeries)>, StoreError> {
        let first = today - chrono::Days::new(u64::from(days.saturating_sub(1)));
        let (from, until) = (day_start(first), day_start(today) + DAY_SECS);
        // `?1` is NULL for a watchlist so both forms bind the same parameters.
        let (source, column, kind_filter) = value_source(kind);
        let value_filter = if value.is_some() {
            format!("AND {column} = ?4")
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT {column}, a.published / {DAY_SECS}, COUNT(*) \
             FROM {source} JOIN articles a ON a.id = x.article_id \
             WHERE {kind_filter} AND a.published >= ?2 AND a.published < ?3 {value_filter} GROUP BY 1, 2"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let map = |r: &rusqlite::Row<'_>| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, u32>(2)?,
            ))
        };
        let rows = match value {
            Some(v) => stmt.query_map(params![kind.tag_column_value(), from, until, v], map)?,
            None => stmt.query_map(params![kind.tag_column_value(), from, until], map)?,
        };
        let mut by_value: HashMap<String, HashMap<i64, u32>> = HashMap::new();
        for row in rows {
            let (v, day, n) = row?;
            by_value.entry(v).or_default().insert(day, n);
        }
        let mut series: Vec<(String, DailySeries)> = by_value
            .into_iter()
            .map(|(v, counts)| (v, dense(&counts, days, today)))
            .collect();
        let total =
            |points: &[(NaiveDate, u32)]| points.iter().map(|(_, n)| u64::from(*n)).sum::<u64>();
        series.sort_by(|a, b| total(&b.1).cmp(&total(&a.1)).then_with(|| a.0.cmp(&b.0)));
        Ok(series)
    }

    /// The `limit` most frequent values of `kind`, among articles published
    /// since `since` or (with `None`) among all articles, most frequent first
    /// (ties by value). Without a time bound it reads only the tag index.
    ///
    /// # Errors
    /// A database error.
    pub fn top_tags(
        &self,
        kind: TagKind,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<(String, u32)>, StoreError> {
        let (source, column, kind_filter) = value_source(kind);
        let (join, time_filter) = match since {
            Some(_) => (
                "JOIN articles a ON a.id = x.article_id",
                "AND a.published >= ?3",
            ),
            None => ("", ""),
        };
        let sql = format!(
            "SELECT {column}, COUNT(*) AS n FROM {source} {join} \
             WHERE {kind_filter} {time_filter} GROUP BY {column} ORDER BY n DESC, {column} LIMIT ?2"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let map = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?));
        let rows = match since {
            Some(t) => {
                stmt.query_map(params![kind.tag_column_value(), limit, t.timestamp()], map)?
            }
            None => stmt.query_map(params![kind.tag_column_value(), limit], map)?,
        };
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The watchlists that matched an article, with their terms and snippets, by watchlist name.
    ///
    /// # Errors
    /// A database error; a row whose JSON does not parse is skipped with a log line.
    pub fn article_matches(
        &self,
        id: ArticleId,
    ) -> Result<Vec<(String, Vec<TermMatch>)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT watchlist, matches FROM article_matches WHERE article_id = ?1 ORDER BY watchlist")?;
        let rows = stmt.query_map([id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (watchlist, json) = row?;
            match serde_json::from_str::<Vec<TermMatch>>(&json) {
                Ok(terms) => out.push((watchlist, terms)),
                Err(e) => {
                    tracing::warn!(article_id = id, watchlist, error = %e, "stored matches are not valid JSON")
                }
            }
        }
        Ok(out)
    }

    /// Row counts for metrics: articles, alerts by status, feeds by status.
    ///
    /// # Errors
    /// A database error.
    pub fn totals(&self) -> Result<Totals, StoreError> {
        let articles: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0))?;
        Ok(Totals {
            articles: u64::try_from(articles).unwrap_or(0),
            alerts: self
                .count_by("SELECT status, COUNT(*) FROM alerts GROUP BY status ORDER BY status")?,
            feeds: self
                .count_by("SELECT status, COUNT(*) FROM feeds GROUP BY status ORDER BY status")?,
        })
    }

    fn count_by(&self, sql: &str) -> Result<Vec<(String, u64)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?)))?;
        let rows: Vec<(String, i64)> = rows.collect::<Result<_, _>>()?;
        Ok(rows
            .into_iter()
            .map(|(s, n)| (s, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// Proves the database accepts writes: takes the write lock and releases
    /// it (`BEGIN IMMEDIATE; ROLLBACK`), changing nothing.
    ///
    /// # Errors
    /// The lock cannot be taken within the busy timeout, or the file is read-only.
    pub fn check_writable(&self) -> Result<(), StoreError> {
        self.conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;")?;
        Ok(())
    }
}

/// What the counts of `kind` read: the rows (`x` has the article id), the value
/// column and the filter on `?1`. A tag kind reads
/// `tag_articles` and the dictionary `tags`; a watchlist reads `article_matches`.
fn value_source(kind: TagKind) -> (&'static str, &'static str, &'static str) {
    match kind.tag_column_value() {
        Some(_) => (
            "tag_articles x JOIN tags t ON t.id = x.tag_id",
            "t.value",
            "t.kind = ?1",
        ),
        None => ("article_matches x", "x.watchlist", "?1 IS NULL"),
    }
}

/// One count per day for the `days` days ending with `today`, oldest first;
/// `counts` is keyed by days since the Unix epoch.
fn dense(counts: &HashMap<i64, u32>, days: u32, today: NaiveDate) -> Vec<(NaiveDate, u32)> {
    let first = today - chrono::Days::new(u64::from(days.saturating_sub(1)));
    first
        .iter_days()
        .take(days as usize)
        .map(|d| {
            (
                d,
                counts.get(&(day_start(d) / DAY_SECS)).copied().unwrap_or(0),
            )
        })
        .collect()
}

/// Unix time of midnight UTC at the start of `day`.
fn day_start(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(store: &Store) {
        store
            .conn
            .execute_batch(
                r#"INSERT INTO feeds (id, url, current_url, name, status, created) VALUES
                    (1, 'http://a/feed', 'http://a/feed', 'A', 'ok', 0),
                    (2, 'http://b/feed', 'http://b/feed', 'B', 'failing', 0);
                 INSERT INTO articles (id, feed_id, url, title, summary, body, published, fetched, content_hash) VALUES
                    -- 2026-10-01 00:00:00Z = 1790812800
                    (1, 1, 'http://a/1', 't1', '', '', 1790812800, 0, 'h1'),
                    (2, 1, 'http://a/2', 't2', '', '', 1790812800 + 86399, 0, 'h2'),
                    (3, 1, 'http://a/3', 't3', '', '', 1790812800 + 86400 * 2, 0, 'h3'),
                    (4, 2, 'http://b/4', 't4', '', '', 1790812800 - 1, 0, 'h4');
                 INSERT INTO tags (id, kind, value) VALUES
                    (1, 'country', 'KZ'), (2, 'country', 'CN'), (3, 'region', 'Xinjiang');
                 INSERT INTO tag_articles (article_id, tag_id) VALUES
                    (1, 1), (2, 1), (3, 1), (4, 1), (1, 2), (3, 3);
                 INSERT INTO article_matches (article_id, watchlist, matches, matched_at) VALUES
                    (3, 'xinjiang', '[{"term": "Xinjiang", "snippet": "in [Xinjiang] today"}]', 0);
                 INSERT INTO alerts (msg_id, article_id, watchlist, webhook, payload, status, created, next_attempt) VALUES
                    ('m1', 3, 'xinjiang', 'ops', '{}', 'pending', 0, 0),
                    ('m2', 3, 'xinjiang', 'chat', '{}', 'delivered', 0, 0),
                    ('m3', 1, 'xinjiang', 'chat', '{}', 'delivered', 0, 0);"#,
            )
            .unwrap();
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        seed(&store);
        (dir, store)
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn counts_per_day_are_dense_and_bounded_by_utc_days() {
        let (_dir, store) = store();
        let counts = store
            .tag_counts_per_day(TagKind::Country, "KZ", 3, date("2026-10-03"))
            .unwrap();
        assert_eq!(
            counts,
            vec![
                (date("2026-10-01"), 2),
                (date("2026-10-02"), 0),
                (date("2026-10-03"), 1)
            ]
        );
    }

    #[test]
    fn counts_per_day_for_a_watchlist_use_matches() {
        let (_dir, store) = store();
        let counts = store
            .tag_counts_per_day(TagKind::Watchlist, "xinjiang", 2, date("2026-10-03"))
            .unwrap();
        assert_eq!(
            counts,
            vec![(date("2026-10-02"), 0), (date("2026-10-03"), 1)]
        );
        let region = store
            .tag_counts_per_day(TagKind::Region, "Xinjiang", 1, date("2026-10-03"))
            .unwrap();
        assert_eq!(region, vec![(date("2026-10-03"), 1)]);
        let terms = vec![TermMatch {
            term: "Xinjiang".into(),
            snippet: "in [Xinjiang] today".into(),
        }];
        assert_eq!(
            store.article_matches(3).unwrap(),
            vec![("xinjiang".to_string(), terms)]
        );
        assert!(store.article_matches(1).unwrap().is_empty());
    }

    #[test]
    fn daily_counts_give_every_value_in_one_pass_largest_first() {
        let (_dir, store) = store();
        let series = store
            .daily_counts(TagKind::Country, None, 3, date("2026-10-03"))
            .unwrap();
        let names: Vec<&str> = series.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(names, ["KZ", "CN"]);
        assert_eq!(
            series[0].1,
            store
                .tag_counts_per_day(TagKind::Country, "KZ", 3, date("2026-10-03"))
                .unwrap()
        );
        assert_eq!(
            series[1].1,
            vec![
                (date("2026-10-01"), 1),
                (date("2026-10-02"), 0),
                (date("2026-10-03"), 0)
            ]
        );
        let none = store
            .tag_counts_per_day(TagKind::Topic, "water", 2, date("2026-10-03"))
            .unwrap();
        assert_eq!(none, vec![(date("2026-10-02"), 0), (date("2026-10-03"), 0)]);
    }

    #[test]
    fn top_tags_rank_by_count_since_a_time() {
        let (_dir, store) = store();
        let since = date("2026-10-01").and_hms_opt(0, 0, 0).unwrap().and_utc();
        let top = store.top_tags(TagKind::Country, Some(since), 10).unwrap();
        assert_eq!(top, vec![("KZ".to_string(), 3), ("CN".to_string(), 1)]);
        assert_eq!(
            store
                .top_tags(TagKind::Country, Some(since), 1)
                .unwrap()
                .len(),
            1
        );
        let all = store.top_tags(TagKind::Country, None, 10).unwrap();
        assert_eq!(all, vec![("KZ".to_string(), 4), ("CN".to_string(), 1)]);
        let lists = store.top_tags(TagKind::Watchlist, Some(since), 10).unwrap();
        assert_eq!(lists, vec![("xinjiang".to_string(), 1)]);
        assert_eq!(store.top_tags(TagKind::Watchlist, None, 10).unwrap(), lists);
    }

    #[test]
    fn totals_count_rows_by_status() {
        let (_dir, store) = store();
        let totals = store.totals().unwrap();
        assert_eq!(totals.articles, 4);
        assert_eq!(
            totals.alerts,
            vec![("delivered".into(), 2), ("pending".into(), 1)]
        );
        assert_eq!(totals.feeds, vec![("failing".into(), 1), ("ok".into(), 1)]);
        store.check_writable().unwrap();
    }
}
