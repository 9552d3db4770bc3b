//! Which gazetteer hits are real mentions: case, sentence position, person names,
//! names inside longer names, and names that need other evidence of their country.
//!
//! Rules, in the order they apply (docs/tagging.md has the reasons and examples):
//! 1. Case. A name written with a capital counts only where the text has a capital
//!    ("china clay" is not China); an abbreviation written in capitals only in
//!    capitals ("US", not "us"). Lower-case aliases (Russian demonyms) match any case.
//! 2. `c` common words (Dostyk "friendship", Qarshi "against") count only capitalised
//!    and not at the start of a sentence.
//! 3. `p` names of people (Navoi, Turkmenbashi, Konayev) do not count next to
//!    another capitalised word ("Alisher Navoi", "Serdar Berdimuhamedov").
//! 4. A hit inside a longer hit does not count ("Sudan" in "South Sudan", "Kazakh"
//!    in "Ili Kazakh Autonomous Prefecture", "Georgia" in "state of Georgia"),
//!    except the city inside "X region" when the region is marked keep-inner.
//! 5. `r=CC` rivals: "Georgia" is dropped when the US is evidenced and Georgia the
//!    country is not evidenced otherwise (Tbilisi, Georgian, Грузия...).
//! 6. `w` weak names (small towns, Osh, Turkistan, Chad, Jordan) and `n` nouns that
//!    also appear in lower case (turkey) count only when one of their countries
//!    has strong evidence in the same text.
//! 7. One span with several candidate places keeps the strong ones, else the first
//!    (largest) supported one.

use std::collections::{BTreeMap, BTreeSet};

use super::gazetteer::{Alias, Gazetteer};
use super::topics::Field;
use crate::text::Folded;

/// How the case of the original text must look for a name to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseRule {
    /// Lower-case alias or a script without case.
    Any,
    /// The first letter must be a capital.
    Capitalized,
    /// An abbreviation: its capitals must be capitals in the text (up to this many letters).
    Exact { letters: u8 },
}

/// Abbreviations are short; a longer all-capital alias is a name in capitals.
const MAX_ABBREVIATION_LETTERS: usize = 6;

impl CaseRule {
    /// The rule for an alias as written in the gazetteer.
    pub fn of(alias: &str) -> CaseRule {
        let letters: Vec<char> = alias.chars().filter(|c| c.is_alphabetic()).collect();
        let cased: Vec<char> = letters
            .iter()
            .copied()
            .filter(|c| c.is_uppercase() || c.is_lowercase())
            .collect();
        let upper = cased.iter().filter(|c| c.is_uppercase()).count();
        match cased.first() {
            None => CaseRule::Any,
            Some(_) if upper >= 2 && letters.len() <= MAX_ABBREVIATION_LETTERS => CaseRule::Exact {
                letters: letters.len() as u8,
            },
            Some(c) if c.is_uppercase() => CaseRule::Capitalized,
            Some(_) => CaseRule::Any,
        }
    }
}

/// The field being scanned, for looking at the original text around a hit.
pub struct Context<'a> {
    pub original: &'a str,
    pub folded: &'a Folded,
    pub field: Field,
}

/// A hit that passed the per-hit checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mention {
    pub alias: usize,
    pub entity: usize,
    pub field: Field,
    /// Folded byte range within its field.
    pub start: usize,
    pub end: usize,
}

/// Why a hit is not a mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// Wrong case for a name flagged as also being a common noun: the noun sense is present.
    LowerCaseNoun,
    Case,
    SentenceStart,
    Person,
}

/// Applies rules 1-3 to one hit.
pub fn check(
    ctx: &Context<'_>,
    alias: &Alias,
    case: CaseRule,
    alias_index: usize,
    start: usize,
    end: usize,
) -> Result<Mention, Rejected> {
    let span = ctx.folded.original_range(start..end);
    if !case_ok(case, &ctx.original[span.clone()]) {
        return Err(if alias.flags.noun {
            Rejected::LowerCaseNoun
        } else {
            Rejected::Case
        });
    }
    if alias.flags.common && sentence_start(ctx.original, span.start) {
        return Err(Rejected::SentenceStart);
    }
    if alias.flags.person && next_to_name(ctx.original, span.start, span.end) {
        return Err(Rejected::Person);
    }
    Ok(Mention {
        alias: alias_index,
        entity: alias.entity as usize,
        field: ctx.field,
        start,
        end,
    })
}

fn case_ok(rule: CaseRule, original: &str) -> bool {
    let mut letters = original.chars().filter(|c| c.is_alphabetic());
    match rule {
        CaseRule::Any => true,
        CaseRule::Capitalized => letters.next().is_some_and(char::is_uppercase),
        CaseRule::Exact { letters: n } => {
            let first: Vec<char> = letters.take(n as usize).collect();
            // Mixed-case abbreviations (AQSh, РУз) keep their lower-case letters.
            first.len() == n as usize && first.iter().filter(|c| c.is_uppercase()).count() >= 2
        }
    }
}

/// Punctuation that ends a sentence; a name right after it may be capitalised only
/// because it starts the sentence.
fn ends_sentence(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | '…' | ':' | ';' | '\n' | '。' | '！' | '？'
    )
}

/// True when `start` begins a sentence (or the field), looking back past spaces,
/// quotes, brackets and dashes.
pub fn sentence_start(original: &str, start: usize) -> bool {
    for c in original[..start].chars().rev() {
        if ends_sentence(c) {
            return true;
        }
        if c.is_whitespace() || "\"'«»“”„‘’()[]—–-".contains(c) {
            continue;
        }
        return false;
    }
    true
}

/// Capitalised words that follow a place name without making it a person's name.
const PLACE_NOUNS: &[&str] = &[
    "Region",
    "Oblast",
    "Province",
    "City",
    "Port",
    "Seaport",
    "Airport",
    "International",
    "District",
    "Refinery",
    "Station",
    "Valley",
    "State",
    "Free",
    "Special",
    "Economic",
    "Area",
    "Border",
];

/// Capitalised only because they open a sentence ("In Navoi, ..."), so not a first name.
const SENTENCE_OPENERS: &[&str] = &[
    "In",
    "At",
    "From",
    "To",
    "The",
    "Near",
    "Around",
    "Across",
    "Outside",
    "Via",
    "For",
    "And",
    "Of",
    "On",
    "By",
    "With",
    "Since",
    "Until",
    "В",
    "Во",
    "Из",
    "На",
    "До",
    "От",
    "Под",
    "Около",
    "Через",
    "И",
    "А",
    "Но",
];

/// True when the word right before or right after the span is a capitalised word
/// (a first name or a surname next to a name that is also a person's).
fn next_to_name(original: &str, start: usize, end: usize) -> bool {
    let after = original[end..].trim_start_matches([' ', '\u{a0}']);
    let next_word: String = after.chars().take_while(|c| c.is_alphabetic()).collect();
    let next_is_name = after.len() < original[end..].len()
        && next_word.chars().next().is_some_and(char::is_uppercase)
        && !PLACE_NOUNS.contains(&next_word.as_str());
    let before = original[..start].trim_end_matches([' ', '\u{a0}']);
    let prev_word: String = {
        let mut w: Vec<char> = before
            .chars()
            .rev()
            .take_while(|c| c.is_alphabetic())
            .collect();
        w.reverse();
        w.into_iter().collect()
    };
    let prev_start = before.len() - prev_word.len();
    let prev_is_name = before.len() < start
        && prev_word.chars().next().is_some_and(char::is_uppercase)
        && !(sentence_start(original, prev_start)
            && SENTENCE_OPENERS.contains(&prev_word.as_str()));
    next_is_name || prev_is_name
}

/// Applies rules 4-7 to all mentions of one article and returns those that count.
pub fn resolve(
    g: &Gazetteer,
    mentions: Vec<Mention>,
    noun_senses: &BTreeSet<usize>,
) -> Vec<Mention> {
    let mentions = drop_inner(g, mentions);
    let weak = |m: &Mention| {
        let f = &g.aliases[m.alias].flags;
        f.weak || (f.noun && noun_senses.contains(&m.alias))
    };
    let rival = |m: &Mention| g.aliases[m.alias].flags.rival;
    // Evidence from names that need no context.
    let mut strong: BTreeSet<&str> = mentions
        .iter()
        .filter(|m| !weak(m) && rival(m).is_none())
        .flat_map(|m| g.entities[m.entity].countries())
        .collect();
    let keep_rival = |m: &Mention, strong: &BTreeSet<&str>| {
        let rival_seen = rival(m).is_some_and(|cc| strong.contains(cc));
        !rival_seen || g.entities[m.entity].countries().any(|c| strong.contains(c))
    };
    let rivals_kept: Vec<Mention> = mentions
        .iter()
        .filter(|m| !weak(m) && rival(m).is_some() && keep_rival(m, &strong))
        .copied()
        .collect();
    for m in &rivals_kept {
        strong.extend(g.entities[m.entity].countries());
    }
    let supported = |m: &Mention| {
        let mut own = g.entities[m.entity].countries().peekable();
        if own.peek().is_none() {
            !strong.is_empty()
        } else {
            own.any(|c| strong.contains(c))
        }
    };
    let candidates: Vec<(Mention, bool)> = mentions
        .iter()
        .filter_map(|m| {
            if weak(m) {
                supported(m).then_some((*m, false))
            } else if rival(m).is_some() {
                rivals_kept.contains(m).then_some((*m, true))
            } else {
                Some((*m, true))
            }
        })
        .collect();
    one_reading_per_span(candidates)
}

/// Rule 4: drops mentions strictly inside a longer mention in the same field.
fn drop_inner(g: &Gazetteer, mentions: Vec<Mention>) -> Vec<Mention> {
    mentions
        .iter()
        .filter(|m| {
            !mentions.iter().any(|o| {
                o.field == m.field
                    && o.start <= m.start
                    && m.end <= o.end
                    && o.end - o.start > m.end - m.start
                    && !g.entities[o.entity].keep_inner
            })
        })
        .copied()
        .collect()
}

/// Rule 7: where one span has several candidate entities, strong ones win; among
/// weak ones only the first (the gazetteer lists larger places first) is kept.
fn one_reading_per_span(candidates: Vec<(Mention, bool)>) -> Vec<Mention> {
    let mut by_span: BTreeMap<(Field, usize, usize), Vec<(Mention, bool)>> = BTreeMap::new();
    for c in candidates {
        by_span
            .entry((c.0.field, c.0.start, c.0.end))
            .or_default()
            .push(c);
    }
    let mut out = Vec::new();
    for (_, list) in by_span {
        if list.iter().any(|(_, strong)| *strong) {
            out.extend(list.iter().filter(|(_, s)| *s).map(|(m, _)| *m));
        } else if let Some((m, _)) = list.iter().min_by_key(|(m, _)| m.entity) {
            out.push(*m);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_rules_from_alias_spelling() {
        assert_eq!(CaseRule::of("Kazakhstan"), CaseRule::Capitalized);
        assert_eq!(CaseRule::of("казахстанск"), CaseRule::Any);
        assert_eq!(CaseRule::of("US"), CaseRule::Exact { letters: 2 });
        assert_eq!(CaseRule::of("U.S."), CaseRule::Exact { letters: 2 });
        assert_eq!(CaseRule::of("AQSh"), CaseRule::Exact { letters: 4 });
        assert_eq!(CaseRule::of("新疆"), CaseRule::Any);
        assert_eq!(CaseRule::of("XINJIANG UYGHUR"), CaseRule::Capitalized);
    }

    #[test]
    fn case_checks() {
        assert!(case_ok(CaseRule::Capitalized, "ASTANA"));
        assert!(!case_ok(CaseRule::Capitalized, "china"));
        assert!(case_ok(CaseRule::Exact { letters: 2 }, "US"));
        assert!(!case_ok(CaseRule::Exact { letters: 2 }, "us"));
        assert!(!case_ok(CaseRule::Exact { letters: 2 }, "Us"));
        assert!(case_ok(CaseRule::Exact { letters: 4 }, "AQSh"));
    }

    #[test]
    fn sentence_starts() {
        let s = "Exports grew. «Qarshi factory» and in Qarshi too";
        assert!(sentence_start(s, 0));
        assert!(sentence_start(s, s.find("Qarshi").unwrap()));
        assert!(!sentence_start(s, s.rfind("Qarshi").unwrap()));
    }

    #[test]
    fn person_context() {
        let s = "poet Alisher Navoi wrote; the Navoi Region and Navoi city";
        let at = |needle: &str, from: usize| {
            let i = s[from..].find(needle).unwrap() + from;
            (i, i + needle.len())
        };
        let (a, b) = at("Navoi", 0);
        assert!(next_to_name(s, a, b));
        let (a, b) = at("Navoi", b);
        assert!(!next_to_name(s, a, b));
        let (a, b) = at("Navoi", b);
        assert!(!next_to_name(s, a, b));
    }
}
