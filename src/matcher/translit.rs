//! Cross-script forms of a watch term: a Latin term's Cyrillic spellings and a
//! Cyrillic term's Latin spellings, generated once when watchlists are compiled.
//!
//! Each scheme is a table from a letter (or letter group) of one script to its
//! spellings in the other, most usual first. A term is cut into letters every way
//! the table allows, and the cheapest spellings are kept (a spelling costs the sum
//! of the option positions it used), at most [`MAX_FORMS_PER_SCHEME`] per scheme.
//! Spellings that keep a letter of the source script (the scheme did not cover it)
//! are dropped. The schemes:
//!
//! - Russian: BGN/PCGN with the common variants (`х` kh/h/x, `ц` ts/c/tz, `щ`
//!   shch/sch, `ю` yu/iu/ju, `я` ya/ia/ja, `е` e/ye, `ё` yo/e, `й` y/i, `ий` iy/y/i,
//!   `кс` ks/x; `ъ` and `ь` dropped or `'`).
//! - Uzbek: the official Latin/Cyrillic correspondence (`ў` o‘, `ғ` g‘, `қ` q, `ҳ` h,
//!   `х` x, `ш` sh, `ч` ch, `ж` j, `ц` ts, `ё` yo, `ю` yu, `я` ya, `ъ` ‘).
//! - Kazakh 2021 Latin (`ә` ä, `ө` ö, `ү` ü, `ұ` ū, `ғ` ğ, `қ` q, `ң` ñ, `һ`/`х` h,
//!   `ы` y/ı, `і` ı/i, `и`/`й` i, `ш` ş, `ч` ç).
//! - Older romanisations of Kazakh, Kyrgyz and Tajik (`қ` k/q, `ғ` g/gh, `ң` ng/n,
//!   `ә` a, `ө` o, `ү`/`ұ` u, `ж` zh/j, `ҷ` j/ch, `ӣ` i, `ӯ` u).
//!
//! Latin diacritics are folded away in matching, so `ş` and `s` are the same in
//! the text; the Kazakh 2021 table still reads them in a term to pick the letter.

use unicode_normalization::UnicodeNormalization;

use crate::text;

/// Spellings kept per scheme and term. Names have a few ambiguous letters, and the
/// cheapest few dozen spellings cover the usual ones; more only grow the automaton.
pub const MAX_FORMS_PER_SCHEME: usize = 32;

/// Letter (group) to spellings in the other script, most usual first. A key that
/// starts with `^` applies only at the start of a word, one that ends with `$` only
/// at its end. Reading a letter group as shorter keys costs one more.
type Table = &'static [(&'static str, &'static [&'static str])];

struct Scheme {
    to_latin: Table,
    to_cyrillic: Table,
    /// More Latin-to-Cyrillic letters, chosen per word by its vowels:
    /// back vowels only, front vowels only, or both.
    harmony: Option<[Table; 3]>,
    /// The Latin side uses letters with diacritics (`ş`, `ä`), so Latin terms are
    /// read as written; other schemes read them with diacritics folded away.
    latin_diacritics: bool,
}

const SCHEMES: &[Scheme] = &[
    Scheme {
        to_latin: RU_TO_LATIN,
        to_cyrillic: RU_TO_CYRILLIC,
        harmony: None,
        latin_diacritics: false,
    },
    Scheme {
        to_latin: UZ_TO_LATIN,
        to_cyrillic: UZ_TO_CYRILLIC,
        harmony: None,
        latin_diacritics: false,
    },
    Scheme {
        to_latin: KZ_TO_LATIN,
        to_cyrillic: KZ_TO_CYRILLIC,
        harmony: None,
        latin_diacritics: true,
    },
    Scheme {
        to_latin: OLD_TO_LATIN,
        to_cyrillic: OLD_TO_CYRILLIC,
        harmony: Some([OLD_BACK, OLD_FRONT, OLD_MIXED]),
        latin_diacritics: false,
    },
];

/// The other-script forms of `term` (as written, without a trailing `*`), without
/// `term` itself. Empty for terms in neither or both scripts, and for CJK terms.
pub fn forms(term: &str) -> Vec<String> {
    let raw = prepare(term);
    let cyrillic = raw.chars().any(is_cyrillic);
    let latin = raw.chars().any(is_latin_letter);
    let mut out: Vec<String> = Vec::new();
    if cyrillic == latin {
        return out;
    }
    for scheme in SCHEMES {
        let generated = if cyrillic {
            spellings(&raw, scheme.to_latin, None)
        } else if scheme.latin_diacritics {
            spellings(&raw, scheme.to_cyrillic, None)
        } else {
            let folded = text::fold(&raw).text;
            spellings(&folded, scheme.to_cyrillic, scheme.harmony.as_ref())
        };
        let leftover: fn(char) -> bool = if cyrillic {
            is_cyrillic
        } else {
            is_latin_letter
        };
        for form in generated {
            if !form.chars().any(leftover) && form != raw && !out.contains(&form) {
                out.push(form);
            }
        }
    }
    out
}

/// Lowercase NFC with apostrophe variants unified, so table keys can be plain letters.
fn prepare(term: &str) -> String {
    term.nfc()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ʻ' | 'ʼ' | 'ʽ' | '‘' | '’' | '‛' | '´' | '`' | '′' => text::APOSTROPHE,
            c => c,
        })
        .collect()
}

fn is_cyrillic(c: char) -> bool {
    ('\u{0400}'..='\u{052F}').contains(&c)
}

fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || (c.is_alphabetic() && ('\u{00C0}'..='\u{024F}').contains(&c))
}

/// The cheapest spellings of `s` under `table`, plus `harmony`'s table for each
/// word's vowels (see module docs), cheapest first.
fn spellings(s: &str, table: Table, harmony: Option<&[Table; 3]>) -> Vec<String> {
    let word_tables = harmony.map(|h| word_tables(s, h));
    // best[i]: the cheapest spellings of s[..i], as (cost, text); i are byte offsets.
    let mut best: Vec<Vec<(usize, String)>> = vec![Vec::new(); s.len() + 1];
    best[0].push((0, String::new()));
    for (i, c) in s.char_indices() {
        prune(&mut best[i]);
        if best[i].is_empty() {
            continue;
        }
        let at_start = s[..i]
            .chars()
            .next_back()
            .is_none_or(|p| !p.is_alphabetic());
        let extra = word_tables.as_ref().map_or(&[][..], |w| w[i]);
        let mut edges = edges_at(&s[i..], at_start, table)
            .chain(edges_at(&s[i..], at_start, extra))
            .peekable();
        if edges.peek().is_none() {
            // A character the table does not cover is kept as it is.
            let from = std::mem::take(&mut best[i]);
            for (cost, mut text) in from.clone() {
                text.push(c);
                best[i + c.len_utf8()].push((cost, text));
            }
            best[i] = from;
            continue;
        }
        let edges: Vec<_> = edges.collect();
        let longest = edges.iter().map(|e| e.0).max().unwrap_or(0);
        let from = best[i].clone();
        for (len, options) in edges {
            // Reading `zh` as `z` + `h` is possible but less likely than `ж`.
            let split = usize::from(len < longest);
            for (k, to) in options.iter().enumerate() {
                for (cost, text) in &from {
                    best[i + len].push((cost + k + split, format!("{text}{to}")));
                }
            }
        }
    }
    let mut last = std::mem::take(&mut best[s.len()]);
    prune(&mut last);
    last.into_iter().map(|(_, t)| t).collect()
}

/// For each byte of `s`, the harmony table of the word it is in.
fn word_tables(s: &str, [back, front, mixed]: &[Table; 3]) -> Vec<Table> {
    let mut out = vec![&[][..]; s.len()];
    let mut start = 0;
    for word in s.split(|c: char| !c.is_alphabetic()) {
        let has_back = word.contains(['a', 'o', 'u', 'y']);
        let has_front = word.contains(['e', 'i']);
        let table = match (has_back, has_front) {
            (true, false) => *back,
            (false, true) => *front,
            _ => *mixed,
        };
        out[start..start + word.len()].fill(table);
        // Skip the separator char after the word (if any).
        start += word.len();
        start += s[start..].chars().next().map_or(0, char::len_utf8);
    }
    out
}

/// The table entries that apply at the start of `rest`: (bytes consumed, options).
fn edges_at<'t>(
    rest: &'t str,
    at_start: bool,
    table: Table,
) -> impl Iterator<Item = (usize, &'static [&'static str])> + 't {
    table.iter().filter_map(move |&(key, options)| {
        let key = match key.strip_prefix('^') {
            Some(k) if at_start => k,
            Some(_) => return None,
            None => key,
        };
        let (key, at_end) = match key.strip_suffix('$') {
            Some(k) => (k, true),
            None => (key, false),
        };
        let fits = rest.starts_with(key)
            && (!at_end
                || rest[key.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphabetic()));
        fits.then_some((key.len(), options))
    })
}

/// Keeps the cheapest distinct spellings, at most [`MAX_FORMS_PER_SCHEME`].
fn prune(list: &mut Vec<(usize, String)>) {
    list.sort();
    list.dedup_by(|a, b| a.1 == b.1);
    list.truncate(MAX_FORMS_PER_SCHEME);
}

const RU_TO_LATIN: Table = &[
    ("а", &["a"]),
    ("б", &["b"]),
    ("в", &["v", "w"]),
    ("г", &["g"]),
    ("д", &["d"]),
    ("^е", &["ye", "e"]),
    ("е", &["e", "ye"]),
    ("ё", &["yo", "e", "ye", "o"]),
    ("ж", &["zh", "j"]),
    ("з", &["z"]),
    ("и", &["i", "y"]),
    ("ий", &["iy", "y", "i", "ii"]),
    ("ый", &["y", "yy", "iy"]),
    ("й", &["y", "i", "j"]),
    ("к", &["k"]),
    ("кс", &["ks", "x"]),
    ("л", &["l"]),
    ("м", &["m"]),
    ("н", &["n"]),
    ("о", &["o"]),
    ("п", &["p"]),
    ("р", &["r"]),
    ("с", &["s"]),
    ("т", &["t"]),
    ("у", &["u"]),
    ("ф", &["f"]),
    ("х", &["kh", "h", "x"]),
    ("ц", &["ts", "c", "tz"]),
    ("ч", &["ch"]),
    ("ш", &["sh"]),
    ("щ", &["shch", "sch", "sh"]),
    ("ъ", &["", "'"]),
    ("ы", &["y", "i"]),
    ("ь", &["", "'"]),
    ("э", &["e"]),
    ("ю", &["yu", "iu", "ju"]),
    ("я", &["ya", "ia", "ja"]),
];

const RU_TO_CYRILLIC: Table = &[
    ("a", &["а"]),
    ("b", &["б"]),
    ("v", &["в"]),
    ("w", &["в"]),
    ("g", &["г"]),
    ("d", &["д"]),
    ("^e", &["э", "е"]),
    ("e", &["е", "э"]),
    ("ye", &["е", "ье", "ъе"]),
    ("yo", &["ё", "йо", "ьё"]),
    ("zh", &["ж"]),
    ("z", &["з"]),
    ("i", &["и", "ы", "й"]),
    ("iy", &["ий", "ый"]),
    ("y", &["ы", "й", "и"]),
    ("y$", &["ый", "ы", "ий"]),
    ("sky$", &["ский"]),
    ("ay", &["ай"]),
    ("ey", &["ей"]),
    ("oy", &["ой"]),
    ("uy", &["уй"]),
    ("yy", &["ый"]),
    ("j", &["дж", "ж", "й"]),
    ("k", &["к"]),
    ("kh", &["х"]),
    ("x", &["кс", "х"]),
    ("l", &["л"]),
    ("m", &["м"]),
    ("n", &["н"]),
    ("o", &["о"]),
    ("p", &["п"]),
    ("ph", &["ф"]),
    ("r", &["р"]),
    ("s", &["с"]),
    ("sh", &["ш"]),
    ("shch", &["щ"]),
    ("sch", &["щ", "ш"]),
    ("t", &["т"]),
    ("ts", &["ц", "тс"]),
    ("tz", &["ц"]),
    ("c", &["к", "ц"]),
    ("ch", &["ч"]),
    ("u", &["у"]),
    ("f", &["ф"]),
    ("h", &["х", "г"]),
    ("q", &["к"]),
    ("yu", &["ю", "ью"]),
    ("iu", &["ю", "иу"]),
    ("ju", &["ю"]),
    ("ya", &["я", "ья"]),
    ("ia", &["ия", "я"]),
    ("ja", &["я"]),
    ("'", &["", "ь", "ъ"]),
];

const UZ_TO_LATIN: Table = &[
    ("а", &["a"]),
    ("б", &["b"]),
    ("в", &["v"]),
    ("г", &["g"]),
    ("ғ", &["g'", "g"]),
    ("д", &["d"]),
    ("^е", &["ye", "e"]),
    ("е", &["e", "ye"]),
    ("ё", &["yo"]),
    ("ж", &["j"]),
    ("з", &["z"]),
    ("и", &["i"]),
    ("й", &["y"]),
    ("к", &["k"]),
    ("қ", &["q"]),
    ("л", &["l"]),
    ("м", &["m"]),
    ("н", &["n"]),
    ("о", &["o"]),
    ("п", &["p"]),
    ("р", &["r"]),
    ("с", &["s"]),
    ("т", &["t"]),
    ("у", &["u"]),
    ("ў", &["o'", "o"]),
    ("ф", &["f"]),
    ("х", &["x"]),
    ("ҳ", &["h"]),
    ("ц", &["ts", "s"]),
    ("ч", &["ch"]),
    ("ш", &["sh"]),
    ("ъ", &["'", ""]),
    ("ь", &[""]),
    ("э", &["e"]),
    ("ю", &["yu"]),
    ("я", &["ya"]),
];

const UZ_TO_CYRILLIC: Table = &[
    ("a", &["а"]),
    ("b", &["б"]),
    ("d", &["д"]),
    ("^e", &["э", "е"]),
    ("e", &["е", "э"]),
    ("f", &["ф"]),
    ("g", &["г"]),
    ("g'", &["ғ"]),
    ("h", &["ҳ", "х"]),
    ("i", &["и"]),
    ("j", &["ж", "дж"]),
    ("k", &["к"]),
    ("l", &["л"]),
    ("m", &["м"]),
    ("n", &["н"]),
    ("o", &["о"]),
    ("o'", &["ў"]),
    ("p", &["п"]),
    ("q", &["қ"]),
    ("r", &["р"]),
    ("s", &["с"]),
    ("sh", &["ш"]),
    ("ch", &["ч"]),
    ("t", &["т"]),
    ("ts", &["ц", "тс"]),
    ("u", &["у"]),
    ("v", &["в"]),
    ("x", &["х"]),
    ("y", &["й"]),
    ("ye", &["е"]),
    ("yo", &["ё"]),
    ("yu", &["ю"]),
    ("ya", &["я"]),
    ("z", &["з"]),
    ("'", &["ъ", ""]),
];

const KZ_TO_LATIN: Table = &[
    ("а", &["a"]),
    ("ә", &["ä"]),
    ("б", &["b"]),
    ("в", &["v"]),
    ("г", &["g"]),
    ("ғ", &["ğ"]),
    ("д", &["d"]),
    ("е", &["e"]),
    ("ё", &["io", "yo"]),
    ("ж", &["j"]),
    ("з", &["z"]),
    ("и", &["i"]),
    ("й", &["i"]),
    ("к", &["k"]),
    ("қ", &["q"]),
    ("л", &["l"]),
    ("м", &["m"]),
    ("н", &["n"]),
    ("ң", &["ñ"]),
    ("о", &["o"]),
    ("ө", &["ö"]),
    ("п", &["p"]),
    ("р", &["r"]),
    ("с", &["s"]),
    ("т", &["t"]),
    ("у", &["u"]),
    ("ұ", &["ū"]),
    ("ү", &["ü"]),
    ("ф", &["f"]),
    ("х", &["h"]),
    ("һ", &["h"]),
    ("ц", &["ts"]),
    ("ч", &["ç"]),
    ("ш", &["ş"]),
    ("щ", &["şş"]),
    ("ъ", &[""]),
    ("ы", &["y", "ı"]),
    ("і", &["ı", "i"]),
    ("ь", &[""]),
    ("э", &["e"]),
    ("ю", &["iu", "yu"]),
    ("я", &["ia", "ya"]),
];

const KZ_TO_CYRILLIC: Table = &[
    ("a", &["а", "ә"]),
    ("ä", &["ә"]),
    ("b", &["б"]),
    ("d", &["д"]),
    ("e", &["е", "э"]),
    ("f", &["ф"]),
    ("g", &["г", "ғ"]),
    ("ğ", &["ғ"]),
    ("h", &["х", "һ"]),
    ("ı", &["ы", "і"]),
    ("i", &["і", "и", "й"]),
    ("j", &["ж"]),
    ("k", &["к"]),
    ("l", &["л"]),
    ("m", &["м"]),
    ("n", &["н", "ң"]),
    ("ñ", &["ң"]),
    ("o", &["о", "ө"]),
    ("ö", &["ө"]),
    ("p", &["п"]),
    ("q", &["қ"]),
    ("r", &["р"]),
    ("s", &["с"]),
    ("ş", &["ш"]),
    ("sh", &["ш"]),
    ("t", &["т"]),
    ("ts", &["ц"]),
    ("u", &["у", "ұ", "ү"]),
    ("ū", &["ұ"]),
    ("ü", &["ү"]),
    ("v", &["в"]),
    ("y", &["ы", "й"]),
    ("z", &["з"]),
    ("ç", &["ч"]),
    ("ch", &["ч"]),
    ("ia", &["я", "иа"]),
    ("iu", &["ю", "иу"]),
];

const OLD_TO_LATIN: Table = &[
    ("а", &["a"]),
    ("ә", &["a", "ae"]),
    ("б", &["b"]),
    ("в", &["v"]),
    ("г", &["g"]),
    ("ғ", &["g", "gh"]),
    ("д", &["d"]),
    ("е", &["e", "ye"]),
    ("ё", &["yo", "e"]),
    ("ж", &["zh", "j"]),
    ("з", &["z"]),
    ("и", &["i"]),
    ("ий", &["iy", "i"]),
    ("й", &["y", "i"]),
    ("к", &["k"]),
    ("қ", &["k", "q"]),
    ("л", &["l"]),
    ("м", &["m"]),
    ("н", &["n"]),
    ("ң", &["ng", "n"]),
    ("о", &["o"]),
    ("ө", &["o", "oe"]),
    ("п", &["p"]),
    ("р", &["r"]),
    ("с", &["s"]),
    ("т", &["t"]),
    ("у", &["u"]),
    ("ұ", &["u"]),
    ("ү", &["u", "ue"]),
    ("ф", &["f"]),
    ("х", &["kh", "h"]),
    ("һ", &["h"]),
    ("ҳ", &["h", "kh"]),
    ("ц", &["ts"]),
    ("ч", &["ch"]),
    ("ҷ", &["j", "ch"]),
    ("ш", &["sh"]),
    ("щ", &["shch"]),
    ("ъ", &[""]),
    ("ы", &["y", "i"]),
    ("і", &["i"]),
    ("ӣ", &["i"]),
    ("ӯ", &["u"]),
    ("ў", &["u", "o"]),
    ("ь", &[""]),
    ("э", &["e"]),
    ("ю", &["yu"]),
    ("я", &["ya"]),
];

/// Older romanisations to Kazakh/Kyrgyz/Tajik Cyrillic: the letters whose reading
/// does not depend on the word's vowels.
const OLD_TO_CYRILLIC: Table = &[
    ("ae", &["ә"]),
    ("b", &["б"]),
    ("d", &["д"]),
    ("e", &["е", "э"]),
    ("f", &["ф"]),
    ("gh", &["ғ"]),
    ("h", &["х", "һ", "ҳ"]),
    ("j", &["ж", "ҷ", "й"]),
    ("zh", &["ж"]),
    ("kh", &["х", "қ"]),
    ("q", &["қ"]),
    ("l", &["л"]),
    ("m", &["м"]),
    ("n", &["н", "ң"]),
    ("ng", &["нг", "ң"]),
    ("oe", &["ө"]),
    ("p", &["п"]),
    ("r", &["р"]),
    ("s", &["с"]),
    ("sh", &["ш"]),
    ("shch", &["щ"]),
    ("t", &["т"]),
    ("ts", &["ц"]),
    ("ch", &["ч"]),
    ("ue", &["ү"]),
    ("v", &["в"]),
    ("w", &["у"]),
    ("ye", &["е"]),
    ("yo", &["ё"]),
    ("yu", &["ю"]),
    ("ya", &["я"]),
    ("z", &["з"]),
];

/// Vowels, `k` and `g` in a word with back vowels only (`Karagandy` is `Қарағанды`):
/// Kazakh vowel harmony puts `қ`, `ғ`, `ы`, `ұ` in such words.
const OLD_BACK: Table = &[
    ("a", &["а"]),
    ("o", &["о"]),
    ("u", &["у", "ұ"]),
    ("y", &["ы", "й"]),
    ("i", &["ы", "и"]),
    ("k", &["қ", "к"]),
    ("g", &["ғ", "г"]),
];

/// Vowels, `k` and `g` in a word with front vowels only (`Tekeli` is `Текелі`):
/// `ә`, `ө`, `ү`, `і`, `к`, `г`.
const OLD_FRONT: Table = &[
    ("a", &["ә", "а"]),
    ("o", &["ө", "о"]),
    ("u", &["ү", "у"]),
    ("y", &["й", "ы"]),
    ("i", &["і", "и"]),
    ("k", &["к", "қ"]),
    ("g", &["г", "ғ"]),
];

/// Vowels, `k` and `g` in a word that mixes both (compounds and loans: `Aktobe`).
const OLD_MIXED: Table = &[
    ("a", &["а", "ә"]),
    ("o", &["о", "ө"]),
    ("u", &["у", "ұ", "ү"]),
    ("y", &["й", "ы"]),
    ("i", &["и", "і", "ы"]),
    ("k", &["к", "қ"]),
    ("g", &["г", "ғ"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// True when `form` (folded) is among the folded forms of `term`.
    fn has(term: &str, form: &str) -> bool {
        let want = text::fold(form).text;
        forms(term).iter().any(|f| text::fold(f).text == want)
    }

    #[track_caller]
    fn both_ways(latin: &str, cyrillic: &str) {
        assert!(
            has(latin, cyrillic),
            "{latin} -> {cyrillic}: {:?}",
            forms(latin)
        );
        assert!(
            has(cyrillic, latin),
            "{cyrillic} -> {latin}: {:?}",
            forms(cyrillic)
        );
    }

    #[test]
    fn russian_romanisation() {
        both_ways("Tokayev", "Токаев");
        assert!(has("Токаев", "Tokaev"));
        both_ways("Khabarovsk", "Хабаровск");
        both_ways("Zhezkazgan", "Жезказган");
        both_ways("Tselinograd", "Целиноград");
        both_ways("Chelyabinsk", "Челябинск");
        both_ways("Shymkent", "Шымкент");
        both_ways("Yuzhny", "Южный");
        both_ways("Yakutsk", "Якутск");
        both_ways("Aleksandr", "Александр");
        assert!(has("Александр", "Alexandr"));
        assert!(has("Alexander", "Александер"));
    }

    #[test]
    fn russian_ambiguous_letters() {
        // щ
        both_ways("Shchuchinsk", "Щучинск");
        assert!(has("Щучинск", "Schuchinsk"));
        // ё: written yo, or e as Russian text often has it
        both_ways("Semyonov", "Семёнов");
        assert!(has("Горбачёв", "Gorbachev"));
        assert!(
            has("Gorbachev", "Горбачёв"),
            "ё folds to е, so Горбачев covers it"
        );
        // й and ий
        both_ways("Baikonur", "Байконур");
        both_ways("Yuriy", "Юрий");
        assert!(has("Юрий", "Yuri"));
        assert!(has("Yuri", "Юри"));
        both_ways("Grozny", "Грозный");
        both_ways("Zhukovsky", "Жуковский");
        // ъ and ь: dropped or an apostrophe
        both_ways("Obyedinenie", "Объединение");
        assert!(has("Тюмень", "Tyumen") && has("Тюмень", "Tyumen'"));
        assert!(has("Tyumen'", "Тюмень"));
        // initial е is ye, initial e is э
        assert!(has("Ерлан", "Yerlan") && has("Ерлан", "Erlan"));
        assert!(has("Ekibastuz", "Экибастуз"));
    }

    #[test]
    fn uzbek_official_correspondence() {
        both_ways("Toshkent", "Тошкент");
        both_ways("O‘zbekiston", "Ўзбекистон");
        both_ways("Oʻzbekiston", "Ўзбекистон");
        both_ways("Farg'ona", "Фарғона");
        both_ways("Qashqadaryo", "Қашқадарё");
        both_ways("Xorazm", "Хоразм");
        both_ways("Namangan", "Наманган");
        both_ways("Shavkat Mirziyoyev", "Шавкат Мирзиёев");
        both_ways("Jizzax", "Жиззах");
        both_ways("Samarqand", "Самарқанд");
        both_ways("Buxoro", "Бухоро");
        both_ways("Surxondaryo", "Сурхондарё");
        both_ways("Ohangaron", "Оҳангарон");
        both_ways("Ma'naviyat", "Маънавият");
        // o‘ and g‘ without their sign, as sloppy text writes them.
        assert!(has("Фарғона", "Fargona"));
        assert!(has("Ўзбекистон", "Ozbekiston"));
    }

    #[test]
    fn kazakh_2021_latin() {
        both_ways("Qazaqstan", "Қазақстан");
        both_ways("Qazaqstannyñ", "Қазақстанның");
        both_ways("Şymkent", "Шымкент");
        both_ways("Aqtöbe", "Ақтөбе");
        both_ways("Öskemen", "Өскемен");
        both_ways("Ülken", "Үлкен");
        both_ways("Ūlytau", "Ұлытау");
        both_ways("Jeñıs", "Жеңіс");
        both_ways("Bağdat", "Бағдат");
        both_ways("şahar", "шаһар");
        both_ways("Älipbi", "Әліпби");
        both_ways("çempion", "чемпион");
        both_ways("Türkıstan", "Түркістан");
        // With the marks folded away in the text, `Qazaqstannyn` is found too.
        assert!(has("Қазақстанның", "Qazaqstannyn"));
    }

    #[test]
    fn kazakh_older_romanisations() {
        both_ways("Karagandy", "Қарағанды");
        both_ways("Aktobe", "Ақтөбе");
        // A word-final soft sign is not written in Latin and not guessed back.
        assert!(has("Усть-Каменогорск", "Ust-Kamenogorsk"));
        assert!(has("Ust'-Kamenogorsk", "Усть-Каменогорск"));
        both_ways("Kyzylorda", "Қызылорда");
        both_ways("Zhetisu", "Жетісу");
        both_ways("Zhetysu", "Жетысу");
        both_ways("Atyrau", "Атырау");
        both_ways("Tekeli", "Текелі");
        both_ways("Turkistan", "Түркістан");
        both_ways("Koshkarbayev", "Қошқарбаев");
        assert!(has("Қазақстан", "Kazakstan"));
        // Tajik and Kyrgyz letters
        both_ways("Khujand", "Хуҷанд");
        both_ways("Kurgonteppa", "Қурғонтеппа");
        assert!(has("Душанбе", "Dushanbe"));
        assert!(has("Токмок", "Tokmok") && has("Tokmok", "Токмок"));
    }

    #[test]
    fn exonyms_are_not_transliterations() {
        assert!(!has("Xinjiang", "Синьцзян") && !has("Urumqi", "Урумчи"));
        assert!(has("Синьцзян", "Sintszyan") && has("Синьцзян", "Sinczyan"));
    }

    #[test]
    fn no_forms_for_mixed_cjk_or_unmappable_terms() {
        assert!(forms("新疆").is_empty());
        assert!(forms("Xinjiang Синьцзян").is_empty());
        assert!(forms("2024").is_empty());
        for f in forms("Tokayev") {
            assert!(!f.chars().any(is_latin_letter), "{f}");
        }
        for f in forms("Қазақстан") {
            assert!(!f.chars().any(is_cyrillic), "{f}");
        }
    }

    #[test]
    fn forms_are_bounded() {
        let n = forms("Kassym-Jomart Tokayev Nursultan Nazarbayev").len();
        assert!(n <= MAX_FORMS_PER_SCHEME * SCHEMES.len(), "{n}");
        assert!(
            has("Kassym-Jomart Tokayev", "Касым-Жомарт Токаев")
                || has("Kassym-Jomart Tokayev", "Кассым-Жомарт Токаев")
        );
    }
}
