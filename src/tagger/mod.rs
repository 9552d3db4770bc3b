//! Tags an article with countries, regions and topics from a multilingual gazetteer.
//!
//! One [`TermSet`] automaton holds every gazetteer alias and every topic keyword;
//! tagging folds each field once and runs the automaton once over it. Names then
//! pass the checks of [`disambig`]: inflected endings ([`inflect`]), case,
//! context for names that are also common words or other places, and the rule
//! that a name inside a longer name ("Sudan" in "South Sudan") does not count.
//! docs/tagging.md explains the rules and credits the data sources.

mod disambig;
pub mod gazetteer;
pub mod inflect;
pub mod topics;

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{ArticleText, Tags};
use crate::terms::{TermError, TermKind, TermSet, TermSetBuilder};
use crate::text::{self, Folded, has_cjk};

use disambig::{CaseRule, Mention};
use gazetteer::{AliasLang, EntityKind, Gazetteer};
use inflect::EndingClass;
use topics::{Field, KeywordHit, Topics};

/// What one automaton pattern stands for. Indices are `u32` because there is one
/// of these per pattern (tens of thousands) for as long as the tagger lives.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// A gazetteer alias (index into `Gazetteer::aliases`).
    Alias(u32),
    /// A topic keyword (index into `Topics::keywords`); `tail` indexes
    /// `Tagger::tails` when the keyword has more words after this one.
    Keyword { keyword: u32, tail: Option<u32> },
}

/// Per-pattern data the automaton's payload points to.
#[derive(Debug, Clone, Copy)]
struct TermInfo {
    target: Target,
    /// Folded length of the pattern; what follows it in the word is the ending.
    stem_len: u32,
    class: EndingClass,
    case: CaseRule,
}

/// The compiled gazetteer and topic keyword lists.
#[derive(Debug)]
pub struct Tagger {
    gazetteer: Gazetteer,
    topics: Topics,
    terms: TermSet,
    infos: Vec<TermInfo>,
    /// Words after the first of keywords whose inner words inflect (`сельск* хозяйств*`).
    tails: Vec<Vec<(String, TermKind)>>,
    /// Configured keywords left out; see [`Tagger::skipped_terms`].
    skipped: Vec<String>,
}

/// Every gazetteer alias and topic keyword, collected for compiling.
struct Terms {
    builder: TermSetBuilder,
    infos: Vec<TermInfo>,
    tails: Vec<Vec<(String, TermKind)>>,
    skipped: Vec<String>,
}

impl Tagger {
    /// Builds the tagger from the built-in gazetteer and topic lists, plus the
    /// configuration's extra topic keywords. Extra keywords that cannot be matched
    /// at all (they fold to nothing, or have a `*` inside a word) are left out and
    /// listed by [`Tagger::skipped_terms`], so a reload never fails here.
    ///
    /// # Panics
    /// Only on a defect of the embedded data, which the unit tests load.
    pub fn new(extra_topics: &BTreeMap<String, Vec<String>>) -> Tagger {
        let gazetteer = Gazetteer::builtin();
        let topics = Topics::new(extra_topics).expect("built-in topics.toml is valid");
        let Terms {
            builder,
            mut infos,
            tails,
            skipped,
        } = collect_terms(&gazetteer, &topics);
        // The compact prefix tree, not an automaton: the same hits in a third of
        // the memory, built without a large temporary (docs/tagging.md).
        let terms = builder.build_compact();
        infos.shrink_to_fit();
        Tagger {
            gazetteer,
            topics,
            terms,
            infos,
            tails,
            skipped,
        }
    }

    /// Configured topic keywords that could not be matched and were left out, each
    /// as `topics.NAME: "term": reason`, for the caller to log.
    pub fn skipped_terms(&self) -> &[String] {
        &self.skipped
    }
    /// Tags one text: countries, regions and topics, each sorted and deduplicated.
    pub fn tag(&self, text: ArticleText<'_>) -> Tags {
        self.tag_folded(text, &text::fold_article(text))
    }

    /// Like [`Tagger::tag`], given the fields already folded
    /// ([`text::fold_article`]), as the poller has them for matching too.
    pub fn tag_folded(&self, text: ArticleText<'_>, folded: &[Folded; 3]) -> Tags {
        let mut scan = Scan::default();
        for ((field, s), folded) in [
            (Field::Title, text.title),
            (Field::Summary, text.summary),
            (Field::Body, text.body),
        ]
        .into_iter()
        .zip(folded)
        {
            self.scan_field(field, s, folded, &mut scan);
        }
        let kept = disambig::resolve(&self.gazetteer, scan.mentions, &scan.noun_senses);
        let mut countries = BTreeSet::new();
        let mut regions = BTreeSet::new();
        for m in kept {
            let e = &self.gazetteer.entities[m.entity];
            countries.extend(e.countries().map(str::to_owned));
            if e.kind == EntityKind::Place && e.emit {
                regions.insert(e.key.to_owned());
                regions.extend(e.implied().map(str::to_owned));
            }
        }
        let topic_ids = topics::score(&self.topics, &scan.keywords, scan.body_len);
        Tags {
            countries: countries.into_iter().collect(),
            regions: regions.into_iter().collect(),
            topics: topic_ids
                .into_iter()
                .map(|t| self.topics.names[t].clone())
                .collect(),
        }
    }

    /// Runs the automaton over one field and records gazetteer mentions and keyword hits.
    fn scan_field(&self, field: Field, original: &str, folded: &Folded, scan: &mut Scan) {
        if field == Field::Body {
            scan.body_len = folded.text.len();
        }
        let mut keyword_spans = Vec::new();
        for hit in self.terms.find(folded) {
            let info = self.infos[hit.payload as usize];
            let rest = &folded.text[(hit.start + info.stem_len as usize).min(hit.end)..hit.end];
            if info.stem_len > 0 && !inflect::accepts(info.class, rest) {
                continue;
            }
            match info.target {
                Target::Keyword { keyword, tail } => {
                    let end = match tail {
                        Some(t) => match match_tail(&folded.text, hit.end, &self.tails[t as usize])
                        {
                            Some(end) => end,
                            None => continue,
                        },
                        None => hit.end,
                    };
                    keyword_spans.push((hit.start, end, keyword as usize));
                }
                Target::Alias(a) => {
                    let a = a as usize;
                    let ctx = disambig::Context {
                        original,
                        folded,
                        field,
                    };
                    let alias = &self.gazetteer.aliases[a];
                    let case = if inflect::derives_adjective(info.class, rest) {
                        CaseRule::Any
                    } else {
                        info.case
                    };
                    match disambig::check(&ctx, alias, case, a, hit.start, hit.end) {
                        Ok(m) => scan.mentions.push(m),
                        Err(disambig::Rejected::LowerCaseNoun) => {
                            scan.noun_senses.insert(a);
                        }
                        Err(_) => {}
                    }
                }
            }
        }
        scan.keywords
            .extend(outermost(&keyword_spans).map(|keyword| KeywordHit { keyword, field }));
    }
}

/// Adds every gazetteer alias (with its Russian case variants) and every topic
/// keyword's first word to one builder; payloads index the returned `infos`.
fn collect_terms(gazetteer: &Gazetteer, topics: &Topics) -> Terms {
    let mut builder = TermSetBuilder::new();
    let mut infos = Vec::new();
    for (i, alias) in gazetteer.aliases.iter().enumerate() {
        add_alias(&mut builder, &mut infos, i as u32, alias.text, alias.lang)
            .expect("gazetteer aliases fold to matchable terms");
    }
    let mut tails = Vec::new();
    let mut skipped = Vec::new();
    for (i, (term, kind, kw)) in topics.keywords.iter().enumerate() {
        let mut words = topics::phrase_words(term, *kind);
        let (first, first_kind) = words.remove(0);
        let tail = (!words.is_empty()).then(|| {
            tails.push(fold_words(words));
            tails.len() as u32 - 1
        });
        let payload = infos.len() as u32;
        infos.push(TermInfo {
            target: Target::Keyword {
                keyword: i as u32,
                tail,
            },
            stem_len: 0,
            class: EndingClass::None,
            case: CaseRule::Any,
        });
        if let Err(e) = builder.add(&first, first_kind, payload) {
            assert!(kw.configured, "built-in topic keyword {term:?}: {e}");
            skipped.push(format!("topics.{}: {term:?}: {e}", topics.names[kw.topic]));
        }
    }
    Terms {
        builder,
        infos,
        tails,
        skipped,
    }
}

/// Everything found in one article before disambiguation.
#[derive(Debug, Default)]
struct Scan {
    mentions: Vec<Mention>,
    /// Aliases flagged `n` that also occurred in lower case (the common noun).
    noun_senses: BTreeSet<usize>,
    keywords: Vec<KeywordHit>,
    body_len: usize,
}

/// Keyword hits not strictly inside a longer keyword hit: "energy security" is
/// energy, and the "security" inside it is not a security hit.
///
/// `spans` (start, end, keyword) come in order of start, as the hits do. A span
/// is inside a longer one when a span starting earlier ends at or after its end,
/// or one with the same start ends after it; so one pass carries the furthest
/// end of the earlier starts. (Comparing every pair cost 4% of tagging.)
fn outermost(spans: &[(usize, usize, usize)]) -> impl Iterator<Item = usize> + '_ {
    debug_assert!(spans.is_sorted_by_key(|s| s.0), "spans in order of start");
    let mut earlier_end: Option<usize> = None;
    spans
        .chunk_by(|a, b| a.0 == b.0)
        .flat_map(move |same_start| {
            let group_end = same_start.iter().map(|s| s.1).max().unwrap_or(0);
            let before = earlier_end;
            earlier_end = earlier_end.max(Some(group_end));
            same_start
                .iter()
                .filter(move |&&(_, e, _)| before.is_none_or(|b| b < e) && group_end <= e)
                .map(|&(_, _, k)| k)
        })
}

/// Folds the words of a keyword's tail.
fn fold_words(words: Vec<(String, TermKind)>) -> Vec<(String, TermKind)> {
    words
        .into_iter()
        .map(|(w, k)| (text::fold(&w).text.trim().to_owned(), k))
        .collect()
}

/// Where a keyword's tail words end, if they follow `end` in folded `text`, each
/// after one space and each a whole word or a word starting with its prefix.
fn match_tail(text: &str, mut end: usize, tail: &[(String, TermKind)]) -> Option<usize> {
    for (word, kind) in tail {
        let rest = text[end..].strip_prefix(' ')?.strip_prefix(word.as_str())?;
        end = text.len() - rest.len();
        let word_end = end
            + rest
                .find(|c| text::is_boundary_char(Some(c)))
                .unwrap_or(rest.len());
        match kind {
            TermKind::Prefix => end = word_end,
            _ if word_end == end => {}
            _ => return None,
        }
    }
    Some(end)
}

/// Adds one alias (and its Russian case variants) to the automaton.
fn add_alias(
    builder: &mut TermSetBuilder,
    infos: &mut Vec<TermInfo>,
    alias: u32,
    text: &str,
    lang: AliasLang,
) -> Result<(), TermError> {
    let case = CaseRule::of(text);
    let folded = text::fold(text).text;
    let folded = folded.trim();
    if lang == AliasLang::Exact || has_cjk(folded) {
        let payload = infos.len() as u32;
        infos.push(TermInfo {
            target: Target::Alias(alias),
            stem_len: 0,
            class: EndingClass::None,
            case,
        });
        return builder.add(folded, TermKind::Word, payload);
    }
    let adjective = lang == AliasLang::RussianAdjective;
    for variant in inflect::phrase_variants(folded) {
        let (stem, class) = inflect::stem_and_class(&variant, adjective);
        let payload = infos.len() as u32;
        infos.push(TermInfo {
            target: Target::Alias(alias),
            stem_len: stem.len() as u32,
            class,
            case,
        });
        builder.add(&stem, TermKind::Prefix, payload)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
