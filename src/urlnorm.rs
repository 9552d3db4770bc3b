//! URL normalisation: one spelling per article URL, so the same story reached
//! through two feeds or two tracking campaigns is recognised as one.

use scraper::{Html, Selector};
use url::Url;

/// Query parameters that only say how the reader arrived, never which page it is.
/// Compared case-insensitively; `utm_*` is handled as a prefix.
pub const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "msclkid",
    "yclid",
    "ysclid",
    "_openstat",
    "mc_cid",
    "mc_eid",
    "ref_src",
    "ref_url",
    "igshid",
    "igsh",
    "twclid",
    "ttclid",
    "wt.mc_id",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "vero_id",
    "oly_enc_id",
    "oly_anon_id",
    "rb_clickid",
    "s_cid",
    "spm",
    "from_source",
];

/// Normalise `url`, resolved against `base` when it is relative.
///
/// Lower-cases scheme and host, drops default ports and the fragment (except
/// `#!` routes, which name a page on some single-page sites), removes tracking
/// parameters and keeps every other parameter in its original order and
/// spelling. Returns `None` for anything that is not an absolute http(s) URL
/// after resolution.
pub fn normalize(url: &str, base: Option<&str>) -> Option<String> {
    let base = base.and_then(|b| Url::parse(b.trim()).ok());
    normalize_against(url, base.as_ref())
}

/// [`normalize`] with the base already parsed (`None`: none, or one that
/// did not parse), for callers resolving many links against one base.
pub fn normalize_against(url: &str, base: Option<&Url>) -> Option<String> {
    let url = url.trim();
    if url.is_empty() {
        return None;
    }
    let mut parsed = match base {
        Some(base) => base.join(url).ok()?,
        None => Url::parse(url).ok()?,
    };
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return None;
    }
    if parsed.fragment().is_some_and(|f| !f.starts_with('!')) {
        parsed.set_fragment(None);
    }
    let query = parsed.query().map(strip_tracking);
    parsed.set_query(query.as_deref().filter(|q| !q.is_empty()));
    Some(parsed.into())
}

/// The query string without tracking parameters; pieces are kept verbatim so
/// that the server sees exactly the encoding it produced.
fn strip_tracking(query: &str) -> String {
    query
        .split('&')
        .filter(|piece| !piece.is_empty() && !is_tracking(piece))
        .collect::<Vec<_>>()
        .join("&")
}

fn is_tracking(piece: &str) -> bool {
    let key = piece
        .split('=')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    key.starts_with("utm_") || TRACKING_PARAMS.contains(&key.as_str())
}

/// The page's `<link rel="canonical">`, normalised and resolved against `page_url`.
///
/// A canonical that points at the site's root from a deeper page is ignored:
/// some CMS templates declare the home page canonical on every article, and
/// trusting that would fold a whole site into one article.
pub fn canonical_from_html(html: &str, page_url: &str) -> Option<String> {
    canonical_from_doc(&Html::parse_document(html), page_url)
}

/// [`canonical_from_html`] for a document that is already parsed.
pub(crate) fn canonical_from_doc(doc: &Html, page_url: &str) -> Option<String> {
    let links = Selector::parse("link[rel][href]").expect("static selector");
    let href = doc
        .select(&links)
        .find(|el| has_token(el.attr("rel").unwrap_or_default(), "canonical"))?
        .attr("href")?;
    let canonical = normalize(href, Some(page_url))?;
    let is_root = |u: &str| Url::parse(u).is_ok_and(|u| u.path() == "/" && u.query().is_none());
    if is_root(&canonical) && !is_root(page_url) {
        return None;
    }
    Some(canonical)
}

/// Whether a space-separated attribute such as `rel` contains `token` (ASCII case-insensitive).
pub(crate) fn has_token(attr: &str, token: &str) -> bool {
    attr.split_ascii_whitespace()
        .any(|t| t.eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_scheme_and_host_and_drops_default_port_and_fragment() {
        assert_eq!(
            normalize("HTTPS://Kabar.KG:443/news/a-1/?id=5#comments", None).as_deref(),
            Some("https://kabar.kg/news/a-1/?id=5")
        );
        assert_eq!(
            normalize("http://24.kg:80/", None).as_deref(),
            Some("http://24.kg/")
        );
        assert_eq!(
            normalize("http://24.kg:8080/x", None).as_deref(),
            Some("http://24.kg:8080/x")
        );
    }

    #[test]
    fn drops_tracking_params_and_keeps_others_in_order() {
        let url = "https://kun.uz/news/2024/01/02/x?utm_source=tg&b=2&fbclid=abc&a=1&UTM_Medium=x&yclid=9&_openstat=q&c=%D0%B0+b";
        assert_eq!(
            normalize(url, None).as_deref(),
            Some("https://kun.uz/news/2024/01/02/x?b=2&a=1&c=%D0%B0+b")
        );
        assert_eq!(
            normalize("https://kun.uz/x?utm_source=tg&gclid=1", None).as_deref(),
            Some("https://kun.uz/x")
        );
    }

    #[test]
    fn resolves_relative_against_base() {
        assert_eq!(
            normalize(
                "../politics/item-7.html",
                Some("https://akipress.com/news/feed.xml")
            )
            .as_deref(),
            Some("https://akipress.com/politics/item-7.html")
        );
        assert_eq!(
            normalize("//tengrinews.kz/a/", Some("https://example.org/")).as_deref(),
            Some("https://tengrinews.kz/a/")
        );
        assert_eq!(
            normalize("https://other.kz/a", Some("https://example.org/")).as_deref(),
            Some("https://other.kz/a")
        );
    }

    #[test]
    fn refuses_non_http_and_garbage() {
        assert_eq!(
            normalize("javascript:alert(1)", Some("https://a.kz/")),
            None
        );
        assert_eq!(normalize("mailto:x@a.kz", None), None);
        assert_eq!(normalize("/relative/without/base", None), None);
        assert_eq!(normalize("   ", None), None);
    }

    #[test]
    fn keeps_hashbang_routes() {
        assert_eq!(
            normalize("https://a.tj/#!/news/12", None).as_deref(),
            Some("https://a.tj/#!/news/12")
        );
    }

    #[test]
    fn canonical_link_wins_and_is_normalised() {
        let html = r#"<html><head><link rel="stylesheet" href="/s.css">
            <link rel="Canonical" href="/ru/news/123/?utm_campaign=x"></head><body></body></html>"#;
        assert_eq!(
            canonical_from_html(html, "https://www.inform.kz/ru/news/123/?amp=1").as_deref(),
            Some("https://www.inform.kz/ru/news/123/")
        );
        assert_eq!(
            canonical_from_html("<p>no head</p>", "https://a.kz/x"),
            None
        );
    }

    #[test]
    fn canonical_pointing_at_home_page_from_article_is_ignored() {
        let html = r#"<link rel="canonical" href="https://asia-plus.tj/">"#;
        assert_eq!(
            canonical_from_html(html, "https://asia-plus.tj/news/1"),
            None
        );
        assert_eq!(
            canonical_from_html(html, "https://asia-plus.tj/").as_deref(),
            Some("https://asia-plus.tj/")
        );
    }
}
