//! `/watchlists/{name}/feed.atom`: the newest articles a watchlist matched, as
//! an Atom 1.0 feed any feed reader can subscribe to.

use super::{ApiError, AppState};
use crate::store::articles::{ArticleFilter, ArticleView};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, PreEscaped, html};

/// Entries per feed: readers poll often, so the newest 50 are plenty.
pub const FEED_ENTRIES: usize = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/watchlists/{name}/feed.atom", get(feed))
}

/// The path of a watchlist's feed, its name percent-encoded.
pub fn path_for(watchlist: &str) -> String {
    format!("/watchlists/{}/feed.atom", encode(watchlist))
}

async fn feed(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    if !state
        .engine()
        .config
        .watchlists
        .iter()
        .any(|w| w.name == name)
    {
        return Err(ApiError::NotFound(format!(
            "no watchlist {name:?} in the running configuration"
        )));
    }
    let filter = ArticleFilter {
        watchlist: Some(name.clone()),
        limit: FEED_ENTRIES,
        ..Default::default()
    };
    let articles = state
        .with_store(move |store| store.list_articles(&filter))
        .await?;
    let body = render(&name, &articles, chrono::Utc::now()).into_string();
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        body,
    )
        .into_response())
}

/// The feed document. maud escapes `& < > "`, which is all XML text and
/// double-quoted attributes need; [`xml_text`] removes the characters XML 1.0
/// forbids outright.
pub fn render(
    watchlist: &str,
    articles: &[ArticleView],
    now: chrono::DateTime<chrono::Utc>,
) -> Markup {
    let updated = articles
        .first()
        .map(|a| a.published.clone())
        .unwrap_or_else(|| super::pages::rfc3339(now));
    html! {
        (PreEscaped("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"))
        feed xmlns="http://www.w3.org/2005/Atom" {
            id { "urn:steppewatch:watchlist:" (encode(watchlist)) }
            title { "steppewatch: " (xml_text(watchlist)) }
            subtitle { "Articles matching the watchlist " (xml_text(watchlist)) }
            updated { (updated) }
            author { name { "steppewatch" } }
            generator uri="https://github.com/steppewatch/steppewatch" version=(env!("CARGO_PKG_VERSION")) { "steppewatch" }
            link rel="self" type="application/atom+xml" href=(path_for(watchlist)) {}
            link rel="alternate" type="text/html" href=(format!("/?watchlist={}", encode(watchlist))) {}
            @for a in articles {
                (entry(a))
            }
        }
    }
}

fn entry(a: &ArticleView) -> Markup {
    html! {
        entry {
            id { "urn:steppewatch:article:" (a.id) }
            title type="text" { (xml_text(&a.title)) }
            @if let Some(href) = super::pages::safe_href(&a.url) {
                link rel="alternate" type="text/html" href=(href) {}
            }
            published { (a.published) }
            updated { (a.published) }
            author { name { (xml_text(&a.feed)) } }
            @for c in &a.countries { category scheme="urn:steppewatch:country" term=(xml_text(c)) {} }
            @for r in &a.regions { category scheme="urn:steppewatch:region" term=(xml_text(r)) {} }
            @for t in &a.topics { category scheme="urn:steppewatch:topic" term=(xml_text(t)) {} }
            summary type="text" { (xml_text(&a.summary)) }
        }
    }
}

/// Removes characters XML 1.0 does not allow anywhere (C0 controls other than
/// tab, newline and carriage return; U+FFFE and U+FFFF); a feed text with one
/// would otherwise make the whole document unreadable.
pub fn xml_text(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
        })
        .collect()
}

/// Percent-encodes everything but unreserved URL characters.
fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(id: i64, title: &str, url: &str) -> ArticleView {
        ArticleView {
            id,
            url: url.to_string(),
            title: title.to_string(),
            feed: "Feed & Co".to_string(),
            published: "2026-10-18T09:00:00Z".to_string(),
            fetched: "2026-10-18T09:05:00Z".to_string(),
            lang: Some("en".to_string()),
            summary: "Summary with <b>tags</b> and a \u{1} control".to_string(),
            countries: vec!["KZ".to_string()],
            regions: vec![],
            topics: vec!["trade".to_string()],
            watchlists: vec!["xinjiang".to_string()],
            sources: vec![],
            source_country: None,
            story: id,
        }
    }

    #[test]
    fn renders_a_feed_feed_rs_can_read() {
        let articles = vec![
            article(
                2,
                "Trains <script>alert(1)</script> & more",
                "https://example.org/a?x=1&y=2",
            ),
            article(1, "No link", "javascript:alert(1)"),
        ];
        let now = chrono::Utc::now();
        let xml = render("rail way", &articles, now).into_string();
        assert!(!xml.contains("<script>"), "{xml}");
        assert!(!xml.contains("javascript:"), "{xml}");
        let feed = feed_rs::parser::parse(xml.as_bytes()).expect("valid Atom");
        assert_eq!(feed.entries.len(), 2);
        let first = &feed.entries[0];
        assert_eq!(
            first.title.as_ref().unwrap().content,
            "Trains <script>alert(1)</script> & more"
        );
        assert_eq!(first.links[0].href, "https://example.org/a?x=1&y=2");
        assert!(feed.entries[1].links.is_empty());
        assert_eq!(
            first.summary.as_ref().unwrap().content,
            "Summary with <b>tags</b> and a  control"
        );
        assert_eq!(first.categories.len(), 2);
        assert_eq!(feed.title.unwrap().content, "steppewatch: rail way");
    }

    #[test]
    fn xml_text_drops_only_forbidden_characters() {
        assert_eq!(
            xml_text("a\u{0}b\u{8}c\td\ne\u{FFFF}f Ж 新"),
            "abc\td\nef Ж 新"
        );
    }
}
