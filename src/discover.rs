//! Feeds of a site found from one of its pages: `<link rel="alternate">`
//! declarations, and the common feed paths for the caller to try.

use scraper::{Html, Selector};

use crate::urlnorm::{self, has_token};

/// Feed paths that CMSs publish by default, most likely first: WordPress,
/// generic static sites, Hugo, Blogger, Joomla, 1C-Bitrix, DLE and Yandex
/// news exports common on Russian-language sites. The caller tries each
/// against the site root until one parses as a feed.
pub const COMMON_FEED_PATHS: &[&str] = &[
    "/feed/",
    "/rss",
    "/rss.xml",
    "/feed.xml",
    "/atom.xml",
    "/index.xml",
    "/rss/",
    "/feed",
    "/index.rss",
    "/feed.json",
    "/rss/all/",
    "/news/rss/",
    "/rss.php",
    "/feeds/posts/default",
    "/?format=feed&type=rss",
    "/export/rss2/index.xml",
];

/// Media types of feeds announced with `<link rel="alternate">`.
const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
    "application/x-rss+xml",
    "text/rss+xml",
];

/// Feed URLs a page announces in `<link rel="alternate" type="...">`,
/// absolute and normalised, without duplicates, in page order except that
/// comment feeds come last (a site's main feed is what the user wants).
pub fn discover_feeds(html: &str, page_url: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let links = Selector::parse("link[rel][href], a[rel][href]").expect("static selector");
    let mut main = Vec::new();
    let mut comments = Vec::new();
    for link in doc.select(&links) {
        let e = link.value();
        let is_feed = has_token(e.attr("rel").unwrap_or_default(), "alternate")
            && e.attr("type")
                .is_some_and(|t| FEED_TYPES.iter().any(|f| t.trim().eq_ignore_ascii_case(f)));
        let Some(url) = is_feed
            .then(|| urlnorm::normalize(e.attr("href")?, Some(page_url)))
            .flatten()
        else {
            continue;
        };
        let title = e.attr("title").unwrap_or_default().to_lowercase();
        let is_comments =
            url.contains("/comments/") || title.contains("comment") || title.contains("коммент");
        if main.contains(&url) || comments.contains(&url) {
            continue;
        }
        if is_comments {
            comments.push(url);
        } else {
            main.push(url);
        }
    }
    main.extend(comments);
    main
}

/// [`COMMON_FEED_PATHS`] joined to the root of `page_url`'s site.
pub fn common_feed_urls(page_url: &str) -> Vec<String> {
    let Ok(root) = url::Url::parse(page_url).and_then(|u| u.join("/")) else {
        return Vec::new();
    };
    COMMON_FEED_PATHS
        .iter()
        .filter_map(|p| urlnorm::normalize(p, Some(root.as_str())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_alternate_links_resolves_them_and_puts_comments_last() {
        let html = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/feeds/broken/not-a-feed.html"
        ));
        assert_eq!(
            discover_feeds(html, "https://tengrinews.kz/kazakhstan_news/"),
            [
                "https://tengrinews.kz/news.rss",
                "https://tengrinews.kz/atom.xml",
                "https://tengrinews.kz/feed.json",
                "https://tengrinews.kz/comments/feed/",
            ]
        );
    }

    #[test]
    fn ignores_non_feed_alternates_and_duplicates() {
        let html = r#"<link rel="alternate" hreflang="uz" href="/uz/">
            <link rel="alternate" type="application/json" href="/wp-json/">
            <link rel="alternate feed" type="Application/RSS+XML" href="/rss?utm_source=x">
            <link rel="alternate" type="application/rss+xml" href="https://kun.uz/rss">"#;
        assert_eq!(
            discover_feeds(html, "https://kun.uz/"),
            ["https://kun.uz/rss"]
        );
        assert!(discover_feeds("<p>nothing</p>", "https://kun.uz/").is_empty());
    }

    #[test]
    fn common_urls_are_on_the_site_root() {
        let urls = common_feed_urls("https://24.kg/ekonomika/309850_x/?a=1");
        assert_eq!(urls[0], "https://24.kg/feed/");
        assert!(urls.contains(&"https://24.kg/rss.xml".to_string()));
        assert!(urls.contains(&"https://24.kg/?format=feed&type=rss".to_string()));
        assert_eq!(urls.len(), COMMON_FEED_PATHS.len());
        assert!(common_feed_urls("not a url").is_empty());
    }
}
