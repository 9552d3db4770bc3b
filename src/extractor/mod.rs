//! HTML -> clean plain text for storage and matching, sanitised HTML for
//! display, and readability-style main-text extraction from article pages.

mod article;
mod simple_html;

use std::sync::LazyLock;

use ego_tree::NodeRef;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node};

pub use article::{ExtractError, Extracted, extract_article};

/// Elements whose content a reader never sees as text.
const INVISIBLE_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math", "head",
    "select", "textarea", "button", "canvas", "audio", "video", "map",
];

/// Elements that stand apart as paragraphs: a blank line before and after.
const PARAGRAPH_TAGS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "ul",
    "ol",
    "dl",
    "table",
    "figure",
    "hr",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "main",
    "nav",
    "address",
    "form",
    "details",
    "fieldset",
];

/// Elements that start a new line but not a new paragraph.
const LINE_TAGS: &[&str] = &[
    "div",
    "li",
    "tr",
    "dt",
    "dd",
    "figcaption",
    "caption",
    "summary",
    "legend",
    "center",
];

/// Body length (characters) below which feed text is taken to be a teaser.
/// Central Asian agency briefs run 600-1500 characters; 400 catches
/// one-paragraph leads without re-fetching every short news item.
pub const TEASER_MAX_CHARS: usize = 400;

/// Characters at the end of a text that are compared with [`TEASER_ENDINGS`];
/// more than the longest of them.
const TEASER_TAIL_CHARS: usize = 32;

/// Endings that mark feed text as cut short, compared case-insensitively
/// after trailing punctuation and brackets are trimmed.
const TEASER_ENDINGS: &[&str] = &[
    "…",
    "...",
    "read more",
    "continue reading",
    "read the full story",
    "full story",
    "подробнее",
    "читать далее",
    "читать дальше",
    "читать полностью",
    "толығырақ",
    "батафсил",
    "batafsil",
    "толугураак",
    "阅读全文",
];

/// Plain text of an HTML fragment: tags dropped, block elements become line
/// breaks (paragraph-like ones a blank line), entities decoded, scripts and
/// styles dropped, runs of whitespace collapsed to one space.
///
/// A fragment with no tags at all is treated as plain text whose blank lines
/// separate paragraphs: feeds often put plain text in fields declared HTML.
pub fn html_to_text(html: &str) -> String {
    let mut w = TextWriter::default();
    html_to_text_into(html, &mut w);
    w.finish()
}

/// [`html_to_text`] with every line and paragraph break made a space, so the
/// text is one line (titles): the same as collapsing the whitespace of
/// [`html_to_text`]'s result, without the second pass.
pub fn html_to_line(html: &str) -> String {
    let mut w = TextWriter {
        one_line: true,
        ..TextWriter::default()
    };
    html_to_text_into(html, &mut w);
    w.finish()
}

fn html_to_text_into(html: &str, w: &mut TextWriter) {
    if html.contains('<') {
        fragment_into(html, w);
    } else {
        plain_text_into(html, w);
    }
}

/// Text without tags: runs of lines separated by blank (or whitespace-only)
/// lines are paragraphs, each read as an HTML fragment (for its entities).
fn plain_text_into(text: &str, w: &mut TextWriter) {
    let mut lines = text.lines().peekable();
    loop {
        while lines.next_if(|l| l.trim().is_empty()).is_some() {}
        if lines.peek().is_none() {
            return;
        }
        // Breaks are lazy, so an empty paragraph adds nothing.
        w.request(Break::Paragraph);
        let start = w.checkpoint();
        let mut para = lines.clone();
        let (mut simple, mut amp, mut nul) = (true, false, false);
        while let Some(line) = lines.next_if(|l| !l.trim().is_empty()) {
            simple = simple && fragment_simple(line, w);
            amp |= line.contains('&');
            nul |= line.contains('\0');
            w.request(Break::Space);
        }
        // html5ever drops NUL characters, and it reads a paragraph with a
        // `&` anywhere in it.
        if !simple || (amp && nul) {
            // One line the fast path declined: the whole paragraph through
            // html5ever, as one fragment.
            w.restore(start);
            let mut text = String::new();
            while let Some(line) = para.next_if(|l| !l.trim().is_empty()) {
                text.push_str(line);
                text.push('\n');
            }
            fragment_html5ever(&text, w);
        }
    }
}

/// One fragment: the simple path when it applies (see [`simple_html`]),
/// html5ever otherwise.
fn fragment_into(html: &str, w: &mut TextWriter) {
    let start = w.checkpoint();
    if !fragment_simple(html, w) {
        w.restore(start);
        fragment_html5ever(html, w);
    }
}

/// Writes `html` through the simple path; false (with `w` partly written)
/// when the fragment needs the full parser.
fn fragment_simple(html: &str, w: &mut TextWriter) -> bool {
    if simple_html::markup_at(html).is_none() {
        w.text(html);
        return true;
    }
    simple_html::write(html, w).is_some()
}

fn fragment_html5ever(html: &str, w: &mut TextWriter) {
    let doc = Html::parse_fragment(html);
    write_text(doc.tree.root(), &|_| false, w);
}

/// The pieces of [`html_to_text`] taken apart, for the differential fuzz
/// target (`fuzz/fuzz_targets/html_text.rs`) and the proptests, which check
/// the fast path against html5ever. Not part of the API.
#[doc(hidden)]
pub mod differential {
    use super::{TextWriter, fragment_html5ever, simple_html};

    fn writer(one_line: bool) -> TextWriter {
        TextWriter {
            one_line,
            ..TextWriter::default()
        }
    }

    /// The text of `html` by the fast path alone, `None` where it declines.
    pub fn fast_path(html: &str, one_line: bool) -> Option<String> {
        let mut w = writer(one_line);
        simple_html::write(html, &mut w)?;
        Some(w.finish())
    }

    /// The text of `html` read as one fragment by html5ever.
    pub fn html5ever(html: &str, one_line: bool) -> String {
        let mut w = writer(one_line);
        fragment_html5ever(html, &mut w);
        w.finish()
    }

    /// [`super::html_to_text`] as it was before the fast paths: html5ever
    /// for any fragment with a tag, and for tagless text each blank-line
    /// paragraph through html5ever when it has a `&` (else only whitespace
    /// collapsed), joined by blank lines.
    pub fn old_html_to_text(html: &str) -> String {
        if html.contains('<') {
            return html5ever(html, false);
        }
        let mut paragraphs = Vec::new();
        let mut para = String::new();
        for line in html.lines().chain([""]) {
            if line.trim().is_empty() {
                if !para.is_empty() {
                    paragraphs.push(std::mem::take(&mut para));
                }
            } else {
                para.push_str(line);
                para.push('\n');
            }
        }
        paragraphs
            .iter()
            .map(|p| {
                if p.contains('&') {
                    html5ever(p, false)
                } else {
                    let mut w = TextWriter::default();
                    w.text(p);
                    w.finish()
                }
            })
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

/// Plain text of one element of a parsed document, as [`html_to_text`] would give it.
pub(crate) fn element_text(el: ElementRef<'_>) -> String {
    let mut w = TextWriter::default();
    write_text(*el, &|_| false, &mut w);
    w.finish()
}

/// Kind of break requested between two runs of text; the larger one wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
enum Break {
    #[default]
    None,
    Space,
    Line,
    Paragraph,
}

/// Accumulates text with collapsed whitespace; breaks are emitted lazily so
/// that empty elements never produce blank lines.
#[derive(Debug, Default)]
pub(crate) struct TextWriter {
    out: String,
    pending: Break,
    /// A `<br>` was the last thing seen, so a second one makes a paragraph.
    after_br: bool,
    /// Every break is written as a space.
    one_line: bool,
}

/// A writer's state, to go back to when a fast path gives up.
#[derive(Debug, Clone, Copy)]
struct Checkpoint {
    len: usize,
    pending: Break,
    after_br: bool,
}

impl TextWriter {
    fn request(&mut self, b: Break) {
        self.pending = self.pending.max(b);
    }

    fn br(&mut self) {
        let b = if self.after_br {
            Break::Paragraph
        } else {
            Break::Line
        };
        self.request(b);
        self.after_br = true;
    }

    fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            len: self.out.len(),
            pending: self.pending,
            after_br: self.after_br,
        }
    }

    fn restore(&mut self, c: Checkpoint) {
        self.out.truncate(c.len);
        self.pending = c.pending;
        self.after_br = c.after_br;
    }

    /// Whitespace becomes a pending space; zero-width characters are
    /// dropped; everything else is copied in runs, not char by char.
    pub(crate) fn text(&mut self, s: &str) {
        let bytes = s.as_bytes();
        let mut run = 0;
        let mut i = 0;
        while i < bytes.len() {
            while i < bytes.len() && !may_break(bytes[i]) {
                i += 1;
            }
            let Some(&b) = bytes.get(i) else {
                break;
            };
            // One space between two words of a run is what the pending
            // space would write anyway: the run goes on.
            if b == b' ' && run < i && bytes.get(i + 1).is_some_and(|n| !may_break(*n)) {
                i += 2;
                continue;
            }
            let c = s[i..].chars().next().expect("a char starts here");
            let white = c.is_whitespace();
            if white || matches!(c, '\u{200B}' | '\u{00AD}' | '\u{FEFF}') {
                if run < i {
                    self.push_run(&s[run..i]);
                }
                if white {
                    self.request(Break::Space);
                }
                run = i + c.len_utf8();
            }
            i += c.len_utf8();
        }
        if run < bytes.len() {
            self.push_run(&s[run..]);
        }
    }

    /// Appends visible characters (whitespace only as single spaces inside),
    /// after the pending break.
    fn push_run(&mut self, run: &str) {
        if !self.out.is_empty() {
            match self.pending {
                Break::None => {}
                Break::Space => self.out.push(' '),
                _ if self.one_line => self.out.push(' '),
                Break::Line => self.out.push('\n'),
                Break::Paragraph => self.out.push_str("\n\n"),
            }
        }
        self.pending = Break::None;
        self.after_br = false;
        self.out.push_str(run);
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }
}

/// Whether a character starting with byte `b` of UTF-8 may be whitespace
/// or zero-width; others (Cyrillic starts with D0/D1, Latin letters are
/// ASCII) never stop [`TextWriter::text`]'s scan.
fn may_break(b: u8) -> bool {
    MAY_BREAK[usize::from(b)]
}

/// [`may_break`] as a table: one load per byte in the scan's inner loop.
static MAY_BREAK: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b as u8, b'\t'..=b'\r' | b' ' | 0xC2 | 0xE1..=0xE3 | 0xEF);
        b += 1;
    }
    table
};

/// Writes the visible text under `root`, skipping invisible elements and every
/// element for which `skip` returns true. The walk is iterative, so deeply
/// nested documents cannot overflow the stack.
pub(crate) fn write_text(
    root: NodeRef<'_, Node>,
    skip: &dyn Fn(ElementRef<'_>) -> bool,
    w: &mut TextWriter,
) {
    let mut skipping = None;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) if skipping.is_none() => match node.value() {
                Node::Text(t) => w.text(t),
                Node::Element(e) => {
                    let el = ElementRef::wrap(node).expect("element node");
                    if INVISIBLE_TAGS.contains(&e.name()) || skip(el) {
                        skipping = Some(node.id());
                    } else {
                        open_element(e.name(), w);
                    }
                }
                _ => {}
            },
            Edge::Close(node) if skipping == Some(node.id()) => skipping = None,
            Edge::Close(node) if skipping.is_none() => {
                if let Node::Element(e) = node.value() {
                    close_element(e.name(), w);
                }
            }
            _ => {}
        }
    }
}

fn open_element(name: &str, w: &mut TextWriter) {
    match name {
        "br" => w.br(),
        "td" | "th" => w.request(Break::Space),
        _ => w.request(block_break(name)),
    }
}

fn close_element(name: &str, w: &mut TextWriter) {
    w.request(block_break(name));
}

fn block_break(name: &str) -> Break {
    if PARAGRAPH_TAGS.contains(&name) {
        Break::Paragraph
    } else if LINE_TAGS.contains(&name) {
        Break::Line
    } else {
        Break::None
    }
}

/// The sanitiser shared by every call without a base URL.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(sanitizer);

/// A safe subset of HTML for display: ammonia's default tags and attributes,
/// only http(s) and mailto links, every link `rel="noopener nofollow noreferrer"`.
fn sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener nofollow noreferrer"))
        .strip_comments(true);
    b
}

/// Sanitised HTML: no scripts, styles, event handlers or `javascript:` URLs;
/// links carry `rel="noopener nofollow noreferrer"`. Relative URLs are kept.
pub fn sanitize_html(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

/// Like [`sanitize_html`], with relative `href`/`src` URLs made absolute
/// against `base` (when `base` is a valid URL).
pub fn sanitize_html_with_base(html: &str, base: &str) -> String {
    let Ok(base) = ammonia::Url::parse(base) else {
        return sanitize_html(html);
    };
    let mut b = sanitizer();
    b.url_relative(ammonia::UrlRelative::RewriteWithBase(base));
    b.clean(html).to_string()
}

/// Whether feed text is only a teaser of the article, so the page should be
/// fetched: the body (or, when the feed gave no body, the summary) is empty,
/// shorter than [`TEASER_MAX_CHARS`], or ends with an ellipsis or a
/// "read more" link text.
pub fn is_teaser(summary: &str, body: &str) -> bool {
    let text = if body.trim().is_empty() {
        summary
    } else {
        body
    };
    let text = text.trim();
    if text.chars().nth(TEASER_MAX_CHARS - 1).is_none() {
        return true;
    }
    let trimmed = text.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, ']' | ')' | '»' | '>' | '→' | '.' | ':' | '!')
    });
    // Only the last characters can hold an ending: lowercasing the whole body
    // cost more than the rest of the check.
    let start = trimmed
        .char_indices()
        .rev()
        .nth(TEASER_TAIL_CHARS - 1)
        .map_or(0, |(i, _)| i);
    let tail = trimmed[start..].to_lowercase();
    // Put back a trailing ellipsis written as dots, trimmed just above.
    let dots = text.trim_end_matches([']', ')', ' ']).ends_with("...");
    dots || TEASER_ENDINGS.iter().any(|e| tail.ends_with(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teaser_endings_fit_the_compared_tail() {
        for e in TEASER_ENDINGS {
            assert!(e.chars().count() < TEASER_TAIL_CHARS, "{e}");
        }
        let long = "Полный текст статьи. ".repeat(30);
        assert!(!is_teaser("", &long));
        assert!(is_teaser("", &format!("{long} ЧИТАТЬ ДАЛЕЕ »")));
        assert!(is_teaser("", &format!("{long} Read the full story →")));
        assert!(!is_teaser("", &format!("{long} full")));
        assert!(
            is_teaser("", &"слово ".repeat(66)),
            "fewer than 400 characters"
        );
        assert!(!is_teaser("", &"слово ".repeat(67)));
    }

    /// The byte scan of `TextWriter::text` against the definition: every
    /// whitespace character a break, zero-width ones dropped.
    #[test]
    fn text_writer_scan_matches_char_by_char() {
        let mut samples: Vec<String> = ('\0'..='\u{3100}')
            .chain(['\u{FEFF}', '\u{FFFD}', '\u{1F600}', '\u{E000}'])
            .map(|c| format!("a{c}b {c}{c} ж{c}"))
            .collect();
        samples.push(" \t Астана\u{A0}\u{2009}и\u{200B}Ташкент \u{3000}新疆 ".into());
        samples.push("one two  three \u{A0}four ж ж\u{200B} \u{200B}x y\n".into());
        for s in samples {
            let mut w = TextWriter::default();
            w.text(&s);
            let want = s
                .split(char::is_whitespace)
                .map(|word| word.replace(['\u{200B}', '\u{00AD}', '\u{FEFF}'], ""))
                .filter(|word| !word.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            assert_eq!(w.finish(), want, "{s:?}");
        }
    }

    #[test]
    fn blocks_become_paragraphs_and_lines() {
        let html = "<h2>Title</h2><p>First  para\n with <b>bold</b>.</p><p>Second<br>line two</p>\
                    <ul><li>one</li><li>two</li></ul><div>tail</div>";
        assert_eq!(
            html_to_text(html),
            "Title\n\nFirst para with bold.\n\nSecond\nline two\n\none\ntwo\n\ntail"
        );
    }

    #[test]
    fn entities_decoded_and_scripts_dropped() {
        let html = "<p>Astana &amp; Tashkent&nbsp;agree &laquo;deal&raquo; &#8212; &#x41;</p>\
                    <script>var x = '<p>evil</p>';</script><style>p{}</style>";
        assert_eq!(html_to_text(html), "Astana & Tashkent agree «deal» — A");
    }

    #[test]
    fn double_br_is_a_paragraph() {
        assert_eq!(
            html_to_text("one<br><br>two<br/>three"),
            "one\n\ntwo\nthree"
        );
    }

    #[test]
    fn plain_text_keeps_its_paragraphs_and_decodes_entities() {
        assert_eq!(
            html_to_text("  First  line\nstill first.\n\n\nSecond &amp; last "),
            "First line still first.\n\nSecond & last"
        );
        assert_eq!(html_to_text(""), "");
    }

    /// Found by the proptest against the old path: a paragraph with a `&`
    /// is html5ever's, which drops NUL characters on every line of it.
    #[test]
    fn nul_characters_follow_the_paragraph_reader() {
        assert_eq!(html_to_text("\0\n&amp;"), "&");
        assert_eq!(html_to_text("a\0b\n\nc &amp; d"), "a\0b\n\nc & d");
    }

    #[test]
    fn table_cells_are_separated() {
        assert_eq!(
            html_to_text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"),
            "a b\nc"
        );
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        // html5ever itself is quadratic in nesting depth, so this stays modest.
        let html = "<div>".repeat(3_000) + "deep" + &"</div>".repeat(3_000);
        assert_eq!(html_to_text(&html), "deep");
    }

    #[test]
    fn sanitize_removes_scripts_handlers_and_js_urls() {
        let html = r#"<p onclick="x()">Hi <a href="javascript:alert(1)">bad</a> <a href="https://kabar.kg/">ok</a></p><script>alert(1)</script><img src="x.png" onerror="y()">"#;
        let clean = sanitize_html(html);
        assert!(!clean.contains("script"), "{clean}");
        assert!(
            !clean.contains("onclick") && !clean.contains("onerror"),
            "{clean}"
        );
        assert!(!clean.contains("javascript:"), "{clean}");
        assert!(
            clean.contains(
                r#"<a href="https://kabar.kg/" rel="noopener nofollow noreferrer">ok</a>"#
            ),
            "{clean}"
        );
    }

    #[test]
    fn sanitize_with_base_makes_links_absolute() {
        let clean = sanitize_html_with_base(
            r#"<a href="/ru/news/1">x</a><img src="img/a.jpg">"#,
            "https://24.kg/feed/",
        );
        assert!(
            clean.contains(r#"href="https://24.kg/ru/news/1""#),
            "{clean}"
        );
        assert!(
            clean.contains(r#"src="https://24.kg/feed/img/a.jpg""#),
            "{clean}"
        );
    }

    #[test]
    fn teasers_are_recognised() {
        let long = "Астана и Ташкент подписали соглашение о торговле. ".repeat(20);
        assert!(!is_teaser("short lead", &long));
        assert!(is_teaser("short lead", ""));
        assert!(is_teaser("", "Only a short paragraph."));
        assert!(is_teaser("", &format!("{long} Подробнее")));
        assert!(is_teaser("", &format!("{long} Read more »")));
        assert!(is_teaser("", &format!("{long}…")));
        assert!(is_teaser("", &format!("{long}[...]")));
        assert!(
            !is_teaser(&long, ""),
            "a full text in the description is not a teaser"
        );
    }
}
