//! Watchlists compiled once into a `WatchlistSet`; `match_article` says which match and why.
//!
//! Every term of every watchlist (and, for `translit` watchlists, its spellings in
//! the other script) is one entry of a single [`TermSet`] automaton, whose payload
//! points back to the term. Matching an article folds its three fields, runs the
//! automaton once over each, and then looks only at the watchlists that had a hit,
//! so the cost does not grow with the number of watchlists beyond the hits found.

mod snippet;
mod term;
mod translit;

use std::collections::HashMap;

pub use self::snippet::{SNIPPET_CHARS, snippet};
pub use self::term::{Role, WatchTerm};
pub use self::translit::forms as translit_forms;

use crate::config::{MatchPer, WatchlistConfig};
use crate::model::{ArticleText, Match, Tags, TermMatch};
use crate::terms::{TermSet, TermSetBuilder};
use crate::text::{Folded, fold_article};

/// Everything a watchlist may test besides the text.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Name of the feed the article came from.
    pub feed: &'a str,
    pub tags: &'a Tags,
}

/// All watchlists of one configuration, compiled.
#[derive(Debug, Clone)]
pub struct WatchlistSet {
    lists: Vec<Compiled>,
    /// Indexed by payload: the watchlist term each automaton entry stands for.
    terms: Vec<TermUse>,
    set: TermSet,
}

#[derive(Debug, thiserror::Error)]
#[error("watchlist {watchlist}: {message}")]
pub struct TermError {
    pub watchlist: String,
    pub message: String,
}

/// One watchlist, with what its terms' hits are checked against.
#[derive(Debug, Clone)]
struct Compiled {
    name: String,
    webhooks: Vec<String>,
    /// Number of `any` terms; 0 means the `all` terms alone decide.
    any: usize,
    /// Number of `all` terms, each of which must be found.
    all: usize,
    countries: Vec<String>,
    topics: Vec<String>,
    feeds: Vec<String>,
    /// `per = "story"`: alert once per story.
    per_story: bool,
}

#[derive(Debug, Clone)]
struct TermUse {
    list: u32,
    role: Role,
    written: String,
}

/// Where a term was first found: field (0 title, 1 summary, 2 body) and folded range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Occurrence {
    field: usize,
    start: usize,
    end: usize,
}

impl Default for WatchlistSet {
    fn default() -> WatchlistSet {
        WatchlistSet::compile(&[]).expect("no watchlists always compile")
    }
}

impl WatchlistSet {
    /// Compiles every term of every watchlist into one automaton.
    ///
    /// # Errors
    /// A term that cannot be matched (empty once folded, only a `*`, a `*` inside
    /// it), or a watchlist without `any` and `all` terms, which could never match.
    pub fn compile(watchlists: &[WatchlistConfig]) -> Result<WatchlistSet, TermError> {
        let mut builder = TermSetBuilder::new();
        let mut terms = Vec::new();
        let mut lists = Vec::with_capacity(watchlists.len());
        for (index, w) in watchlists.iter().enumerate() {
            let error = |message: String| TermError {
                watchlist: w.name.clone(),
                message,
            };
            if w.any.is_empty() && w.all.is_empty() {
                return Err(error(
                    "has no `any` or `all` terms, so it would never match".into(),
                ));
            }
            for (role, list) in [
                (Role::Any, &w.any),
                (Role::All, &w.all),
                (Role::None, &w.none),
            ] {
                for written in list {
                    let payload = u32::try_from(terms.len()).expect("fewer than 2^32 terms");
                    let term = WatchTerm::parse(written);
                    for form in term.forms(w.translit) {
                        builder
                            .add(&form, term.kind, payload)
                            .map_err(|e| error(format!("`{role}` {e}")))?;
                    }
                    let list = u32::try_from(index).expect("fewer than 2^32 watchlists");
                    terms.push(TermUse {
                        list,
                        role,
                        written: written.clone(),
                    });
                }
            }
            lists.push(Compiled {
                name: w.name.clone(),
                webhooks: w.webhooks.clone(),
                any: w.any.len(),
                all: w.all.len(),
                countries: w.countries.clone(),
                topics: w.topics.clone(),
                feeds: w.feeds.clone(),
                per_story: w.per == MatchPer::Story,
            });
        }
        let set = builder.build().map_err(|e| TermError {
            watchlist: "(all)".into(),
            message: e.to_string(),
        })?;
        Ok(WatchlistSet { lists, terms, set })
    }

    /// Number of watchlists.
    pub fn len(&self) -> usize {
        self.lists.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    /// The watchlists that match, in configuration order, each with the `any`/`all`
    /// terms found (in order of first occurrence) and a snippet around each.
    pub fn match_article(&self, text: ArticleText<'_>, ctx: Context<'_>) -> Vec<Match> {
        self.match_folded(text, &fold_article(text), ctx)
    }

    /// Like [`WatchlistSet::match_article`], given the fields already folded
    /// ([`fold_article`]), as the poller has them for tagging too.
    pub fn match_folded(
        &self,
        text: ArticleText<'_>,
        folded: &[Folded; 3],
        ctx: Context<'_>,
    ) -> Vec<Match> {
        let fields = [text.title, text.summary, text.body];
        let mut found = self.first_occurrences(folded);
        found.sort_unstable_by_key(|&(payload, occ)| (self.terms[payload as usize].list, occ));
        let mut snippets = Snippets {
            fields,
            folded,
            made: HashMap::new(),
        };
        found
            .chunk_by(|a, b| self.terms[a.0 as usize].list == self.terms[b.0 as usize].list)
            .filter_map(|hits| self.evaluate(hits, &mut snippets, ctx))
            .collect()
    }

    /// Each term found in the fields, with its first occurrence.
    fn first_occurrences(&self, folded: &[Folded; 3]) -> Vec<(u32, Occurrence)> {
        let mut first: HashMap<u32, Occurrence> = HashMap::new();
        for (field, f) in folded.iter().enumerate() {
            self.set.for_each_hit(&f.text, |hit| {
                let occ = Occurrence {
                    field,
                    start: hit.start,
                    end: hit.end,
                };
                first
                    .entry(hit.payload)
                    .and_modify(|o| *o = (*o).min(occ))
                    .or_insert(occ);
            });
        }
        first.into_iter().collect()
    }

    /// The match of one watchlist, given the hits of its terms (sorted by occurrence).
    fn evaluate(
        &self,
        hits: &[(u32, Occurrence)],
        snippets: &mut Snippets<'_>,
        ctx: Context<'_>,
    ) -> Option<Match> {
        let list = &self.lists[self.terms[hits[0].0 as usize].list as usize];
        let role_of = |payload: u32| self.terms[payload as usize].role;
        let any_found = hits.iter().any(|h| role_of(h.0) == Role::Any);
        let all_found = hits.iter().filter(|h| role_of(h.0) == Role::All).count();
        let none_found = hits.iter().any(|h| role_of(h.0) == Role::None);
        let terms_ok = (any_found || list.any == 0) && all_found == list.all && !none_found;
        if !terms_ok || !list.filters_pass(ctx) {
            return None;
        }
        let mut matches: Vec<TermMatch> = Vec::new();
        for &(payload, occ) in hits {
            let term = &self.terms[payload as usize];
            if term.role == Role::None || matches.iter().any(|m| m.term == term.written) {
                continue;
            }
            matches.push(TermMatch {
                term: term.written.clone(),
                snippet: snippets.get(occ),
            });
        }
        Some(Match {
            watchlist: list.name.clone(),
            webhooks: list.webhooks.clone(),
            matches,
            per_story: list.per_story,
        })
    }
}

/// Snippets of one article, made once per occurrence: a term shared by several
/// watchlists, or two terms found at the same place, cost one snippet.
struct Snippets<'a> {
    fields: [&'a str; 3],
    folded: &'a [Folded; 3],
    made: HashMap<Occurrence, String>,
}

impl Snippets<'_> {
    fn get(&mut self, occ: Occurrence) -> String {
        let Snippets {
            fields,
            folded,
            made,
        } = self;
        made.entry(occ)
            .or_insert_with(|| {
                let range = folded[occ.field].original_range(occ.start..occ.end);
                snippet(fields[occ.field], range)
            })
            .clone()
    }
}

impl Compiled {
    /// The `countries`, `topics` and `feeds` filters; an empty filter passes.
    fn filters_pass(&self, ctx: Context<'_>) -> bool {
        let tag_in = |wanted: &[String], have: &[String]| {
            wanted.is_empty()
                || wanted
                    .iter()
                    .any(|w| have.iter().any(|h| h.eq_ignore_ascii_case(w)))
        };
        tag_in(&self.countries, &ctx.tags.countries)
            && tag_in(&self.topics, &ctx.tags.topics)
            && (self.feeds.is_empty() || self.feeds.iter().any(|f| f == ctx.feed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watchlist(name: &str, any: &[&str]) -> WatchlistConfig {
        WatchlistConfig {
            name: name.into(),
            any: any.iter().map(|s| s.to_string()).collect(),
            webhooks: vec!["ops".into()],
            ..WatchlistConfig::default()
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn run(set: &WatchlistSet, title: &str, body: &str, tags: &Tags) -> Vec<Match> {
        let text = ArticleText {
            title,
            summary: "",
            body,
        };
        set.match_article(text, Context { feed: "Feed", tags })
    }

    fn names(matches: &[Match]) -> Vec<&str> {
        matches.iter().map(|m| m.watchlist.as_str()).collect()
    }

    /// One row per term rule of docs/matching.md: (term, text, matches?).
    const RULES: &[(&str, &str, bool)] = &[
        // Case
        ("Almaty", "ALMATY airport", true),
        ("almaty", "Almaty's mayor", true),
        ("казахстан", "КАЗАХСТАН", true),
        // Diacritics (Latin) and ё
        ("Urumqi", "Ürümqi", true),
        ("Ürümqi", "urumqi", true),
        ("Shymkent", "Şymkent", false),
        ("Şymkent", "Symkent", true),
        ("Семёнов", "Семенов", true),
        ("Семенов", "Семёнов", true),
        // Letters of their own are not diacritics
        ("Казахстан", "Қазақстан", false),
        ("Ўзбекистон", "Узбекистон", false),
        ("Йошкар-Ола", "Иошкар-Ола", false),
        // Apostrophe variants
        ("O'zbekiston", "Oʻzbekiston", true),
        ("O‘zbekiston", "O’zbekiston", true),
        ("Farg`ona", "Farg'ona", true),
        ("Oʼzbekiston", "O`zbekiston", true),
        // Whole words
        ("Osh", "Oshkosh", false),
        ("Osh", "in Osh, Kyrgyzstan", true),
        ("oil", "turmoil", false),
        ("oil", "oil-rich", true),
        ("coal", "coals", false),
        ("Kazakhstan", "Kazakhstan's", true),
        ("G20", "G200", false),
        // Phrases across whitespace, hyphens, dashes and line breaks
        ("railway crossing", "railway\n  crossing", true),
        ("railway crossing", "railway-crossing", true),
        ("railway crossing", "railway — crossing", true),
        ("Alma-Ata", "Alma Ata", true),
        ("railway crossing", "railway level crossing", false),
        // Prefix
        ("railway crossing*", "two railway crossings", true),
        ("Синьцзян*", "в Синьцзяне", true),
        ("Синьцзян*", "Синьцзян", true),
        ("tanker*", "oil-tankers", true),
        ("tanker*", "supertanker", false),
        // CJK substring
        ("新疆", "中国新疆维吾尔自治区", true),
        ("铁路口岸", "霍尔果斯铁路口岸", true),
        ("Urumqi", "在Urumqi举行", true),
    ];

    #[test]
    fn term_rules() {
        for &(term, text, expected) in RULES {
            let set = WatchlistSet::compile(&[watchlist("w", &[term])]).unwrap();
            let got = !run(&set, text, "", &Tags::default()).is_empty();
            assert_eq!(got, expected, "{term:?} in {text:?}");
        }
    }

    #[test]
    fn snippet_and_terms_as_in_spec() {
        let set = WatchlistSet::compile(&[watchlist("xinjiang", &["Xinjiang", "XUAR", "Urumqi"])])
            .unwrap();
        let body =
            "Talks were held in Urumqi, capital of the Xinjiang Uyghur Autonomous Region (XUAR).";
        let got = run(&set, "Trade talks", body, &Tags::default());
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].webhooks, ["ops"]);
        let terms: Vec<&str> = got[0].matches.iter().map(|m| m.term.as_str()).collect();
        assert_eq!(terms, ["Urumqi", "Xinjiang", "XUAR"]);
        assert_eq!(
            got[0].matches[1].snippet,
            "Talks were held in Urumqi, capital of the [Xinjiang] Uyghur Autonomous Region (XUAR)."
        );
    }

    #[test]
    fn per_story_watchlists_say_so_in_their_matches() {
        let by_story = WatchlistConfig {
            per: MatchPer::Story,
            ..watchlist("by-story", &["Bakhty"])
        };
        let set = WatchlistSet::compile(&[watchlist("by-article", &["Bakhty"]), by_story]).unwrap();
        let got = run(&set, "Bakhty crossing", "", &Tags::default());
        let per: Vec<(&str, bool)> = got
            .iter()
            .map(|m| (m.watchlist.as_str(), m.per_story))
            .collect();
        assert_eq!(per, [("by-article", false), ("by-story", true)]);
    }

    #[test]
    fn first_occurrence_is_in_title_before_body() {
        let set = WatchlistSet::compile(&[watchlist("w", &["coal", "Kazakhstan"])]).unwrap();
        let got = run(
            &set,
            "Kazakhstan exports",
            "More coal from Kazakhstan.",
            &Tags::default(),
        );
        let terms: Vec<&str> = got[0].matches.iter().map(|m| m.term.as_str()).collect();
        assert_eq!(terms, ["Kazakhstan", "coal"]);
        assert_eq!(got[0].matches[0].snippet, "[Kazakhstan] exports");
    }

    #[test]
    fn any_all_none_semantics() {
        let mut w = watchlist("caspian-oil", &["oil", "tanker*"]);
        w.all = strings(&["Caspian"]);
        w.none = strings(&["caviar"]);
        let mut only_all = watchlist("only-all", &[]);
        only_all.all = strings(&["Caspian", "Aktau"]);
        let set = WatchlistSet::compile(&[w, only_all]).unwrap();
        let t = Tags::default();
        assert_eq!(
            names(&run(&set, "Oil tankers", "in the Caspian", &t)),
            ["caspian-oil"]
        );
        assert!(
            run(&set, "Oil", "no sea here", &t).is_empty(),
            "all term missing"
        );
        assert!(
            run(&set, "Caspian", "the sea", &t).is_empty(),
            "no any term"
        );
        assert!(
            run(&set, "Caspian oil", "and caviar", &t).is_empty(),
            "none term found"
        );
        assert_eq!(names(&run(&set, "Caspian", "Aktau port", &t)), ["only-all"]);
        // A `none` term is never listed as a match.
        let got = run(&set, "Oil", "Caspian, Aktau", &t);
        assert_eq!(names(&got), ["caspian-oil", "only-all"]);
        let terms: Vec<&str> = got[0].matches.iter().map(|m| m.term.as_str()).collect();
        assert_eq!(terms, ["oil", "Caspian"]);
    }

    #[test]
    fn filters_on_tags_and_feed() {
        let mut w = watchlist("kz-coal", &["coal"]);
        w.countries = strings(&["KZ"]);
        w.topics = strings(&["mining", "energy"]);
        w.feeds = strings(&["Feed"]);
        let set = WatchlistSet::compile(&[w]).unwrap();
        let tags = |c: &[&str], t: &[&str]| Tags {
            countries: strings(c),
            topics: strings(t),
            ..Tags::default()
        };
        assert_eq!(
            run(&set, "coal", "", &tags(&["CN", "KZ"], &["energy"])).len(),
            1
        );
        assert!(run(&set, "coal", "", &tags(&["CN"], &["energy"])).is_empty());
        assert!(run(&set, "coal", "", &tags(&["KZ"], &["trade"])).is_empty());
        let t = tags(&["KZ"], &["mining"]);
        let text = ArticleText {
            title: "coal",
            summary: "",
            body: "",
        };
        assert!(
            set.match_article(
                text,
                Context {
                    feed: "Other",
                    tags: &t
                }
            )
            .is_empty()
        );
    }

    #[test]
    fn translit_is_per_watchlist() {
        let mut on = watchlist("on", &["Toshkent", "Tokayev", "Синьцзян*"]);
        on.translit = true;
        let off = watchlist("off", &["Toshkent", "Tokayev", "Синьцзян*"]);
        let set = WatchlistSet::compile(&[on, off]).unwrap();
        let t = Tags::default();
        let got = run(&set, "В Тошкенте", "Президент Токаев прибыл в Тошкент.", &t);
        assert_eq!(names(&got), ["on"]);
        let terms: Vec<&str> = got[0].matches.iter().map(|m| m.term.as_str()).collect();
        assert_eq!(terms, ["Tokayev", "Toshkent"]);
        assert!(got[0].matches[0].snippet.contains("[Токаев]"));
        assert_eq!(names(&run(&set, "Sinczyan news", "", &t)), ["on"]);
        assert_eq!(
            names(&run(&set, "Tokayev in Toshkent", "", &t)),
            ["on", "off"]
        );
    }

    #[test]
    fn bad_watchlists_are_refused_with_their_name() {
        let err = WatchlistSet::compile(&[watchlist("w", &["ok", "*"])]).unwrap_err();
        assert_eq!(err.watchlist, "w");
        assert!(
            err.to_string().starts_with("watchlist w: `any` term \"\""),
            "{err}"
        );
        let err = WatchlistSet::compile(&[watchlist("empty", &[])]).unwrap_err();
        assert!(err.message.contains("never match"), "{err}");
    }

    /// The dev set's watchlists give exactly the labelled verdicts, with the article's
    /// labelled countries and central topics as tags (this isolates the matcher from the tagger).
    #[test]
    fn dev_set_verdicts() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dev-set");
        let lists = dev_watchlists(&std::fs::read_to_string(dir.join("watchlists.toml")).unwrap());
        let set = WatchlistSet::compile(&lists).unwrap();
        let articles: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(dir.join("articles.json")).unwrap())
                .unwrap();
        let mut wrong = Vec::new();
        for a in &articles {
            let s = |k: &str| a[k].as_str().unwrap_or_default();
            let list = |k: &str| -> Vec<String> {
                a["expect"][k]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect()
            };
            let tags = Tags {
                countries: list("countries"),
                topics: list("topics_must"),
                ..Tags::default()
            };
            let text = ArticleText {
                title: s("title"),
                summary: s("summary"),
                body: s("body"),
            };
            let got = set.match_article(
                text,
                Context {
                    feed: s("source"),
                    tags: &tags,
                },
            );
            for w in &lists {
                let expected = a["expect"]["watch"][&w.name].as_bool().unwrap();
                let matched = got.iter().find(|m| m.watchlist == w.name);
                if expected != matched.is_some() {
                    wrong.push(format!(
                        "{} {}: expected {expected}, got {matched:?}",
                        s("id"),
                        w.name
                    ));
                }
                if let Some(m) = matched {
                    assert!(
                        !m.matches.is_empty() && m.matches.iter().all(|t| t.snippet.contains('['))
                    );
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "{} wrong verdicts:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }

    fn dev_watchlists(toml_text: &str) -> Vec<WatchlistConfig> {
        #[derive(serde::Deserialize)]
        struct File {
            watchlist: Vec<Raw>,
        }
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            name: String,
            #[serde(default)]
            any: Vec<String>,
            #[serde(default)]
            all: Vec<String>,
            #[serde(default)]
            none: Vec<String>,
            #[serde(default)]
            countries: Vec<String>,
            #[serde(default)]
            topics: Vec<String>,
        }
        let file: File = toml::from_str(toml_text).unwrap();
        file.watchlist
            .into_iter()
            .map(|r| WatchlistConfig {
                name: r.name,
                any: r.any,
                all: r.all,
                none: r.none,
                countries: r.countries,
                topics: r.topics,
                ..WatchlistConfig::default()
            })
            .collect()
    }
}
