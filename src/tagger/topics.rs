//! Topic keyword lists (built-in `topics.toml` plus the configuration's `[topics]`)
//! and the scoring that decides which topics an article is about.
//!
//! Scoring: a strong keyword hit is worth [`STRONG`] points, a weak one [`WEAK`];
//! a hit in the title counts [`TITLE_FACTOR`] times, in the summary
//! [`SUMMARY_FACTOR`] times; one keyword counts at most [`MAX_HITS_PER_TERM`]
//! times. A topic is given when it has a strong hit and its score reaches [`threshold`], which grows
//! slowly with the length of the body, so that one passing word in a long article
//! does not make a topic but a headline word does.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::terms::{TermKind, TermSet};

/// The built-in keyword lists.
const BUILTIN: &str = include_str!("topics.toml");

/// Points for a strong keyword hit: such a word names the topic on its own.
pub const STRONG: u32 = 2;
/// Points for a weak keyword hit: such a word only supports a topic.
pub const WEAK: u32 = 1;
/// A title names what the article is about; a hit there counts this many times.
pub const TITLE_FACTOR: u32 = 3;
/// The summary is the lead; a hit there counts this many times.
pub const SUMMARY_FACTOR: u32 = 2;
/// A word repeated throughout an article should not outweigh a second, different
/// keyword; beyond this many hits one keyword adds nothing.
pub const MAX_HITS_PER_TERM: u32 = 3;
/// Score a topic needs in an article with a short body.
const BASE_THRESHOLD: u32 = 4;
/// Every this many bytes of folded body text raise the threshold by one point,
/// since long articles mention more topics in passing.
const BODY_BYTES_PER_POINT: usize = 3000;

/// The built-in `topics.toml` does not parse (a build defect, caught by tests).
#[derive(Debug, thiserror::Error)]
#[error("built-in topics.toml is invalid: {0}")]
pub struct TopicError(#[from] toml::de::Error);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Lists {
    strong: Vec<String>,
    #[serde(default)]
    weak: Vec<String>,
}

/// One keyword as compiled: its topic and weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyword {
    pub topic: usize,
    pub weight: u32,
    /// From the configuration rather than the built-in lists.
    pub configured: bool,
}

/// Topic names and their keywords, ready to be added to a [`TermSet`] builder.
#[derive(Debug, Clone, Default)]
pub struct Topics {
    /// Topic names, sorted; a keyword's `topic` indexes this.
    pub names: Vec<String>,
    /// Every keyword: its text, match kind and what a hit is worth.
    pub keywords: Vec<(String, TermKind, Keyword)>,
}

impl Topics {
    /// The built-in lists plus `extra` terms per topic (strong; new topics allowed).
    ///
    /// # Errors
    /// The built-in file does not parse (a build defect, caught by tests).
    pub fn new(extra: &BTreeMap<String, Vec<String>>) -> Result<Topics, TopicError> {
        let builtin: BTreeMap<String, Lists> = toml::from_str(BUILTIN)?;
        let mut names: Vec<String> = builtin.keys().chain(extra.keys()).cloned().collect();
        names.sort();
        names.dedup();
        let index = |name: &str| {
            names
                .binary_search_by(|n| n.as_str().cmp(name))
                .expect("listed")
        };
        let mut keywords = Vec::new();
        for (name, lists) in &builtin {
            let topic = index(name);
            let kw = |weight| Keyword {
                topic,
                weight,
                configured: false,
            };
            push_terms(&mut keywords, &lists.strong, kw(STRONG));
            push_terms(&mut keywords, &lists.weak, kw(WEAK));
        }
        for (name, terms) in extra {
            let kw = Keyword {
                topic: index(name),
                weight: STRONG,
                configured: true,
            };
            push_terms(&mut keywords, terms, kw);
        }
        Ok(Topics { names, keywords })
    }
}

fn push_terms(out: &mut Vec<(String, TermKind, Keyword)>, terms: &[String], kw: Keyword) {
    for t in terms {
        let (text, kind) = TermSet::parse_term(t);
        out.push((text, kind, kw));
    }
}

/// Splits a keyword with `*` inside (`сельск* хозяйств*`: each word inflects) into
/// its words, each a whole word or a prefix. A keyword without inner `*` is one item.
pub fn phrase_words(text: &str, kind: TermKind) -> Vec<(String, TermKind)> {
    if !text.contains('*') {
        return vec![(text.to_owned(), kind)];
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let last = words.len() - 1;
    words
        .iter()
        .enumerate()
        .map(|(i, w)| match w.strip_suffix('*') {
            Some(stem) => (stem.to_owned(), TermKind::Prefix),
            None if i == last => ((*w).to_owned(), kind),
            None => ((*w).to_owned(), TermKind::Word),
        })
        .collect()
}

/// Where in the article a hit was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Title,
    Summary,
    Body,
}

impl Field {
    fn factor(self) -> u32 {
        match self {
            Field::Title => TITLE_FACTOR,
            Field::Summary => SUMMARY_FACTOR,
            Field::Body => 1,
        }
    }
}

/// A keyword found in one field, after overlapping hits were resolved.
#[derive(Debug, Clone, Copy)]
pub struct KeywordHit {
    /// Index of the keyword in [`Topics::keywords`].
    pub keyword: usize,
    pub field: Field,
}

/// The score a topic needs, given the folded body's length in bytes.
pub fn threshold(body_len: usize) -> u32 {
    BASE_THRESHOLD + (body_len / BODY_BYTES_PER_POINT) as u32
}

/// Indexes of the topics whose score reaches the threshold.
pub fn score(topics: &Topics, hits: &[KeywordHit], body_len: usize) -> Vec<usize> {
    let mut per_term: BTreeMap<(usize, Field), u32> = BTreeMap::new();
    for h in hits {
        *per_term.entry((h.keyword, h.field)).or_default() += 1;
    }
    let mut counted: BTreeMap<usize, u32> = BTreeMap::new();
    let mut scores = vec![0u32; topics.names.len()];
    let mut has_strong = vec![false; topics.names.len()];
    // Title hits first, so the per-keyword cap keeps the most valuable ones.
    for ((keyword, field), n) in per_term {
        let used = counted.entry(keyword).or_default();
        let n = n.min(MAX_HITS_PER_TERM.saturating_sub(*used));
        *used += n;
        let kw = topics.keywords[keyword].2;
        scores[kw.topic] += n * kw.weight * field.factor();
        has_strong[kw.topic] |= kw.weight == STRONG && n > 0;
    }
    let need = threshold(body_len);
    // Weak keywords only support: without a strong one there is no topic.
    (0..scores.len())
        .filter(|&t| has_strong[t] && scores[t] >= need)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics() -> Topics {
        Topics::new(&BTreeMap::new()).unwrap()
    }

    fn kw(t: &Topics, topic: &str, text: &str) -> usize {
        t.keywords
            .iter()
            .position(|(k, _, w)| k == text && t.names[w.topic] == topic)
            .unwrap_or_else(|| panic!("{topic}: {text}"))
    }

    #[test]
    fn builtin_has_the_fifteen_topics() {
        let t = topics();
        let want = [
            "agriculture",
            "culture",
            "economy",
            "energy",
            "environment",
            "health",
            "human-rights",
            "mining",
            "politics",
            "security",
            "technology",
            "tourism",
            "trade",
            "transport",
            "water",
        ];
        assert_eq!(t.names, want);
    }

    #[test]
    fn extra_terms_extend_and_add_topics() {
        let mut extra = BTreeMap::new();
        extra.insert("energy".to_owned(), vec!["Rogun".to_owned()]);
        extra.insert("sport".to_owned(), vec!["football*".to_owned()]);
        let t = Topics::new(&extra).unwrap();
        assert!(t.names.contains(&"sport".to_owned()));
        let i = kw(&t, "sport", "football");
        assert_eq!(t.keywords[i].1, TermKind::Prefix);
        assert_eq!(t.keywords[i].2.weight, STRONG);
        kw(&t, "energy", "Rogun");
    }

    #[test]
    fn one_passing_body_word_is_not_a_topic() {
        let t = topics();
        let oil = kw(&t, "energy", "oil");
        let one = [KeywordHit {
            keyword: oil,
            field: Field::Body,
        }];
        assert!(score(&t, &one, 2000).is_empty());
        let title = [KeywordHit {
            keyword: oil,
            field: Field::Title,
        }];
        assert_eq!(
            score(&t, &title, 2000),
            [t.names.iter().position(|n| n == "energy").unwrap()]
        );
    }

    #[test]
    fn a_repeated_word_is_capped_and_long_bodies_need_more() {
        let t = topics();
        let water = kw(&t, "water", "water");
        let many = vec![
            KeywordHit {
                keyword: water,
                field: Field::Body
            };
            20
        ];
        // A weak word counts at most three points however often it occurs.
        assert!(score(&t, &many, 1000).is_empty());
        assert!(threshold(9000) > threshold(1000));
    }
}
