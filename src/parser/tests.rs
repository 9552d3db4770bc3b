//! Parser tests over the fixture feeds in tests/fixtures/feeds/.

use chrono::{DateTime, Utc};

use super::*;

macro_rules! fixture {
    ($path:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/feeds/",
            $path
        ))
        .as_slice()
    };
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn titles(feed: &ParsedFeed) -> Vec<&str> {
    feed.items.iter().map(|i| i.title.as_str()).collect()
}

#[test]
fn rss2_wordpress_feed() {
    let feed = parse(
        fixture!("rss2/astanatimes.xml"),
        Some("application/rss+xml; charset=UTF-8"),
        "https://astanatimes.com/feed/",
    )
    .unwrap();
    assert_eq!(feed.title.as_deref(), Some("The Astana Times"));
    assert_eq!(feed.site_url.as_deref(), Some("https://astanatimes.com/"));
    assert_eq!(
        feed.ttl_secs,
        Some(1800),
        "sy:updatePeriod hourly, updateFrequency 2"
    );
    assert_eq!(feed.items.len(), 4);

    let first = &feed.items[0];
    assert_eq!(
        first.title,
        "Kazakhstan, China Open Second Railway Crossing at Khorgos"
    );
    assert_eq!(
        first.guid.as_deref(),
        Some("https://astanatimes.com/?p=101842")
    );
    assert_eq!(
        first.url.as_deref(),
        Some(
            "https://astanatimes.com/2024/10/kazakhstan-china-open-second-railway-crossing-at-khorgos/"
        ),
        "utm parameters dropped"
    );
    assert_eq!(first.published, Some(utc("2024-10-18T08:30:00Z")));
    assert!(
        first
            .summary
            .starts_with("ASTANA – Kazakhstan and China opened"),
        "{}",
        first.summary
    );
    assert!(!first.summary.contains('<'), "{}", first.summary);
    assert!(
        first.body.contains("\n\nThe new line runs parallel"),
        "paragraphs: {}",
        first.body
    );
    assert!(
        first
            .body
            .contains("“This is a turning point for the Middle Corridor,”"),
        "{}",
        first.body
    );
    assert!(
        !first.body.contains("trackView"),
        "scripts dropped: {}",
        first.body
    );
    let html = first.body_html.as_deref().unwrap();
    assert!(
        html.contains(r#"src="https://astanatimes.com/wp-content/uploads/2024/10/khorgos.jpg""#),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");

    assert_eq!(
        feed.items[2].url.as_deref(),
        Some("https://astanatimes.com/2024/10/almaty-hosts-central-asian-tourism-forum-expo/"),
        "fragment dropped"
    );
    assert_eq!(
        feed.items[2].title,
        "Almaty Hosts Central Asian Tourism Forum & Expo"
    );
    assert_eq!(feed.items[3].body, "");
    assert_eq!(feed.items[3].body_html, None);
}

#[test]
fn rss2_russian_feed_with_escaped_html_and_ttl() {
    let feed = parse(fixture!("rss2/24kg-ru.xml"), None, "https://24.kg/rss/").unwrap();
    assert_eq!(feed.ttl_secs, Some(30 * 60));
    assert_eq!(feed.items.len(), 3);
    let first = &feed.items[0];
    assert_eq!(
        first.summary,
        "Главы правительств стран СНГ подписали 15 документов, в том числе о сотрудничестве в сфере транспорта и «зелёной» энергетики.\n\nСледующее заседание пройдёт в Ашхабаде."
    );
    assert_eq!(first.published, Some(utc("2024-10-18T08:05:00Z")));
}

#[test]
fn identity_prefers_guid_then_url_then_text() {
    let by_guid = identity(Some(" abc "), Some("https://a.kz/1"), "T", "x");
    assert_eq!(
        by_guid,
        identity(Some("abc"), Some("https://a.kz/other"), "Other", "y")
    );
    assert_ne!(
        by_guid,
        identity(Some("abd"), Some("https://a.kz/1"), "T", "x")
    );

    let by_url = identity(None, Some("https://A.kz/1?utm_source=x#top"), "T", "x");
    assert_eq!(
        by_url,
        identity(Some("  "), Some("https://a.kz/1"), "Edited title", "edited")
    );
    assert_ne!(by_url, by_guid);

    let by_text = identity(None, None, "Rogun  HPP", "second\nunit");
    assert_eq!(
        by_text,
        identity(None, Some(""), " Rogun HPP ", "second unit")
    );
    assert_ne!(by_text, identity(None, None, "Rogun HPP", "third unit"));
    assert_eq!(by_text.len(), 64);
}

#[test]
fn items_without_guid_or_link_keep_their_identity_when_reordered() {
    let xml = std::str::from_utf8(fixture!("rss2/no-guid-no-link.xml")).unwrap();
    let first = parse(xml.as_bytes(), None, "https://khovar.tj/rss").unwrap();
    assert!(
        first
            .items
            .iter()
            .all(|i| i.guid.is_none() && i.url.is_none())
    );

    // Move the last item to the top, as a feed does when it reorders.
    let start = xml.find("<item>").unwrap();
    let last = xml.rfind("<item>").unwrap();
    let end = xml.rfind("</item>").unwrap() + "</item>".len();
    let reordered = format!(
        "{}{}\n{}{}",
        &xml[..start],
        &xml[last..end],
        &xml[start..last],
        &xml[end..]
    );
    let second = parse(reordered.as_bytes(), None, "https://khovar.tj/rss").unwrap();
    assert_eq!(
        titles(&second)[0],
        "Cotton harvest in Khatlon region passes 300,000 tonnes"
    );

    let mut a: Vec<_> = first.items.iter().map(|i| i.identity.clone()).collect();
    let mut b: Vec<_> = second.items.iter().map(|i| i.identity.clone()).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    a.dedup();
    assert_eq!(a.len(), 3, "distinct items have distinct identities");
}

#[test]
fn rss091_and_rss1() {
    let feed = parse(
        fixture!("rss2/rss091.xml"),
        None,
        "https://www.uzdaily.uz/rss",
    )
    .unwrap();
    assert_eq!(
        titles(&feed),
        [
            "Uzbekistan and Turkmenistan sign gas transit agreement",
            "Samarkand to host SCO tourism ministers"
        ]
    );
    assert_eq!(
        feed.items[0].url.as_deref(),
        Some("https://www.uzdaily.uz/en/post/87001")
    );

    let feed = parse(
        fixture!("rss1/akipress-rdf.xml"),
        None,
        "https://akipress.com/rss/news.rdf",
    )
    .unwrap();
    assert_eq!(feed.items.len(), 2);
    let item = &feed.items[0];
    assert_eq!(
        item.title,
        "Kyrgyzstan and Kazakhstan launch joint customs control at Ak-Jol"
    );
    assert_eq!(item.published, Some(utc("2024-10-18T05:20:00Z")));
    assert_eq!(
        item.identity,
        identity(None, item.url.as_deref(), "", ""),
        "no guid: identity from the URL"
    );
}

#[test]
fn atom_with_xml_base_and_html_content() {
    let feed = parse(
        fixture!("atom/eurasianet.xml"),
        Some("application/atom+xml"),
        "https://eurasianet.org/feeds/atom",
    )
    .unwrap();
    assert_eq!(feed.site_url.as_deref(), Some("https://eurasianet.org/"));
    let first = &feed.items[0];
    assert_eq!(
        first.title,
        "Uzbekistan: Karakalpakstan water crisis deepens as Amu Darya shrinks"
    );
    assert_eq!(
        first.url.as_deref(),
        Some("https://eurasianet.org/uzbekistan-karakalpakstan-water-crisis-deepens")
    );
    assert_eq!(
        first.guid.as_deref(),
        Some("tag:eurasianet.org,2024:node/318001")
    );
    assert!(
        first.body.contains("this year’s flow of the Amu Darya"),
        "{}",
        first.body
    );
    let html = first.body_html.as_deref().unwrap();
    assert!(
        html.contains(r#"href="https://eurasianet.org/tag/nukus""#),
        "{html}"
    );
    assert!(
        html.contains(r#"src="https://eurasianet.org/files/images/amu-darya.jpg""#),
        "{html}"
    );
    assert_eq!(first.published, Some(utc("2024-10-18T04:00:00Z")));
    assert_eq!(first.updated, Some(utc("2024-10-18T05:30:00Z")));

    let second = &feed.items[1];
    assert_eq!(
        second.published,
        Some(utc("2024-10-07T06:15:00Z")),
        "updated stands in for published"
    );
    assert_eq!(
        second.summary,
        "Official results show 71 percent backing the plant near Ulken on Lake Balkhash."
    );

    let third = &feed.items[2];
    assert!(third.body.starts_with("Turkmen authorities have allowed"));
    assert_eq!(third.body_html, None, "plain text content has no HTML");

    let zh = parse(
        fixture!("atom/xinhua-zh.xml"),
        None,
        "http://www.xj.xinhuanet.com/atom",
    )
    .unwrap();
    assert_eq!(
        zh.items[0].title,
        "霍尔果斯口岸中欧班列今年通行量突破七千列"
    );
}

#[test]
fn json_feed() {
    let feed = parse(
        fixture!("jsonfeed/kun-uz.json"),
        Some("application/feed+json"),
        "https://kun.uz/en/feed.json",
    )
    .unwrap();
    assert_eq!(feed.title.as_deref(), Some("Kun.uz — Uzbekistan news"));
    assert_eq!(feed.items.len(), 3);
    let first = &feed.items[0];
    assert_eq!(first.guid.as_deref(), Some("kun-en-2024-10-18-54321"));
    assert!(
        first
            .body
            .starts_with("Energy ministers of Uzbekistan, Kyrgyzstan"),
        "{}",
        first.body
    );
    assert_eq!(
        first.summary,
        "The two countries and Kazakhstan discussed financing for the Kambarata-1 hydropower plant on the Naryn river."
    );
    let second = &feed.items[1];
    assert_eq!(
        second.url.as_deref(),
        Some("https://kun.uz/en/news/2024/10/18/tashkent-metro-extends-ring-line")
    );
    assert_eq!(
        second.body,
        "Four new stations of the Tashkent metro ring line opened on Friday.\n\nThe line now has 14 stations."
    );
    let third = &feed.items[2];
    assert_eq!(
        third.url.as_deref(),
        Some("https://kun.uz/en/news/2024/10/17/samarkand-bukhara-high-speed-train-schedule")
    );
    assert_eq!(third.updated, Some(utc("2024-10-17T16:00:00Z")));
}

// See: issue 3, "windows-1251, KOI8-R and UTF-16 feeds decode correctly".
#[test]
fn issue3_charsets_decode_to_correct_cyrillic() {
    let cases: [(&[u8], Option<&str>, &str); 5] = [
        (
            fixture!("rss2/kabar-windows-1251.xml"),
            None,
            "Жапаров встретился с председателем КНР Си Цзиньпином",
        ),
        (
            fixture!("rss2/fergana-koi8-r.xml"),
            Some("text/xml"),
            "Ферганская долина: водный спор на канале \"Большой Ферганский\"",
        ),
        (
            fixture!("rss2/turkmenportal-utf16le-bom.xml"),
            Some("text/xml; charset=windows-1251"),
            "Ашхабад и Баку обсудили Транскаспийский газопровод",
        ),
        (
            fixture!("rss2/asiaplus-http-charset-windows-1251.xml"),
            Some("application/rss+xml; charset=windows-1251"),
            "В Душанбе прошёл саммит глав государств Центральной Азии",
        ),
        // The same bytes with no label at all are recognised from the text.
        (
            fixture!("rss2/asiaplus-http-charset-windows-1251.xml"),
            None,
            "В Душанбе прошёл саммит глав государств Центральной Азии",
        ),
    ];
    for (bytes, content_type, title) in cases {
        let feed = parse(bytes, content_type, "https://example.kz/rss").unwrap();
        assert_eq!(feed.items[0].title, title, "content type {content_type:?}");
    }
    let kabar = parse(
        fixture!("rss2/kabar-windows-1251.xml"),
        None,
        "https://kabar.kg/rss",
    )
    .unwrap();
    assert_eq!(kabar.title.as_deref(), Some("Кабар — Новости Кыргызстана"));
    assert!(
        kabar.items[0]
            .summary
            .contains("расширение торговли через Иркештам")
    );
}

// See: issue 3, "a mis-declared charset falls back without losing the item".
#[test]
fn issue3_misdeclared_charset_falls_back() {
    let bytes = fixture!("rss2/kabar-windows-1251.xml");
    let declared_utf8 = [
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>".as_slice(),
        &bytes[bytes.iter().position(|b| *b == b'\n').unwrap()..],
    ]
    .concat();
    for (body, content_type) in [
        (
            declared_utf8.as_slice(),
            Some("application/rss+xml; charset=utf-8"),
        ),
        (bytes, Some("application/rss+xml; charset=koi8-r")),
        (bytes, Some("application/rss+xml; charset=utf-8")),
    ] {
        let feed = parse(body, content_type, "https://kabar.kg/rss").unwrap();
        assert_eq!(feed.items.len(), 3, "{content_type:?}");
        assert_eq!(
            feed.items[1].title, "В Нарынской области выпал первый снег",
            "{content_type:?}"
        );
    }
}

// See: issue 3, "a billion-laughs document and an XXE document are parsed safely".
#[test]
fn issue3_billion_laughs_stays_literal() {
    let feed = parse(
        fixture!("broken/billion-laughs.xml"),
        None,
        "https://example.kz/rss",
    )
    .unwrap();
    let item = &feed.items[0];
    assert_eq!(item.title, "Item &lol9;");
    assert!(
        item.summary.len() < 100,
        "no expansion: {} bytes",
        item.summary.len()
    );
    assert!(!item.summary.contains("lollol"));
    assert_eq!(feed.title.as_deref(), Some("Laughs &lol9;"));
}

#[test]
fn issue3_xxe_is_not_resolved() {
    let feed = parse(fixture!("broken/xxe.xml"), None, "https://example.kz/rss").unwrap();
    let item = &feed.items[0];
    assert_eq!(item.title, "Secret &xxe;");
    assert_eq!(item.summary, "before &xxe; &remote; after");
    let everything = format!("{feed:?}");
    assert!(!everything.contains("root:"), "file contents leaked");
}

#[test]
fn broken_documents_are_errors() {
    assert!(matches!(
        parse(fixture!("broken/invalid.xml"), None, "https://a.kz/"),
        Err(ParseError::Feed(_))
    ));
    assert!(matches!(
        parse(fixture!("broken/empty.xml"), None, "https://a.kz/"),
        Err(ParseError::Empty)
    ));
    assert!(matches!(
        parse(b"  \n ", None, "https://a.kz/"),
        Err(ParseError::Empty)
    ));
    assert!(matches!(
        parse(
            fixture!("broken/not-a-feed.html"),
            Some("text/html"),
            "https://a.kz/"
        ),
        Err(ParseError::Html)
    ));
    assert!(matches!(
        parse(b"{\"not\": \"a feed\"}", None, "https://a.kz/"),
        Err(ParseError::Feed(_))
    ));
    let err = parse(fixture!("broken/invalid.xml"), None, "https://a.kz/")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("invalid feed: "), "{err}");
}

#[test]
fn base_url_that_is_not_a_url_still_parses() {
    let feed = parse(fixture!("rss2/24kg-ru.xml"), None, "not a url").unwrap();
    assert_eq!(feed.items.len(), 3);
}

#[test]
fn teaser_feed_links_resolve_against_the_feed_url() {
    let feed = parse(
        fixture!("rss2/teaser.xml"),
        None,
        "http://127.0.0.1:8080/fixtures/feeds/rss2/teaser.xml",
    )
    .unwrap();
    assert_eq!(feed.items.len(), 5);
    assert_eq!(
        feed.items[0].url.as_deref(),
        Some("http://127.0.0.1:8080/fixtures/pages/wordpress.html")
    );
    for item in &feed.items {
        assert!(
            crate::extractor::is_teaser(&item.summary, &item.body),
            "{}",
            item.title
        );
    }
    let full = parse(
        fixture!("rss2/astanatimes.xml"),
        None,
        "https://astanatimes.com/feed/",
    )
    .unwrap();
    assert!(!crate::extractor::is_teaser(
        &full.items[0].summary,
        &full.items[0].body
    ));
}

/// A document with a second XML declaration (two feeds glued together by a
/// broken CMS, or one pasted into an item) made quick-xml panic when it was
/// asked to switch encodings in mid-document.
// See: issue 10, found by fuzz/fuzz_targets/parse_feed.rs
#[test]
fn issue10_fuzz_second_xml_declaration_does_not_panic() {
    let glued = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
        <rss version=\"2.0\"><channel><title>First</title>\
        <item><title>Kept</title><guid>a</guid></item></channel></rss>\n\
        <?xml version=\"1.0\" encoding=\"koi8-r\"?>\n\
        <rss version=\"2.0\"><channel><title>Second</title></channel></rss>";
    for doc in [
        glued,
        "<rss version=\"2.0\"><channel><title>x</title><?xml version=\"1.0\" encoding=\"koi8-r\"?></channel></rss>",
        "<rss version=\"2.0\"><channel><title>x</title><?xml\tencoding='koi8-r'?></channel></rss>",
        "<rss version=\"2.0\"><channel><title>x</title><?xml encoding=\"<?xml encoding='a'?>\"?></channel></rss>",
        "<rss version=\"2.0\"><channel><title>x</title><?xml version=\"1.0\" standalone=\"encoding\" encoding=\"koi8-r\"?></channel></rss>",
    ] {
        let parsed = std::panic::catch_unwind(|| parse(doc.as_bytes(), None, "https://24.kg/rss/"));
        assert!(parsed.is_ok(), "parser panicked on {doc:?}");
    }
    // The first document's items survive the glued-on second one.
    let feed = parse(glued.as_bytes(), None, "https://24.kg/rss/").unwrap();
    assert_eq!(titles(&feed), ["Kept"]);
}

#[test]
fn issue10_parse_text_is_parse_without_the_html() {
    let fixtures: [(&[u8], &str, &str); 3] = [
        (
            fixture!("rss2/astanatimes.xml"),
            "application/rss+xml; charset=UTF-8",
            "https://astanatimes.com/feed/",
        ),
        (
            fixture!("atom/eurasianet.xml"),
            "application/atom+xml",
            "https://eurasianet.org/feeds/atom",
        ),
        (
            fixture!("jsonfeed/kun-uz.json"),
            "application/feed+json",
            "https://kun.uz/feed.json",
        ),
    ];
    for (bytes, content_type, url) in fixtures {
        let full = parse(bytes, Some(content_type), url).unwrap();
        let text = parse_text(bytes, Some(content_type), url).unwrap();
        assert!(
            full.items.iter().any(|i| i.body_html.is_some()),
            "{url}: the fixture has HTML content"
        );
        assert!(text.items.iter().all(|i| i.body_html.is_none()), "{url}");
        let without_html: Vec<Item> = full
            .items
            .into_iter()
            .map(|i| Item {
                body_html: None,
                ..i
            })
            .collect();
        assert_eq!(text.items, without_html, "{url}");
        assert_eq!(
            (text.title, text.site_url, text.ttl_secs),
            (full.title, full.site_url, full.ttl_secs),
            "{url}"
        );
    }
}
