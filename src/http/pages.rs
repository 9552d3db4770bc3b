//! The web page: recent alerts, trend charts, filtered articles with tag
//! chips, feed health, and one page per article; server-rendered with maud,
//! no JavaScript. maud escapes every interpolated string, and links are only
//! emitted for http(s) URLs, so stored text can never become markup.

use super::api::{self, ArticlePage, ArticleQuery, FeedHealth, Listed};
use super::chart::{self, Series};
use super::{ApiError, AppState};
use crate::store::Store;
use crate::store::StoreError;
use crate::store::alerts::AlertRow;
use crate::store::stats::TagKind;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use maud::{DOCTYPE, Markup, html};

/// Days the trend charts cover.
pub const CHART_DAYS: u32 = 90;
/// Countries charted beside the watchlists: the most mentioned over the chart period.
const CHART_COUNTRIES: usize = 6;
/// Watchlists charted at most, so a long configuration keeps the page readable.
const CHART_WATCHLISTS: usize = 12;
/// Articles per page.
const PAGE_ARTICLES: usize = 30;
/// Alert lines (article and watchlist, all webhooks) in the "recent alerts" box.
const RECENT_ALERTS: usize = 10;
/// Outbox rows read to fill those lines; each line is one row per webhook.
const RECENT_ALERT_ROWS: usize = 60;
/// Values offered in the country and region filters (the most frequent of all time).
const FILTER_CHOICES: usize = 80;

/// English names for the country codes this region's news mentions most;
/// other codes are shown as the code alone.
const COUNTRY_NAMES: &[(&str, &str)] = &[
    ("AF", "Afghanistan"),
    ("AM", "Armenia"),
    ("AZ", "Azerbaijan"),
    ("BY", "Belarus"),
    ("CN", "China"),
    ("DE", "Germany"),
    ("EU", "European Union"),
    ("FR", "France"),
    ("GB", "United Kingdom"),
    ("GE", "Georgia"),
    ("IN", "India"),
    ("IR", "Iran"),
    ("JP", "Japan"),
    ("KG", "Kyrgyzstan"),
    ("KR", "South Korea"),
    ("KZ", "Kazakhstan"),
    ("MN", "Mongolia"),
    ("PK", "Pakistan"),
    ("RU", "Russia"),
    ("TJ", "Tajikistan"),
    ("TM", "Turkmenistan"),
    ("TR", "Turkey"),
    ("UA", "Ukraine"),
    ("US", "United States"),
    ("UZ", "Uzbekistan"),
];

/// The stylesheet, served at [`STYLE_PATH`] so the CSP can stay `style-src 'self'`.
const STYLE: &str = include_str!("static/style.css");
const FAVICON: &str = include_str!("static/favicon.svg");
/// Versioned so a new release's CSS is never hidden by a cached old one.
const STYLE_PATH: &str = concat!("/static/style.css?v=", env!("CARGO_PKG_VERSION"));

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/articles/{id}", get(article_page))
}

/// Routes reachable without the token: the stylesheet and icon the login page needs.
pub fn static_router() -> Router<AppState> {
    Router::new()
        .route(
            "/static/style.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=86400"),
                    ],
                    STYLE,
                )
            }),
        )
        .route(
            "/static/favicon.svg",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "image/svg+xml"),
                        (header::CACHE_CONTROL, "public, max-age=86400"),
                    ],
                    FAVICON,
                )
            }),
        )
}

/// Everything the index page shows, read in one blocking task.
struct Dashboard {
    alerts: Vec<AlertRow>,
    articles: ArticlePage,
    feeds: Vec<FeedHealth>,
    charts: Vec<Series>,
    countries: Vec<(String, u32)>,
    regions: Vec<(String, u32)>,
}

async fn index(
    State(state): State<AppState>,
    Query(query): Query<ArticleQuery>,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    let mut filter = query.filter(now)?;
    if query.limit.is_none() {
        filter.limit = PAGE_ARTICLES;
    }
    let engine = state.engine();
    let watchlists: Vec<String> = engine
        .config
        .watchlists
        .iter()
        .map(|w| w.name.clone())
        .collect();
    let extra_topics: Vec<String> = engine.config.topics.keys().cloned().collect();
    let q = query.clone();
    let lists = watchlists.clone();
    let data = state
        .with_store(move |store| {
            Ok(Dashboard {
                alerts: store.list_alerts(None, RECENT_ALERT_ROWS)?,
                articles: api::query_articles(store, &q, &filter)?,
                feeds: api::load_feeds(store)?,
                charts: charts(store, &lists, now)?,
                countries: store.top_tags(TagKind::Country, None, FILTER_CHOICES)?,
                regions: store.top_tags(TagKind::Region, None, FILTER_CHOICES)?,
            })
        })
        .await?;
    // The topics of the contract are always offered, sorted below.
    let mut topics: Vec<String> = crate::config::TOPICS
        .iter()
        .map(|t| t.to_string())
        .chain(extra_topics)
        .collect();
    topics.sort();
    topics.dedup();
    let choices = Choices {
        countries: &data.countries,
        regions: &data.regions,
        topics: &topics,
        watchlists: &watchlists,
    };
    Ok(layout(
        "steppewatch",
        state.token.is_some(),
        dashboard(&data, &query, &choices, now),
    )
    .into_response())
}

/// One series per configured watchlist, then one per most-mentioned country;
/// two queries in all, each one pass over the chart period.
fn charts(
    store: &Store,
    watchlists: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<Series>, StoreError> {
    let today = now.date_naive();
    let mut matched = store.daily_counts(TagKind::Watchlist, None, CHART_DAYS, today)?;
    let mut out = Vec::new();
    for name in watchlists.iter().take(CHART_WATCHLISTS) {
        let points = match matched.iter().position(|(w, _)| w == name) {
            Some(i) => matched.swap_remove(i).1,
            None => store.tag_counts_per_day(TagKind::Watchlist, name, CHART_DAYS, today)?,
        };
        out.push(Series {
            label: name.clone(),
            href: link_with("watchlist", name),
            points,
        });
    }
    for (code, points) in store
        .daily_counts(TagKind::Country, None, CHART_DAYS, today)?
        .into_iter()
        .take(CHART_COUNTRIES)
    {
        out.push(Series {
            label: country_label(&code),
            href: link_with("country", &code),
            points,
        });
    }
    Ok(out)
}

/// What the filter form offers.
struct Choices<'a> {
    countries: &'a [(String, u32)],
    regions: &'a [(String, u32)],
    topics: &'a [String],
    watchlists: &'a [String],
}

fn dashboard(
    data: &Dashboard,
    query: &ArticleQuery,
    choices: &Choices<'_>,
    now: DateTime<Utc>,
) -> Markup {
    html! {
        div.dashboard {
            section #alerts .card .alerts { (alerts_box(&data.alerts, now)) }
            section #trends .card .trends { (trends(&data.charts)) }
            section #articles-box .card .articles { (articles_box(&data.articles, query, choices, now)) }
            section #feeds .card .feeds { (feeds_box(&data.feeds, now)) }
        }
    }
}

/// Alerts of one article and watchlist, one per webhook, shown as one line.
struct AlertGroup<'a> {
    first: &'a AlertRow,
    /// Every webhook's alert, in outbox order.
    alerts: Vec<&'a AlertRow>,
}

impl AlertGroup<'_> {
    /// The status that needs attention first: failed, then pending, then delivered.
    fn status(&self) -> &'static str {
        let has = |s: &str| self.alerts.iter().any(|a| a.status.as_str() == s);
        if has("failed") {
            "failed"
        } else if has("pending") {
            "pending"
        } else {
            "delivered"
        }
    }
}

/// Groups the outbox rows (newest first) by article and watchlist; feed
/// health events stay one per line.
fn group_alerts(alerts: &[AlertRow]) -> Vec<AlertGroup<'_>> {
    let mut groups: Vec<AlertGroup<'_>> = Vec::new();
    for alert in alerts {
        let key = |a: &AlertRow| (a.article_id, a.watchlist.clone());
        match groups
            .iter_mut()
            .find(|g| alert.article_id.is_some() && key(g.first) == key(alert))
        {
            Some(group) => group.alerts.push(alert),
            None => groups.push(AlertGroup {
                first: alert,
                alerts: vec![alert],
            }),
        }
    }
    groups
}

fn alerts_box(alerts: &[AlertRow], now: DateTime<Utc>) -> Markup {
    let groups = group_alerts(alerts);
    html! {
        h2 { "Recent alerts" }
        @if groups.is_empty() {
            p.empty { "No alerts yet. They appear here when a watchlist matches a new article." }
        } @else {
            ul.alert-list {
                @for group in groups.iter().take(RECENT_ALERTS) {
                    @let alert = group.first;
                    li.alert {
                        span class={ "badge " (group.status()) } { (group.status()) }
                        div.alert-main {
                            @match alert.article_id {
                                Some(id) => { a.alert-title href=(format!("/articles/{id}")) { (alert.title) } }
                                None => { span.alert-title { (alert.title) } }
                            }
                            div.meta {
                                @if !alert.watchlist.is_empty() {
                                    a.chip.watchlist href=(link_with("watchlist", &alert.watchlist)) { (alert.watchlist) }
                                    " "
                                }
                                @for (i, one) in group.alerts.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    span class={ "hook " (one.status.as_str()) } title=(one.status.as_str()) {
                                        (one.webhook) " " (status_mark(one.status.as_str()))
                                    }
                                }
                                " · " (ago(alert.created, now))
                            }
                            @for one in &group.alerts {
                                @if let Some(e) = &one.last_error {
                                    @if one.status.as_str() != "delivered" { div.error { (one.webhook) ": " (clip(e, 90)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A one-character delivery state beside a webhook's name.
fn status_mark(status: &str) -> &'static str {
    match status {
        "delivered" => "✓",
        "failed" => "✗",
        _ => "○",
    }
}

fn trends(series: &[Series]) -> Markup {
    html! {
        h2 { "Mentions per day" span.sub { " · last " (CHART_DAYS) " days" } }
        @if series.is_empty() {
            p.empty { "Nothing to chart yet." }
        } @else {
            div.charts {
                @for s in series {
                    @let trend = s.trend();
                    figure.chart-card {
                        figcaption {
                            a href=(s.href) { (s.label) }
                            span.total { (trend.total) }
                            span class={ "trend " (trend.class()) } { (trend.describe()) }
                        }
                        (chart::render(s))
                    }
                }
            }
        }
    }
}

fn articles_box(
    page: &ArticlePage,
    query: &ArticleQuery,
    choices: &Choices<'_>,
    now: DateTime<Utc>,
) -> Markup {
    html! {
        h2 { "Articles" }
        (filter_form(query, choices))
        @if page.articles.is_empty() {
            p.empty #no-articles { "No articles match these filters." }
        } @else {
            ol #articles .article-list {
                @for item in &page.articles { (article_row(item, now)) }
            }
        }
        @if let Some(next) = page.next {
            a.more href=(older_link(query, next)) { "Older articles →" }
        }
    }
}

fn filter_form(query: &ArticleQuery, choices: &Choices<'_>) -> Markup {
    let country = query.country();
    let countries: Vec<(String, String)> = with_selected(
        choices.countries.iter().map(|(c, _)| c.clone()).collect(),
        country.as_deref(),
    )
    .into_iter()
    .map(|c| {
        let label = country_label(&c);
        (c, label)
    })
    .collect();
    let regions = with_selected(
        choices.regions.iter().map(|(r, _)| r.clone()).collect(),
        query.region().as_deref(),
    );
    let topics = with_selected(choices.topics.to_vec(), query.topic().as_deref());
    let watchlists = with_selected(choices.watchlists.to_vec(), query.watchlist().as_deref());
    let pairs = |v: Vec<String>| v.into_iter().map(|x| (x.clone(), x)).collect::<Vec<_>>();
    html! {
        form.filters #filters method="get" action="/" {
            (select("country", "Country", &countries, country.as_deref()))
            (select("region", "Region", &pairs(regions), query.region().as_deref()))
            (select("topic", "Topic", &pairs(topics), query.topic().as_deref()))
            (select("watchlist", "Watchlist", &pairs(watchlists), query.watchlist().as_deref()))
            label.text {
                span { "Text" }
                input type="search" name="q" value=(query.text().unwrap_or_default()) placeholder="Search title and text";
            }
            div.actions {
                button type="submit" #apply { "Apply" }
                a.reset href="/" { "Reset" }
            }
        }
    }
}

/// A `<select>` whose first option means "any".
fn select(name: &str, label: &str, options: &[(String, String)], selected: Option<&str>) -> Markup {
    html! {
        label {
            span { (label) }
            select name=(name) id=(format!("filter-{name}")) {
                option value="" { "Any" }
                @for (value, text) in options {
                    option value=(value) selected[selected == Some(value.as_str())] { (text) }
                }
            }
        }
    }
}

/// The choices, plus the current selection if it is not among them (so a
/// link to a rare tag still shows as selected).
fn with_selected(mut values: Vec<String>, selected: Option<&str>) -> Vec<String> {
    if let Some(s) = selected
        && !values.iter().any(|v| v.eq_ignore_ascii_case(s))
    {
        values.push(s.to_string());
    }
    values.sort_by_key(|v| v.to_lowercase());
    values
}

fn article_row(item: &Listed, now: DateTime<Utc>) -> Markup {
    let art = &item.article;
    html! {
        li.article data-id=(art.id) {
            div.article-head {
                a.title href=(format!("/articles/{}", art.id)) { (non_empty(&art.title, "(untitled)")) }
                @if let Some(href) = safe_href(&art.url) {
                    a.source href=(href) rel="noopener noreferrer" target="_blank" title="Open the original" { "↗" }
                }
            }
            div.meta {
                span.feed { (art.feed) }
                " · "
                time datetime=(art.published) title=(art.published) { (ago_str(&art.published, now)) }
                @if let Some(lang) = &art.lang { " · " span.lang { (lang) } }
            }
            @if let Some(snippet) = &item.snippet {
                p.snippet { (clip(snippet, 300)) }
            } @else if !art.summary.is_empty() {
                p.summary { (clip(&art.summary, 300)) }
            }
            (chips(&art.countries, &art.regions, &art.topics, &art.watchlists))
        }
    }
}

fn chips(
    countries: &[String],
    regions: &[String],
    topics: &[String],
    watchlists: &[String],
) -> Markup {
    html! {
        @if !(countries.is_empty() && regions.is_empty() && topics.is_empty() && watchlists.is_empty()) {
            div.chips {
                @for w in watchlists { a.chip.watchlist href=(link_with("watchlist", w)) { (w) } }
                @for c in countries { a.chip.country href=(link_with("country", c)) title=(country_label(c)) { (c) } }
                @for r in regions { a.chip.region href=(link_with("region", r)) { (r) } }
                @for t in topics { a.chip.topic href=(link_with("topic", t)) { (t) } }
            }
        }
    }
}

fn feeds_box(feeds: &[FeedHealth], now: DateTime<Utc>) -> Markup {
    let failing = feeds
        .iter()
        .filter(|f| matches!(f.status.as_str(), "failing" | "gone"))
        .count();
    let mut sorted: Vec<&FeedHealth> = feeds.iter().collect();
    sorted.sort_by_key(|f| (status_rank(&f.status), f.name.to_lowercase()));
    html! {
        h2 { "Feed health" span.sub { " · " (feeds.len()) " feeds" @if failing > 0 { ", " span.bad { (failing) " failing" } } } }
        @if feeds.is_empty() {
            p.empty { "No feeds polled yet." }
        } @else {
            div.table-wrap {
                table.feed-table {
                    thead { tr { th { "Feed" } th { "Status" } th { "Last success" } } }
                    tbody {
                        @for f in sorted {
                            tr {
                                td {
                                    @match safe_href(&f.current_url) {
                                        Some(href) => { a href=(href) rel="noopener noreferrer" { (f.name) } }
                                        None => { span { (f.name) } }
                                    }
                                    @if let Some(e) = &f.last_error { div.error { (clip(e, 120)) } }
                                }
                                td { span class={ "badge " (f.status) } { (f.status) } }
                                td.when { @match f.last_success { Some(t) => { (ago(t, now)) } None => { "never" } } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Failing feeds first: they are what the operator must look at.
fn status_rank(status: &str) -> u8 {
    match status {
        "failing" => 0,
        "gone" => 1,
        "error" => 2,
        "quiet" => 3,
        "new" => 4,
        _ => 5,
    }
}

async fn article_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("{id:?} is not an article id")))?;
    let detail = state
        .with_store(move |store| api::load_article(store, id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no article {id}")))?;
    let art = &detail.article;
    let now = Utc::now();
    let body = html! {
        article.card.article-page {
            p.back { a href="/" { "← All articles" } }
            h1 { (non_empty(&art.title, "(untitled)")) }
            div.meta {
                span.feed { (art.feed) } " · "
                time datetime=(art.published) { (long_time(&art.published)) } " (" (ago_str(&art.published, now)) ")"
                @if let Some(lang) = &art.lang { " · " (lang) }
            }
            (chips(&art.countries, &art.regions, &art.topics, &art.watchlists))
            @if !detail.matches.is_empty() {
                section.matches {
                    h2 { "Watchlist matches" }
                    @for m in &detail.matches {
                        div.match {
                            a.chip.watchlist href=(link_with("watchlist", &m.watchlist)) { (m.watchlist) }
                            ul { @for t in &m.terms { li { strong { (t.term) } " — " span.snippet { (t.snippet) } } } }
                        }
                    }
                }
            }
            @if !art.summary.is_empty() { p.lead { (art.summary) } }
            div.body {
                @for para in detail.body.split('\n').map(str::trim).filter(|p| !p.is_empty()) { p { (para) } }
            }
            section.sources {
                h2 { "Sources" }
                ul {
                    @for s in &art.sources {
                        li {
                            (s.feed) ": "
                            @match safe_href(&s.url) {
                                Some(href) => { a href=(href) rel="noopener noreferrer" { (s.url) } }
                                None => { span { (s.url) } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&art.title, state.token.is_some(), body).into_response())
}

/// The page around any content.
fn layout(title: &str, logout: bool, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) }
                link rel="stylesheet" href=(STYLE_PATH);
                link rel="icon" href="/static/favicon.svg" type="image/svg+xml";
            }
            body {
                header.top {
                    a.brand href="/" { span.logo { "◆" } " steppewatch" }
                    nav {
                        a href="/#alerts" { "Alerts" }
                        a href="/#trends" { "Trends" }
                        a href="/#articles-box" { "Articles" }
                        a href="/#feeds" { "Feeds" }
                        @if logout {
                            form.logout method="post" action="/logout" { button type="submit" { "Log out" } }
                        }
                    }
                }
                main { (content) }
            }
        }
    }
}

/// The login page, with an optional error line.
pub fn login(error: Option<&str>) -> Markup {
    let form = html! {
        div.card.login {
            h1 { "steppewatch" }
            p { "This server needs its access token." }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action="/login" {
                label { span { "Token" } input type="password" name="token" autocomplete="current-password" required autofocus; }
                button type="submit" { "Log in" }
            }
        }
    };
    layout("Log in · steppewatch", false, form)
}

/// The URL if it is http(s), the only schemes the page links to (never `javascript:` or `data:`).
pub fn safe_href(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
}

/// `/` filtered by one value.
fn link_with(key: &str, value: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(key, value)
        .finish();
    format!("/?{query}")
}

/// The current filters with the cursor moved to `before`.
fn older_link(q: &ArticleQuery, before: i64) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    let fields = [
        ("country", q.country()),
        ("region", q.region()),
        ("topic", q.topic()),
        ("watchlist", q.watchlist()),
        ("feed", q.feed()),
        ("source_country", q.source_country()),
        ("since", q.since()),
    ];
    for (key, value) in fields {
        if let Some(v) = value {
            s.append_pair(key, &v);
        }
    }
    s.append_pair("before", &before.to_string());
    format!("/?{}", s.finish())
}

fn country_label(code: &str) -> String {
    match COUNTRY_NAMES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
    {
        Some((c, name)) => format!("{name} ({c})"),
        None => code.to_string(),
    }
}

fn non_empty<'a>(s: &'a str, fallback: &'a str) -> &'a str {
    if s.trim().is_empty() { fallback } else { s }
}

/// Cuts `text` to at most `max` characters, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// RFC 3339 in UTC with a `Z`, as the API writes times.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// "5 Sep 2026, 02:49 UTC" from an RFC 3339 time.
fn long_time(rfc: &str) -> String {
    match DateTime::parse_from_rfc3339(rfc) {
        Ok(t) => t
            .with_timezone(&Utc)
            .format("%-d %b %Y, %H:%M UTC")
            .to_string(),
        Err(_) => rfc.to_string(),
    }
}

fn ago_str(rfc: &str, now: DateTime<Utc>) -> String {
    match DateTime::parse_from_rfc3339(rfc) {
        Ok(t) => ago(t.with_timezone(&Utc), now),
        Err(_) => rfc.to_string(),
    }
}

/// "5 min ago", "3 h ago", "yesterday", or a date for anything older than a week.
fn ago(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - t).num_seconds();
    match secs {
        s if s < 0 => short_date(t.date_naive(), now),
        s if s < 60 => "just now".to_string(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s if s < 2 * 86_400 => "yesterday".to_string(),
        s if s < 7 * 86_400 => format!("{} days ago", s / 86_400),
        _ => short_date(t.date_naive(), now),
    }
}

fn short_date(d: NaiveDate, now: DateTime<Utc>) -> String {
    if d.format("%Y").to_string() == now.format("%Y").to_string() {
        d.format("%-d %b").to_string()
    } else {
        d.format("%-d %b %Y").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_links_are_emitted() {
        assert_eq!(
            safe_href("https://example.org/a b").as_deref(),
            Some("https://example.org/a%20b")
        );
        assert_eq!(
            safe_href("http://example.org/").as_deref(),
            Some("http://example.org/")
        );
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,<script>",
            "vbscript:x",
            "/relative",
            "",
        ] {
            assert_eq!(safe_href(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_read_as_people_say_them() {
        let now = DateTime::parse_from_rfc3339("2026-10-18T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(ago(at("2026-10-18T08:55:00Z"), now), "5 min ago");
        assert_eq!(ago(at("2026-10-18T06:00:00Z"), now), "3 h ago");
        assert_eq!(ago(at("2026-10-17T06:00:00Z"), now), "yesterday");
        assert_eq!(ago(at("2026-10-01T06:00:00Z"), now), "1 Oct");
        assert_eq!(ago(at("2025-10-01T06:00:00Z"), now), "1 Oct 2025");
    }

    #[test]
    fn links_keep_filters_and_encode_values() {
        assert_eq!(
            link_with("region", "Fergana Valley"),
            "/?region=Fergana+Valley"
        );
        let q = ArticleQuery {
            country: Some("kz".into()),
            q: Some("rail".into()),
            ..Default::default()
        };
        assert_eq!(older_link(&q, 42), "/?country=KZ&before=42");
        assert_eq!(country_label("kz"), "Kazakhstan (KZ)");
        assert_eq!(country_label("ZZ"), "ZZ");
    }
}
