//! Language of an article as an ISO 639-1 code: whatlang for the languages
//! it knows, letters that only Kazakh, Kyrgyz, Tajik or Uzbek Cyrillic use
//! for those it does not (whatlang reads them as Russian).

use crate::model::ArticleText;
use whatlang::{Lang, Script};

/// Characters of an article that language detection reads: its title, then
/// its summary and body up to this many in all. A few sentences decide the
/// language as well as the whole text does (the marker letters are counted
/// as a share, and whatlang keeps only the 600 most frequent trigrams), and
/// detection then costs the same for a 2 KB article as for a 200 KB one.
pub const SAMPLE_CHARS: usize = 1000;

/// Fewer letters than this is a headline fragment, too short to tell
/// languages apart (whatlang's trigram statistics need a sentence or two).
pub const MIN_LETTERS: usize = 20;

/// Chinese and Japanese carry a word in one or two characters, so fewer suffice.
pub const MIN_IDEOGRAPHS: usize = 8;

/// Below this whatlang confidence the answer is a guess and `detect` says nothing.
const MIN_CONFIDENCE: f64 = 0.5;

/// Share of a Cyrillic text's letters that must be language-specific letters
/// before the text is taken to be in that language: one Kazakh name in a
/// Russian article (Қасым-Жомарт) must not make it Kazakh.
const MIN_MARKER_SHARE: f64 = 0.015;

/// ISO 639-1 code of an article's language, from its first [`SAMPLE_CHARS`]
/// characters (title, summary, body), when it can be told reliably.
pub fn detect_article(text: ArticleText<'_>) -> Option<String> {
    detect(&sample(text))
}

/// The title, summary and body joined by newlines, cut after [`SAMPLE_CHARS`]
/// characters.
fn sample(text: ArticleText<'_>) -> String {
    let mut out = String::with_capacity(SAMPLE_CHARS + 8);
    let mut left = SAMPLE_CHARS;
    for part in [text.title, text.summary, text.body] {
        if left == 0 {
            break;
        }
        // Walks at most `left` characters of the part, however long it is.
        let end = match part.char_indices().nth(left) {
            Some((end, _)) => {
                left = 0;
                end
            }
            None => {
                left -= part.chars().count();
                part.len()
            }
        };
        out.push_str(&part[..end]);
        out.push('\n');
    }
    out
}

/// ISO 639-1 code of the language of `text`, when it can be told reliably.
pub fn detect(text: &str) -> Option<String> {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let ideographs = text.chars().filter(|c| is_ideograph(*c)).count();
    if letters < MIN_LETTERS && ideographs < MIN_IDEOGRAPHS {
        return None;
    }
    if let Some(code) = cyrillic_language(text).or_else(|| central_asian_latin(text)) {
        return Some(code.to_string());
    }
    let info = whatlang::detect(text)?;
    if info.script() == Script::Mandarin && ideographs >= MIN_IDEOGRAPHS {
        return Some("zh".to_string());
    }
    (info.is_reliable() || info.confidence() >= MIN_CONFIDENCE)
        .then(|| iso639_1(info.lang()))
        .flatten()
        .map(str::to_string)
}

fn is_ideograph(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// The language of a Cyrillic text from its letters: Kazakh, Kyrgyz, Tajik
/// and Uzbek from the letters Russian lacks, Ukrainian and Belarusian from
/// theirs, Russian from ы э ё.
fn cyrillic_language(text: &str) -> Option<&'static str> {
    let mut cyrillic = 0usize;
    let mut count = [0usize; 256];
    for c in text.chars().flat_map(char::to_lowercase) {
        if matches!(c, '\u{0400}'..='\u{04FF}') && c.is_alphabetic() {
            cyrillic += 1;
            count[c as usize - 0x0400] += 1;
        }
    }
    let n = |letters: &str| {
        letters
            .chars()
            .map(|c| count[c as usize - 0x0400])
            .sum::<usize>()
    };
    let share = |letters: &str| n(letters) as f64 / cyrillic.max(1) as f64;
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if cyrillic < MIN_LETTERS || cyrillic * 2 < letters {
        return None;
    }
    // ҷ ӣ ӯ are Tajik only; ў with қ/ғ/ҳ is Uzbek (Belarusian has ў alone).
    if n("ҷӣӯ") > 0 && share("ҷӣӯҳғқ") >= MIN_MARKER_SHARE {
        return Some("tg");
    }
    if n("ў") > 0 && n("қғҳ") > 0 && share("ўқғҳ") >= MIN_MARKER_SHARE {
        return Some("uz");
    }
    // ә ұ қ ғ are Kazakh, not Kyrgyz; Kyrgyz adds only ң ө ү to Russian.
    if n("әұқғ") > 0 && share("әұқғңөүһі") >= MIN_MARKER_SHARE {
        return Some("kk");
    }
    if share("ңөү") >= MIN_MARKER_SHARE {
        return Some("ky");
    }
    // whatlang hesitates between the Slavic languages on news prose; their
    // own letters settle it, and Russian is the region's lingua franca.
    if n("ѓќѕјљњћџ") > 0 {
        return None;
    }
    if n("їєґ") > 0 {
        return Some("uk");
    }
    if n("ў") > 0 && n("і") > 0 {
        return Some("be");
    }
    (n("ыэё") > 0).then_some("ru")
}

/// Uzbek and Turkmen in Latin script, from their apostrophe letters (oʻ gʻ)
/// and ň, which whatlang's short trigram profiles miss in news prose.
fn central_asian_latin(text: &str) -> Option<&'static str> {
    let latin = text
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .count()
        .max(1);
    let lower = text.to_lowercase();
    let uzbek = ["oʻ", "gʻ", "o‘", "g‘", "o’", "g’", "o'", "g'"]
        .iter()
        .map(|m| lower.matches(m).count())
        .sum::<usize>();
    let turkmen = lower
        .chars()
        .filter(|c| matches!(c, 'ň' | 'ä' | 'ý' | 'ž'))
        .count();
    if uzbek >= 2 && uzbek as f64 / latin as f64 >= MIN_MARKER_SHARE / 2.0 {
        return Some("uz");
    }
    if turkmen >= 2 && turkmen as f64 / latin as f64 >= MIN_MARKER_SHARE {
        return Some("tk");
    }
    None
}

/// ISO 639-1 code of a whatlang language (whatlang speaks ISO 639-3).
fn iso639_1(lang: Lang) -> Option<&'static str> {
    let code = match lang {
        Lang::Epo => "eo",
        Lang::Eng => "en",
        Lang::Rus => "ru",
        Lang::Cmn => "zh",
        Lang::Spa => "es",
        Lang::Por => "pt",
        Lang::Ita => "it",
        Lang::Ben => "bn",
        Lang::Fra => "fr",
        Lang::Deu => "de",
        Lang::Ukr => "uk",
        Lang::Kat => "ka",
        Lang::Ara => "ar",
        Lang::Hin => "hi",
        Lang::Jpn => "ja",
        Lang::Heb => "he",
        Lang::Yid => "yi",
        Lang::Pol => "pl",
        Lang::Amh => "am",
        Lang::Jav => "jv",
        Lang::Kor => "ko",
        Lang::Nob => "nb",
        Lang::Dan => "da",
        Lang::Swe => "sv",
        Lang::Fin => "fi",
        Lang::Tur => "tr",
        Lang::Nld => "nl",
        Lang::Hun => "hu",
        Lang::Ces => "cs",
        Lang::Ell => "el",
        Lang::Bul => "bg",
        Lang::Bel => "be",
        Lang::Mar => "mr",
        Lang::Kan => "kn",
        Lang::Ron => "ro",
        Lang::Slv => "sl",
        Lang::Hrv => "hr",
        Lang::Srp => "sr",
        Lang::Mkd => "mk",
        Lang::Lit => "lt",
        Lang::Lav => "lv",
        Lang::Est => "et",
        Lang::Tam => "ta",
        Lang::Vie => "vi",
        Lang::Urd => "ur",
        Lang::Tha => "th",
        Lang::Guj => "gu",
        Lang::Uzb => "uz",
        Lang::Pan => "pa",
        Lang::Aze => "az",
        Lang::Ind => "id",
        Lang::Tel => "te",
        Lang::Pes => "fa",
        Lang::Mal => "ml",
        Lang::Ori => "or",
        Lang::Mya => "my",
        Lang::Nep => "ne",
        Lang::Sin => "si",
        Lang::Khm => "km",
        Lang::Tuk => "tk",
        Lang::Aka => "ak",
        Lang::Zul => "zu",
        Lang::Sna => "sn",
        Lang::Afr => "af",
        Lang::Lat => "la",
        Lang::Slk => "sk",
        Lang::Cat => "ca",
        Lang::Tgl => "tl",
        Lang::Hye => "hy",
    };
    Some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! lang_case {
        ($name:ident, $text:expr, $expected:expr) => {
            #[test]
            fn $name() {
                assert_eq!(detect($text).as_deref(), $expected, "text: {}", $text);
            }
        };
    }

    lang_case!(
        english,
        "Kazakhstan and China opened a second railway crossing at Khorgos, doubling capacity on the route to Urumqi.",
        Some("en")
    );
    lang_case!(
        russian,
        "Главы правительств стран СНГ подписали пятнадцать документов, в том числе о сотрудничестве в сфере транспорта.",
        Some("ru")
    );
    lang_case!(
        russian_with_one_kazakh_name,
        "Президент Казахстана Қасым-Жомарт Токаев подписал закон о водных ресурсах бассейна реки Или и озера Балхаш, сообщает пресс-служба Акорды.",
        Some("ru")
    );
    lang_case!(
        kazakh,
        "Қазақстан мен Қытай Қорғас арқылы екінші теміржол өткелін ашты. Жаңа желі жүк тасымалын екі есеге арттырады.",
        Some("kk")
    );
    lang_case!(
        kyrgyz,
        "Бишкекте КМШнын өкмөт башчыларынын кеңешмеси өттү. Кийинки жолугушуу Ашхабадда болот деп билдирилди.",
        Some("ky")
    );
    lang_case!(
        tajik,
        "Сарвазирони кишварҳои ИДМ дар Душанбе ҷамъ омаданд. Нерӯгоҳи барқи обии Роғун ба пуррагӣ кор мекунад.",
        Some("tg")
    );
    lang_case!(
        uzbek_cyrillic,
        "Ўзбекистон ва Қирғизистон Қамбарота-1 гидроэлектр станциясини қуриш бўйича келишувга эришди.",
        Some("uz")
    );
    lang_case!(
        uzbek_latin,
        "Oʻzbekiston va Qirgʻiziston Qambarota-1 gidroelektr stansiyasini qurish boʻyicha kelishuvga erishdi.",
        Some("uz")
    );
    lang_case!(
        turkmen,
        "Türkmenistan bilen Azerbaýjan Hazar deňziniň düýbünden geçjek gaz geçirijisini ara alyp maslahatlaşdylar.",
        Some("tk")
    );
    lang_case!(
        chinese,
        "霍尔果斯口岸中欧班列今年通行量突破七千列，同比增长百分之十二。",
        Some("zh")
    );
    lang_case!(
        english_quoting_russian,
        "The minister said the railway would open next year and added, in Russian, «мы это сделаем», before leaving the hall in Tashkent.",
        Some("en")
    );
    lang_case!(too_short, "Astana news", None);
    lang_case!(short_chinese, "新疆新闻", None);
    lang_case!(empty, "", None);

    #[test]
    fn dev_set_languages() {
        let json = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/dev-set/articles.json"
        ));
        let articles: Vec<serde_json::Value> = serde_json::from_str(json).unwrap();
        let wrong: Vec<String> = articles
            .iter()
            .filter_map(|a| {
                let text = format!(
                    "{}\n\n{}\n\n{}",
                    a["title"].as_str()?,
                    a["summary"].as_str()?,
                    a["body"].as_str()?
                );
                let got = detect(&text);
                (got.as_deref() != a["lang"].as_str())
                    .then(|| format!("{}: {:?} != {}", a["id"], got, a["lang"]))
            })
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }
}
