//! Replay: run the watchlists over stored articles, as `steppewatch replay` does.
//!
//! A dry run only reports. A real run records the matches and queues alerts
//! for (article, watchlist) pairs that never alerted before: the outbox's
//! unique key makes a second replay a no-op.

use crate::engine::Engine;
use crate::matcher::Context;
use crate::model::ArticleId;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One (article, watchlist) match found by a replay.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayMatch {
    pub article_id: ArticleId,
    pub watchlist: String,
    pub title: String,
    pub url: String,
    pub terms: Vec<String>,
}

#[derive(Debug, Default)]
pub struct ReplayReport {
    pub scanned: usize,
    pub matches: Vec<ReplayMatch>,
    /// Alerts queued (0 on a dry run).
    pub alerts: usize,
}

/// Runs the engine's watchlists (or only `only`) over articles published since `since`.
///
/// # Errors
/// A database failure; a real run's writes for one article are one transaction.
pub fn replay(
    store: &mut Store,
    engine: &Engine,
    since: DateTime<Utc>,
    only: Option<&str>,
    dry_run: bool,
) -> Result<ReplayReport, StoreError> {
    let now = Utc::now();
    let mut report = ReplayReport::default();
    for (id, article) in store.articles_since(since)? {
        report.scanned += 1;
        let mut matches = engine.watchlists.match_article(
            article.text(),
            Context {
                feed: &article.feed,
                tags: &article.tags,
            },
        );
        matches.retain(|m| only.is_none_or(|w| m.watchlist == w));
        if matches.is_empty() {
            continue;
        }
        report.matches.extend(matches.iter().map(|m| ReplayMatch {
            article_id: id,
            watchlist: m.watchlist.clone(),
            title: article.title.clone(),
            url: article.url.clone(),
            terms: m.matches.iter().map(|t| t.term.clone()).collect(),
        }));
        if !dry_run {
            report.alerts += store.apply_matches(id, &article, &matches, now)?;
        }
    }
    Ok(report)
}
