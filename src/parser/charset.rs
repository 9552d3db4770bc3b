//! Raw document bytes -> UTF-8 text, choosing the charset from the BOM, the
//! HTTP `charset=`, the XML prolog and, when those lie, the bytes themselves.
//!
//! feed-rs reads the charset only from the XML prolog and fails on bytes that
//! do not fit it, so every document is transcoded here first and the prolog's
//! `encoding` declaration removed before feed-rs sees it.
//!
//! Precedence: a BOM decides. Otherwise valid UTF-8 that contains non-ASCII
//! text is UTF-8 whatever the labels say (no real windows-1251 or KOI8-R text
//! is also valid UTF-8). Otherwise the HTTP charset, then the prolog, is tried
//! strictly; the first that decodes without errors wins, with a check that a
//! Cyrillic single-byte label is not the wrong one of windows-1251/KOI8-R.
//! With no usable label, mostly-valid UTF-8 is decoded lossily and anything
//! else is guessed as windows-1251, KOI8-R or windows-1252 from the bytes.

use std::borrow::Cow;

use encoding_rs::{
    Encoding, IBM866, KOI8_R, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1251, WINDOWS_1252,
};

/// A document decoded to UTF-8.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    /// The encoding the bytes were read as.
    pub encoding: &'static Encoding,
}

/// Cyrillic letters needed before letter case is trusted to tell
/// windows-1251 from KOI8-R.
const MIN_CYRILLIC_SAMPLE: usize = 20;

/// Decode `bytes` (a feed or page as received) to UTF-8. Never fails: the
/// worst case is replacement characters in place of undecodable bytes.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> Decoded {
    match decode_utf8_or_else(bytes, content_type) {
        Ok(text) => Decoded {
            text: text.to_string(),
            encoding: UTF_8,
        },
        Err(decoded) => decoded,
    }
}

/// The text of [`decode`], borrowed from `bytes` when they are UTF-8 already
/// (most feeds): no copy of the document.
pub fn decode_text<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Cow<'a, str> {
    match decode_utf8_or_else(bytes, content_type) {
        Ok(text) => Cow::Borrowed(text),
        Err(decoded) => Cow::Owned(decoded.text),
    }
}

/// [`decode`], with the plain UTF-8 case (no BOM, no UTF-16) left borrowed.
fn decode_utf8_or_else<'a>(
    bytes: &'a [u8],
    content_type: Option<&str>,
) -> Result<&'a str, Decoded> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return Err(lossy(&bytes[bom_len..], encoding));
    }
    if let Some(encoding) = utf16_without_bom(bytes) {
        return Err(lossy(bytes, encoding));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text);
    }
    let strict = declared(bytes, content_type)
        .into_iter()
        .flatten()
        .filter(|e| *e != UTF_8 && *e != UTF_16LE && *e != UTF_16BE)
        .find_map(|e| strict_decode(bytes, e).map(|text| (e, text)));
    Err(match strict {
        Some((encoding, text)) => recheck_cyrillic(bytes, encoding, text),
        None => guess(bytes),
    })
}

/// The labels to try, in order: the HTTP charset, then the prolog. A server's
/// ISO-8859-1/windows-1252 default (Apache's `AddDefaultCharset`) says
/// nothing about the document, so a different prolog declaration goes first.
fn declared(bytes: &[u8], content_type: Option<&str>) -> [Option<&'static Encoding>; 2] {
    let http = content_type.and_then(http_charset);
    let prolog = prolog_encoding(bytes);
    if http == Some(WINDOWS_1252) && prolog.is_some() {
        [prolog, http]
    } else {
        [http, prolog]
    }
}

/// The `charset` parameter of a Content-Type header value.
pub fn http_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| Encoding::for_label(value.trim().trim_matches(['"', '\'']).as_bytes()))
            .flatten()
    })
}

/// The `encoding` of an ASCII-compatible XML declaration at the start of `bytes`.
pub fn prolog_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(256)];
    let head = String::from_utf8_lossy(head);
    let decl = head.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let (_, value) = encoding_attr(decl)?;
    Encoding::for_label(value.as_bytes())
}

/// Finds `encoding="..."` in an XML declaration's body: the byte range of the
/// whole pseudo-attribute (with its leading space) and its value.
fn encoding_attr(decl: &str) -> Option<(std::ops::Range<usize>, &str)> {
    // The first `encoding` followed by `=` and a quoted value: the word may
    // also occur inside another attribute's value.
    decl.match_indices("encoding").find_map(|(start, _)| {
        let rest = decl[start + "encoding".len()..].trim_start();
        let rest = rest.strip_prefix('=')?.trim_start();
        let quote = rest.chars().next().filter(|q| matches!(q, '"' | '\''))?;
        let value_start = decl.len() - rest.len() + 1;
        let value_len = decl[value_start..].find(quote)?;
        let space_start = decl[..start].trim_end().len();
        Some((
            space_start..value_start + value_len + 1,
            &decl[value_start..value_start + value_len],
        ))
    })
}

/// The document without the `encoding` of its XML declarations (the text is
/// UTF-8 now, and feed-rs would otherwise decode it a second time) and without
/// leading whitespace before the declaration.
///
/// Every declaration loses it, not only the leading one: a second document
/// glued on by a broken CMS brings its own `<?xml ... encoding="koi8-r"?>`,
/// and quick-xml (under feed-rs) panics when asked to switch encodings in
/// mid-document (found by fuzzing, see `fuzz/`).
pub fn strip_prolog_encoding(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    let mut out: Option<String> = None;
    let mut copied = 0;
    // Nearly every document has one declaration, at the start: a vectorised
    // `contains` over the rest is much cheaper than searching it.
    let second = trimmed.chars().next().map_or(0, char::len_utf8);
    let glued = trimmed[second..].contains("<?xml");
    let leading = (!glued && trimmed.starts_with("<?xml")).then_some(0);
    let every = glued.then(|| trimmed.match_indices("<?xml").map(|(at, _)| at));
    for at in leading.into_iter().chain(every.into_iter().flatten()) {
        let body_start = at + "<?xml".len();
        let body = &trimmed[body_start..];
        // `<?xml-stylesheet` is another instruction; a match inside a removed
        // attribute is no declaration either.
        if at < copied || !body.starts_with(|c: char| c.is_ascii_whitespace()) {
            continue;
        }
        let Some(end) = body.find("?>") else {
            break;
        };
        if let Some((range, _)) = encoding_attr(&body[..end]) {
            let out = out.get_or_insert_with(|| String::with_capacity(trimmed.len()));
            out.push_str(&trimmed[copied..body_start + range.start]);
            copied = body_start + range.end;
        }
    }
    match out {
        None => Cow::Borrowed(trimmed),
        Some(mut out) => {
            out.push_str(&trimmed[copied..]);
            Cow::Owned(out)
        }
    }
}

/// UTF-16 recognised from `<?` without a BOM (XML 1.0 appendix F).
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes.get(..4)? {
        [0x3C, 0x00, 0x3F, 0x00] => Some(UTF_16LE),
        [0x00, 0x3C, 0x00, 0x3F] => Some(UTF_16BE),
        _ => None,
    }
}

fn lossy(bytes: &[u8], encoding: &'static Encoding) -> Decoded {
    let text = encoding.decode_without_bom_handling(bytes).0.into_owned();
    Decoded { text, encoding }
}

fn strict_decode(bytes: &[u8], encoding: &'static Encoding) -> Option<String> {
    encoding
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(Cow::into_owned)
}

/// A label of windows-1251 or KOI8-R is often the wrong one of the two, and both
/// decode any bytes; letter case tells: Russian text is mostly lower-case, and
/// reading one as the other swaps the cases.
fn recheck_cyrillic(bytes: &[u8], encoding: &'static Encoding, text: String) -> Decoded {
    let family = [WINDOWS_1251, KOI8_R, IBM866];
    if !family.contains(&encoding) {
        return Decoded { text, encoding };
    }
    let declared_score = single_byte_lowercase_share(bytes, encoding);
    if declared_score.is_none_or(|s| s >= 0.5) {
        return Decoded { text, encoding };
    }
    family
        .into_iter()
        .filter(|e| *e != encoding)
        .filter_map(|e| Some((e, strict_decode(bytes, e)?)))
        .filter(|(_, t)| {
            lowercase_share(t)
                .zip(declared_score)
                .is_some_and(|(s, d)| s > d + 0.3)
        })
        .map(|(encoding, text)| Decoded { text, encoding })
        .next()
        .unwrap_or(Decoded { text, encoding })
}

/// Share of lower-case letters among Cyrillic letters, if there are enough of them.
fn lowercase_share(text: &str) -> Option<f64> {
    let (mut lower, mut total) = (0usize, 0usize);
    for c in text.chars() {
        if let Some(is_lower) = cyrillic_case(c) {
            total += 1;
            lower += usize::from(is_lower);
        }
    }
    (total >= MIN_CYRILLIC_SAMPLE).then(|| lower as f64 / total as f64)
}

/// [`lowercase_share`] of `bytes` read as the single-byte `encoding`,
/// counted on the bytes: each byte is one character, so a histogram of the
/// high bytes and one lookup per distinct byte replace walking the text.
fn single_byte_lowercase_share(bytes: &[u8], encoding: &'static Encoding) -> Option<f64> {
    let mut counts = [0usize; 128];
    for b in bytes.iter().filter(|b| **b >= 0x80) {
        counts[usize::from(b - 0x80)] += 1;
    }
    let (mut lower, mut total) = (0usize, 0usize);
    for (high, n) in (0x80..=0xFF_u8).zip(counts).filter(|(_, n)| *n > 0) {
        let byte = [high];
        let (c, _) = encoding.decode_without_bom_handling(&byte);
        if let Some(is_lower) = c.chars().next().and_then(cyrillic_case) {
            total += n;
            lower += n * usize::from(is_lower);
        }
    }
    (total >= MIN_CYRILLIC_SAMPLE).then(|| lower as f64 / total as f64)
}

/// For a letter of the Cyrillic block (U+0400..U+04FF), whether it is lower
/// case; `None` for anything else. The Russian alphabet and the block's first
/// row of letters, a whole feed's worth of them, skip the Unicode tables.
fn cyrillic_case(c: char) -> Option<bool> {
    match c {
        'Ѐ'..='Я' => Some(false),
        'а'..='џ' => Some(true),
        '\u{0460}'..='\u{04FF}' => c.is_alphabetic().then(|| c.is_lowercase()),
        _ => None,
    }
}

/// No label fits: mostly-valid UTF-8 stays UTF-8 (a few broken bytes should
/// not garble the rest); otherwise a single-byte encoding is guessed.
fn guess(bytes: &[u8]) -> Decoded {
    let utf8 = lossy(bytes, UTF_8);
    let broken = utf8.text.chars().filter(|c| *c == '\u{FFFD}').count();
    let non_ascii = utf8.text.chars().filter(|c| !c.is_ascii()).count();
    if broken * 20 < non_ascii {
        return utf8;
    }
    if !looks_cyrillic(bytes) {
        return lossy(bytes, WINDOWS_1252);
    }
    let cp1251 = lossy(bytes, WINDOWS_1251);
    let koi8 = lossy(bytes, KOI8_R);
    match (lowercase_share(&cp1251.text), lowercase_share(&koi8.text)) {
        (Some(a), Some(b)) if b > a => koi8,
        _ => cp1251,
    }
}

/// Cyrillic single-byte text has its high bytes in runs (whole words), while
/// Western European text has them alone between ASCII letters (`café`, `Größe`).
fn looks_cyrillic(bytes: &[u8]) -> bool {
    let high = |i: usize| bytes.get(i).is_some_and(|b| *b >= 0x80);
    let (mut runs, mut total) = (0usize, 0usize);
    for i in (0..bytes.len()).filter(|i| high(*i)) {
        total += 1;
        if (i > 0 && high(i - 1)) || high(i + 1) {
            runs += 1;
        }
    }
    total > 0 && runs * 2 > total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyrillic_case_agrees_with_unicode() {
        for c in ('\u{0300}'..='\u{0500}').chain(['a', 'Z', '新']) {
            let want = (matches!(c, '\u{0400}'..='\u{04FF}') && c.is_alphabetic())
                .then(|| c.is_lowercase());
            assert_eq!(cyrillic_case(c), want, "{c:?}");
        }
    }

    const RU: &str = "<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss><title>Новости Кыргызстана: в Бишкеке прошло заседание правительства</title></rss>";

    fn encode(text: &str, encoding: &'static Encoding) -> Vec<u8> {
        encoding.encode(text).0.into_owned()
    }

    #[test]
    fn single_byte_share_counts_as_the_text_does() {
        let text = format!("{RU} ЁЖИК ёжик Її Ґґ Ўў {}", "Абв".repeat(7));
        for encoding in [WINDOWS_1251, KOI8_R, IBM866] {
            let (bytes, _, _) = encoding.encode(&text);
            let decoded = strict_decode(&bytes, encoding).expect("encodable");
            assert_eq!(
                single_byte_lowercase_share(&bytes, encoding),
                lowercase_share(&decoded),
                "{encoding:?}"
            );
        }
        assert_eq!(
            single_byte_lowercase_share(b"ascii only", WINDOWS_1251),
            None
        );
    }

    proptest::proptest! {
        /// The byte histogram against the decoded text it replaced, on
        /// arbitrary bytes biased to the Cyrillic ranges of the three
        /// encodings (so the shares are often defined).
        #[test]
        fn single_byte_share_agrees_on_any_bytes(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![0x80u8..=0xFF, proptest::num::u8::ANY],
                0..200,
            ),
        ) {
            for encoding in [WINDOWS_1251, KOI8_R, IBM866] {
                if let Some(text) = strict_decode(&bytes, encoding) {
                    proptest::prop_assert_eq!(
                        single_byte_lowercase_share(&bytes, encoding),
                        lowercase_share(&text),
                        "{:?}", encoding
                    );
                }
            }
        }
    }

    #[test]
    fn prolog_declared_windows_1251() {
        let d = decode(&encode(RU, WINDOWS_1251), None);
        assert_eq!(d.encoding, WINDOWS_1251);
        assert_eq!(d.text, RU);
    }

    #[test]
    fn http_charset_without_prolog_declaration() {
        let text = "<rss><title>Новости Кыргызстана: в Бишкеке прошло заседание</title></rss>";
        let d = decode(
            &encode(text, KOI8_R),
            Some("application/rss+xml; charset=\"koi8-r\""),
        );
        assert_eq!(d.encoding, KOI8_R);
        assert_eq!(d.text, text);
    }

    #[test]
    fn bom_beats_labels() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(RU.encode_utf16().flat_map(u16::to_le_bytes));
        let d = decode(&bytes, Some("text/xml; charset=windows-1251"));
        assert_eq!(d.encoding, UTF_16LE);
        assert_eq!(d.text, RU);
        let mut utf8 = vec![0xEF, 0xBB, 0xBF];
        utf8.extend(RU.as_bytes());
        assert_eq!(decode(&utf8, Some("text/xml; charset=koi8-r")).text, RU);
    }

    #[test]
    fn valid_utf8_wins_over_a_wrong_label() {
        let d = decode(RU.as_bytes(), Some("text/xml; charset=windows-1251"));
        assert_eq!(d.encoding, UTF_8);
        assert_eq!(d.text, RU);
    }

    #[test]
    fn koi8_labelled_as_windows_1251_is_corrected() {
        let text = RU.replace("windows-1251", "koi8-r");
        let d = decode(
            &encode(&text, KOI8_R),
            Some("text/xml; charset=windows-1251"),
        );
        assert_eq!(d.encoding, KOI8_R);
        assert_eq!(d.text, text);
    }

    #[test]
    fn declared_utf8_but_windows_1251_bytes_is_guessed() {
        let text = RU.replace("windows-1251", "UTF-8");
        let d = decode(
            &encode(&text, WINDOWS_1251),
            Some("text/xml; charset=utf-8"),
        );
        assert_eq!(d.encoding, WINDOWS_1251);
        assert_eq!(d.text, text);
    }

    #[test]
    fn server_default_latin1_yields_to_the_prolog() {
        let d = decode(
            &encode(RU, WINDOWS_1251),
            Some("text/xml; charset=ISO-8859-1"),
        );
        assert_eq!(d.encoding, WINDOWS_1251);
        assert_eq!(d.text, RU);
    }

    #[test]
    fn unlabelled_latin1_is_windows_1252() {
        let text = "<rss><title>Café à Almaty, Größe</title></rss>";
        let d = decode(&encode(text, WINDOWS_1252), None);
        assert_eq!(d.text, text);
    }

    #[test]
    fn one_broken_byte_keeps_utf8() {
        let mut bytes = RU.replace("windows-1251", "utf-8").into_bytes();
        bytes.insert(60, 0xFF);
        let d = decode(&bytes, None);
        assert_eq!(d.encoding, UTF_8);
        assert!(d.text.contains("в Бишкеке прошло"));
    }

    #[test]
    fn prolog_encoding_is_removed() {
        assert_eq!(
            strip_prolog_encoding(
                "\n <?xml version='1.0' encoding='windows-1251' standalone='yes'?><rss/>"
            ),
            "<?xml version='1.0' standalone='yes'?><rss/>"
        );
        assert_eq!(
            strip_prolog_encoding("<?xml version=\"1.0\"?><rss/>"),
            "<?xml version=\"1.0\"?><rss/>"
        );
        assert_eq!(strip_prolog_encoding("<rss/>"), "<rss/>");
    }

    #[test]
    fn http_charset_parsing() {
        assert_eq!(http_charset("text/xml; charset=UTF-8"), Some(UTF_8));
        assert_eq!(http_charset("text/xml;charset=cp1251"), Some(WINDOWS_1251));
        assert_eq!(http_charset("text/xml"), None);
        assert_eq!(http_charset("text/xml; charset=bogus"), None);
    }
}
