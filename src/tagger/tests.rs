//! Tagging cases, one per inflection and disambiguation rule, and the accuracy
//! report over the labelled dev set.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::Tagger;
use crate::model::{ArticleText, Tags};

/// One tagger for all tests: building it compiles the whole gazetteer.
fn tagger() -> &'static Tagger {
    static TAGGER: OnceLock<Tagger> = OnceLock::new();
    TAGGER.get_or_init(|| Tagger::new(&BTreeMap::new()))
}

fn tag(title: &str, body: &str) -> Tags {
    tagger().tag(ArticleText {
        title,
        summary: "",
        body,
    })
}

/// `tag_case!(name, "text", countries [..], regions [..])` asserts the exact
/// countries and that every listed region is present; `no_regions [..]` asserts
/// absent regions.
macro_rules! tag_case {
    ($name:ident, $text:expr, [$($cc:expr),*]) => {
        #[test]
        fn $name() {
            let tags = tag("", $text);
            let want: Vec<&str> = vec![$($cc),*];
            assert_eq!(tags.countries, want, "{:?}", tags);
        }
    };
    ($name:ident, $text:expr, [$($cc:expr),*], regions [$($r:expr),*]) => {
        #[test]
        fn $name() {
            let tags = tag("", $text);
            let want: Vec<&str> = vec![$($cc),*];
            assert_eq!(tags.countries, want, "{:?}", tags);
            $(assert!(tags.regions.iter().any(|r| r == $r), "missing {}: {:?}", $r, tags);)*
        }
    };
    ($name:ident, $text:expr, [$($cc:expr),*], no_regions [$($r:expr),*]) => {
        #[test]
        fn $name() {
            let tags = tag("", $text);
            let want: Vec<&str> = vec![$($cc),*];
            assert_eq!(tags.countries, want, "{:?}", tags);
            $(assert!(!tags.regions.iter().any(|r| r == $r), "unexpected {}: {:?}", $r, tags);)*
        }
    };
}

// Inflection: every case form without listing forms.
tag_case!(ru_cases, "Казахстан, Казахстана и Казахстане; из Ташкента в Бишкеке.", ["KG", "KZ", "UZ"], regions ["Tashkent", "Bishkek"]);
tag_case!(
    ru_a_ya_i_stems,
    "Из Москвы в Китай, из Китая в Россию.",
    ["CN", "RU"],
    regions["Moscow"]
);
tag_case!(
    ru_adjectives,
    "казахстанские и узбекская компании",
    ["KZ", "UZ"]
);
tag_case!(
    ru_region_phrase,
    "жители Павлодарской области",
    ["KZ"],
    regions["Pavlodar Region"]
);
tag_case!(
    ru_region_noun_first,
    "в области Жетысу",
    ["KZ"],
    regions["Jetisu Region"]
);
tag_case!(
    kk_suffixes,
    "Қазақстанның көмірі Шыңжаңдағы станцияларға Қытайға жеткізіледі",
    ["CN", "KZ"],
    regions["Xinjiang"]
);
tag_case!(
    ky_suffixes,
    "Орусиядагы кыргызстандыктардын абалы",
    ["KG", "RU"]
);
tag_case!(
    uz_latin_suffixes,
    "Toshkentda O‘zbekistonning delegatsiyasi Qirg'izistondan qaytdi",
    ["KG", "UZ"],
    regions["Tashkent"]
);
tag_case!(
    uz_cyrillic,
    "Ўзбекистон ва Тошкентда",
    ["UZ"],
    regions["Tashkent"]
);
tag_case!(
    tg_suffixes,
    "Тоҷикистонро ва Душанберо",
    ["TJ"],
    regions["Dushanbe"]
);
tag_case!(
    en_possessive_and_demonym,
    "Kazakhstan's exports; Kazakh and Uzbek traders",
    ["KZ", "UZ"]
);
tag_case!(zh_substrings, "经霍尔果斯铁路口岸进出境的中欧班列，乌鲁木齐", ["CN", "KZ"], regions ["Khorgos", "Urumqi", "Xinjiang"]);
tag_case!(variants_same_place, "Ürümqi, Wulumuqi and Alma-Ata, Nur-Sultan", ["CN", "KZ"], regions ["Urumqi", "Almaty", "Astana"]);

// Parents: a place implies its country and its autonomous region.
tag_case!(city_implies_parents, "Traders in Kashgar", ["CN"], regions ["Kashgar", "Xinjiang"]);
tag_case!(karakalpakstan_parent, "The mayor of Nukus said", ["UZ"], regions ["Nukus", "Karakalpakstan"]);
tag_case!(region_keeps_city, "mines in the Karaganda region", ["KZ"], regions ["Karaganda", "Karaganda Region"]);

// Disambiguation.
tag_case!(
    osh_not_kyrgyz_pronoun,
    "Кыргызстандын жарандары. Ошол үч күндө жумуштан калдым.",
    ["KG"],
    no_regions["Osh"]
);
tag_case!(
    osh_with_country_context,
    "Protests in Osh, Kyrgyzstan's second city",
    ["KG"],
    regions["Osh"]
);
tag_case!(osh_alone_is_weak, "Osh was served at the wedding", []);
tag_case!(
    turkey_bird,
    "Turkey, the centrepiece of the table. US turkey exporters sell ground turkey.",
    ["US"]
);
tag_case!(
    turkey_country,
    "Turkey and Azerbaijan signed a deal in Ankara",
    ["AZ", "TR"]
);
tag_case!(
    georgia_us_state,
    "Atlanta is the capital of the US state of Georgia. Jobs in Georgia grew.",
    ["US"],
    no_regions["Georgia"]
);
tag_case!(
    georgia_country,
    "Cargo crosses Georgia to the Black Sea.",
    ["GE"]
);
tag_case!(china_porcelain, "fine china and china clay", []);
tag_case!(
    chad_person,
    "Chad Smith said the talks in Astana went well",
    ["KZ"]
);
tag_case!(
    jordan_with_context,
    "Jordanian officials met in Jordan",
    ["JO"]
);
tag_case!(jordan_person, "Michael Jordan visited Almaty", ["KZ"]);
tag_case!(south_sudan_not_sudan, "South Sudan", ["SS"]);
tag_case!(latin_america_not_us, "exports to Latin America", []);
tag_case!(
    east_turkistan_is_xinjiang,
    "activists of East Turkistan",
    ["CN"],
    regions["Xinjiang"]
);
tag_case!(
    turkistan_needs_context,
    "Turkistan was a Russian colonial term",
    ["RU"],
    no_regions["Turkistan"]
);
tag_case!(
    turkistan_city,
    "Pilgrims visit Turkistan in southern Kazakhstan",
    ["KZ"],
    regions["Turkistan"]
);
tag_case!(
    aral_sea_not_aral_town,
    "The Aral Sea shrank",
    [],
    regions["Aral Sea"]
);
tag_case!(
    dostyk_avenue_sentence_start,
    "Достық даңғылы бойынша. Достык - это дружба.",
    []
);
tag_case!(
    dostyk_station,
    "Вагоны скопились на станции Достык в Казахстане",
    ["KZ"],
    regions["Dostyk"]
);
tag_case!(
    navoi_poet,
    "Alisher Navoiy is the national poet of Uzbekistan",
    ["UZ"],
    no_regions["Navoi"]
);
tag_case!(
    navoi_city,
    "A plant opens in Navoi, Uzbekistan",
    ["UZ"],
    regions["Navoi"]
);
tag_case!(us_pronoun, "Let us talk about it", []);
tag_case!(us_abbreviation, "The US and Kazakhstan", ["KZ", "US"]);
tag_case!(
    organisations_are_not_countries,
    "SCO, EAEU, CSTO and the UN met",
    []
);
tag_case!(
    mary_person_vs_city,
    "Mary Smith said; the Mary region of Turkmenistan",
    ["TM"],
    regions["Mary Region"]
);
tag_case!(nice_adjective, "Nice weather in Nice", []);
tag_case!(russian_language_is_not_russia, "на русском языке", []);
tag_case!(
    mary_robinson_person,
    "Mary Robinson urged Turkmen authorities to free prisoners",
    ["TM"],
    no_regions["Mary"]
);
tag_case!(
    sco_is_not_shanghai,
    "上海合作组织峰会在阿斯塔纳举行",
    ["KZ"],
    no_regions["Shanghai"]
);
tag_case!(
    far_city_next_to_name,
    "Paris Hilton visited Almaty",
    ["KZ"],
    no_regions["Paris"]
);
tag_case!(
    capital_stands_alone,
    "Talks were held in Moscow on Friday",
    ["RU"],
    regions["Moscow"]
);
tag_case!(
    foreign_city_needs_country,
    "The Port of Savannah is busy",
    [],
    no_regions["Savannah"]
);
tag_case!(
    foreign_city_with_country,
    "The Port of Savannah is the busiest in the US",
    ["US"],
    regions["Savannah"]
);
tag_case!(
    uzbek_demonym_suffix,
    "toshkentliklar va o'zbekistonliklar",
    ["UZ"],
    regions["Tashkent"]
);
tag_case!(
    kazakh_abbreviation,
    "ҚР Энергетика министрлігі хабарлады",
    ["KZ"]
);
tag_case!(
    zh_common_words_are_not_cities,
    "社会稳定和长治久安，青年联合奋斗，哈密瓜丰收",
    []
);
tag_case!(ru_common_word_city, "Шахты региона работают", []);
tag_case!(
    ru_compound_adjective,
    "на казахстанско-китайской границе",
    ["CN", "KZ"]
);

/// One labelled article of tests/fixtures/dev-set/articles.json.
#[derive(Debug, serde::Deserialize)]
struct Labelled {
    id: String,
    title: String,
    summary: String,
    body: String,
    expect: Expect,
}

#[derive(Debug, serde::Deserialize)]
struct Expect {
    countries: Vec<String>,
    regions_must: Vec<String>,
    regions_must_not: Vec<String>,
    topics_must: Vec<String>,
    topics_must_not: Vec<String>,
}

/// Counts over the dev set, per the label rules in its README.
#[derive(Debug, Default)]
struct Accuracy {
    country_tp: usize,
    country_fp: usize,
    country_fn: usize,
    regions_found: usize,
    regions_wanted: usize,
    wrong_regions: usize,
    topics_found: usize,
    topics_wanted: usize,
    wrong_topics: usize,
}

impl Accuracy {
    fn add(&mut self, id: &str, e: &Expect, got: &Tags) {
        let has = |list: &[String], x: &String| list.iter().any(|y| y == x);
        for c in &got.countries {
            if has(&e.countries, c) {
                self.country_tp += 1;
            } else {
                self.country_fp += 1;
                println!("{id}: extra country {c}");
            }
        }
        for c in e.countries.iter().filter(|c| !has(&got.countries, c)) {
            self.country_fn += 1;
            println!("{id}: missing country {c}");
        }
        self.regions_wanted += e.regions_must.len();
        for r in &e.regions_must {
            if has(&got.regions, r) {
                self.regions_found += 1;
            } else {
                println!("{id}: missing region {r}");
            }
        }
        for r in e.regions_must_not.iter().filter(|r| has(&got.regions, r)) {
            self.wrong_regions += 1;
            println!("{id}: wrong region {r}");
        }
        self.topics_wanted += e.topics_must.len();
        for t in &e.topics_must {
            if has(&got.topics, t) {
                self.topics_found += 1;
            } else {
                println!("{id}: missing topic {t}");
            }
        }
        for t in e.topics_must_not.iter().filter(|t| has(&got.topics, t)) {
            self.wrong_topics += 1;
            println!("{id}: wrong topic {t}");
        }
    }

    fn precision(&self) -> f64 {
        self.country_tp as f64 / (self.country_tp + self.country_fp).max(1) as f64
    }

    fn recall(&self) -> f64 {
        self.country_tp as f64 / (self.country_tp + self.country_fn).max(1) as f64
    }

    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn dev_set() -> Vec<Labelled> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/dev-set/articles.json"
    );
    let json = std::fs::read_to_string(path).expect("dev set is in the repository");
    serde_json::from_str(&json).expect("dev set parses")
}

/// The tagger's compact prefix tree reports exactly the hits an Aho-Corasick
/// automaton over the same terms reports, on every field of the dev set and on
/// text that names many places in several scripts.
#[test]
fn compact_terms_find_what_the_automaton_finds() {
    let gazetteer = super::Gazetteer::builtin();
    let topics = super::Topics::new(&BTreeMap::new()).unwrap();
    let compact = super::collect_terms(&gazetteer, &topics)
        .builder
        .build_compact();
    let automaton = super::collect_terms(&gazetteer, &topics)
        .builder
        .build()
        .unwrap();
    assert_eq!(compact.patterns_len(), automaton.patterns_len());
    eprintln!(
        "{} patterns: compact {} bytes, automaton {} bytes",
        compact.patterns_len(),
        compact.memory_usage(),
        automaton.memory_usage()
    );
    assert!(compact.memory_usage() * 3 < automaton.memory_usage());
    let mut texts: Vec<String> = vec![
        "Қазақстанның Шыңжаңдағы Орусиядагы Toshkentda O'zbekistonning 新疆维吾尔自治区 \
         乌鲁木齐市 Павлодарской области, в Казахстане; Kyrgyzstan's Osh-Batken road."
            .to_owned(),
    ];
    for a in dev_set() {
        texts.extend([a.title, a.summary, a.body]);
    }
    let mut hits = 0;
    for t in &texts {
        let folded = crate::text::fold(t);
        let got = compact.find(&folded);
        assert_eq!(got, automaton.find(&folded), "{t}");
        hits += got.len();
    }
    assert!(hits > 1000, "{hits}");
}

/// The dev-set accuracy report. Run with
/// `cargo test --lib tagger::tests::dev_set_accuracy -- --nocapture` to see the figures.
#[test]
fn dev_set_accuracy() {
    let articles = dev_set();
    let mut acc = Accuracy::default();
    for a in &articles {
        let got = tagger().tag(ArticleText {
            title: &a.title,
            summary: &a.summary,
            body: &a.body,
        });
        println!(
            "{}: {:?} {:?} {:?}",
            a.id, got.countries, got.regions, got.topics
        );
        acc.add(&a.id, &a.expect, &got);
    }
    let region_recall = acc.regions_found as f64 / acc.regions_wanted.max(1) as f64;
    let topic_recall = acc.topics_found as f64 / acc.topics_wanted.max(1) as f64;
    println!(
        "dev set ({} articles): countries P {:.3} R {:.3} F1 {:.3}; regions recall {:.3} ({}/{}), wrong regions {}; topics recall {:.3} ({}/{}), wrong topics {}",
        articles.len(),
        acc.precision(),
        acc.recall(),
        acc.f1(),
        region_recall,
        acc.regions_found,
        acc.regions_wanted,
        acc.wrong_regions,
        topic_recall,
        acc.topics_found,
        acc.topics_wanted,
        acc.wrong_topics,
    );
    assert!(acc.f1() >= 0.97, "country F1 {:.3}", acc.f1());
    assert!(region_recall >= 0.95, "region recall {region_recall:.3}");
    assert!(topic_recall >= 0.90, "topic recall {topic_recall:.3}");
    assert!(acc.wrong_regions + acc.wrong_topics <= 1, "{acc:?}");
}

#[test]
fn configured_keywords_extend_topics_and_bad_ones_are_skipped() {
    let mut extra = BTreeMap::new();
    extra.insert(
        "sport".to_owned(),
        vec![
            "football*".to_owned(),
            " - ".to_owned(),
            "foo*bar".to_owned(),
        ],
    );
    let t = Tagger::new(&extra);
    assert_eq!(t.skipped_terms().len(), 2, "{:?}", t.skipped_terms());
    let tags = t.tag(ArticleText {
        title: "Football league opens in Almaty",
        summary: "",
        body: "",
    });
    assert_eq!(tags.topics, ["sport"]);
    assert_eq!(tags.countries, ["KZ"]);
}

mod outermost_props {
    use super::super::outermost;
    use proptest::prelude::*;

    /// The rule as stated: a span is dropped when another one contains it and is longer.
    fn by_pairs(spans: &[(usize, usize, usize)]) -> Vec<usize> {
        spans
            .iter()
            .filter(|&&(s, e, _)| {
                !spans
                    .iter()
                    .any(|&(s2, e2, _)| s2 <= s && e <= e2 && e2 - s2 > e - s)
            })
            .map(|&(_, _, k)| k)
            .collect()
    }

    proptest! {
        #[test]
        fn one_pass_keeps_what_the_pairwise_rule_keeps(
            raw in proptest::collection::vec((0..12usize, 0..6usize), 0..24),
        ) {
            let mut spans: Vec<(usize, usize, usize)> = raw
                .iter()
                .enumerate()
                .map(|(k, &(s, len))| (s, s + len, k))
                .collect();
            // In order of start only, like the hits: ends within a start in any order.
            spans.sort_by_key(|s| s.0);
            prop_assert_eq!(outermost(&spans).collect::<Vec<_>>(), by_pairs(&spans));
        }
    }
}
