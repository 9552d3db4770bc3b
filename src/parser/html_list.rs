//! News list pages -> items, for sites without a usable feed (`kind = "html"`).

use std::collections::HashSet;

use scraper::{ElementRef, Html, Selector};

use super::{ParseError, identity, parse_date};
use crate::extractor::element_text;
use crate::model::{Item, ParsedFeed};
use crate::urlnorm;

/// CSS selectors that find news items on a list page. `link`, `title`, `date`
/// and `summary` are matched inside each `item` element (or by the item
/// element itself, when it matches).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HtmlSelectors {
    /// One element per news item, e.g. `.news-list .item`.
    pub item: String,
    /// The element whose `href` is the article's address, e.g. `a.title`.
    pub link: String,
    /// The element whose text is the headline; the link's text when it matches nothing.
    pub title: String,
    /// The element holding the date: its `datetime`/`content` attribute, else its text.
    pub date: Option<String>,
    /// The element whose text is the teaser.
    pub summary: Option<String>,
}

/// The selectors, compiled.
struct Compiled {
    item: Selector,
    link: Selector,
    title: Selector,
    date: Option<Selector>,
    summary: Option<Selector>,
}

impl HtmlSelectors {
    /// Check that every selector is valid CSS, for configuration validation.
    ///
    /// # Errors
    ///
    /// [`ParseError::Selector`] naming the first invalid selector.
    pub fn check(&self) -> Result<(), ParseError> {
        self.compile().map(drop)
    }

    fn compile(&self) -> Result<Compiled, ParseError> {
        let compile = |field: &'static str, selector: &str| {
            Selector::parse(selector).map_err(|e| ParseError::Selector {
                field,
                selector: selector.to_string(),
                reason: e.to_string(),
            })
        };
        Ok(Compiled {
            item: compile("item", &self.item)?,
            link: compile("link", &self.link)?,
            title: compile("title", &self.title)?,
            date: self
                .date
                .as_deref()
                .map(|s| compile("date", s))
                .transpose()?,
            summary: self
                .summary
                .as_deref()
                .map(|s| compile("summary", s))
                .transpose()?,
        })
    }
}

/// Items of a news list page, in page order, each with the same identity
/// rules as feed items (no guid, so the normalised link decides). An element
/// with neither link nor title is skipped, and an article listed twice on
/// the page (a teaser block and the list) is kept once.
///
/// # Errors
///
/// [`ParseError::Selector`] when a selector is not valid CSS.
pub fn parse_html_list(
    html: &str,
    page_url: &str,
    sel: &HtmlSelectors,
) -> Result<ParsedFeed, ParseError> {
    let sels = sel.compile()?;
    let doc = Html::parse_document(html);
    let mut seen = HashSet::new();
    let items = doc
        .select(&sels.item)
        .filter_map(|el| list_item(el, &sels, page_url))
        .filter(|item| seen.insert(item.identity.clone()))
        .collect();
    let title_sel = Selector::parse("title").expect("static selector");
    Ok(ParsedFeed {
        title: doc
            .select(&title_sel)
            .next()
            .map(|t| one_line(&element_text(t)))
            .filter(|t| !t.is_empty()),
        site_url: urlnorm::normalize(page_url, None),
        ttl_secs: None,
        items,
    })
}

fn list_item(el: ElementRef<'_>, sels: &Compiled, page_url: &str) -> Option<Item> {
    let link = find(el, &sels.link);
    let url = link
        .and_then(|l| l.attr("href"))
        .and_then(|h| urlnorm::normalize(h, Some(page_url)));
    let title = find(el, &sels.title)
        .or(link)
        .map(|t| one_line(&element_text(t)))
        .filter(|t| !t.is_empty())
        .or_else(|| link.and_then(|l| l.attr("title")).map(one_line))
        .unwrap_or_default();
    if url.is_none() && title.is_empty() {
        return None;
    }
    let summary = sels
        .summary
        .as_ref()
        .and_then(|s| find(el, s))
        .map(element_text)
        .unwrap_or_default();
    let published = sels
        .date
        .as_ref()
        .and_then(|s| find(el, s))
        .and_then(date_of);
    Some(Item {
        identity: identity(None, url.as_deref(), &title, &summary),
        guid: None,
        url,
        title,
        summary,
        body: String::new(),
        body_html: None,
        published,
        updated: None,
    })
}

/// The item element itself if it matches, else its first matching descendant.
fn find<'a>(el: ElementRef<'a>, sel: &Selector) -> Option<ElementRef<'a>> {
    if sel.matches(&el) {
        Some(el)
    } else {
        el.select(sel).next()
    }
}

fn date_of(el: ElementRef<'_>) -> Option<chrono::DateTime<chrono::Utc>> {
    ["datetime", "content", "title"]
        .iter()
        .filter_map(|a| el.attr(a))
        .find_map(parse_date)
        .or_else(|| parse_date(&element_text(el)))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
