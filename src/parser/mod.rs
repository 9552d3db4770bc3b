//! Feed bytes -> `ParsedFeed` (RSS 0.9x/1.0/2.0, Atom, JSON Feed) via feed-rs,
//! with charset detection, plain-text summaries, absolute normalised links,
//! tolerant dates and a deterministic identity per item; news list pages
//! (`kind = "html"`) -> the same `ParsedFeed` through CSS selectors.

pub mod charset;
mod dates;
mod html_list;

use feed_rs::model::{Content, Entry, Feed, Link, Text};
use sha2::{Digest, Sha256};

pub use dates::{MAX_FUTURE, clamp_published, parse_date};
pub use html_list::{HtmlSelectors, parse_html_list};

use crate::extractor::{html_to_line, html_to_text, sanitize_html_with_base};
use crate::model::{Item, ParsedFeed};
use crate::urlnorm;

/// Why a document could not be read as a feed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("document is empty")]
    Empty,
    /// The document is a web page; the caller may look for its feeds (`discover`).
    #[error("document is an html page, not a feed")]
    Html,
    #[error("invalid feed: {0}")]
    Feed(#[source] feed_rs::parser::ParseFeedError),
    #[error("invalid css selector for {field} ({selector:?}): {reason}")]
    Selector {
        field: &'static str,
        selector: String,
        reason: String,
    },
}

/// Parse a feed document as received from the server.
///
/// `bytes` are the raw body (never text decoded by the HTTP client), and
/// `content_type` the Content-Type header, whose `charset=` is honoured (see
/// [`charset`]). `base_url` is the feed's URL: relative links resolve
/// against it (or against the feed's own `xml:base`).
///
/// Summaries and content become plain text; content given as HTML is kept,
/// sanitised and with absolute links, in `Item::body_html`. An item without
/// a published date takes its updated date. Items get their identity from
/// [`identity`]; ids that feed-rs would invent are never used.
///
/// # Errors
///
/// [`ParseError::Empty`] for an empty body, [`ParseError::Html`] for a web
/// page, and [`ParseError::Feed`] for anything else feed-rs cannot read.
pub fn parse(
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: &str,
) -> Result<ParsedFeed, ParseError> {
    parse_with(bytes, content_type, base_url, Html::Keep)
}

/// [`parse`] without `Item::body_html`: every item's text as plain text
/// only. The ingest stores and matches plain text, so the sanitised HTML
/// would be made (a second HTML parse of every content body) only to be
/// dropped; on the cold ingest bench the 200 feeds' HTML copies were 1.7 MB
/// of the peak heap (heaptrack).
///
/// # Errors
///
/// As [`parse`].
pub fn parse_text(
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: &str,
) -> Result<ParsedFeed, ParseError> {
    parse_with(bytes, content_type, base_url, Html::Drop)
}

/// Whether content given as HTML is kept, sanitised, in `Item::body_html`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Html {
    Keep,
    Drop,
}

fn parse_with(
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: &str,
    html: Html,
) -> Result<ParsedFeed, ParseError> {
    let decoded = charset::decode_text(bytes, content_type);
    let text = charset::strip_prolog_encoding(&decoded);
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let feed = feed_parser(base_url).parse(text.as_bytes()).map_err(|e| {
        if looks_like_html(&text) {
            ParseError::Html
        } else {
            ParseError::Feed(e)
        }
    })?;
    Ok(into_parsed(feed, &text, base_url, html))
}

/// The feed's URL, parsed once for resolving every item's links.
struct Base<'a> {
    text: &'a str,
    parsed: Option<url::Url>,
}

impl<'a> Base<'a> {
    fn new(text: &'a str) -> Self {
        Base {
            text,
            parsed: url::Url::parse(text.trim()).ok(),
        }
    }
}

/// feed-rs configured for us: our date parser, no sanitising (we do it), and
/// an id generator that returns "" so an empty id means "the feed gave none".
fn feed_parser(base_url: &str) -> feed_rs::parser::Parser {
    let base = url::Url::parse(base_url).is_ok().then_some(base_url);
    feed_rs::parser::Builder::new()
        .base_uri(base)
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(parse_date)
        .sanitize_content(false)
        .build()
}

fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    head.contains("<!doctype html") || head.contains("<html")
}

fn into_parsed(feed: Feed, text: &str, base_url: &str, html: Html) -> ParsedFeed {
    let base = Base::new(base_url);
    ParsedFeed {
        title: feed
            .title
            .as_ref()
            .map(single_line)
            .filter(|t| !t.is_empty()),
        site_url: primary_link(&feed.links, &base),
        ttl_secs: feed
            .ttl
            .map(|minutes| u64::from(minutes) * 60)
            .or_else(|| syndication_period(text)),
        items: feed
            .entries
            .into_iter()
            .map(|e| into_item(e, &base, html))
            .collect(),
    }
}

fn into_item(entry: Entry, base: &Base<'_>, html: Html) -> Item {
    let guid = Some(entry.id.trim())
        .filter(|g| !g.is_empty())
        .map(str::to_string);
    let url = primary_link(&entry.links, base);
    let title = entry.title.as_ref().map(single_line).unwrap_or_default();
    let summary = entry.summary.as_ref().map(text_of).unwrap_or_default();
    let (body, body_html) = entry
        .content
        .as_ref()
        .map(|c| content_of(c, url.as_deref().unwrap_or(base.text), html))
        .unwrap_or_default();
    // The text is part of the identity only for items with neither guid nor
    // link; the others need not copy it.
    let content = if guid.is_none() && url.is_none() {
        format!("{summary}\n{body}")
    } else {
        String::new()
    };
    let identity = identity(guid.as_deref(), url.as_deref(), &title, &content);
    Item {
        identity,
        guid,
        url,
        title,
        summary,
        body,
        body_html,
        published: entry.published.or(entry.updated),
        updated: entry.updated,
    }
}

/// The link that names the page itself (no `rel`, or `rel="alternate"`),
/// resolved and normalised; comment, enclosure and self links are not it.
fn primary_link(links: &[Link], base: &Base<'_>) -> Option<String> {
    links
        .iter()
        .filter(|l| {
            l.target.is_none()
                && l.rel
                    .as_deref()
                    .is_none_or(|r| r.eq_ignore_ascii_case("alternate"))
        })
        .find_map(|l| urlnorm::normalize_against(&l.href, base.parsed.as_ref()))
}

fn is_html(media_type: &str) -> bool {
    media_type.contains("html")
}

/// Plain text of a feed text construct. Text declared plain is still
/// entity-decoded when it has no tags, as feeds often escape twice.
fn text_of(t: &Text) -> String {
    to_text(&t.content, is_html(t.content_type.as_str()))
}

fn to_text(s: &str, html: bool) -> String {
    if html || !s.contains('<') {
        html_to_text(s)
    } else {
        s.split("\n\n")
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

/// [`text_of`] on one line: every run of whitespace one space.
fn single_line(t: &Text) -> String {
    let s = &t.content;
    if is_html(t.content_type.as_str()) || !s.contains('<') {
        html_to_line(s)
    } else {
        collapse(s)
    }
}

/// Plain text and, for HTML content, sanitised HTML with links made absolute against `base`.
fn content_of(c: &Content, base: &str, html: Html) -> (String, Option<String>) {
    let Some(body) = c.body.as_deref() else {
        return (String::new(), None);
    };
    let media = c.content_type.as_str();
    if is_html(media) {
        let sanitized = (html == Html::Keep).then(|| sanitize_html_with_base(body, base));
        (html_to_text(body), sanitized)
    } else if media.starts_with("text/") {
        (to_text(body, false), None)
    } else {
        (String::new(), None)
    }
}

/// `sy:updatePeriod`/`sy:updateFrequency` (RSS syndication module) in seconds.
/// feed-rs does not read them, so they are taken from the text.
fn syndication_period(xml: &str) -> Option<u64> {
    // One vectorised scan rules out almost every feed; `element_text`'s
    // searches would each read the whole document.
    if !xml.contains("updatePeriod>") {
        return None;
    }
    let period = match element_text(xml, "updatePeriod")?
        .to_ascii_lowercase()
        .as_str()
    {
        "hourly" => 3600,
        "daily" => 86_400,
        "weekly" => 7 * 86_400,
        "monthly" => 30 * 86_400,
        "yearly" => 365 * 86_400,
        _ => return None,
    };
    let frequency = element_text(xml, "updateFrequency")
        .and_then(|f| f.parse::<u64>().ok())
        .filter(|f| *f > 0)
        .unwrap_or(1);
    Some(period / frequency)
}

/// Text of the first `<prefix:local>` (or unprefixed `<local>`) element.
fn element_text<'a>(xml: &'a str, local: &str) -> Option<&'a str> {
    [format!(":{local}>"), format!("<{local}>")]
        .iter()
        .find_map(|open| {
            let start = xml.find(open.as_str())? + open.len();
            let len = xml[start..].find('<')?;
            Some(xml[start..start + len].trim())
        })
}

/// The identity of a feed item, stable across polls and reorderings.
///
/// The chain, first that applies (hex SHA-256 of a tagged key):
/// 1. the item's own id (RSS `guid`, Atom `id`, JSON Feed `id`), trimmed;
/// 2. else its URL, normalised (see [`urlnorm::normalize`]), so tracking
///    parameters and fragments do not make a new item;
/// 3. else its title and text, whitespace-collapsed.
///
/// The id a feed gives is trusted first because publishers keep it when they
/// fix a typo in the title or move the URL. The library's invented id is
/// never used: feed-rs makes a random UUID for items with neither guid nor
/// link, which would turn every poll into new articles.
pub fn identity(guid: Option<&str>, url: Option<&str>, title: &str, content: &str) -> String {
    let guid = guid.map(str::trim).filter(|g| !g.is_empty());
    let url = url.map(str::trim).filter(|u| !u.is_empty());
    let key = match (guid, url) {
        (Some(g), _) => format!("guid\n{g}"),
        (None, Some(u)) => format!(
            "url\n{}",
            urlnorm::normalize(u, None).as_deref().unwrap_or(u)
        ),
        (None, None) => format!("text\n{}\n{}", collapse(title), collapse(content)),
    };
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for b in Sha256::digest(key.as_bytes()) {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0xF)]));
    }
    hex
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
