//! Stories across outlets: near-duplicate fingerprints of article text, so that one
//! story republished by several outlets (or in both scripts of one language) groups.
//!
//! # How a text becomes a fingerprint
//!
//! 1. Each field (title, summary, body) is folded with [`crate::text::fold`]: NFKC,
//!    case, Latin diacritics, apostrophe variants.
//! 2. It is cut into words (letters and digits; each CJK character is a word of its
//!    own, since those scripts put no spaces between words). Apostrophes inside a word
//!    are dropped, so `O‘zbekiston`, `O'zbekiston` and `Ozbekiston` are one word.
//!    (A field of only ASCII, Cyrillic, CJK and common punctuation, which each fold
//!    on their own, is cut straight from its text with the same result, without
//!    folding it first: [`push_words_direct`].)
//! 3. Cyrillic letters are romanised with one table ([`romanise`]) and every word,
//!    Latin or romanised, is reduced to a coarse spelling key ([`Key`]): `sh`→`s`,
//!    `ch`→`c`, `zh`→`j`, `kh`/`x`→`h`, `ts`→`c`, `y`→`i`, `i` before `e` dropped. The
//!    key is not readable; it only has to agree between the Cyrillic and Latin forms
//!    of one language: Uzbek (`Тошкентда` / `Toshkentda`, `йўловчи` / `yo‘lovchi`,
//!    `Ер` / `Yer`) and Kazakh (Cyrillic / the 2021 Latin alphabet, whose `ş`, `ç`, `ğ`
//!    lose their marks in folding). Russian has no Latin edition to agree with, so its
//!    key only has to be stable.
//! 4. Every run of [`SHINGLE_WORDS`] words inside one field is a shingle, hashed to 64
//!    bits; the fingerprint keeps the set of shingle hashes.
//! 5. For lookup, a MinHash signature of [`BANDS`] × [`ROWS`] hash functions gives one
//!    key per band (LSH). Two texts share a band key with probability about
//!    `1 - (1 - J²)^BANDS` for a Jaccard similarity `J` of their shingle sets, so the
//!    store finds candidates through an index of band keys, never by a scan.
//! 6. A candidate is confirmed by the exact Jaccard similarity of the two shingle sets
//!    ([`same_story`]).
//!
//! # Why MinHash with bands rather than SimHash
//!
//! A rewritten republication (new lede, an extra paragraph, a few sentences
//! reworded) keeps roughly 40-70% of its 3-word shingles. 64-bit SimHash puts such a
//! pair some 15-20 bits apart, too close to unrelated texts (about 32) to separate
//! reliably, and finding neighbours within 20 bits cannot be done with exact-match
//! index lookups (the permuted-table trick only works for a few bits). MinHash bands
//! are plain equality keys in an SQLite index, and their threshold is set in terms
//! of Jaccard similarity, which is what "the same text, somewhat edited" means.
//! The store keeps only the band keys: the exact check re-shingles a candidate's
//! stored text ([`comparable`], which skips the MinHash signature, the larger part
//! of a [`fingerprint`]'s cost), which costs tens of microseconds and saves
//! storing a shingle set (a few KB per article). The new article's own fingerprint
//! is computed by the poller before it takes the writer lock.
//!
//! # Limits
//!
//! Grouping sees shared wording, not shared facts: two outlets that each write the
//! story from scratch share few shingles and stay apart, as do translations (an
//! English and a Russian report of one event). Texts shorter than [`MIN_SHINGLES`]
//! shingles (a headline alone) never group.

use crate::model::ArticleText;
#[cfg(test)]
use crate::text::fold;
use crate::text::{APOSTROPHE, Folded, fold_cyrillic_letter, fold_into, is_cjk};

/// Words per shingle. Three words are specific enough that unrelated articles on the
/// same topic share few shingles ("the railway line" is common, "second railway line
/// between" is not), while one changed word spoils only three shingles.
pub const SHINGLE_WORDS: usize = 3;

/// Distinct shingles a text needs before it may group with anything. 24 shingles is
/// about two sentences: more than any headline, so a title-only item (or a title and
/// a one-line teaser) cannot match every story that shares a phrase with it.
pub const MIN_SHINGLES: usize = 24;

/// Jaccard similarity of shingle sets from which two texts are one story. Rewritten
/// republications (new lede, an extra paragraph, some sentences reworded) measure
/// 0.4-0.7; different stories on one topic from the same region, which share names
/// and stock phrases ("Kazakhstan Temir Zholy", "the Dostyk border crossing"),
/// measure under 0.1. 0.3 leaves room on both sides.
pub const SAME_STORY_JACCARD: f64 = 0.3;

/// Jaccard similarity from which a new item of a feed is the same item re-issued
/// under a new link (an edited title, a corrected sentence) rather than a new
/// story. Much stricter than [`SAME_STORY_JACCARD`]: one outlet's daily items built
/// on a template (exchange rates, weather) share most of their wording, and must
/// stay separate articles.
pub const REPUBLISHED_JACCARD: f64 = 0.8;

/// LSH bands. With [`ROWS`] = 2, a pair is looked at with probability
/// `1 - (1 - J²)^16`: 0.78 at J = 0.3, 0.93 at 0.4, 0.99 at 0.5, while two
/// unrelated texts (J ≈ 0.01) meet with probability 0.002. Each band is one index
/// row per article, so more bands cost storage on every article.
pub const BANDS: usize = 16;

/// MinHash values per band; see [`BANDS`].
pub const ROWS: usize = 2;

/// The near-duplicate fingerprint of one article's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Hashes of the text's shingles, sorted and distinct.
    shingles: Vec<u64>,
    /// One LSH key per band; empty when the text is too short to group.
    bands: Vec<i64>,
}

impl Fingerprint {
    /// The LSH band keys to index and look up; empty for texts too short to group.
    /// Each key is below 2^31, so SQLite stores it in four bytes.
    pub fn bands(&self) -> &[i64] {
        &self.bands
    }

    /// Number of distinct shingles.
    pub fn len(&self) -> usize {
        self.shingles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shingles.is_empty()
    }

    /// True when the text is long enough to group with others ([`MIN_SHINGLES`]).
    pub fn is_groupable(&self) -> bool {
        self.shingles.len() >= MIN_SHINGLES
    }

    /// Jaccard similarity of the two shingle sets, 0 when both are empty.
    pub fn similarity(&self, other: &Fingerprint) -> f64 {
        let (a, b) = (&self.shingles, &other.shingles);
        let common = common_count(a, b);
        let union = a.len() + b.len() - common;
        if union == 0 {
            0.0
        } else {
            common as f64 / union as f64
        }
    }
}

/// Number of values two sorted, distinct lists share.
fn common_count(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    // Without branches on the comparison: which list moves on is as good as random,
    // and a mispredicted branch per step cost more than the step itself.
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        common += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    common
}

/// The fingerprint of an article's title, summary and body (see the module docs).
pub fn fingerprint(text: ArticleText<'_>) -> Fingerprint {
    with_bands(shingle_set(text, None))
}

/// Like [`fingerprint`], given the fields already folded ([`crate::text::fold_article`]),
/// as the poller has them for tagging and matching.
pub fn fingerprint_folded(text: ArticleText<'_>, folded: &[Folded; 3]) -> Fingerprint {
    with_bands(shingle_set(text, Some(folded)))
}

fn with_bands(shingles: Vec<u64>) -> Fingerprint {
    let bands = if shingles.len() >= MIN_SHINGLES {
        band_keys(&shingles)
    } else {
        Vec::new()
    };
    Fingerprint { shingles, bands }
}

/// The fingerprint of a stored candidate, for [`Fingerprint::similarity`] only: the
/// shingle set without the band keys ([`Fingerprint::bands`] is empty). The MinHash
/// signature costs more than the shingling, and comparing needs only the set.
pub fn comparable(text: ArticleText<'_>) -> Fingerprint {
    Fingerprint {
        shingles: shingle_set(text, None),
        bands: Vec::new(),
    }
}

/// The sorted, distinct shingle hashes of the three fields. Each field's words are
/// read straight from its text when it has only the characters [`push_words_direct`]
/// knows, as news in English and Russian does; otherwise from `folded` (the fields
/// folded), or folded here into one buffer for the three.
fn shingle_set(text: ArticleText<'_>, folded: Option<&[Folded; 3]>) -> Vec<u64> {
    let fields = [text.title, text.summary, text.body];
    let mut shingles = Vec::new();
    let mut words = Vec::new();
    let mut key = Key::default();
    let mut scratch = Folded::default();
    for (k, field) in fields.into_iter().enumerate() {
        words.clear();
        if !push_words_direct(field, &mut key, &mut words) {
            words.clear();
            key = Key::default();
            let folded = match folded {
                Some(all) => &all[k],
                None => {
                    fold_into(field, &mut scratch);
                    &scratch
                }
            };
            push_words(field, folded, &mut words);
        }
        shingles.extend(words.windows(SHINGLE_WORDS).map(shingle_hash));
    }
    sort_distinct(&mut shingles);
    shingles
}

/// Sorts `v` and drops repeated values. Shingle hashes are spread evenly over the
/// 64 bits, so a counting pass on their top bits puts each in its place but for a
/// few neighbours; the buckets are then sorted one by one (about two values each).
/// In the cold ingest profile, sorting fell from 134 to 37 samples of about 8,000.
fn sort_distinct(v: &mut Vec<u64>) {
    /// Below this, the buckets' counts cost more than they save.
    const MIN_BUCKETED: usize = 64;
    if v.len() < MIN_BUCKETED {
        v.sort_unstable();
        v.dedup();
        return;
    }
    // About two values per bucket.
    let bits = (v.len() / 2).ilog2();
    let shift = 64 - bits;
    let mut starts = vec![0u32; (1 << bits) + 1];
    for &x in v.iter() {
        starts[(x >> shift) as usize + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    // Scattered into a copy and back, so that the vector kept (a fingerprint waits
    // in it for the writer) is allocated as before, not a new one among freed ones.
    let unsorted = v.clone();
    for &x in &unsorted {
        // `starts[b]` moves on to the end of bucket `b`, the start of the next.
        let slot = &mut starts[(x >> shift) as usize];
        v[*slot as usize] = x;
        *slot += 1;
    }
    drop(unsorted);
    let mut start = 0;
    for &end in &starts[..starts.len() - 1] {
        let bucket = &mut v[start..end as usize];
        if bucket.len() > 1 {
            // A comparison sort, so that values crafted to share their top bits
            // cost n log n, not the n² of an insertion sort.
            bucket.sort_unstable();
        }
        start = end as usize;
    }
    v.dedup();
}

/// True when `a` and `b` are texts of one story: both long enough to group, and
/// similar enough ([`SAME_STORY_JACCARD`]).
pub fn same_story(a: &Fingerprint, b: &Fingerprint) -> bool {
    a.is_groupable() && b.is_groupable() && a.similarity(b) >= SAME_STORY_JACCARD
}

/// True when `a` and `b` are one item re-issued by its own feed: both long enough to
/// group, and nearly the same text ([`REPUBLISHED_JACCARD`]).
pub fn republished(a: &Fingerprint, b: &Fingerprint) -> bool {
    a.is_groupable() && b.is_groupable() && a.similarity(b) >= REPUBLISHED_JACCARD
}

/// Hashes of the words of `s`, in order, each reduced to its spelling key.
#[cfg(test)]
fn words(s: &str) -> Vec<u64> {
    let mut out = Vec::new();
    push_words(s, &fold(s), &mut out);
    out
}

/// Appends to `out` the hashes of the words of `original`, whose folded form is
/// `folded`, in order, each reduced to its spelling key ([`Key`]).
///
/// The key is built letter by letter as the word is read (the spelling rules only
/// look back at what the key holds so far), in one buffer for all words, so a
/// word costs no allocation; ASCII, the bulk of Latin and of the space and
/// punctuation between Cyrillic words, takes no Unicode table lookup.
fn push_words(original: &str, folded: &Folded, out: &mut Vec<u64>) {
    let text = folded.text.as_bytes();
    let mut key = Key::default();
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if b.is_ascii() {
            if b.is_ascii_alphanumeric() {
                key.push(b);
            } else if b != APOSTROPHE as u8 {
                key.flush(out);
            }
            i += 1;
            continue;
        }
        let c = folded.text[i..]
            .chars()
            .next()
            .expect("i is on a char boundary");
        if let Some(latin) = romanise(c) {
            // Every letter `romanise` knows is alphanumeric and none is CJK; asking
            // it first spares Cyrillic text the other checks.
            // Folding turned `ё` into `е`; Uzbek writes it `yo` in Latin.
            let latin = if c == 'е' && original[folded.map[i]..].starts_with(['ё', 'Ё']) {
                "yo"
            } else {
                latin
            };
            latin.bytes().for_each(|b| key.push(b));
        } else if is_cjk(c) {
            key.flush(out);
            key.push_char(c);
            key.flush(out);
        } else if c.is_alphanumeric() {
            key.push_char(c);
        } else {
            key.flush(out);
        }
        i += c.len_utf8();
    }
    key.flush(out);
}

/// Like [`push_words`], reading `s` itself instead of its folded form, when every
/// character of `s` folds on its own, the same wherever it stands: ASCII, the
/// Cyrillic (U+0400..U+052F), the CJK ideographs and Hangul syllables,
/// and the separators, apostrophes and invisible characters of
/// [`direct_separator`]. Returns false, with `out` and `key` in an unspecified
/// state, at the first other character (a Latin letter with a diacritic, a
/// combining mark, a compatibility form): the caller then takes the general path.
///
/// Folding a whole field costs as much as cutting it into words; the general path
/// pays both, and an offset map of eight bytes per byte.
fn push_words_direct(s: &str, key: &mut Key, out: &mut Vec<u64>) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii() {
            if b.is_ascii_alphanumeric() {
                key.push(b.to_ascii_lowercase());
            } else if b != APOSTROPHE as u8 && b != b'`' {
                key.flush(out);
            }
            i += 1;
        } else if let Some(latin) = cyrillic_key(b, bytes.get(i + 1).copied()) {
            latin.bytes().for_each(|b| key.push(b));
            i += 2;
        } else {
            let c = s[i..].chars().next().expect("i is on a char boundary");
            match c as u32 {
                // Folding lowercases Cyrillic (and turns `ё`, here only in the
                // table above, into `е`); CJK ideographs and Hangul stay themselves.
                0x0400..=0x052F => c
                    .to_lowercase()
                    .for_each(|l| key.push_folded(fold_cyrillic_letter(l), out)),
                0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7A3 => key.push_folded(c, out),
                _ => match direct_separator(c) {
                    Some(true) => key.flush(out),
                    Some(false) => {}
                    None => return false,
                },
            }
            i += c.len_utf8();
        }
    }
    key.flush(out);
    true
}

/// For a non-ASCII character that folds to no letter or digit wherever it stands:
/// `Some(true)` when it ends a word (dashes, spaces, quotes, other punctuation),
/// `Some(false)` when it is dropped or folds to the apostrophe, so the word goes on.
/// `None` for every other character. Only the punctuation common in news text is
/// listed; anything else takes the general path.
fn direct_separator(c: char) -> Option<bool> {
    Some(match c {
        'ʻ' | 'ʼ' | 'ʽ' | '‘' | '’' | '‛' | '´' | '′' | 'ˈ' => false,
        '\u{00AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => false,
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{00A0}' | '\u{2002}'..='\u{200A}' => true,
        '\u{202F}' | '\u{2028}' | '\u{2029}' | '\u{3000}' => true,
        '«' | '»' | '“' | '”' | '„' | '‟' | '‹' | '›' | '\u{2022}'..='\u{2027}' => {
            true
        }
        '·' | '§' | '©' | '®' | '°' | '±' | '×' | '€' | '£' | '¥' | '‰' => true,
        '†' | '‡' | '¶' | '¦' | '¬' | '¡' | '¿' => true,
        '。' | '、' | '《' | '》' | '「' | '」' | '『' | '』' | '【' | '】' => true,
        _ => return None,
    })
}

/// The Latin spelling ([`romanise`]) of the basic Cyrillic letter (U+0400..U+045F)
/// whose two UTF-8 bytes are `b0` and `b1`, as the general path gives it after
/// folding (`Ё` and `ё` are `yo`); `None` for anything else, and for the letters
/// with no Latin spelling.
#[inline]
fn cyrillic_key(b0: u8, b1: Option<u8>) -> Option<&'static str> {
    if !(b0 == 0xD0 || b0 == 0xD1) {
        return None;
    }
    let b1 = b1?;
    if b1 & 0xC0 != 0x80 {
        return None;
    }
    let c = (usize::from(b0 & 0x1F) << 6) | usize::from(b1 & 0x3F);
    CYRILLIC_KEYS.get(c.checked_sub(0x400)?).copied().flatten()
}

/// [`cyrillic_key`]'s table: U+0400..U+045F, folded, then romanised.
static CYRILLIC_KEYS: [Option<&str>; 0x60] = cyrillic_keys();

const fn cyrillic_keys() -> [Option<&'static str>; 0x60] {
    let mut keys = [None; 0x60];
    let mut i = 0;
    while i < keys.len() {
        let c = 0x400 + i as u32;
        keys[i] = if c == 0x0401 || c == 0x0451 {
            // Folded to `е`, but Uzbek writes `ё` as `yo` in Latin (see `push_words`).
            Some("yo")
        } else {
            match crate::text::fold_basic_cyrillic_code(c) {
                Some(lower) => match char::from_u32(lower) {
                    Some(lower) => romanise(lower),
                    None => None,
                },
                None => None,
            }
        };
        i += 1;
    }
    keys
}

/// The spelling key of the word being read: the letter groups that Latin alphabets
/// of the region spell differently collapse to one letter (module docs).
///
/// The key is hashed as it is built ([`hash_bytes`] of the finished key): the
/// spelling rules only ever change the key's last byte or drop its trailing `i`s,
/// so only those wait in `pending`, and everything before them is already in
/// `hash`. The state fits in registers, where a buffer would be written and read
/// back for every letter.
struct Key {
    /// FNV-1a state after the key's bytes before `pending`.
    hash: u64,
    pending: Pending,
    /// Nothing was added since the last flush.
    empty: bool,
}

/// The end of the key that a spelling rule may still change.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pending {
    /// The key ends in a non-ASCII byte, or is empty.
    None,
    /// The key ends in this ASCII byte, which is not `i`.
    Byte(u8),
    /// The key ends in this many `i`s.
    Is(u32),
}

impl Default for Key {
    fn default() -> Key {
        Key {
            hash: FNV_OFFSET,
            pending: Pending::None,
            empty: true,
        }
    }
}

impl Key {
    /// Adds one ASCII letter or digit of the word (or of its romanisation).
    #[inline(always)]
    fn push(&mut self, b: u8) {
        self.empty = false;
        match (self.pending, b) {
            (Pending::Byte(b's' | b'c'), b'h') => {}
            (Pending::Byte(b'z'), b'h') => self.pending = Pending::Byte(b'j'),
            (Pending::Byte(b'k'), b'h') => self.pending = Pending::Byte(b'h'),
            (Pending::Byte(b't'), b's') => self.pending = Pending::Byte(b'c'),
            (_, b'x') => self.then(Pending::Byte(b'h')),
            (Pending::Is(n), b'y' | b'i') => self.pending = Pending::Is(n + 1),
            (_, b'y' | b'i') => self.then(Pending::Is(1)),
            // Uzbek writes `ye` where Cyrillic has `е` after a vowel or at the start:
            // the trailing `i`s are dropped.
            (Pending::Is(_), b'e') => self.pending = Pending::Byte(b'e'),
            _ => self.then(Pending::Byte(b)),
        }
    }

    /// Hashes what is pending, which `next` replaces.
    #[inline(always)]
    fn then(&mut self, next: Pending) {
        match self.pending {
            Pending::None => {}
            Pending::Byte(b) => self.hash = fnv_byte(self.hash, b),
            Pending::Is(n) => {
                for _ in 0..n {
                    self.hash = fnv_byte(self.hash, b'i');
                }
            }
        }
        self.pending = next;
    }

    /// Adds a folded non-ASCII character as [`push_words`] reads it (a `е` that was
    /// not an `ё`).
    fn push_folded(&mut self, c: char, out: &mut Vec<u64>) {
        if let Some(latin) = romanise(c) {
            latin.bytes().for_each(|b| self.push(b));
        } else if is_cjk(c) {
            self.flush(out);
            self.push_char(c);
            self.flush(out);
        } else if c.is_alphanumeric() {
            self.push_char(c);
        } else {
            self.flush(out);
        }
    }

    /// Adds a non-ASCII letter or digit, which no spelling rule changes.
    fn push_char(&mut self, c: char) {
        if c.is_ascii() {
            return self.push(c as u8);
        }
        self.empty = false;
        self.then(Pending::None);
        let mut buf = [0; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            self.hash = fnv_byte(self.hash, b);
        }
    }

    /// Ends the word: its hash goes to `out`, and the key starts empty.
    #[inline]
    fn flush(&mut self, out: &mut Vec<u64>) {
        if !self.empty {
            self.then(Pending::None);
            out.push(mix(self.hash));
            *self = Key::default();
        }
    }
}

/// Latin for a folded (lower-case) Cyrillic letter, `None` for anything else. One
/// spelling per letter, chosen so that the spelling key ([`Key`]) of the result agrees with the
/// Uzbek and Kazakh Latin alphabets: Uzbek `ў` o‘, `ғ` g‘, `қ` q, `ҳ` h, `х` x, `ж` j;
/// Kazakh `ә` ä, `ө` ö, `ү` ü, `ұ` ū, `ң` ñ, `һ` h, `і` ı; Tajik `ҷ` j, `ӣ` i, `ӯ` u.
const fn romanise(c: char) -> Option<&'static str> {
    Some(match c {
        'а' | 'ә' => "a",
        'б' => "b",
        'в' => "v",
        'г' | 'ғ' | 'ґ' => "g",
        'д' => "d",
        'е' | 'э' | 'є' => "e",
        'ж' | 'ҷ' | 'ј' => "j",
        'з' => "z",
        'и' | 'і' | 'ї' | 'ӣ' => "i",
        'й' | 'ы' => "y",
        'к' => "k",
        'қ' | 'ҡ' => "q",
        'л' => "l",
        'м' => "m",
        'н' | 'ң' => "n",
        'о' | 'ө' | 'ў' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' | 'ү' | 'ұ' | 'ӯ' => "u",
        'ф' => "f",
        'х' => "x",
        'ҳ' | 'һ' => "h",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ю' => "yu",
        'я' => "ya",
        _ => return None,
    })
}

/// The hash of a word's key: FNV-1a, finished with [`mix`]; a hash fixed by this
/// code, never by the Rust version or a random seed, because band keys are stored
/// and looked up across restarts and upgrades. [`Key`] computes it as the key is
/// built; this is the definition the tests hold it to.
#[cfg(test)]
fn hash_bytes(bytes: &[u8]) -> u64 {
    mix(bytes.iter().fold(FNV_OFFSET, |h, &b| fnv_byte(h, b)))
}

/// FNV-1a's starting state.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// One step of FNV-1a.
#[inline(always)]
fn fnv_byte(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
}

/// The SplitMix64 finaliser: spreads every input bit over the whole output.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One hash of a run of words; the order of the words counts.
fn shingle_hash(words: &[u64]) -> u64 {
    words.iter().fold(0u64, |h, &w| mix(h.rotate_left(17) ^ w))
}

/// The seed of each MinHash function: function `i` hashes a shingle `s` as
/// `mix(s ^ SEEDS[i])`.
const SEEDS: [u64; BANDS * ROWS] = seeds();

const fn seeds() -> [u64; BANDS * ROWS] {
    let mut seeds = [0; BANDS * ROWS];
    let mut i = 0;
    while i < seeds.len() {
        seeds[i] = (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        i += 1;
    }
    seeds
}

/// The MinHash signature of `shingles` cut into [`BANDS`] keys of [`ROWS`] values.
fn band_keys(shingles: &[u64]) -> Vec<i64> {
    // One function at a time over all the shingles: its running minimum stays in a
    // register, and the multiplications of successive shingles overlap (three
    // times faster than updating all the minimums for each shingle in turn).
    let mins = SEEDS.map(|seed| min_hash(shingles, seed));
    mins.chunks(ROWS)
        .enumerate()
        .map(|(band, values)| {
            let key = values
                .iter()
                .fold(band as u64, |h, &v| mix(h.rotate_left(23) ^ v));
            (key & 0x7fff_ffff) as i64
        })
        .collect()
}

/// The smallest hash of a shingle under the function seeded with `seed`.
fn min_hash(shingles: &[u64], seed: u64) -> u64 {
    // Four running minimums, so that the comparisons do not wait on each other.
    let mut mins = [u64::MAX; 4];
    let mut chunks = shingles.chunks_exact(4);
    for chunk in &mut chunks {
        for (min, &s) in mins.iter_mut().zip(chunk) {
            *min = (*min).min(mix(s ^ seed));
        }
    }
    let rest = chunks.remainder().iter().map(|&s| mix(s ^ seed));
    rest.chain(mins).min().unwrap_or(u64::MAX)
}

/// Realistic texts for the tests of this module and of the store.
#[cfg(test)]
pub(crate) mod samples {
    use crate::model::ArticleText;

    /// A plain-text article: title, summary, body.
    pub type Sample = (&'static str, &'static str, &'static str);

    pub fn text(s: &Sample) -> ArticleText<'static> {
        ArticleText {
            title: s.0,
            summary: s.1,
            body: s.2,
        }
    }

    /// A Kazinform story as the agency's feed gives it.
    pub const KAZINFORM_BAKHTY: Sample = (
        "Kazakhstan, China agree to build second railway line at Bakhty crossing",
        "ASTANA. KAZINFORM – Kazakhstan and China have signed an agreement to build a \
         second railway line between Ayagoz and the Bakhty border crossing, Kazinform \
         News Agency correspondent reports.",
        "Kazakhstan and China have signed an agreement to build a second railway line \
         between Ayagoz and the Bakhty border crossing, Kazinform News Agency \
         correspondent reports.\n\n\
         The document was signed in Beijing by the chairman of the board of Kazakhstan \
         Temir Zholy, Nurlan Sauranbayev, and the head of China State Railway Group \
         during the meeting of the intergovernmental cooperation committee.\n\n\
         The new line will be 272 kilometres long and is expected to raise the capacity \
         of the crossing to 20 million tonnes of cargo a year. Construction is scheduled \
         to begin in the spring of 2025 and to be completed by the end of 2027.\n\n\
         According to the national railway company, freight traffic between the two \
         countries grew by 23 percent in the first nine months of the year, and the \
         existing crossings at Dostyk and Altynkol are working at the limit of their \
         capacity.\n\n\
         Bakhty will become the third railway crossing on the Kazakh-Chinese border. The \
         project is part of a wider programme to build 5,000 kilometres of new railway \
         lines in Kazakhstan by 2030.",
    );

    /// The same story republished by another outlet: a new headline and lede, the
    /// agency's sentences partly reworded, and a paragraph of its own at the end.
    pub const REPUBLISHED_BAKHTY: Sample = (
        "Third Kazakh-Chinese rail crossing: agreement signed on Ayagoz-Bakhty line",
        "Astana and Beijing have agreed on a new rail link to the Bakhty crossing, a move \
         that should ease congestion at Dostyk and Altynkol.",
        "Astana and Beijing have agreed on a new rail link to the Bakhty crossing, a move \
         that should ease the congestion at Dostyk and Altynkol, Kazinform reported on \
         Tuesday.\n\n\
         The document was signed in Beijing by Nurlan Sauranbayev, chairman of the board \
         of Kazakhstan Temir Zholy, and the head of China State Railway Group during a \
         meeting of the intergovernmental cooperation committee.\n\n\
         The new line will be 272 kilometres long and is expected to raise the capacity \
         of the crossing to 20 million tonnes of cargo a year. Construction is due to \
         begin in the spring of 2025 and to be completed by the end of 2027.\n\n\
         According to the national railway company, freight traffic between the two \
         countries grew by 23 percent in the first nine months of the year, and the \
         existing crossings at Dostyk and Altynkol are working at the limit of their \
         capacity.\n\n\
         Bakhty will become the third railway crossing on the Kazakh-Chinese border. The \
         project is part of a wider programme to build 5,000 kilometres of new railway \
         lines in Kazakhstan by 2030.\n\n\
         Analysts expect the new line to shorten waiting times for container trains \
         bound for Europe, which at peak periods have reached several days at Dostyk \
         station, according to freight forwarders in Almaty.",
    );

    /// A different railway story from the same region and week.
    pub const DOSTYK_MOYINTY: Sample = (
        "Second track of Dostyk-Moyinty railway doubles transit capacity",
        "Kazakhstan Temir Zholy has put the second track of the Dostyk-Moyinty line into \
         service, raising the number of train pairs a day from 12 to 60.",
        "Kazakhstan Temir Zholy has put the second track of the Dostyk-Moyinty railway \
         into permanent service, the company said on Monday.\n\n\
         The 836-kilometre section links the Dostyk border crossing with the central \
         regions of the country and carries most of the container traffic between China \
         and Europe that passes through Kazakhstan. With the second track, the line can \
         handle 60 pairs of trains a day instead of 12, and the speed of freight trains \
         will rise to 80 kilometres per hour.\n\n\
         More than 4,000 workers and 1,500 units of machinery were involved in the \
         construction, which began in 2022. Five new stations and 24 sidings were built \
         along the route.\n\n\
         The company expects transit cargo through Dostyk to reach 35 million tonnes by \
         2027. Container trains from Chongqing and Xi'an will spend up to two days less \
         on the Kazakh section of the route.",
    );

    /// Another railway story, on a neighbouring project.
    pub const CKU_FINANCING: Sample = (
        "China-Kyrgyzstan-Uzbekistan railway: financing agreement signed",
        "The three countries have agreed how the 4.7 billion dollar railway through \
         Kyrgyzstan will be paid for.",
        "China, Kyrgyzstan and Uzbekistan have signed an agreement on the financing of \
         the China-Kyrgyzstan-Uzbekistan railway, the Kyrgyz Ministry of Transport and \
         Communications reported.\n\n\
         The 523-kilometre line will run from Kashgar through Torugart and Jalal-Abad to \
         Andijan. Its cost is estimated at 4.7 billion dollars, of which China will \
         provide 51 percent and Kyrgyzstan and Uzbekistan the rest through a joint \
         venture registered in Bishkek.\n\n\
         Construction of the Kyrgyz section, which includes more than 40 tunnels and 90 \
         bridges, is expected to take six years. Officials say the railway will cut the \
         delivery time of goods from China to the Persian Gulf by about a week and will \
         compete with the route through Kazakhstan.\n\n\
         Freight volumes on the new line are forecast at 15 million tonnes a year in the \
         first stage.",
    );

    /// An Uzbek story in the Latin alphabet (as kun.uz or gazeta.uz publish it), with
    /// the apostrophe variants outlets actually use.
    pub const UZ_METRO_LATIN: Sample = (
        "Toshkentda yangi metro bekatlari foydalanishga topshirildi",
        "Yer usti halqa metro liniyasining to‘rtta yangi bekati ochildi.",
        "Poytaxtning Yangihayot tumanida Yer usti halqa metro liniyasining to‘rtta yangi \
         bekati foydalanishga topshirildi. Bu haqda Toshkent shahar hokimligi matbuot \
         xizmati xabar berdi.\n\n\
         Yangi bekatlar orqali kuniga qariyb o‘ttiz ming yo‘lovchi tashiladi, deb \
         hisoblanmoqda. Liniyaning umumiy uzunligi o‘n bir kilometrni tashkil etadi. \
         Qurilish ishlari ikki yil davom etdi va unga davlat byudjetidan mablagʻ \
         ajratildi.\n\n\
         Hokimlik ma’lumotiga ko‘ra, kelgusi yilda yana uchta bekat qurilishi \
         rejalashtirilgan. Yo'l haqi boshqa liniyalardagi kabi ikki ming so‘mni tashkil \
         etadi.",
    );

    /// The same Uzbek story in the Cyrillic alphabet.
    pub const UZ_METRO_CYRILLIC: Sample = (
        "Тошкентда янги метро бекатлари фойдаланишга топширилди",
        "Ер усти ҳалқа метро линиясининг тўртта янги бекати очилди.",
        "Пойтахтнинг Янгиҳаёт туманида Ер усти ҳалқа метро линиясининг тўртта янги \
         бекати фойдаланишга топширилди. Бу ҳақда Тошкент шаҳар ҳокимлиги матбуот \
         хизмати хабар берди.\n\n\
         Янги бекатлар орқали кунига қарийб ўттиз минг йўловчи ташилади, деб \
         ҳисобланмоқда. Линиянинг умумий узунлиги ўн бир километрни ташкил этади. \
         Қурилиш ишлари икки йил давом этди ва унга давлат бюджетидан маблағ \
         ажратилди.\n\n\
         Ҳокимлик маълумотига кўра, келгуси йилда яна учта бекат қурилиши \
         режалаштирилган. Йўл ҳақи бошқа линиялардаги каби икки минг сўмни ташкил \
         этади.",
    );

    /// A different Uzbek story (Latin) on Tashkent transport, for contrast.
    pub const UZ_BUS_LATIN: Sample = (
        "Toshkentda 200 ta yangi elektrobus yo‘lga chiqadi",
        "Poytaxt jamoat transporti parki yangilanmoqda.",
        "Toshkent shahar hokimligi yil oxirigacha poytaxt ko‘chalariga 200 ta yangi \
         elektrobus chiqarilishini ma’lum qildi. Elektrobuslar Xitoyda ishlab \
         chiqarilgan va har biri bir marta quvvatlanganda 250 kilometr yura oladi.\n\n\
         Yangi avtobuslar asosan Chilonzor va Yunusobod tumanlaridagi yo‘nalishlarga \
         qo‘yiladi. Ular uchun shaharda o‘nta zaryadlash stansiyasi qurilmoqda. \
         Transport boshqarmasi ma’lumotiga ko‘ra, eski dizel avtobuslar bosqichma-bosqich \
         hisobdan chiqariladi.",
    );

    /// Kazakh in Cyrillic and in the 2021 Latin alphabet: the same two sentences.
    pub const KZ_CYRILLIC: Sample = (
        "Қазақстан мен Қытай арасындағы жүк тасымалы өсті",
        "",
        "Биылғы тоғыз айда Қазақстан мен Қытай арасындағы теміржол жүк тасымалы жиырма \
         үш пайызға өсті. Бұл туралы Қазақстан темір жолы ұлттық компаниясы хабарлады. \
         Достық және Алтынкөл өткелдері толық қуатпен жұмыс істеп тұр, сондықтан Бақты \
         арқылы жаңа желі салынады.",
    );

    pub const KZ_LATIN: Sample = (
        "Qazaqstan men Qytai arasyndağy jük tasymaly östı",
        "",
        "Biylğy toğyz aida Qazaqstan men Qytai arasyndağy temırjol jük tasymaly jiyrma \
         üş paiyzğa östı. Būl turaly Qazaqstan temır joly ūlttyq kompaniiasy habarlady. \
         Dostyq jäne Altynköl ötkelderı tolyq quatpen jūmys ıstep tūr, sondyqtan Baqty \
         arqyly jaña jelı salynady.",
    );
}

#[cfg(test)]
mod tests {
    use super::samples::*;
    use super::*;

    fn fp(s: &Sample) -> Fingerprint {
        fingerprint(text(s))
    }

    #[test]
    fn republication_with_new_lede_and_extra_paragraph_is_one_story() {
        let (a, b) = (fp(&KAZINFORM_BAKHTY), fp(&REPUBLISHED_BAKHTY));
        let j = a.similarity(&b);
        assert!(same_story(&a, &b), "similarity {j:.2}");
        assert!(
            j < REPUBLISHED_JACCARD,
            "a rewrite is not a re-issue: {j:.2}"
        );
    }

    #[test]
    fn different_railway_stories_are_not_one_story() {
        let stories = [
            fp(&KAZINFORM_BAKHTY),
            fp(&REPUBLISHED_BAKHTY),
            fp(&DOSTYK_MOYINTY),
            fp(&CKU_FINANCING),
        ];
        for (i, j) in [(0, 2), (0, 3), (1, 2), (1, 3), (2, 3)] {
            let s = stories[i].similarity(&stories[j]);
            assert!(!same_story(&stories[i], &stories[j]), "{i}/{j}: {s:.2}");
            assert!(s < 0.1, "{i}/{j}: {s:.2} is close to the threshold");
        }
    }

    #[test]
    fn uzbek_cyrillic_and_latin_editions_are_one_story() {
        let (lat, cyr) = (fp(&UZ_METRO_LATIN), fp(&UZ_METRO_CYRILLIC));
        assert_eq!(
            lat.similarity(&cyr),
            1.0,
            "every word must romanise to the Latin edition's key"
        );
        assert!(same_story(&lat, &cyr));
        let bus = fp(&UZ_BUS_LATIN);
        assert!(!same_story(&bus, &lat) && !same_story(&bus, &cyr));
    }

    #[test]
    fn kazakh_cyrillic_and_2021_latin_agree() {
        let (cyr, lat) = (fp(&KZ_CYRILLIC), fp(&KZ_LATIN));
        assert!(cyr.is_groupable(), "{} shingles", cyr.len());
        assert_eq!(cyr.similarity(&lat), 1.0);
    }

    #[test]
    fn spelling_keys_of_both_scripts_agree_word_by_word() {
        for (cyrillic, latin) in [
            ("Ўзбекистон", "O‘zbekiston"),
            ("ғалла", "g'alla"),
            ("Ер", "Yer"),
            ("поезд", "poyezd"),
            ("ёшлар", "yoshlar"),
            ("маълумот", "ma’lumot"),
            ("хабар", "xabar"),
            ("ҳоким", "hokim"),
            ("бюджет", "byudjet"),
            ("Қазақстан", "Qazaqstan"),
            ("шаһар", "şahar"),
            ("Ақмешіт", "Aqmeşıt"),
            ("ұлттық", "ūlttyq"),
        ] {
            assert_eq!(words(cyrillic), words(latin), "{cyrillic} / {latin}");
        }
        // Keys stay apart where the words differ.
        assert_ne!(words("Ташкент"), words("Тошкент"));
        assert_ne!(words("bank"), words("bang"));
    }

    #[test]
    fn title_only_items_group_with_nothing() {
        let title_only = |s: &Sample| {
            fingerprint(ArticleText {
                title: s.0,
                summary: "",
                body: "",
            })
        };
        let (a, b) = (title_only(&KAZINFORM_BAKHTY), title_only(&KAZINFORM_BAKHTY));
        assert!(!a.is_groupable() && a.bands().is_empty());
        assert!(
            !same_story(&a, &b),
            "even an identical headline is too little"
        );
        assert!(!same_story(&a, &fp(&KAZINFORM_BAKHTY)));
        // A headline with a one-line teaser is still too short.
        let teaser = fingerprint(ArticleText {
            title: KAZINFORM_BAKHTY.0,
            summary: "Kazakhstan and China have signed an agreement on the Bakhty line.",
            body: "",
        });
        assert!(!teaser.is_groupable(), "{} shingles", teaser.len());
    }

    #[test]
    fn republished_needs_nearly_the_same_text() {
        let original = fp(&KAZINFORM_BAKHTY);
        let retitled = fingerprint(ArticleText {
            title: "Kazakhstan and China sign deal on second Bakhty railway line",
            ..text(&KAZINFORM_BAKHTY)
        });
        assert!(republished(&original, &retitled));
        assert!(!republished(&original, &fp(&REPUBLISHED_BAKHTY)));
    }

    #[test]
    fn band_keys_are_fixed_and_shared_by_one_story() {
        let a = fp(&KAZINFORM_BAKHTY);
        assert_eq!(a.bands().len(), BANDS);
        assert!(a.bands().iter().all(|&k| (0..1 << 31).contains(&k)));
        assert_eq!(a, fp(&KAZINFORM_BAKHTY), "deterministic");
        let shared = |x: &Fingerprint, y: &Fingerprint| {
            x.bands().iter().filter(|k| y.bands().contains(k)).count()
        };
        assert!(shared(&a, &fp(&REPUBLISHED_BAKHTY)) > 0);
        let (lat, cyr) = (fp(&UZ_METRO_LATIN), fp(&UZ_METRO_CYRILLIC));
        assert_eq!(shared(&lat, &cyr), BANDS);
        assert_eq!(shared(&a, &fp(&DOSTYK_MOYINTY)), 0);
        assert_eq!(shared(&a, &fp(&CKU_FINANCING)), 0);
    }

    /// A text that takes every path of the word cutter: ё in all its spellings,
    /// Kazakh and Uzbek letters, apostrophes, digits, CJK, Greek, diacritics.
    const MIXED: &str = "Ёлкин и Семёнов (Е\u{308}ж) — в Қазақстан’e 2025-м; O‘zbekiston, Yer, \
        poyezd, şahar Ақмешіт ұлттық Ўзбекистон ғалла щука цех «Жетісу» \
        中欧班列经霍尔果斯口岸 Ελλάδα Ürümqi naïve straße ＡＢＣ ﬁ x-ray Xinjiang's";

    /// The fingerprint's values are stored: band keys are indexed in the database and
    /// looked up across versions, so they must never change. Pinned here.
    #[test]
    fn fingerprint_values_are_pinned() {
        let digest = |hashes: &[u64]| hashes.iter().fold(0u64, |h, &s| mix(h ^ s));
        let a = fp(&KAZINFORM_BAKHTY);
        assert_eq!(
            a.bands(),
            [
                2055725273, 1651889924, 585451947, 278698703, 1364966388, 1166732019, 1169070013,
                1156788489, 1611119291, 452335508, 26013698, 258219617, 993478276, 68685493,
                163858796, 1538224071
            ]
        );
        assert_eq!((a.len(), digest(&a.shingles)), (185, 14084751160628940115));
        let uz = fp(&UZ_METRO_CYRILLIC);
        assert_eq!(
            uz.bands(),
            [
                1742450517, 984410320, 371927031, 1878514644, 1245687715, 1921052655, 904014208,
                1701595507, 1674822649, 61268900, 306616397, 629898272, 2007321573, 499852022,
                1443835384, 1946864453
            ]
        );
        assert_eq!((uz.len(), digest(&uz.shingles)), (76, 10571273117809836903));
        let mixed = fingerprint(ArticleText {
            title: MIXED,
            summary: "Семёнов",
            body: MIXED,
        });
        assert_eq!(
            (mixed.len(), digest(&mixed.shingles)),
            (37, 13375475768651232595)
        );
        let words = words(MIXED);
        assert_eq!(words[..2], [15204113877980078400, 14603865828912125874]);
        assert_eq!((words.len(), digest(&words)), (39, 627803688700452013));
    }

    #[test]
    fn cjk_text_is_shingled_by_character() {
        let a = fingerprint(ArticleText {
            title: "",
            summary: "",
            body: "中欧班列经霍尔果斯口岸出境的数量今年前九个月同比增长百分之二十三，\
                   阿拉山口口岸的通关能力已接近饱和。",
        });
        assert!(a.is_groupable(), "{} shingles", a.len());
    }

    #[test]
    fn comparable_fingerprints_compare_like_full_ones() {
        let full = [
            fp(&KAZINFORM_BAKHTY),
            fp(&REPUBLISHED_BAKHTY),
            fp(&UZ_METRO_CYRILLIC),
        ];
        for s in [&KAZINFORM_BAKHTY, &REPUBLISHED_BAKHTY, &UZ_METRO_LATIN] {
            let (c, f) = (comparable(text(s)), fp(s));
            assert!(c.bands().is_empty(), "no MinHash for a comparison");
            assert_eq!(c.len(), f.len());
            for other in &full {
                assert_eq!(c.similarity(other), f.similarity(other));
                assert_eq!(same_story(&c, other), same_story(&f, other));
                assert_eq!(republished(&c, other), republished(&f, other));
            }
        }
        assert!(same_story(&comparable(text(&UZ_METRO_LATIN)), &full[2]));
    }

    /// The words of `s` as the first version computed them, word by word into a
    /// `String` and then through [`skeleton`]: the reference [`push_words`] must
    /// agree with, since fingerprints are stored.
    fn words_reference(s: &str) -> Vec<u64> {
        let folded = fold(s);
        let mut out = Vec::new();
        let (mut word, mut key) = (String::new(), String::new());
        let mut flush = |word: &mut String| {
            if !word.is_empty() {
                skeleton(word, &mut key);
                out.push(hash_bytes(key.as_bytes()));
                word.clear();
            }
        };
        for (i, c) in folded.text.char_indices() {
            if is_cjk(c) {
                flush(&mut word);
                word.push(c);
                flush(&mut word);
            } else if let Some(latin) = romanise(c) {
                if c == 'е' && s[folded.map[i]..].starts_with(['ё', 'Ё']) {
                    word.push_str("yo");
                } else {
                    word.push_str(latin);
                }
            } else if c.is_alphanumeric() {
                word.push(c);
            } else if c != APOSTROPHE {
                flush(&mut word);
            }
        }
        flush(&mut word);
        out
    }

    /// Writes to `out` the spelling key of a Latin (or romanised) word: the letter groups that Latin
    /// alphabets of the region spell differently collapse to one letter (module docs).
    fn skeleton(word: &str, out: &mut String) {
        out.clear();
        for c in word.chars() {
            match (out.chars().next_back(), c) {
                (Some('s' | 'c'), 'h') => {}
                (Some('z'), 'h') => replace_last(out, 'j'),
                (Some('k'), 'h') => replace_last(out, 'h'),
                (Some('t'), 's') => replace_last(out, 'c'),
                (_, 'x') => out.push('h'),
                (_, 'y') => out.push('i'),
                (_, 'e') => {
                    // Uzbek writes `ye` where Cyrillic has `е` after a vowel or at the start.
                    while out.ends_with('i') {
                        out.pop();
                    }
                    out.push('e');
                }
                _ => out.push(c),
            }
        }
    }

    fn replace_last(s: &mut String, c: char) {
        s.pop();
        s.push(c);
    }

    #[test]
    fn words_agree_with_the_reference() {
        for s in [
            MIXED,
            KAZINFORM_BAKHTY.2,
            UZ_METRO_CYRILLIC.2,
            UZ_METRO_LATIN.2,
            KZ_CYRILLIC.2,
            KZ_LATIN.2,
        ] {
            assert_eq!(words(s), words_reference(s), "{s}");
        }
    }

    /// The words of `s` by [`push_words_direct`], `None` when it declines `s`.
    fn words_direct(s: &str) -> Option<Vec<u64>> {
        let mut out = Vec::new();
        push_words_direct(s, &mut Key::default(), &mut out).then_some(out)
    }

    #[test]
    fn direct_words_agree_with_folded_words() {
        for s in [
            KAZINFORM_BAKHTY.2,
            REPUBLISHED_BAKHTY.2,
            DOSTYK_MOYINTY.2,
            UZ_METRO_LATIN.2,
            "«Қазақстан темір жолы» — ҚТЖ, Ёлкин и Семёнов: 中欧班列 … x-ray Xinjiang's",
            "Ђорђе Љубљана Ѝ ѝ Ѐ ѐ ЪЬ ъь ЁЖИК ёжик щука цех",
        ] {
            assert_eq!(words_direct(s).as_ref(), Some(&words(s)), "{s}");
        }
        // Characters that fold with their neighbours or to letters take the general path.
        for s in [
            "naïve",
            "Е\u{308}ж",
            "ＡＢＣ",
            "ﬁ",
            "№ 5",
            "Ελλάδα",
            "x\u{2033}y",
        ] {
            assert_eq!(words_direct(s), None, "{s}");
        }
    }

    #[test]
    fn direct_separators_fold_as_listed() {
        for c in (0x80..0x3100).filter_map(char::from_u32) {
            let Some(ends_word) = direct_separator(c) else {
                continue;
            };
            let s = format!("ab{c}cd");
            let expected = if ends_word {
                vec![hash_bytes(b"ab"), hash_bytes(b"cd")]
            } else {
                vec![hash_bytes(b"abcd")]
            };
            assert_eq!(words(&s), expected, "U+{:04X}", c as u32);
            assert_eq!(words_direct(&s), Some(expected), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn direct_words_of_every_cyrillic_character() {
        for c in '\u{0400}'..='\u{052F}' {
            for s in [
                c.to_string(),
                format!("а{c}ш"),
                format!("s{c}"),
                format!("{c}{c}"),
            ] {
                assert_eq!(words_direct(&s), Some(words(&s)), "U+{:04X}", c as u32);
            }
        }
    }

    #[test]
    fn sort_distinct_sorts_and_dedups() {
        let mut v: Vec<u64> = (0..1000u64).map(|i| mix(i % 700)).collect();
        let mut expected = v.clone();
        expected.sort_unstable();
        expected.dedup();
        sort_distinct(&mut v);
        assert_eq!(v, expected);
        // Values that all share their top bits still sort.
        let mut same_top: Vec<u64> = (0..500u64).rev().collect();
        sort_distinct(&mut same_top);
        assert_eq!(same_top, (0..500u64).collect::<Vec<_>>());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn words_agree_with_the_reference_on_any_text(s in "\\PC{0,60}") {
                prop_assert_eq!(words(&s), words_reference(&s));
            }

            #[test]
            fn direct_words_agree_with_folded_words_on_any_text(s in "\\PC{0,60}") {
                if let Some(direct) = words_direct(&s) {
                    prop_assert_eq!(direct, words(&s));
                }
            }

            #[test]
            fn direct_words_agree_with_folded_words_on_news_like_text(
                s in "([a-zA-Z0-9 .,;:!?()'`\"\\-\n\t]|[\u{0400}-\u{052F}]|[«»“”„…—–‘’ʻʼ´\u{00A0}\u{00AD}\u{200B}\u{2009}\u{202F}]|[中文한]|е\u{308}|и\u{306}|[éüŞ№①])*"
            ) {
                let general = words(&s);
                match words_direct(&s) {
                    Some(direct) => prop_assert_eq!(direct, general),
                    None => {
                        let general_only = |c: char| {
                            "\u{308}\u{306}éüŞ№①".contains(c)
                        };
                        prop_assert!(s.chars().any(general_only), "declined {:?}", s);
                    }
                }
            }

            #[test]
            fn sort_distinct_is_sort_and_dedup(mut v in proptest::collection::vec(any::<u64>().prop_map(|x| (x % 5000).wrapping_mul(0x0010_0000_0000_0000) + x % 7), 0..400)) {
                let mut expected = v.clone();
                expected.sort_unstable();
                expected.dedup();
                sort_distinct(&mut v);
                prop_assert_eq!(v, expected);
            }

            #[test]
            fn common_count_is_the_intersection(a in proptest::collection::btree_set(0u64..200, 0..80), b in proptest::collection::btree_set(0u64..200, 0..80)) {
                let (va, vb): (Vec<u64>, Vec<u64>) = (a.iter().copied().collect(), b.iter().copied().collect());
                prop_assert_eq!(common_count(&va, &vb), a.intersection(&b).count());
            }

            #[test]
            fn words_agree_with_the_reference_on_word_like_text(
                s in "([a-zA-Zʻ‘’'`\\- хщцшчжёЁеЕйыэюяіәөүұқғңһҳўӣӯҷ]|е\u{308}|и\u{306}|[ÀÉÜŞçñ中文])*"
            ) {
                prop_assert_eq!(words(&s), words_reference(&s));
            }
        }
    }

    #[test]
    fn similarity_of_empty_texts_is_zero() {
        let empty = fingerprint(ArticleText {
            title: "",
            summary: "",
            body: "",
        });
        assert!(empty.is_empty());
        assert_eq!(empty.similarity(&empty), 0.0);
    }
}
