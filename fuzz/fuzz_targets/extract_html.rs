//! HTML -> text: `extractor::html_to_text`, `extractor::sanitize_html_with_base`,
//! `extractor::is_teaser` and `extractor::extract_article`, on the same input.
//!
//! Beyond "no panic": sanitised HTML, parsed again, has no `script`, `style`
//! or `iframe` element, no `on…` handler attribute and no link or image URL
//! outside http(s)/mailto (it is what the web page shows); an extracted
//! canonical URL (which replaces the item's link) is http(s).

#![no_main]

use libfuzzer_sys::fuzz_target;
use scraper::{Html, Selector};
use steppewatch::extractor;

const PAGE: &str = "https://news.example.kz/2026/10/18/story.html";

/// The scheme of a URL as a browser reads it (tabs and newlines removed,
/// surrounding spaces and controls trimmed, case folded); `None` when relative.
fn scheme(url: &str) -> Option<String> {
    let url: String = url
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let url = url.trim_matches(|c: char| c <= ' ');
    let (scheme, _) = url.split_once(':')?;
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    is_scheme.then(|| scheme.to_ascii_lowercase())
}

fn assert_inert(clean: &str) {
    let doc = Html::parse_fragment(clean);
    let all = Selector::parse("*").unwrap();
    for el in doc.select(&all) {
        let name = el.value().name();
        assert!(
            !matches!(name, "script" | "style" | "iframe" | "object" | "embed"),
            "<{name}> survived sanitising: {clean}"
        );
        for (attr, value) in el.value().attrs() {
            assert!(!attr.starts_with("on"), "handler {attr} survived: {clean}");
            if matches!(attr, "href" | "src") {
                let scheme = scheme(value);
                assert!(
                    scheme
                        .as_deref()
                        .is_none_or(|s| ["http", "https", "mailto"].contains(&s)),
                    "{attr}={value:?} survived: {clean}"
                );
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let _ = extractor::html_to_text(&html);
    let _ = extractor::is_teaser(&html, "");
    assert_inert(&extractor::sanitize_html_with_base(&html, PAGE));
    if let Ok(article) = extractor::extract_article(&html, PAGE) {
        assert_inert(&article.html);
        if let Some(canonical) = &article.canonical {
            assert!(
                canonical.starts_with("http://") || canonical.starts_with("https://"),
                "canonical {canonical:?}"
            );
        }
    }
});
