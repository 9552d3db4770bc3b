//! Text folding shared by the tagger and the matcher: NFKC, case, diacritics,
//! apostrophe variants, whitespace/hyphen runs, with a map back to original offsets.
//!
//! Both the terms and the text go through [`fold`], so a term matches whatever
//! folds to the same bytes. The rules, in the order a reader would ask about them:
//!
//! - Unicode compatibility forms are unified (NFKC): fullwidth `Ａ` is `a`, `ﬁ` is `fi`.
//! - Case is ignored (`Almaty`, `ALMATY`); `ß` is `ss`.
//! - Diacritics on Latin (and Greek) letters are dropped: `Ürümqi` is `urumqi`,
//!   `Şymkent` is `symkent`. Dotless `ı`, `ø`, `ł` and `đ` become `i`, `o`, `l`, `d`,
//!   since readers type them without the mark.
//! - Cyrillic: only `ё` is folded (to `е`), because Russian text writes `е` for it
//!   all the time. Every other Cyrillic letter stays itself: `й` (Russian), `ў` (Uzbek),
//!   `ӣ`/`ӯ` (Tajik) are letters of their alphabets, not accented variants, and the
//!   Kazakh/Uzbek/Kyrgyz letters `ә ө ү ұ ғ қ ң һ і ҳ` have no mark to drop at all.
//!   A user who wants `Қазақстан` and `Казахстан` writes both (or turns on
//!   transliteration in the watchlist).
//! - Apostrophe variants `ʻ ‘ ’ ` ´ ʼ ′` and `'` become one character, `'`, so
//!   `Oʻzbekiston`, `O‘zbekiston` and `O'zbekiston` are the same word. The apostrophe
//!   is not a word character: `Kazakhstan` is a whole word in `Kazakhstan's`.
//! - A run of whitespace, line breaks, hyphens and dashes (`- ‐ ‑ ‒ – — ―`) is one
//!   space, so `Alma-Ata`, `Alma Ata` and `Alma\nAta` are the same phrase.
//! - Invisible characters (soft hyphen, zero-width space/joiners, BOM) are dropped.

use std::ops::Range;

use unicode_normalization::char::{compose, decompose_compatible};

use crate::model::ArticleText;

/// Folded text plus, for every byte of it, the byte offset in the original.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    pub text: String,
    /// `map[i]` is the original byte offset where folded byte `i` came from;
    /// one extra entry at the end holds the original length.
    pub map: Vec<usize>,
}

impl Folded {
    /// The range of the original text that produced `folded` range `r`.
    ///
    /// `r` must lie on character boundaries of `self.text`.
    pub fn original_range(&self, r: Range<usize>) -> Range<usize> {
        self.map[r.start]..self.map[r.end]
    }
}

/// The one character all apostrophe variants fold to.
pub const APOSTROPHE: char = '\'';

/// Folds `s` for matching (see the module docs for the rules).
pub fn fold(s: &str) -> Folded {
    let mut out = Folded::default();
    fold_into(s, &mut out);
    out
}

/// The title, summary and body of an article, each folded: the tagger, the
/// matcher and the story fingerprint all read the same folded fields, so the
/// poller folds them once for the three.
pub fn fold_article(text: ArticleText<'_>) -> [Folded; 3] {
    [text.title, text.summary, text.body].map(fold)
}

/// Like [`fold`], reusing `out`'s buffers (its previous content is discarded).
pub fn fold_into(s: &str, out: &mut Folded) {
    let mut text = std::mem::take(&mut out.text);
    text.clear();
    text.reserve(s.len());
    out.map.clear();
    out.map.reserve(s.len() + 1);
    let mut f = Folder {
        text,
        map: &mut out.map,
        in_space: false,
        last: None,
    };
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let run = plain_ascii_run(&bytes[i..]);
        if run > 0 {
            f.copy_ascii(&s[i..i + run], i);
            i += run;
        } else if bytes[i] < 0x80 {
            f.ascii(bytes[i], i);
            i += 1;
        } else if basic_cyrillic(&bytes[i..]).is_some() {
            i += f.cyrillic_run(&bytes[i..], i);
        } else {
            let c = s[i..].chars().next().expect("index is on a char boundary");
            f.char(c, i);
            i += c.len_utf8();
        }
    }
    f.map.push(s.len());
    out.text = f.text;
}

/// Length of the run of ASCII bytes at the start of `b` that fold by lowercasing
/// alone: anything but whitespace, `-` and the backtick, and single spaces
/// between two such bytes (a space folds to itself when no other follows it).
fn plain_ascii_run(b: &[u8]) -> usize {
    let mut n = 0;
    loop {
        n += b[n..]
            .iter()
            .position(|&c| !is_plain_ascii(c))
            .unwrap_or(b.len() - n);
        if n > 0 && b.get(n) == Some(&b' ') && b.get(n + 1).is_some_and(|&c| is_plain_ascii(c)) {
            n += 2;
        } else {
            return n;
        }
    }
}

/// True for an ASCII byte that folds by lowercasing alone.
#[inline]
fn is_plain_ascii(c: u8) -> bool {
    c.is_ascii() && c > b' ' && c != b'-' && c != b'`'
}

/// The folded form of a basic Russian letter (U+0400..U+045F) encoded at the start
/// of `b`, without the general path's table lookups; `None` for anything else.
fn basic_cyrillic(b: &[u8]) -> Option<char> {
    let (&b0, &b1) = (b.first()?, b.get(1)?);
    if !(b0 == 0xD0 || b0 == 0xD1) || b1 & 0xC0 != 0x80 {
        return None;
    }
    let c = (u32::from(b0 & 0x1F) << 6) | u32::from(b1 & 0x3F);
    char::from_u32(fold_basic_cyrillic_code(c)?)
}

/// The folded form of a letter of the basic Cyrillic block (U+0400..U+045F), as
/// [`fold`] gives it, by code point; `None` for any other code point.
pub(crate) const fn fold_basic_cyrillic_code(c: u32) -> Option<u32> {
    Some(match c {
        0x0401 | 0x0451 | 0x0400 | 0x0450 => 0x0435, // Ё ё Ѐ ѐ -> е
        0x0402..=0x040F => c + 0x50,
        0x0410..=0x042F => c + 0x20,
        0x0430..=0x045F => c,
        _ => return None,
    })
}

/// True for characters that make up words: letters and digits of any script.
/// CJK ideographs are word characters too, but see [`is_cjk`] for how boundaries treat them.
pub fn is_word_char(c: char) -> bool {
    match c {
        'a'..='z' | '0'..='9' | 'A'..='Z' | '\u{0410}'..='\u{044F}' => true,
        _ if c.is_ascii() => false,
        _ => c.is_alphanumeric(),
    }
}

/// True for characters of the scripts written without spaces between words
/// (Han ideographs, Japanese kana, Korean Hangul). In these scripts a term matches
/// as a plain substring, and a neighbouring ideograph does not join a Latin word.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF       // Hangul Jamo
        | 0x2E80..=0x2FDF     // CJK and Kangxi radicals
        | 0x3005..=0x3007     // 々 〆 〇
        | 0x3040..=0x30FF     // Hiragana, Katakana
        | 0x3130..=0x318F     // Hangul compatibility jamo
        | 0x31F0..=0x31FF     // Katakana phonetic extensions
        | 0x3400..=0x4DBF     // CJK extension A
        | 0x4E00..=0x9FFF     // CJK unified ideographs
        | 0xAC00..=0xD7AF     // Hangul syllables
        | 0xF900..=0xFAFF     // CJK compatibility ideographs
        | 0xFF66..=0xFF9F     // halfwidth katakana
        | 0x20000..=0x3134F) // CJK extensions B-G
}

/// True when `s` contains a CJK character (see [`is_cjk`]).
pub fn has_cjk(s: &str) -> bool {
    s.chars().any(is_cjk)
}

/// True when a word may not continue across `c`: `c` is absent, not a word
/// character, or a CJK character (each of which is a word of its own).
pub fn is_boundary_char(c: Option<char>) -> bool {
    c.is_none_or(|c| !is_word_char(c) || is_cjk(c))
}

/// True when position `i` of `s` (a char boundary) does not continue a word on its left.
pub fn boundary_before(s: &str, i: usize) -> bool {
    is_boundary_char(s[..i].chars().next_back())
}

/// True when position `i` of `s` (a char boundary) does not continue a word on its right.
pub fn boundary_after(s: &str, i: usize) -> bool {
    is_boundary_char(s[i..].chars().next())
}

/// Output state of one fold: the text so far and what the last emitted char was,
/// so a combining mark that follows can be attached to it.
struct Folder<'a> {
    /// Folded text, built as a `String` (from the input's ASCII runs and whole
    /// chars), so it needs no UTF-8 validation at the end.
    text: String,
    map: &'a mut Vec<usize>,
    /// The last thing emitted was the space of a whitespace/hyphen run.
    in_space: bool,
    /// Byte offset in `out.text` and value of the last emitted non-space char.
    last: Option<(usize, char)>,
}

impl Folder<'_> {
    fn copy_ascii(&mut self, run: &str, at: usize) {
        let start = self.text.len();
        self.text.push_str(run);
        self.text[start..].make_ascii_lowercase();
        self.map.extend(at..at + run.len());
        self.in_space = false;
        let last = self.text.len() - 1;
        self.last = Some((last, char::from(self.text.as_bytes()[last])));
    }

    /// Folds the run at the start of `b` (which starts with a basic Russian letter)
    /// of basic Russian letters, ASCII bytes that fold by lowercasing alone, and
    /// single spaces between them, one char at a time but without the general
    /// path's dispatch; returns the run's length in bytes.
    fn cyrillic_run(&mut self, b: &[u8], at: usize) -> usize {
        let mut i = 0;
        let mut last = (self.text.len(), ' ');
        while let Some(&c) = b.get(i) {
            if let Some(letter) = basic_cyrillic(&b[i..]) {
                last = (self.text.len(), letter);
                self.text.push(letter);
                self.map.extend([at + i, at + i]);
                i += 2;
            } else if is_plain_ascii(c) {
                last = (self.text.len(), char::from(c.to_ascii_lowercase()));
                self.text.push(last.1);
                self.map.push(at + i);
                i += 1;
            } else if c == b' '
                && (b.get(i + 1).is_some_and(|&n| is_plain_ascii(n))
                    || basic_cyrillic(&b[i + 1..]).is_some())
            {
                // A single space after a letter: `space` would emit it as it is.
                self.text.push(' ');
                self.map.push(at + i);
                i += 1;
            } else {
                break;
            }
        }
        // The run starts with a letter and ends on a letter or a plain byte.
        self.in_space = false;
        self.last = Some(last);
        i
    }

    fn ascii(&mut self, b: u8, at: usize) {
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C | b'-' => self.space(at),
            b'`' => self.push(APOSTROPHE, at),
            _ => self.push(b.to_ascii_lowercase() as char, at),
        }
    }

    fn char(&mut self, c: char, at: usize) {
        // Before decomposition: NFKD would turn `´` into a space and a mark.
        if self.punctuation(c, at) {
            return;
        }
        match c as u32 {
            // Cyrillic: letters are NFKC-stable; only case and ё need folding.
            0x0400..=0x052F => self.cyrillic(c, at),
            // CJK ideographs and Hangul syllables are NFKC-stable and caseless;
            // Hangul must not be decomposed into jamo.
            0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7A3 => self.push(c, at),
            _ => decompose_compatible(c, |d| self.decomposed(d, at)),
        }
    }

    fn cyrillic(&mut self, c: char, at: usize) {
        for l in c.to_lowercase() {
            self.push(fold_cyrillic_letter(l), at);
        }
    }

    /// One char of the compatibility decomposition of an input char.
    fn decomposed(&mut self, d: char, at: usize) {
        for l in d.to_lowercase() {
            self.atom(l, at);
        }
    }

    fn atom(&mut self, c: char, at: usize) {
        if c.is_ascii() {
            return self.ascii(c as u8, at);
        }
        if self.punctuation(c, at) {
            return;
        }
        match c {
            'ß' => {
                self.push('s', at);
                self.push('s', at);
            }
            'ı' => self.push('i', at),
            'ø' => self.push('o', at),
            'ł' => self.push('l', at),
            'đ' => self.push('d', at),
            _ if is_diacritic(c) => self.mark(c),
            _ if c.is_whitespace() => self.space(at),
            '\u{0400}'..='\u{052F}' => self.push(fold_cyrillic_letter(c), at),
            _ => self.push(c, at),
        }
    }

    /// Dashes, apostrophe variants and invisible characters; false for anything else.
    fn punctuation(&mut self, c: char, at: usize) -> bool {
        match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' => self.space(at),
            'ʻ' | 'ʼ' | 'ʽ' | '‘' | '’' | '‛' | '´' | '′' | 'ˈ' => {
                self.push(APOSTROPHE, at)
            }
            '\u{00AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => {}
            _ => return false,
        }
        true
    }

    /// A combining diacritic: dropped, except that it recomposes a Cyrillic letter
    /// that is a letter of its own (`и` + breve = `й`) when the input was decomposed.
    fn mark(&mut self, m: char) {
        let Some((pos, prev)) = self.last else { return };
        if !('\u{0400}'..='\u{052F}').contains(&prev) {
            return;
        }
        if let Some(composed) = compose(prev, m) {
            let composed = fold_cyrillic_letter(composed);
            if composed != prev {
                let at = self.map[pos];
                self.text.truncate(pos);
                self.map.truncate(pos);
                self.push(composed, at);
            }
        }
    }

    fn space(&mut self, at: usize) {
        if !self.in_space {
            self.text.push(' ');
            self.map.push(at);
            self.in_space = true;
            self.last = None;
        }
    }

    fn push(&mut self, c: char, at: usize) {
        let pos = self.text.len();
        self.text.push(c);
        self.map.extend(std::iter::repeat_n(at, c.len_utf8()));
        self.in_space = false;
        self.last = Some((pos, c));
    }
}

/// The Cyrillic letters that are folded: `ё` and `ѐ` are `е` with a mark that
/// Russian writing routinely omits.
pub(crate) fn fold_cyrillic_letter(c: char) -> char {
    match c {
        'ё' | 'ѐ' => 'е',
        _ => c,
    }
}

/// Combining marks that are diacritics (accents, breves, dots, cedillas...), as opposed
/// to the vowel signs of Indic or Arabic scripts, which are left alone.
fn is_diacritic(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> String {
        fold(s).text
    }

    #[test]
    fn case_and_compatibility_forms() {
        assert_eq!(f("ALMATY Almaty"), "almaty almaty");
        assert_eq!(f("ＡＢＣ ﬁ ①"), "abc fi 1");
        assert_eq!(f("Straße"), "strasse");
        assert_eq!(f("КАЗАХСТАН"), "казахстан");
    }

    #[test]
    fn latin_diacritics_are_dropped() {
        assert_eq!(
            f("Ürümqi Şymkent Qazaqstannyñ Aqtöbe"),
            "urumqi symkent qazaqstannyn aqtobe"
        );
        assert_eq!(f("Bağdat būğan bır"), "bagdat bugan bir");
        // Decomposed input folds the same as precomposed.
        assert_eq!(f("U\u{308}ru\u{308}mqi"), "urumqi");
        assert_eq!(f("İstanbul Łódź"), "istanbul lodz");
    }

    #[test]
    fn cyrillic_letters_stay_except_yo() {
        assert_eq!(f("Ёлка ёж"), "елка еж");
        assert_eq!(f("Йошкар-Ола"), "йошкар ола");
        assert_eq!(f("Ўзбекистон"), "ўзбекистон");
        assert_eq!(
            f("Қазақстанның Өскемен Үржар Ұлытау Ғылым Һ і"),
            "қазақстанның өскемен үржар ұлытау ғылым һ і"
        );
        assert_eq!(f("ДУШАНБЕ ӢӮ Ҷ"), "душанбе ӣӯ ҷ");
        // Decomposed й and ў recompose; decomposed ё still folds to е.
        assert_eq!(f("и\u{306} у\u{306} е\u{308}"), "й ў е");
        assert_eq!(f("И\u{306}"), "й");
    }

    #[test]
    fn cyrillic_fast_path_agrees_with_the_general_rule() {
        for c in ('\u{0400}'..='\u{052F}').chain(['ё', 'Ё']) {
            let general: String = c.to_lowercase().map(fold_cyrillic_letter).collect();
            assert_eq!(f(&c.to_string()), general, "{c} U+{:04X}", c as u32);
        }
    }

    #[test]
    fn apostrophes_are_one_character() {
        for s in [
            "Oʻzbekiston",
            "O‘zbekiston",
            "O’zbekiston",
            "O`zbekiston",
            "O'zbekiston",
            "Oʼzbekiston",
            "O´zbekiston",
        ] {
            assert_eq!(f(s), "o'zbekiston", "{s}");
        }
    }

    #[test]
    fn whitespace_hyphen_and_dash_runs_are_one_space() {
        assert_eq!(f("Alma-Ata"), "alma ata");
        assert_eq!(f("Alma \u{2014} Ata"), "alma ata");
        assert_eq!(
            f("a\u{2010}b\u{2011}c\u{2013}d\u{00A0}e\r\n\tf"),
            "a b c d e f"
        );
        assert_eq!(f("  x  "), " x ");
    }

    #[test]
    fn invisible_characters_are_dropped() {
        assert_eq!(f("Ka\u{00AD}zakh\u{200B}stan\u{FEFF}"), "kazakhstan");
    }

    #[test]
    fn map_points_into_the_original() {
        let s = "Ürümqi —  Синьцзян's 新疆";
        let folded = fold(s);
        assert_eq!(folded.map.len(), folded.text.len() + 1);
        assert_eq!(*folded.map.last().unwrap(), s.len());
        for (word, original) in [
            ("urumqi", "Ürümqi"),
            ("синьцзян", "Синьцзян"),
            ("新疆", "新疆"),
        ] {
            let start = folded.text.find(word).unwrap();
            let r = folded.original_range(start..start + word.len());
            assert_eq!(&s[r], original);
        }
        // The map never decreases.
        assert!(folded.map.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn map_of_a_recomposed_letter_covers_its_mark() {
        let s = "и\u{306}ога";
        let folded = fold(s);
        assert_eq!(folded.text, "йога");
        assert_eq!(&s[folded.original_range(0..folded.text.len())], s);
        assert_eq!(&s[folded.original_range(0..2)], "и\u{306}");
    }

    #[test]
    fn boundaries() {
        assert!(is_boundary_char(None));
        assert!(is_boundary_char(Some(' ')));
        assert!(is_boundary_char(Some('\'')));
        assert!(is_boundary_char(Some('新')));
        assert!(!is_boundary_char(Some('a')));
        assert!(!is_boundary_char(Some('ң')));
        assert!(!is_boundary_char(Some('7')));
        assert!(boundary_before("ab", 0) && !boundary_before("ab", 1) && boundary_after("ab", 2));
    }

    #[test]
    fn cjk_detection() {
        assert!(has_cjk("铁路口岸") && has_cjk("カタカナ") && has_cjk("서울"));
        assert!(!has_cjk("Xinjiang Синьцзян"));
    }

    /// [`fold`] one char at a time through the general path, without the runs of
    /// ASCII and Cyrillic that [`fold_into`] takes in one go: what they must agree with.
    fn fold_reference(s: &str) -> Folded {
        let mut map = Vec::new();
        let mut f = Folder {
            text: String::new(),
            map: &mut map,
            in_space: false,
            last: None,
        };
        for (i, c) in s.char_indices() {
            if c.is_ascii() {
                f.ascii(c as u8, i);
            } else {
                f.char(c, i);
            }
        }
        f.map.push(s.len());
        Folded { text: f.text, map }
    }

    fn assert_folds_like_the_reference(s: &str) {
        let (fast, slow) = (fold(s), fold_reference(s));
        assert_eq!((&fast.text, &fast.map), (&slow.text, &slow.map), "{s:?}");
    }

    #[test]
    fn runs_fold_like_the_reference() {
        for s in [
            "Kazakhstan and China signed  an agreement - on Monday.",
            "Астана, 29 ноября. Казахстан и Китай подписали  соглашение — «КТЖ» ё Ё Ѐ",
            "ЁЛКА и\u{306} е\u{308} a b  c\td-e`f 'g' Ђ 1 2 3",
            " x",
            "x ",
            "  ",
            "а ",
            " а",
            "а  б",
            "а б",
            "a б",
            "б a",
            "б-a",
            "б\u{306}",
        ] {
            assert_folds_like_the_reference(s);
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn fold_agrees_with_the_reference(s in "\\PC{0,60}") {
                let (fast, slow) = (fold(&s), fold_reference(&s));
                prop_assert_eq!((&fast.text, &fast.map), (&slow.text, &slow.map));
            }

            #[test]
            fn fold_agrees_with_the_reference_on_news_like_text(
                s in "([a-zA-Z0-9 .,;:!?()'`\"\\-\n\t]|[\u{0400}-\u{047F}]|[«»“”—–’ʻ\u{00A0}\u{00AD}]|\u{308}|\u{306}|[éÜ中])*"
            ) {
                let (fast, slow) = (fold(&s), fold_reference(&s));
                prop_assert_eq!((&fast.text, &fast.map), (&slow.text, &slow.map));
            }

            #[test]
            fn map_is_monotonic_and_on_char_boundaries(s in "\\PC{0,40}") {
                let folded = fold(&s);
                prop_assert_eq!(folded.map.len(), folded.text.len() + 1);
                prop_assert_eq!(*folded.map.last().unwrap(), s.len());
                prop_assert!(folded.map.windows(2).all(|w| w[0] <= w[1]));
                prop_assert!(folded.map.iter().all(|&i| s.is_char_boundary(i)));
            }

            #[test]
            fn folding_is_idempotent(s in "\\PC{0,40}") {
                let once = fold(&s).text;
                prop_assert_eq!(fold(&once).text, once);
            }

            #[test]
            fn folded_text_has_no_case_marks_or_space_runs(s in "\\PC{0,40}") {
                let t = fold(&s).text;
                prop_assert!(!t.contains("  "));
                let changes_case = |c: char| c.to_lowercase().ne(std::iter::once(c));
                prop_assert!(!t.chars().any(|c| changes_case(c) || is_diacritic(c) || c == '-' || c == '\n'));
            }
        }
    }
}
