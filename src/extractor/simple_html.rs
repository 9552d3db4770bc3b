//! A fast path of [`super::html_to_text`] for the HTML most feed bodies are:
//! paragraphs, line breaks and inline markup, properly nested and closed,
//! with the common entities. It gives up (`None`) on anything else, and the
//! caller then parses the fragment with html5ever.
//!
//! Within that subset html5ever's tree is the tag sequence itself (no
//! element is closed or reopened implicitly, no text moves), so writing the
//! text from the tags as they come gives html5ever's result. The test
//! `tests::agrees_with_html5ever` checks that on random fragments.

use super::{TextWriter, close_element, open_element};

/// Deepest element nesting the fast path follows; deeper documents are rare
/// and go to html5ever.
const MAX_DEPTH: usize = 32;

/// Longest numeric character reference read (`&#1114111;` has 7 digits).
const MAX_REF_DIGITS: usize = 7;

/// How html5ever's tree builder treats an element the fast path accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// No content, no end tag.
    Void,
    /// Phrasing content: may hold text and other inline elements only.
    Inline,
    /// `p` and headings: closed implicitly by block starts, so they may hold
    /// inline content only and may not nest.
    Para,
    /// `div`, `blockquote`: may hold paragraphs and other containers.
    Container,
}

/// The element's kind and its name as a static string, for a lower-case name.
fn kind(name: &str) -> Option<(&'static str, Kind)> {
    let kind = match name {
        "br" | "img" => Kind::Void,
        "a" | "b" | "i" | "em" | "strong" | "u" | "s" | "small" | "code" | "span" | "sub"
        | "sup" | "abbr" | "cite" | "q" | "mark" | "time" => Kind::Inline,
        "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => Kind::Para,
        "div" | "blockquote" => Kind::Container,
        _ => return None,
    };
    let canonical = KNOWN.iter().find(|k| **k == name)?;
    Some((canonical, kind))
}

/// The names [`kind`] knows.
const KNOWN: &[&str] = &[
    "br",
    "img",
    "a",
    "b",
    "i",
    "em",
    "strong",
    "u",
    "s",
    "small",
    "code",
    "span",
    "sub",
    "sup",
    "abbr",
    "cite",
    "q",
    "mark",
    "time",
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "div",
    "blockquote",
];

/// Longest element name the fast path knows (`blockquote`).
const MAX_NAME: usize = 10;

/// Named references the fast path decodes (only with their `;`).
fn named_ref(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        "nbsp" => "\u{A0}",
        "laquo" => "«",
        "raquo" => "»",
        "ndash" => "–",
        "mdash" => "—",
        "hellip" => "…",
        "lsquo" => "‘",
        "rsquo" => "’",
        "ldquo" => "“",
        "rdquo" => "”",
        "bdquo" => "„",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "deg" => "°",
        "middot" => "·",
        "times" => "×",
        _ => return None,
    })
}

/// Writes the text of `html` to `w` as html5ever would, or `None` when the
/// fragment is outside the subset (and `w` holds a partial result).
pub(super) fn write(html: &str, w: &mut TextWriter) -> Option<()> {
    if html.contains('\0') {
        return None;
    }
    let mut stack: Vec<(&'static str, Kind)> = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        let special = markup_at(rest).unwrap_or(rest.len());
        w.text(&rest[..special]);
        rest = &rest[special..];
        if let Some(after) = rest.strip_prefix('&') {
            let (decoded, len) = char_ref(after)?;
            match decoded {
                RefText::Char(c) => w.text(c.encode_utf8(&mut [0; 4])),
                RefText::Str(s) => w.text(s),
            }
            rest = &after[len..];
        } else if let Some(after) = rest.strip_prefix('<') {
            rest = tag(after, &mut stack, w)?;
        }
    }
    Some(())
}

/// Byte offset of the first `<` or `&`: a byte scan, where `str::find`
/// with a char set decodes every character.
pub(super) fn markup_at(s: &str) -> Option<usize> {
    s.bytes().position(|b| b == b'<' || b == b'&')
}

/// What a reference stands for.
enum RefText {
    Char(char),
    Str(&'static str),
}

/// The reference after a `&`, and how many bytes of `after` it took.
fn char_ref(after: &str) -> Option<(RefText, usize)> {
    let bytes = after.as_bytes();
    match bytes.first() {
        // Not a reference at all: the `&` is text.
        None => Some((RefText::Str("&"), 0)),
        Some(b) if !b.is_ascii_alphanumeric() && *b != b'#' => Some((RefText::Str("&"), 0)),
        Some(b'#') => numeric_ref(&after[1..]).map(|(c, len)| (RefText::Char(c), len + 1)),
        Some(_) => {
            let len = bytes
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            if bytes.get(len) != Some(&b';') {
                return None;
            }
            named_ref(&after[..len]).map(|s| (RefText::Str(s), len + 1))
        }
    }
}

/// `&#NNN;` or `&#xHH;` (after the `#`), for code points that html5ever
/// passes through unchanged; controls, the windows-1252 remapped range,
/// surrogates and noncharacters are left to it.
fn numeric_ref(s: &str) -> Option<(char, usize)> {
    let (radix, digits_at) = match s.as_bytes().first() {
        Some(b'x' | b'X') => (16, 1),
        _ => (10, 0),
    };
    let digits = s[digits_at..]
        .bytes()
        .take_while(|b| b.is_ascii_digit() || (radix == 16 && b.is_ascii_hexdigit()))
        .count();
    if digits == 0 || digits > MAX_REF_DIGITS {
        return None;
    }
    let end = digits_at + digits;
    if s.as_bytes().get(end) != Some(&b';') {
        return None;
    }
    let value = u32::from_str_radix(&s[digits_at..end], radix).ok()?;
    let plain = value >= 0x20
        && !(0x7F..=0x9F).contains(&value)
        && !(0xFDD0..=0xFDEF).contains(&value)
        && value & 0xFFFE != 0xFFFE;
    let c = char::from_u32(value).filter(|_| plain)?;
    Some((c, end + 1))
}

/// HTML whitespace (after html5ever's newline normalisation, `\r` is `\n`).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0C')
}

/// Reads the tag after a `<`, updates the stack and writes its breaks;
/// returns the text after the tag.
fn tag<'a>(
    after: &'a str,
    stack: &mut Vec<(&'static str, Kind)>,
    w: &mut TextWriter,
) -> Option<&'a str> {
    if let Some(end) = after.strip_prefix('/') {
        let len = tag_name_len(end)?;
        let rest = end[len..].trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
        let rest = rest.strip_prefix('>')?;
        let (open, _) = stack.pop()?;
        if !open.eq_ignore_ascii_case(&end[..len]) {
            return None;
        }
        close_element(open, w);
        return Some(rest);
    }
    let len = tag_name_len(after)?;
    let mut buf = [0; MAX_NAME];
    let lower = buf.get_mut(..len)?;
    lower.copy_from_slice(&after.as_bytes()[..len]);
    lower.make_ascii_lowercase();
    let (name, kind) = kind(std::str::from_utf8(lower).ok()?)?;
    let (rest, self_closing) = attributes(&after[len..])?;
    if !allowed(kind, name, stack) || (self_closing && kind != Kind::Void) {
        return None;
    }
    open_element(name, w);
    if kind == Kind::Void {
        close_element(name, w);
    } else {
        stack.push((name, kind));
    }
    Some(rest)
}

/// Whether html5ever would open `name` here without closing or moving
/// anything: blocks only among containers, no link inside a link.
fn allowed(kind: Kind, name: &str, stack: &[(&'static str, Kind)]) -> bool {
    if stack.len() >= MAX_DEPTH {
        return false;
    }
    match kind {
        Kind::Void => true,
        Kind::Inline => name != "a" || stack.iter().all(|(n, _)| *n != "a"),
        Kind::Para | Kind::Container => stack.iter().all(|(_, k)| *k == Kind::Container),
    }
}

/// Length of an ASCII alphanumeric tag name starting with a letter, which
/// must end at whitespace, `/` or `>`.
fn tag_name_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    if !bytes.first()?.is_ascii_alphabetic() {
        return None;
    }
    let len = bytes
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let next = *bytes.get(len)?;
    (is_space(next) || next == b'/' || next == b'>').then_some(len)
}

/// Skips well-formed attributes up to the tag's end: the text after `>` and
/// whether the tag ended with `/>`. Attribute values are never text, so only
/// their extent matters; anything html5ever would read with a parse error
/// (missing spaces, stray quotes, empty values) gives up.
fn attributes(s: &str) -> Option<(&str, bool)> {
    let bytes = s.as_bytes();
    let skip_spaces = |mut i: usize| {
        while bytes.get(i).is_some_and(|b| is_space(*b)) {
            i += 1;
        }
        i
    };
    let mut i = 0;
    loop {
        let after_spaces = skip_spaces(i);
        let spaced = after_spaces > i;
        i = after_spaces;
        match *bytes.get(i)? {
            b'>' => return Some((&s[i + 1..], false)),
            b'/' => return (bytes.get(i + 1) == Some(&b'>')).then(|| (&s[i + 2..], true)),
            _ if !spaced => return None,
            _ => {}
        }
        let name = bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
            .count();
        if name == 0 {
            return None;
        }
        i += name;
        let eq = skip_spaces(i);
        if bytes.get(eq) != Some(&b'=') {
            // A name without a value.
            continue;
        }
        let j = skip_spaces(eq + 1);
        i = match *bytes.get(j)? {
            q @ (b'"' | b'\'') => j + 1 + bytes[j + 1..].iter().position(|b| *b == q)? + 1,
            _ => {
                let len = bytes[j..]
                    .iter()
                    .take_while(|b| !is_space(**b) && **b != b'>')
                    .count();
                let value = &bytes[j..j + len];
                if len == 0
                    || value
                        .iter()
                        .any(|b| matches!(b, b'"' | b'\'' | b'<' | b'=' | b'`'))
                {
                    return None;
                }
                j + len
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::differential;

    fn simple(html: &str) -> Option<String> {
        differential::fast_path(html, false)
    }

    fn html5ever(html: &str) -> String {
        differential::html5ever(html, false)
    }

    #[test]
    fn feed_bodies_take_the_fast_path() {
        let html = "<p>Astana &amp; Tashkent&nbsp;agree &laquo;deal&raquo; &#8212; &#x41;</p>\n\
                    <p class=\"lead\">Second<br/>line <a href='/x?a=1&b=2'>link</a></p>\
                    <DIV><p>in <B>div</b></p></DIV><img src=x.png alt=\"\">";
        let fast = simple(html).expect("simple subset");
        assert_eq!(fast, html5ever(html));
        assert_eq!(
            fast,
            "Astana & Tashkent agree «deal» — A\n\nSecond\nline link\n\nin div"
        );
    }

    #[test]
    fn outside_the_subset_gives_up() {
        for html in [
            "<p>a<p>b",
            "<b>x<p>y</p></b>",
            "<a href=x><a href=y>z</a></a>",
            "<p>a</b>",
            "<script>x</script>",
            "<!-- c -->x",
            "a < b",
            "&notin; x",
            "&amp x",
            "&#128;",
            "&#0;",
            "<p/>x",
            "<p class=x\"y>z</p>",
            "<p a=>z</p>",
            "x\0y",
            "<p",
            "<p>x</h2>",
        ] {
            assert_eq!(simple(html), None, "{html:?}");
        }
        assert_eq!(simple("AT& T &"), Some("AT& T &".into()));
    }

    #[test]
    fn named_references_agree_with_html5ever() {
        for name in [
            "amp", "lt", "gt", "quot", "apos", "nbsp", "laquo", "raquo", "ndash", "mdash",
            "hellip", "lsquo", "rsquo", "ldquo", "rdquo", "bdquo", "copy", "reg", "trade", "deg",
            "middot", "times",
        ] {
            let html = format!("x&{name};y");
            assert_eq!(
                simple(&html).as_deref(),
                Some(html5ever(&html).as_str()),
                "{name}"
            );
        }
    }

    /// Pieces random fragments are made of: the subset's tags and
    /// references, and things just outside it.
    fn piece() -> impl Strategy<Value = String> {
        let tags = [
            "p",
            "P",
            "h2",
            "div",
            "blockquote",
            "b",
            "i",
            "em",
            "strong",
            "a",
            "span",
            "code",
            "br",
            "img",
            "li",
            "ul",
            "table",
            "td",
            "script",
            "style",
            "font",
            "nobr",
        ];
        prop_oneof![
            4 => "[a-zA-Zа-я0-9 .,!?\n\t\r\u{A0}\u{200B}«»-]{0,12}",
            1 => proptest::sample::select(vec!["\n\n", "\n \n", "\r\n\r\n", " \n\t\n "])
                .prop_map(str::to_string),
            2 => proptest::sample::select(tags.to_vec()).prop_map(|t| format!("<{t}>")),
            2 => proptest::sample::select(tags.to_vec()).prop_map(|t| format!("</{t}>")),
            1 => proptest::sample::select(tags.to_vec())
                .prop_map(|t| format!("<{t} class=\"x>y\" id=z data-x='1' hidden>")),
            1 => proptest::sample::select(tags.to_vec()).prop_map(|t| format!("<{t}/>")),
            1 => proptest::sample::select(vec![
                "&amp;", "&lt;", "&nbsp;", "&mdash;", "&#1041;", "&#x20AC;", "&#10;", "&#150;",
                "&amp", "&", "&#;", "&notin;", "&AMP;", "& ", "<", "<!-- x -->", "< p>", "</ p>",
                "<p x=>", "<br / >", "\0",
            ])
            .prop_map(str::to_string),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn agrees_with_html5ever(pieces in proptest::collection::vec(piece(), 0..24)) {
            let html: String = pieces.concat();
            if let Some(fast) = simple(&html) {
                prop_assert_eq!(fast, html5ever(&html), "{:?}", html);
            }
            if let Some(fast) = differential::fast_path(&html, true) {
                prop_assert_eq!(fast, differential::html5ever(&html, true), "{:?}", html);
            }
        }

        /// The public functions, fast paths and fallbacks together, against
        /// the implementation they replaced.
        #[test]
        fn html_to_text_and_line_agree_with_the_old_path(
            pieces in proptest::collection::vec(piece(), 0..24),
            tagless in any::<bool>(),
        ) {
            let mut html: String = pieces.concat();
            if tagless {
                html = html.replace('<', " ");
            }
            let want = differential::old_html_to_text(&html);
            prop_assert_eq!(super::super::html_to_text(&html), want.clone(), "{:?}", html);
            let line = want.split_whitespace().collect::<Vec<_>>().join(" ");
            prop_assert_eq!(super::super::html_to_line(&html), line, "{:?}", html);
        }
    }
}
