//! Text -> tags and matches: `Tagger::tag` and `WatchlistSet::match_article`
//! over fuzzed text, with watchlists compiled from fuzzed terms.
//!
//! Input: term lines, a NUL byte, then the article (first line the title,
//! the rest the body). A term line is `+term` (all), `-term` (none) or a plain
//! `any` term; a first line `translit` turns cross-script forms on.
//!
//! Beyond "no panic": every reported term is one the watchlist has, every
//! snippet marks its match with `[...]`, tag lists are sorted and unique,
//! country tags are two capital letters,
//! and a plain word term written alone in a title is always found.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use steppewatch::config::{MatchPer, WatchlistConfig};
use steppewatch::matcher::{Context, WatchlistSet};
use steppewatch::model::ArticleText;
use steppewatch::tagger::Tagger;

/// Terms per watchlist considered: enough for interactions, few enough to
/// keep each run fast.
const MAX_TERMS: usize = 32;

fn tagger() -> &'static Tagger {
    static TAGGER: OnceLock<Tagger> = OnceLock::new();
    TAGGER.get_or_init(|| Tagger::new(&BTreeMap::new()))
}

fn watchlist(spec: &str) -> WatchlistConfig {
    let mut w = WatchlistConfig {
        name: "fuzz".into(),
        any: vec![],
        all: vec![],
        none: vec![],
        countries: vec![],
        topics: vec![],
        feeds: vec![],
        webhooks: vec!["ops".into()],
        translit: false,
        per: MatchPer::Article,
    };
    for (n, line) in spec.lines().take(MAX_TERMS).enumerate() {
        if n == 0 && line == "translit" {
            w.translit = true;
        } else if let Some(t) = line.strip_prefix('+') {
            w.all.push(t.to_string());
        } else if let Some(t) = line.strip_prefix('-') {
            w.none.push(t.to_string());
        } else {
            w.any.push(line.to_string());
        }
    }
    w
}

/// A term made of words of letters and digits, one space apart: the case
/// where "written alone, it is found" holds without any folding subtlety.
fn is_plain(term: &str) -> bool {
    !term.is_empty()
        && term
            .split(' ')
            .all(|w| !w.is_empty() && w.chars().all(char::is_alphanumeric))
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let (spec, article) = input.split_once('\0').unwrap_or(("", input));
    let (title, body) = article.split_once('\n').unwrap_or((article, ""));
    let text = ArticleText {
        title,
        summary: "",
        body,
    };
    let tags = tagger().tag(text);
    for list in [&tags.countries, &tags.regions, &tags.topics] {
        assert!(
            list.windows(2).all(|w| w[0] < w[1]),
            "tags not sorted and unique: {list:?}"
        );
    }
    for cc in &tags.countries {
        assert!(
            cc.len() == 2 && cc.bytes().all(|b| b.is_ascii_uppercase()),
            "country {cc:?}"
        );
    }
    let w = watchlist(spec);
    let Ok(set) = WatchlistSet::compile(std::slice::from_ref(&w)) else {
        return;
    };
    let ctx = Context {
        feed: "fuzz",
        tags: &tags,
    };
    for m in set.match_article(text, ctx) {
        for tm in &m.matches {
            assert!(
                w.any.contains(&tm.term) || w.all.contains(&tm.term),
                "unknown term {tm:?}"
            );
            assert!(
                tm.snippet.contains('[') && tm.snippet.contains(']'),
                "unmarked {tm:?}"
            );
        }
    }
    if w.all.is_empty() && w.none.is_empty() {
        let empty = steppewatch::model::Tags::default();
        for term in w.any.iter().filter(|t| is_plain(t)) {
            let title = format!("News: {term}.");
            let alone = ArticleText {
                title: &title,
                summary: "",
                body: "",
            };
            let found = set.match_article(
                alone,
                Context {
                    feed: "fuzz",
                    tags: &empty,
                },
            );
            assert_eq!(found.len(), 1, "term {term:?} not found in {title:?}");
        }
    }
});
