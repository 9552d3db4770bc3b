//! News list pages -> items, for sites without a usable feed (`kind = "html"`).

use std::collections::HashSet;

use scraper::{ElementRef, Html, Selector};

use super::{ParseError, identity, parse_date};
use crate::extractor::element_text;
use crate::model::{Item, ParsedFeed};
use crate::urlnorm;

/// CSS selectors that find news items on a list page. `link`, `title`, `date`
/// and `summary` are matched inside each `item` element (or by the item
/// element itself, when it matches). A selector left out falls back to a
/// guess that fits common CMS markup (the `GUESSED_*` constants); `summary`
/// has no guess.
///
/// The fields mirror `[feed.selectors]` in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HtmlSelectors {
    /// One element per news item, e.g. `.news-list .item`.
    pub item: Option<String>,
    /// The element whose `href` is the article's address, e.g. `a.title`.
    pub link: Option<String>,
    /// The element whose text is the headline; the link's text when it matches nothing.
    pub title: Option<String>,
    /// The element holding the date: its `datetime`/`content` attribute, else its text.
    pub date: Option<String>,
    /// The element whose text is the teaser.
    pub summary: Option<String>,
}

/// Item elements when no `item` selector is given: HTML5 articles and the
/// class names news CMSs (WordPress themes, 1C-Bitrix, DLE) give list entries.
pub const GUESSED_ITEM: &str =
    "article, .news-item, .news__item, .news-list__item, .news-list-item, .post, .item";
/// The article link when no `link` selector is given: the item's first link.
pub const GUESSED_LINK: &str = "a[href]";
/// The headline when no `title` selector is given; the link's text otherwise.
pub const GUESSED_TITLE: &str = "h1, h2, h3, h4, h5, .title";
/// The date when no `date` selector is given.
pub const GUESSED_DATE: &str = "time, [itemprop=datePublished], .date, [class*=date]";

/// The selectors, compiled.
struct Compiled {
    item: Selector,
    link: Selector,
    title: Selector,
    date: Selector,
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
        let or = |given: &Option<String>, guess: &'static str| {
            given.as_deref().unwrap_or(guess).to_string()
        };
        Ok(Compiled {
            item: compile("item", &or(&self.item, GUESSED_ITEM))?,
            link: compile("link", &or(&self.link, GUESSED_LINK))?,
            title: compile("title", &or(&self.title, GUESSED_TITLE))?,
            date: compile("date", &or(&self.date, GUESSED_DATE))?,
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
    let published = find(el, &sels.date).and_then(date_of);
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

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    const PAGE: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pages/news-list.html"
    ));

    fn selectors() -> HtmlSelectors {
        HtmlSelectors {
            item: Some(".news-list .news-item".into()),
            link: Some("a.news-item__title".into()),
            title: Some("a.news-item__title".into()),
            date: Some(".news-item__date".into()),
            summary: Some(".news-item__lead".into()),
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn list_page_becomes_items() {
        let feed = parse_html_list(PAGE, "https://mfa.tj/ru/news/", &selectors()).unwrap();
        assert_eq!(
            feed.title.as_deref(),
            Some("Новости | Министерство иностранных дел Республики Таджикистан")
        );
        assert_eq!(feed.site_url.as_deref(), Some("https://mfa.tj/ru/news/"));
        let urls: Vec<_> = feed
            .items
            .iter()
            .map(|i| i.url.as_deref().unwrap())
            .collect();
        assert_eq!(
            urls,
            [
                "https://mfa.tj/ru/news/2024/10/18/vstrecha-s-poslom-kitaya",
                "https://mfa.tj/ru/news/2024/10/17/konsultatsii-s-kyrgyzstanom",
                "https://mfa.tj/ru/news/2024/10/16/forum-v-samarkande",
            ],
            "ad block skipped, repeated story kept once, links normalised"
        );
        let first = &feed.items[0];
        assert_eq!(
            first.title,
            "Министр иностранных дел встретился с послом Китая"
        );
        assert_eq!(
            first.summary,
            "Стороны обсудили подготовку визита Председателя КНР в Душанбе и сотрудничество в рамках ШОС."
        );
        assert_eq!(first.published, Some(utc("2024-10-18T05:00:00Z")));
        assert_eq!(first.guid, None);
        assert_eq!(first.identity, identity(None, first.url.as_deref(), "", ""));
        assert_eq!(
            feed.items[1].published,
            Some(utc("2024-10-17T00:00:00Z")),
            "date from text"
        );
        assert_eq!(feed.items[2].published, Some(utc("2024-10-16T00:00:00Z")));
        assert_eq!(feed.items[2].summary, "");
    }

    #[test]
    fn same_page_twice_gives_same_identities() {
        let a = parse_html_list(PAGE, "https://mfa.tj/ru/news/", &selectors()).unwrap();
        let b = parse_html_list(PAGE, "https://mfa.tj/ru/news/?page=1", &selectors()).unwrap();
        assert_eq!(a.items, b.items);
    }

    #[test]
    fn guessed_selectors_fit_common_markup() {
        let feed =
            parse_html_list(PAGE, "https://mfa.tj/ru/news/", &HtmlSelectors::default()).unwrap();
        let guessed: Vec<_> = feed
            .items
            .iter()
            .map(|i| (i.url.clone(), i.title.clone(), i.published))
            .collect();
        let given = parse_html_list(PAGE, "https://mfa.tj/ru/news/", &selectors()).unwrap();
        let expected: Vec<_> = given
            .items
            .iter()
            .map(|i| (i.url.clone(), i.title.clone(), i.published))
            .collect();
        assert_eq!(guessed, expected);
        assert!(
            feed.items.iter().all(|i| i.summary.is_empty()),
            "summary has no guess"
        );
    }

    #[test]
    fn item_that_is_the_link_itself() {
        let html = r#"<ul><li><a class="n" href="/a">First story about Osh</a></li><li><a class="n" href="/b">Second story</a></li></ul>"#;
        let sel = HtmlSelectors {
            item: Some("a.n".into()),
            ..Default::default()
        };
        let feed = parse_html_list(html, "https://24.kg/", &sel).unwrap();
        assert_eq!(feed.items.len(), 2);
        assert_eq!(feed.items[0].url.as_deref(), Some("https://24.kg/a"));
        assert_eq!(feed.items[0].title, "First story about Osh");
    }

    #[test]
    fn invalid_selector_is_reported() {
        let sel = HtmlSelectors {
            item: Some(".ok".into()),
            link: Some("a[".into()),
            ..Default::default()
        };
        let err = sel.check().unwrap_err();
        assert!(
            matches!(&err, ParseError::Selector { field: "link", .. }),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with("invalid css selector for link (\"a[\")"),
            "{err}"
        );
        assert!(parse_html_list(PAGE, "https://mfa.tj/", &sel).is_err());
        assert!(selectors().check().is_ok());
    }
}
