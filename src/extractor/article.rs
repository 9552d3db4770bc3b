//! Readability-style main-text extraction from a full article page.
//!
//! Paragraphs are scored (length, commas) and their score flows to the
//! containers above them; containers are weighted by class/id hints and
//! penalised by link density. The best container, with sibling blocks that
//! look like its continuation, is the article; boilerplate inside it (share
//! widgets, "read also" blocks, tag lists, ad labels, comments) is dropped.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ego_tree::iter::Edge;
use ego_tree::{NodeId, NodeRef};
use scraper::{ElementRef, Html, Node, Selector};

use super::{INVISIBLE_TAGS, TextWriter, element_text, sanitize_html_with_base, write_text};
use crate::parser::parse_date;
use crate::urlnorm;

/// The main content of an article page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extracted {
    /// Plain text, paragraphs separated by a blank line.
    pub text: String,
    /// The same content as sanitised HTML with absolute links.
    pub html: String,
    pub title: Option<String>,
    /// The page's `<link rel="canonical">`, normalised.
    pub canonical: Option<String>,
    /// From `article:published_time`, `datePublished` or a `<time>` element.
    pub published: Option<DateTime<Utc>>,
}

/// Why no article text could be taken from a page.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("no article text found on {url}")]
    NoContent { url: String },
    #[error("article text on {url} is too short ({chars} characters)")]
    TooShort { url: String, chars: usize },
}

/// Fewer characters than this is a stub, a paywall or an error page, not an article.
pub const MIN_ARTICLE_CHARS: usize = 120;

/// A paragraph shorter than this (weighted length) is a label or a caption and earns no score.
const MIN_PARAGRAPH_LEN: usize = 25;

/// Blocks this long or longer are never dropped for starting with a "read also"
/// marker: a marker at the top of a long block is part of the article.
const MARKER_BLOCK_MAX_CHARS: usize = 600;

/// Layout elements that never hold article text.
const BOILERPLATE_TAGS: &[&str] = &[
    "nav",
    "footer",
    "aside",
    "form",
    "menu",
    "dialog",
    "header",
    "amp-ad",
    "amp-embed",
    "amp-sidebar",
    "amp-social-share",
    "amp-analytics",
    "amp-sticky-ad",
    "amp-consent",
];

/// Elements whose text is scored as a paragraph of their parent.
const PARAGRAPH_TAGS: &[&str] = &["p", "pre", "blockquote", "td"];

/// Elements whose text is never loose block text: paragraphs, and list items,
/// headings and captions, which are too short or too link-heavy to vouch for
/// a container.
const NOT_LOOSE_TAGS: &[&str] = &[
    "p",
    "pre",
    "blockquote",
    "td",
    "th",
    "li",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "caption",
    "figcaption",
    "button",
    "label",
    "option",
    "title",
];

/// Inline elements: text inside them belongs to the nearest enclosing block.
const INLINE_TAGS: &[&str] = &[
    "a", "b", "i", "em", "strong", "span", "font", "u", "small", "big", "sup", "sub", "mark",
    "abbr", "time", "cite", "q", "s", "code", "label", "br", "wbr", "img", "nobr",
];

/// Class/id words (or word prefixes) of blocks that are not the article.
/// Matched as substrings of each lower-cased class/id word.
const NEGATIVE_SUBSTRINGS: &[&str] = &[
    "comment",
    "share",
    "sharing",
    "social",
    "related",
    "sidebar",
    "footer",
    "breadcrumb",
    "banner",
    "promo",
    "sponsor",
    "subscri",
    "newsletter",
    "popular",
    "recommend",
    "similar",
    "widget",
    "pagination",
    "pager",
    "cookie",
    "popup",
    "modal",
    "toolbar",
    "disqus",
    "masthead",
    "navbar",
    "navigation",
    "menu",
    "readalso",
    "readmore",
    "advert",
    "reklam",
    "rating",
    "yandex",
    "adsbygoogle",
    "adfox",
    "outbrain",
    "taboola",
    "mostread",
];

/// Short class/id words that are negative only as whole words.
const NEGATIVE_WORDS: &[&str] = &[
    "ad", "ads", "adv", "nav", "tag", "tags", "meta", "foot", "also", "more", "print", "login",
    "search", "header", "hidden", "counter", "lenta", "vrezka", "xgxw", "xgyd", "author",
];

/// Class/id word prefixes that mark article containers; they also rescue a
/// block with a negative word that holds most of the article
/// (`content-sidebar-wrap`).
const POSITIVE_PREFIXES: &[&str] = &[
    "article", "content", "entry", "post", "text", "story", "detail", "main", "body", "hentry",
    "news", "field", "node", "cont", "zw",
];

/// The subset of [`POSITIVE_PREFIXES`] strong enough to keep a block that also has a negative word.
const RESCUE_PREFIXES: &[&str] = &[
    "article", "content", "entry", "text", "story", "detail", "main", "body",
];

/// Leading texts of "read also", share, tag and comment blocks, lower-cased.
const BOILERPLATE_MARKERS: &[&str] = &[
    "читайте также",
    "читайте нас",
    "смотрите также",
    "см. также",
    "также читайте",
    "похожие новости",
    "другие новости",
    "новости по теме",
    "по теме:",
    "поделиться",
    "подписывайтесь",
    "комментарии",
    "добавить комментарий",
    "оставить комментарий",
    "теги:",
    "read also",
    "also read",
    "read more:",
    "see also",
    "related:",
    "related articles",
    "related news",
    "related posts",
    "more news",
    "more stories",
    "share this",
    "share:",
    "follow us",
    "leave a reply",
    "comments",
    "tags:",
    "оқи",
    "оқыңыз",
    "тағы оқыңыз",
    "шунингдек ўқинг",
    "shuningdek o",
    "также читайте",
    "相关新闻",
    "相关阅读",
    "延伸阅读",
    "推荐阅读",
    "更多新闻",
    "分享到",
];

/// Whole texts of ad captions.
const AD_LABELS: &[&str] = &[
    "реклама",
    "advertisement",
    "ad",
    "sponsored",
    "sponsored content",
    "广告",
    "жарнама",
    "reklama",
];

/// Extract the article's main text from a full HTML page.
///
/// # Errors
///
/// [`ExtractError::NoContent`] when no block of paragraphs is found, and
/// [`ExtractError::TooShort`] when the best block has fewer than
/// [`MIN_ARTICLE_CHARS`] characters; the caller keeps the feed's own text.
pub fn extract_article(html: &str, page_url: &str) -> Result<Extracted, ExtractError> {
    let doc = Html::parse_document(html);
    let blocks = main_blocks(&doc).ok_or_else(|| ExtractError::NoContent {
        url: page_url.to_string(),
    })?;
    let total: usize = blocks.iter().map(|b| text_stats(*b).chars).sum();
    let drop =
        |el: ElementRef<'_>| !blocks.iter().any(|b| b.id() == el.id()) && is_dropped(el, total);

    let mut w = TextWriter::default();
    let mut raw_html = String::new();
    for block in &blocks {
        write_text(**block, &drop, &mut w);
        w.request(super::Break::Paragraph);
        write_html(**block, &drop, &mut raw_html);
    }
    let text = w.finish();
    let chars = text.chars().count();
    if chars < MIN_ARTICLE_CHARS {
        return Err(ExtractError::TooShort {
            url: page_url.to_string(),
            chars,
        });
    }
    Ok(Extracted {
        text,
        html: sanitize_html_with_base(&raw_html, page_url),
        title: title(&doc),
        canonical: urlnorm::canonical_from_doc(&doc, page_url),
        published: published(&doc),
    })
}

/// The winning container and the siblings that continue it, in document order.
fn main_blocks(doc: &Html) -> Option<Vec<ElementRef<'_>>> {
    let scores = score_candidates(doc);
    let (top, top_score) = scores
        .iter()
        .filter_map(|(id, score)| {
            let el = ElementRef::wrap(doc.tree.get(*id)?)?;
            Some((el, score * (1.0 - text_stats(el).link_density())))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    let Some(parent) = top.parent().filter(|_| top_score > 0.0) else {
        return Some(vec![top]);
    };
    let threshold = (top_score * 0.2).max(10.0);
    let blocks = parent
        .children()
        .filter_map(ElementRef::wrap)
        .filter(|el| {
            el.id() == top.id() || continues_article(*el, scores.get(&el.id()).copied(), threshold)
        })
        .collect();
    Some(blocks)
}

/// Whether a sibling of the winner is more of the article (a split body, a lone paragraph).
fn continues_article(el: ElementRef<'_>, score: Option<f64>, threshold: f64) -> bool {
    if is_unlikely(el) {
        return false;
    }
    let stats = text_stats(el);
    if score.is_some_and(|s| s * (1.0 - stats.link_density()) >= threshold) {
        return true;
    }
    el.value().name() == "p" && stats.chars > 80 && stats.link_density() < 0.25
}

/// Content scores of candidate containers, before the link-density penalty.
fn score_candidates(doc: &Html) -> HashMap<NodeId, f64> {
    let mut scores = HashMap::new();
    let mut excluded = None;
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) if excluded.is_none() => match node.value() {
                Node::Element(e) => {
                    let el = ElementRef::wrap(node).expect("element node");
                    if INVISIBLE_TAGS.contains(&e.name()) || is_unlikely(el) {
                        excluded = Some(node.id());
                    } else if PARAGRAPH_TAGS.contains(&e.name()) {
                        let text = element_text(el);
                        if let Some(parent) = node.parent() {
                            add_paragraph(&mut scores, parent, &text);
                        }
                    }
                }
                Node::Text(t) => {
                    if let Some(block) = loose_text_block(node) {
                        add_paragraph(&mut scores, block, t);
                    }
                }
                _ => {}
            },
            Edge::Close(node) if excluded == Some(node.id()) => excluded = None,
            _ => {}
        }
    }
    scores
}

/// For text that sits directly in a non-paragraph block (`<div>text<br><br>text</div>`,
/// as 1C-Bitrix and older CMSs write), the block it belongs to.
fn loose_text_block(text: NodeRef<'_, Node>) -> Option<NodeRef<'_, Node>> {
    let block = text.ancestors().find(|a| match a.value() {
        Node::Element(e) => !INLINE_TAGS.contains(&e.name()),
        _ => true,
    })?;
    match block.value() {
        Node::Element(e) if !NOT_LOOSE_TAGS.contains(&e.name()) => {
            let inside_paragraph = block.ancestors().any(
                |a| matches!(a.value(), Node::Element(e) if NOT_LOOSE_TAGS.contains(&e.name())),
            );
            (!inside_paragraph).then_some(block)
        }
        _ => None,
    }
}

/// Credits a paragraph's score to `start` in full, its parent by half and its
/// grandparent by a sixth, as readability does.
fn add_paragraph(scores: &mut HashMap<NodeId, f64>, start: NodeRef<'_, Node>, text: &str) {
    let len = weighted_len(text);
    if len < MIN_PARAGRAPH_LEN {
        return;
    }
    let commas = text
        .chars()
        .filter(|c| matches!(c, ',' | '，' | '、' | '،' | '；'))
        .count();
    let score = 1.0 + commas as f64 + (len as f64 / 100.0).min(3.0);
    let levels = std::iter::successors(Some(start), |n| n.parent()).take(3);
    for (level, node) in levels.enumerate() {
        let Some(el) = ElementRef::wrap(node) else {
            break;
        };
        let divider = [1.0, 2.0, 6.0][level];
        *scores.entry(node.id()).or_insert_with(|| initial_score(el)) += score / divider;
    }
}

/// A container's starting score from its tag and its class/id words.
fn initial_score(el: ElementRef<'_>) -> f64 {
    let tag = match el.value().name() {
        "div" => 5.0,
        "article" | "main" => 10.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    };
    let hints = Hints::of(el);
    let itemprop = el
        .attr("itemprop")
        .is_some_and(|p| p.eq_ignore_ascii_case("articleBody"));
    tag + if hints.positive || itemprop {
        25.0
    } else {
        0.0
    } - if hints.negative { 25.0 } else { 0.0 }
}

/// What an element's class and id say about it.
#[derive(Debug, Clone, Copy, Default)]
struct Hints {
    positive: bool,
    negative: bool,
    rescue: bool,
}

impl Hints {
    fn of(el: ElementRef<'_>) -> Hints {
        let e = el.value();
        let attrs = [e.attr("class"), e.id()];
        let words = attrs
            .into_iter()
            .flatten()
            .flat_map(|a| a.split(|c: char| !c.is_alphanumeric()))
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase);
        let mut hints = Hints::default();
        for w in words {
            hints.negative |= NEGATIVE_WORDS.contains(&w.as_str())
                || NEGATIVE_SUBSTRINGS.iter().any(|n| w.contains(n));
            hints.positive |= POSITIVE_PREFIXES.iter().any(|p| w.starts_with(p));
            hints.rescue |= RESCUE_PREFIXES.iter().any(|p| w.starts_with(p));
        }
        hints
    }
}

/// Blocks that are never article text, whatever they contain: layout tags,
/// hidden elements, and class/id names of comments, menus, share bars and the like.
fn is_unlikely(el: ElementRef<'_>) -> bool {
    let e = el.value();
    if matches!(e.name(), "html" | "body" | "main") {
        return false;
    }
    if BOILERPLATE_TAGS.contains(&e.name()) || is_hidden(el) {
        return true;
    }
    let hints = Hints::of(el);
    hints.negative && !hints.rescue
}

fn is_hidden(el: ElementRef<'_>) -> bool {
    let e = el.value();
    let style = e
        .attr("style")
        .unwrap_or_default()
        .to_ascii_lowercase()
        .replace(' ', "");
    e.attr("hidden").is_some()
        || style.contains("display:none")
        || style.contains("visibility:hidden")
}

/// Whether an element inside the article is boilerplate to drop; `total` is
/// the article's text length, so a flagged wrapper holding most of it is kept.
fn is_dropped(el: ElementRef<'_>, total: usize) -> bool {
    let e = el.value();
    if BOILERPLATE_TAGS.contains(&e.name()) || is_hidden(el) {
        return true;
    }
    let hints = Hints::of(el);
    let stats = text_stats(el);
    if hints.negative && !(hints.rescue && stats.chars * 2 > total) {
        return true;
    }
    if stats.chars < MARKER_BLOCK_MAX_CHARS && starts_with_marker(el, stats.chars) {
        return true;
    }
    is_link_list(el.value().name(), stats)
}

/// A block that is mostly links (related-news lists, tag clouds, pagers, the
/// link column of a table layout). A paragraph must be almost all link: one
/// that merely cites a few sources is article text.
fn is_link_list(tag: &str, stats: TextStats) -> bool {
    let limit = match tag {
        "div" | "section" | "ul" | "ol" | "li" | "table" | "td" | "dl" | "span" | "nav" => 0.5,
        "p" => 0.8,
        _ => return false,
    };
    stats.chars > 0 && stats.link_density() > limit
}

/// Whether the element's text begins with a "read also"/share/comments marker,
/// or is nothing but an ad label.
fn starts_with_marker(el: ElementRef<'_>, chars: usize) -> bool {
    let head: String = el.text().flat_map(str::chars).take(48).collect::<String>();
    let head = head.trim_start().to_lowercase();
    if chars <= 40 {
        let label = head.trim_matches(|c: char| !c.is_alphanumeric());
        if AD_LABELS.contains(&label) {
            return true;
        }
    }
    BOILERPLATE_MARKERS.iter().any(|m| head.starts_with(m))
}

/// Character counts of an element's visible text.
#[derive(Debug, Clone, Copy, Default)]
struct TextStats {
    chars: usize,
    link_chars: usize,
}

impl TextStats {
    fn link_density(self) -> f64 {
        if self.chars == 0 {
            0.0
        } else {
            self.link_chars as f64 / self.chars as f64
        }
    }
}

fn text_stats(el: ElementRef<'_>) -> TextStats {
    let mut stats = TextStats::default();
    let (mut in_link, mut invisible) = (0usize, 0usize);
    for edge in el.traverse() {
        let (node, step): (_, isize) = match edge {
            Edge::Open(node) => (node, 1),
            Edge::Close(node) => (node, -1),
        };
        match node.value() {
            Node::Element(e) if e.name() == "a" => in_link = in_link.saturating_add_signed(step),
            Node::Element(e) if INVISIBLE_TAGS.contains(&e.name()) => {
                invisible = invisible.saturating_add_signed(step)
            }
            Node::Text(t) if step == 1 && invisible == 0 => {
                let n = t.chars().filter(|c| !c.is_whitespace()).count();
                stats.chars += n;
                if in_link > 0 {
                    stats.link_chars += n;
                }
            }
            _ => {}
        }
    }
    stats
}

/// Non-space characters, with CJK ideographs counted three times: one
/// ideograph carries about as much as a short word.
fn weighted_len(text: &str) -> usize {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if is_cjk(c) { 3 } else { 1 })
        .sum()
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{3040}'..='\u{30FF}' | '\u{AC00}'..='\u{D7AF}')
}

/// Void elements: written without a closing tag.
const VOID_TAGS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Serialises `root` as HTML, leaving out invisible and dropped elements. The
/// result goes through the sanitiser, so attributes are written as found.
fn write_html(root: NodeRef<'_, Node>, drop: &dyn Fn(ElementRef<'_>) -> bool, out: &mut String) {
    let mut skipping = None;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) if skipping.is_none() => match node.value() {
                Node::Text(t) => escape_into(t, false, out),
                Node::Element(e) => {
                    let el = ElementRef::wrap(node).expect("element node");
                    if INVISIBLE_TAGS.contains(&e.name()) || drop(el) {
                        skipping = Some(node.id());
                        continue;
                    }
                    out.push('<');
                    out.push_str(e.name());
                    for (name, value) in e.attrs() {
                        out.push(' ');
                        out.push_str(name);
                        out.push_str("=\"");
                        escape_into(value, true, out);
                        out.push('"');
                    }
                    out.push('>');
                }
                _ => {}
            },
            Edge::Close(node) if skipping == Some(node.id()) => skipping = None,
            Edge::Close(node) if skipping.is_none() => {
                if let Node::Element(e) = node.value()
                    && !VOID_TAGS.contains(&e.name())
                {
                    out.push_str("</");
                    out.push_str(e.name());
                    out.push('>');
                }
            }
            _ => {}
        }
    }
}

fn escape_into(text: &str, attr: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// `og:title`, else the first `<h1>`, else `<title>`.
fn title(doc: &Html) -> Option<String> {
    let og = meta_content(doc, &["og:title", "twitter:title"]);
    let first = |sel: &str| {
        let sel = Selector::parse(sel).expect("static selector");
        doc.select(&sel).map(element_text).find(|t| !t.is_empty())
    };
    og.or_else(|| first("h1")).or_else(|| first("title"))
}

/// The publication time the page declares about itself.
fn published(doc: &Html) -> Option<DateTime<Utc>> {
    let meta = meta_content(
        doc,
        &[
            "article:published_time",
            "datePublished",
            "pubdate",
            "publishdate",
            "date",
            "dc.date",
            "dcterms.created",
        ],
    );
    let time = || {
        let sel = Selector::parse("time[datetime]").expect("static selector");
        doc.select(&sel)
            .find_map(|t| t.attr("datetime"))
            .map(str::to_string)
    };
    let ld = || json_ld_date(doc);
    [meta, time(), ld()]
        .into_iter()
        .flatten()
        .find_map(|d| parse_date(&d))
}

/// `content` of the first `<meta>` whose property, name or itemprop is one of `keys`.
fn meta_content(doc: &Html, keys: &[&str]) -> Option<String> {
    let sel = Selector::parse("meta[content]").expect("static selector");
    keys.iter().find_map(|key| {
        doc.select(&sel).find_map(|m| {
            let e = m.value();
            let named = [e.attr("property"), e.attr("name"), e.attr("itemprop")]
                .into_iter()
                .flatten()
                .any(|n| n.eq_ignore_ascii_case(key));
            let content = e.attr("content")?.trim();
            (named && !content.is_empty()).then(|| content.to_string())
        })
    })
}

/// `datePublished` from a JSON-LD block, read as JSON.
fn json_ld_date(doc: &Html) -> Option<String> {
    let sel = Selector::parse(r#"script[type="application/ld+json"]"#).expect("static selector");
    doc.select(&sel).find_map(|s| {
        let json: serde_json::Value = serde_json::from_str(&s.text().collect::<String>()).ok()?;
        find_key(&json, "datePublished").map(str::to_string)
    })
}

fn find_key<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    match v {
        serde_json::Value::Object(map) => map
            .get(key)
            .and_then(|d| d.as_str())
            .or_else(|| map.values().find_map(|v| find_key(v, key))),
        serde_json::Value::Array(items) => items.iter().find_map(|v| find_key(v, key)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! page {
        ($name:literal) => {
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/pages/",
                $name
            ))
        };
    }

    /// A fixture page and what its extraction must and must not contain.
    struct Case {
        html: &'static str,
        url: &'static str,
        /// Sentences from the start, middle and end of the article.
        present: &'static [&'static str],
        /// Menu, footer, "read also", comment, share and ad texts.
        absent: &'static [&'static str],
        title: &'static str,
        published: Option<&'static str>,
        canonical: Option<&'static str>,
    }

    fn check(case: &Case) {
        let got =
            extract_article(case.html, case.url).unwrap_or_else(|e| panic!("{}: {e}", case.url));
        for s in case.present {
            assert!(
                got.text.contains(s),
                "{}: missing {s:?} in\n{}",
                case.url,
                got.text
            );
        }
        for s in case.absent {
            assert!(
                !got.text.contains(s),
                "{}: boilerplate {s:?} in\n{}",
                case.url,
                got.text
            );
            assert!(
                !got.html.contains(s),
                "{}: boilerplate {s:?} in html\n{}",
                case.url,
                got.html
            );
        }
        assert_eq!(got.title.as_deref(), Some(case.title), "{}", case.url);
        let published = case
            .published
            .map(|p| DateTime::parse_from_rfc3339(p).unwrap().with_timezone(&Utc));
        assert_eq!(got.published, published, "{}", case.url);
        assert_eq!(got.canonical.as_deref(), case.canonical, "{}", case.url);
        assert!(!got.html.contains("<script"), "{}", case.url);
    }

    #[test]
    fn wordpress() {
        check(&Case {
            html: page!("wordpress.html"),
            url: "https://astanatimes.com/2024/10/kazakhstan-china-open-second-railway-crossing-at-khorgos/",
            present: &[
                "ASTANA – Kazakhstan and China opened a second railway crossing at Khorgos on Oct. 17",
                "“This is a turning point for the Middle Corridor,” Minister of Transport Marat Karabayev said",
                "Work on a third track, planned for 2027, will begin next spring, the ministry said.",
            ],
            absent: &[
                "Business Menu Section",
                "Footer. All rights reserved",
                "Dostyk-Moiynty",
                "Read also",
                "Middle Corridor cargo volumes rise",
                "Great news for exporters",
                "Commenter remark",
                "Leave a Reply",
                "Share this",
                "Most Read Sidebar",
                "Advertisement",
                "Tags:",
            ],
            title: "Kazakhstan, China Open Second Railway Crossing at Khorgos",
            published: Some("2024-10-18T08:30:00Z"),
            canonical: Some(
                "https://astanatimes.com/2024/10/kazakhstan-china-open-second-railway-crossing-at-khorgos/",
            ),
        });
    }

    #[test]
    fn bitrix() {
        check(&Case {
            html: page!("bitrix.html"),
            url: "https://kabar.kg/ru/news/v-bishkeke-obsudili-stroitelstvo-zheleznoj-dorogi/?sphrase_id=1",
            present: &[
                "Бишкек, 18 октября 2024 года, Кабар — Представители Кыргызстана, Китая и Узбекистана провели",
                "Стоимость проекта оценивается в 4,7 миллиарда долларов.",
                "Строительство начнётся в 2025 году и продлится шесть лет, заключили участники заседания.",
            ],
            absent: &[
                "раздел меню",
                "Подвал сайта",
                "Читайте также",
                "Жапаров и Си Цзиньпин",
                "Другие новости",
                "выпал первый снег",
                "Комментарий читателя",
                "Поделиться",
                "Популярное",
                "Главная",
            ],
            title: "В Бишкеке обсудили строительство железной дороги Китай — Кыргызстан — Узбекистан",
            published: None,
            canonical: Some(
                "https://kabar.kg/ru/news/v-bishkeke-obsudili-stroitelstvo-zheleznoj-dorogi/",
            ),
        });
    }

    #[test]
    fn drupal() {
        check(&Case {
            html: page!("drupal.html"),
            url: "https://eurasianet.org/uzbekistan-karakalpakstan-water-crisis-deepens",
            present: &[
                "Farmers around Nukus, the capital of Karakalpakstan, say this year’s flow of the Amu Darya",
                "The Qosh Tepa canal in northern Afghanistan, which began taking water in 2023, is widely blamed.",
                "experts say none is likely before the canal is completed in 2028.",
            ],
            absent: &[
                "navigation link",
                "Eurasianet footer text",
                "Read also",
                "Related reading",
                "Qosh Tepa canal nears completion",
                "nuclear power plant",
                "Drupal reader comment",
                "Share on",
                "Skip to main content",
            ],
            title: "Uzbekistan: Karakalpakstan water crisis deepens as Amu Darya shrinks",
            published: Some("2024-10-18T04:00:00Z"),
            canonical: Some(
                "https://eurasianet.org/uzbekistan-karakalpakstan-water-crisis-deepens",
            ),
        });
    }

    #[test]
    fn chinese_portal() {
        check(&Case {
            html: page!("chinese-portal.html"),
            url: "http://www.news.cn/20241018/c_1130210001.htm",
            present: &[
                "新华社乌鲁木齐10月18日电（记者 王菲）记者从霍尔果斯海关获悉",
                "霍尔果斯口岸位于新疆伊犁哈萨克自治州，是中国与哈萨克斯坦之间重要的陆路口岸。",
                "预计全年通行量将超过九千列。",
            ],
            absent: &[
                "频道导航",
                "网站底部版权信息",
                "相关新闻",
                "阿拉山口口岸",
                "相关阅读",
                "乌鲁木齐至阿拉木图",
                "网友评论",
                "分享到",
                "热点排行",
            ],
            title: "霍尔果斯口岸中欧班列今年通行量突破七千列",
            published: Some("2024-10-18T07:30:00Z"),
            canonical: None,
        });
    }

    #[test]
    fn amp() {
        check(&Case {
            html: page!("amp.html"),
            url: "https://tengrinews.kz/kazakhstan_news/astana-tashkent-uran-548123/amp/",
            present: &[
                "Казахстан и Узбекистан создадут совместное предприятие по добыче и переработке урана",
                "Казахстан остаётся крупнейшим в мире производителем урана",
                "прежде всего в Китае и Индии.",
            ],
            absent: &[
                "пункт меню",
                "Подвал AMP-страницы",
                "Читайте также",
                "Казахстанцы проголосовали",
                "Цены на уран достигли",
                "Комментарий пользователя",
                "Реклама",
                "Tengrinews.kz",
            ],
            title: "Астана и Ташкент договорились о совместной добыче урана",
            published: Some("2024-10-17T07:45:00Z"),
            canonical: Some("https://tengrinews.kz/kazakhstan_news/astana-tashkent-uran-548123/"),
        });
    }

    #[test]
    fn paragraphs_stay_apart_and_links_become_absolute() {
        let got = extract_article(
            page!("wordpress.html"),
            "https://astanatimes.com/2024/10/x/",
        )
        .unwrap();
        assert!(
            got.text.contains("said.\n\nThe new line runs parallel"),
            "{}",
            got.text
        );
        assert!(
            got.html.contains(
                r#"src="https://astanatimes.com/wp-content/uploads/2024/10/khorgos.jpg""#
            ),
            "{}",
            got.html
        );
    }

    #[test]
    fn table_layout_without_class_hints() {
        let html = r#"<html><head><title>Osh news</title></head><body>
            <table><tr><td><a href="/">Home</a> | <a href="/news">News</a> | <a href="/about">About the agency and its history</a></td></tr></table>
            <table><tr>
            <td width="200"><a href="/1">Short link one to another news story</a><br><a href="/2">Short link two to another news story</a></td>
            <td><b>Osh, 12 March.</b> The city council of Osh approved a plan to rebuild the central bazaar, which burned down last winter, officials said on Tuesday.<br><br>
            The new bazaar will have 2,000 trading places, a covered parking lot and a fire station, financed from the city budget and private investors.<br><br>
            Traders, who have worked in temporary tents since the fire, welcomed the decision but asked the council to keep rents at the old level.</td>
            </tr></table>
            <div>Copyright 2024 Osh news agency. All rights reserved.</div></body></html>"#;
        let got = extract_article(html, "http://osh.kg/news/1").unwrap();
        assert!(
            got.text
                .starts_with("Osh, 12 March. The city council of Osh approved"),
            "{}",
            got.text
        );
        assert!(
            got.text.ends_with("keep rents at the old level."),
            "{}",
            got.text
        );
        assert!(
            got.text.contains("private investors.\n\nTraders,"),
            "{}",
            got.text
        );
        assert!(!got.text.contains("Short link"), "{}", got.text);
        assert!(!got.text.contains("Copyright"), "{}", got.text);
    }

    #[test]
    fn pages_without_an_article_are_errors() {
        let nav_only = r#"<html><body><nav><a href="/a">Home</a> <a href="/b">News</a></nav><footer>© 2024</footer></body></html>"#;
        assert!(matches!(
            extract_article(nav_only, "https://a.kz/"),
            Err(ExtractError::NoContent { .. })
        ));
        let stub = "<html><body><div class=\"content\"><p>Subscribe to read the full story, it is only available to our paying members.</p></div></body></html>";
        assert!(matches!(
            extract_article(stub, "https://a.kz/x"),
            Err(ExtractError::TooShort { .. })
        ));
        assert!(matches!(
            extract_article("", "https://a.kz/"),
            Err(ExtractError::NoContent { .. })
        ));
    }
}
