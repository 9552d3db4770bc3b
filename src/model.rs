//! Plain data handed from one pipeline stage to the next.
//!
//! Nothing here does I/O. Stages take and return these types so that the
//! CLI's `tag`, `watch test` and `replay` run exactly the daemon's code.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Row id of a feed in the store.
pub type FeedId = i64;
/// Row id of an article in the store.
pub type ArticleId = i64;
/// Row id of an alert in the outbox.
pub type AlertId = i64;

/// A feed document after parsing: its own metadata and its entries.
#[derive(Debug, Clone, Default)]
pub struct ParsedFeed {
    /// The feed's own title, if it has one.
    pub title: Option<String>,
    /// The site the feed belongs to (`<link>` of the channel).
    pub site_url: Option<String>,
    /// RSS `<ttl>` or `sy:updatePeriod`/`sy:updateFrequency`, in seconds.
    pub ttl_secs: Option<u64>,
    pub items: Vec<Item>,
}

/// One entry of a feed, with its text already reduced to plain text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    /// Deterministic identity within its feed; see `parser::identity`.
    pub identity: String,
    /// The entry's own id (RSS guid, Atom id, JSON Feed id), if it had one.
    pub guid: Option<String>,
    /// Absolute link to the article page, if any.
    pub url: Option<String>,
    pub title: String,
    /// Plain text of the summary/description.
    pub summary: String,
    /// Plain text of the full content (`content:encoded`, Atom content), may be empty.
    pub body: String,
    /// The content as HTML, when the feed gave HTML (kept for display and extraction).
    pub body_html: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
}

/// Tags of one article. Every list is sorted and free of duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Tags {
    /// ISO 3166-1 alpha-2 codes of the countries the text is about.
    pub countries: Vec<String>,
    /// Canonical English names of places below country level.
    pub regions: Vec<String>,
    /// Topic names from the configured topic list.
    pub topics: Vec<String>,
}

/// The text of an article as the tagger and matcher see it.
#[derive(Debug, Clone, Copy)]
pub struct ArticleText<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
}

/// An article ready to be stored: parsed, extracted and tagged.
#[derive(Debug, Clone)]
pub struct Article {
    pub feed_id: FeedId,
    /// Name of the feed, as configured or from the feed's title.
    pub feed: String,
    /// Identity of the item within its feed (see `parser::identity`).
    pub identity: String,
    /// Normalised URL; empty when the item had no link.
    pub url: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    /// ISO 639-1 code from language detection, if confident.
    pub lang: Option<String>,
    pub published: DateTime<Utc>,
    pub fetched: DateTime<Utc>,
    pub tags: Tags,
}

impl Article {
    pub fn text(&self) -> ArticleText<'_> {
        ArticleText {
            title: &self.title,
            summary: &self.summary,
            body: &self.body,
        }
    }
}

/// One watch term found in an article, with a snippet around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TermMatch {
    /// The term as written in the watchlist.
    pub term: String,
    /// About 160 characters around the match, the match marked as `[...]`.
    pub snippet: String,
}

/// A watchlist that matched an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Match {
    pub watchlist: String,
    /// Webhooks to alert, from the watchlist's configuration.
    pub webhooks: Vec<String>,
    /// The `any`/`all` terms that were found, first occurrence of each.
    pub matches: Vec<TermMatch>,
    /// The watchlist alerts once per story (`per = "story"`), not once per article.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_story: bool,
}
