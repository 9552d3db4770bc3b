//! The JSON API under `/api`: articles (filters, search, cursor pagination),
//! one article, alerts, feeds, watchlists (read-only) and tag counts per day.

use super::{ApiError, AppState};
use crate::config::WatchlistConfig;
use crate::model::{ArticleId, TermMatch};
use crate::store::articles::{ArticleFilter, ArticleView};
use crate::store::stats::TagKind;
use crate::store::{Store, StoreError};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Articles per page when the request does not say.
pub const DEFAULT_LIMIT: usize = 50;
/// Most articles one request may ask for, so one call cannot make the server
/// serialise the whole database.
pub const MAX_LIMIT: usize = 500;
/// Search hits read before the other filters narrow them: a search with
/// filters looks this many times deeper than `limit` for matching hits.
const SEARCH_DEPTH: usize = 10;
/// Longest series `/api/stats` draws: a year, day by day.
pub const MAX_STATS_DAYS: u32 = 366;
/// Alerts returned when the request does not say.
const DEFAULT_ALERTS: usize = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/articles", get(list_articles))
        .route("/api/articles/{id}", get(one_article))
        .route("/api/alerts", get(list_alerts))
        .route("/api/feeds", get(list_feeds))
        .route("/api/watchlists", get(list_watchlists))
        .route("/api/stats/{kind}/{value}", get(stats))
}

/// The article filters of the API and the page, as written in a query string.
/// Empty values (an HTML form's "any") mean "no filter".
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ArticleQuery {
    pub country: Option<String>,
    pub region: Option<String>,
    pub topic: Option<String>,
    pub watchlist: Option<String>,
    pub feed: Option<String>,
    /// Publishing country of the feed (news *from* there), ISO alpha-2.
    pub source_country: Option<String>,
    /// Full-text query; results are then ranked by relevance.
    pub q: Option<String>,
    /// A duration back from now (`7d`), a date or an RFC 3339 time.
    pub since: Option<String>,
    pub limit: Option<String>,
    /// Cursor: the `next` of the previous page.
    pub before: Option<String>,
}

/// One listed article; `snippet` only for a full-text query.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub article: ArticleView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

/// A page of articles and the cursor for the next one (`None` at the end).
#[derive(Debug, Clone, Serialize)]
pub struct ArticlePage {
    pub articles: Vec<Listed>,
    pub next: Option<ArticleId>,
}

impl ArticleQuery {
    /// Drops empty values, so `?country=&topic=trade` filters by topic only.
    fn value(field: &Option<String>) -> Option<String> {
        field
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    pub fn country(&self) -> Option<String> {
        Self::value(&self.country).map(|c| c.to_ascii_uppercase())
    }
    pub fn region(&self) -> Option<String> {
        Self::value(&self.region)
    }
    pub fn topic(&self) -> Option<String> {
        Self::value(&self.topic)
    }
    pub fn watchlist(&self) -> Option<String> {
        Self::value(&self.watchlist)
    }
    pub fn text(&self) -> Option<String> {
        Self::value(&self.q)
    }
    pub fn feed(&self) -> Option<String> {
        Self::value(&self.feed)
    }
    pub fn since(&self) -> Option<String> {
        Self::value(&self.since)
    }
    pub fn source_country(&self) -> Option<String> {
        Self::value(&self.source_country).map(|c| c.to_ascii_uppercase())
    }

    /// The validated store filter, with one extra row asked for to learn whether a next page exists.
    ///
    /// # Errors
    /// A limit, cursor or `since` that does not parse.
    pub fn filter(&self, now: DateTime<Utc>) -> Result<ArticleFilter, ApiError> {
        let limit = match Self::value(&self.limit) {
            None => DEFAULT_LIMIT,
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    ApiError::BadRequest(format!("limit must be a number from 1 to {MAX_LIMIT}"))
                })?,
        };
        let before_id = Self::value(&self.before)
            .map(|v| v.parse::<ArticleId>())
            .transpose()
            .map_err(|_| {
                ApiError::BadRequest(
                    "before must be an article id (the `next` of the previous page)".into(),
                )
            })?;
        let since = Self::value(&self.since)
            .map(|v| parse_since(&v, now))
            .transpose()?;
        Ok(ArticleFilter {
            country: self.country(),
            region: self.region(),
            topic: self.topic(),
            watchlist: self.watchlist(),
            feed: self.feed(),
            since,
            limit,
            before_id,
            source_country: self.source_country(),
            story: None,
        })
    }
}

/// Runs an article query: the filtered list newest first with a cursor, or,
/// with `q`, the best full-text hits that also pass the filters.
///
/// # Errors
/// A database error.
pub fn query_articles(
    store: &Store,
    query: &ArticleQuery,
    filter: &ArticleFilter,
) -> Result<ArticlePage, StoreError> {
    if let Some(text) = query.text() {
        let narrowed = ArticleFilter {
            limit: 0,
            before_id: None,
            ..filter.clone()
        } != ArticleFilter::default();
        let depth = if narrowed {
            filter.limit * SEARCH_DEPTH
        } else {
            filter.limit
        };
        let hits = store.search(&text, depth)?;
        let articles = hits
            .into_iter()
            .filter(|h| passes(&h.article, filter))
            .take(filter.limit)
            .map(|h| Listed {
                article: h.article,
                snippet: Some(h.snippet),
            })
            .collect();
        return Ok(ArticlePage {
            articles,
            next: None,
        });
    }
    let mut wider = filter.clone();
    wider.limit = filter.limit + 1;
    let mut found = store.list_articles(&wider)?;
    let next = (found.len() > filter.limit).then(|| found[filter.limit - 1].id);
    found.truncate(filter.limit);
    Ok(ArticlePage {
        articles: found
            .into_iter()
            .map(|article| Listed {
                article,
                snippet: None,
            })
            .collect(),
        next,
    })
}

/// Whether a search hit also passes the list filters (tags compare ignoring ASCII case).
fn passes(a: &ArticleView, f: &ArticleFilter) -> bool {
    let has = |list: &[String], want: &Option<String>| {
        want.as_ref()
            .is_none_or(|w| list.iter().any(|v| v.eq_ignore_ascii_case(w)))
    };
    let feed_ok = f
        .feed
        .as_ref()
        .is_none_or(|want| a.sources.iter().any(|s| &s.feed == want) || &a.feed == want);
    let source_ok = f.source_country.as_ref().is_none_or(|want| {
        a.source_country
            .as_ref()
            .is_some_and(|c| c.eq_ignore_ascii_case(want))
    });
    let since_ok = f.since.is_none_or(|since| {
        DateTime::parse_from_rfc3339(&a.published).is_ok_and(|p| p.with_timezone(&Utc) >= since)
    });
    has(&a.countries, &f.country)
        && has(&a.regions, &f.region)
        && has(&a.topics, &f.topic)
        && has(&a.watchlists, &f.watchlist)
        && feed_ok
        && source_ok
        && since_ok
}

/// Parses `since`: a duration back from `now` (`30d`, `12h`), a date
/// (`2026-10-01`, midnight UTC) or an RFC 3339 time.
///
/// # Errors
/// A value that is none of these.
pub fn parse_since(value: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    let bad = || {
        ApiError::BadRequest(format!(
            "since {value:?} is neither a duration (30d, 12h) nor a time (2026-10-01, 2026-10-01T09:00:00Z)"
        ))
    };
    let back = crate::config::units::parse_duration(value).map_err(|_| bad())?;
    let back = chrono::Duration::from_std(back).map_err(|_| bad())?;
    Ok(now
        .checked_sub_signed(back)
        .unwrap_or(DateTime::<Utc>::MIN_UTC))
}

async fn list_articles(
    State(state): State<AppState>,
    Query(query): Query<ArticleQuery>,
) -> Result<Json<ArticlePage>, ApiError> {
    let filter = query.filter(Utc::now())?;
    let page = state
        .with_store(move |store| query_articles(store, &query, &filter))
        .await?;
    Ok(Json(page))
}

/// One article with its body and each matched watchlist's terms and snippets.
#[derive(Debug, Serialize)]
pub struct ArticleDetail {
    #[serde(flatten)]
    pub article: ArticleView,
    pub body: String,
    pub matches: Vec<WatchlistMatch>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WatchlistMatch {
    pub watchlist: String,
    pub terms: Vec<TermMatch>,
}

/// Loads one article with body and matches, `None` when there is no such article.
///
/// # Errors
/// A database error.
pub fn load_article(store: &Store, id: ArticleId) -> Result<Option<ArticleDetail>, StoreError> {
    let Some((article, body)) = store.article_body(id)? else {
        return Ok(None);
    };
    let matches = store
        .article_matches(id)?
        .into_iter()
        .map(|(watchlist, terms)| WatchlistMatch { watchlist, terms })
        .collect();
    Ok(Some(ArticleDetail {
        article,
        body,
        matches,
    }))
}

async fn one_article(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ArticleDetail>, ApiError> {
    let id: ArticleId = id
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("{id:?} is not an article id")))?;
    state
        .with_store(move |store| load_article(store, id))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no article {id}")))
}

#[derive(Debug, Deserialize)]
struct AlertQuery {
    status: Option<String>,
    limit: Option<String>,
}

async fn list_alerts(
    State(state): State<AppState>,
    Query(q): Query<AlertQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let status = ArticleQuery::value(&q.status)
        .map(|s| s.parse::<crate::store::alerts::AlertStatus>())
        .transpose()
        .map_err(ApiError::BadRequest)?;
    let limit = match ArticleQuery::value(&q.limit) {
        None => DEFAULT_ALERTS,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::BadRequest(format!("limit must be a number from 1 to {MAX_LIMIT}"))
            })?,
    };
    let alerts = state
        .with_store(move |store| store.list_alerts(status, limit))
        .await?;
    Ok(Json(serde_json::json!({ "alerts": alerts })))
}

/// A feed and its health, as the API shows it (no ETags or other fetch internals).
#[derive(Debug, Serialize)]
pub struct FeedHealth {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub current_url: String,
    pub status: String,
    pub last_http_status: Option<u16>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub last_polled: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub next_poll: Option<DateTime<Utc>>,
    pub retry_after: Option<DateTime<Utc>>,
    pub last_new_item: Option<DateTime<Utc>>,
}

/// Every feed with its health, by name.
///
/// # Errors
/// A database error.
pub fn load_feeds(store: &Store) -> Result<Vec<FeedHealth>, StoreError> {
    let mut feeds: Vec<FeedHealth> = store
        .list_feeds(None)?
        .into_iter()
        .map(|f| FeedHealth {
            id: f.id,
            name: f.name,
            url: f.url,
            current_url: f.current_url,
            status: f.status,
            last_http_status: f.last_http_status,
            last_error: f.last_error,
            consecutive_failures: f.consecutive_failures,
            last_polled: f.last_polled,
            last_success: f.last_success,
            next_poll: f.next_poll,
            retry_after: f.retry_after,
            last_new_item: f.last_new_item,
        })
        .collect();
    feeds.sort_by_key(|f| f.name.to_lowercase());
    Ok(feeds)
}

async fn list_feeds(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let feeds = state.with_store(load_feeds).await?;
    Ok(Json(serde_json::json!({ "feeds": feeds })))
}

/// A watchlist as configured, without webhook URLs or secrets (only webhook names).
#[derive(Debug, Serialize)]
pub struct WatchlistView<'a> {
    pub name: &'a str,
    pub any: &'a [String],
    pub all: &'a [String],
    pub none: &'a [String],
    pub countries: &'a [String],
    pub topics: &'a [String],
    pub feeds: &'a [String],
    pub webhooks: &'a [String],
    /// Where a feed reader subscribes to this watchlist's matches.
    pub atom: String,
}

impl<'a> WatchlistView<'a> {
    pub fn from_config(w: &'a WatchlistConfig) -> WatchlistView<'a> {
        WatchlistView {
            name: &w.name,
            any: &w.any,
            all: &w.all,
            none: &w.none,
            countries: &w.countries,
            topics: &w.topics,
            feeds: &w.feeds,
            webhooks: &w.webhooks,
            atom: super::atom::path_for(&w.name),
        }
    }
}

async fn list_watchlists(State(state): State<AppState>) -> Json<serde_json::Value> {
    let engine = state.engine();
    let lists: Vec<WatchlistView> = engine
        .config
        .watchlists
        .iter()
        .map(WatchlistView::from_config)
        .collect();
    Json(serde_json::json!({ "watchlists": lists }))
}

#[derive(Debug, Deserialize)]
struct StatsQuery {
    days: Option<String>,
}

#[derive(Debug, Serialize)]
struct DayCount {
    date: NaiveDate,
    count: u32,
}

async fn stats(
    State(state): State<AppState>,
    Path((kind, value)): Path<(String, String)>,
    Query(q): Query<StatsQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let tag_kind = TagKind::from_name(&kind).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "unknown kind {kind:?}; use country, region, topic or watchlist"
        ))
    })?;
    let days = match ArticleQuery::value(&q.days) {
        None => 90,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_STATS_DAYS).contains(d))
            .ok_or_else(|| {
                ApiError::BadRequest(format!("days must be a number from 1 to {MAX_STATS_DAYS}"))
            })?,
    };
    let today = Utc::now().date_naive();
    let lookup = if tag_kind == TagKind::Country {
        value.to_ascii_uppercase()
    } else {
        value.clone()
    };
    let counts = state
        .with_store(move |s| s.tag_counts_per_day(tag_kind, &lookup, days, today))
        .await?;
    let days: Vec<DayCount> = counts
        .into_iter()
        .map(|(date, count)| DayCount { date, count })
        .collect();
    Ok(Json(
        serde_json::json!({ "kind": kind, "value": value, "days": days }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-10-18T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn since_takes_durations_dates_and_times() {
        assert_eq!(
            parse_since("2d", now()).unwrap().to_rfc3339(),
            "2026-10-16T09:00:00+00:00"
        );
        assert_eq!(
            parse_since("2026-10-01", now()).unwrap().to_rfc3339(),
            "2026-10-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_since("2026-10-01T05:00:00+05:00", now())
                .unwrap()
                .to_rfc3339(),
            "2026-10-01T00:00:00+00:00"
        );
        assert!(matches!(
            parse_since("yesterday", now()),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn empty_form_values_are_no_filter_and_bad_numbers_are_refused() {
        let q = ArticleQuery {
            country: Some("kz".into()),
            topic: Some("".into()),
            ..Default::default()
        };
        let f = q.filter(now()).unwrap();
        assert_eq!(f.country.as_deref(), Some("KZ"));
        assert_eq!(f.topic, None);
        assert_eq!(f.limit, DEFAULT_LIMIT);
        for bad in [
            ArticleQuery {
                limit: Some("0".into()),
                ..Default::default()
            },
            ArticleQuery {
                limit: Some("100000".into()),
                ..Default::default()
            },
            ArticleQuery {
                before: Some("x".into()),
                ..Default::default()
            },
        ] {
            assert!(
                matches!(bad.filter(now()), Err(ApiError::BadRequest(_))),
                "{bad:?}"
            );
        }
    }
}
