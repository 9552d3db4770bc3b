//! OPML, the feed-list format of feed readers: read feeds out of one, write
//! the configured feeds into one.

use crate::config::FeedConfig;

/// A feed listed in an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    pub url: String,
    pub title: Option<String>,
}

/// The feeds of an OPML document: every `<outline>` with an `xmlUrl`, at any
/// depth (folders are flattened). Parsed leniently with the HTML parser, so a
/// slightly broken export from some reader still yields its feeds.
pub fn parse(text: &str) -> Vec<OpmlFeed> {
    let doc = scraper::Html::parse_document(text);
    let outline = scraper::Selector::parse("outline").expect("static selector");
    let mut feeds: Vec<OpmlFeed> = Vec::new();
    for el in doc.select(&outline) {
        // The HTML parser lower-cases attribute names: xmlUrl is xmlurl.
        let Some(url) = el.attr("xmlurl").map(str::trim).filter(|u| !u.is_empty()) else {
            continue;
        };
        let title = ["title", "text"]
            .iter()
            .filter_map(|a| el.attr(a))
            .map(str::trim)
            .find(|t| !t.is_empty())
            .map(str::to_string);
        if !feeds.iter().any(|f| f.url == url) {
            feeds.push(OpmlFeed {
                url: url.to_string(),
                title,
            });
        }
    }
    feeds
}

/// An OPML 2.0 document listing `feeds`.
pub fn export(feeds: &[FeedConfig]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head><title>steppewatch feeds</title></head>\n  <body>\n",
    );
    for f in feeds {
        let title = escape(f.label());
        out.push_str(&format!(
            "    <outline type=\"rss\" text=\"{title}\" title=\"{title}\" xmlUrl=\"{}\"/>\n",
            escape(&f.url)
        ));
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

/// `[[feed]]` tables for the feeds of `found` whose URL is not in `existing`,
/// ready to append to a configuration file.
pub fn to_toml(found: &[OpmlFeed], existing: &[FeedConfig]) -> (String, usize) {
    let known: Vec<String> = existing.iter().map(|f| normalise(&f.url)).collect();
    let mut toml = String::new();
    let mut added = 0;
    for f in found {
        if known.contains(&normalise(&f.url)) {
            continue;
        }
        toml.push_str("\n[[feed]]\n");
        if let Some(title) = &f.title {
            toml.push_str(&format!("name = {}\n", toml_string(title)));
        }
        toml.push_str(&format!("url = {}\n", toml_string(&f.url)));
        added += 1;
    }
    (toml, added)
}

/// The URL as configuration validation stores it, so duplicates are seen.
fn normalise(url: &str) -> String {
    url::Url::parse(url)
        .map(String::from)
        .unwrap_or_else(|_| url.to_string())
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPML: &str = r#"<?xml version="1.0"?>
<opml version="2.0"><head><title>Reader export</title></head><body>
  <outline text="Central Asia">
    <outline type="rss" text="24.kg" xmlUrl="https://24.kg/rss/"/>
    <outline type="rss" text="Kun.uz &amp; friends" title="Kun.uz" xmlUrl="https://kun.uz/en/news/rss"/>
  </outline>
  <outline type="rss" text="Duplicate" xmlUrl="https://24.kg/rss/"/>
  <outline text="A folder without a feed"/>
</body></opml>"#;

    #[test]
    fn nested_outlines_are_flattened_and_duplicates_dropped() {
        let feeds = parse(OPML);
        assert_eq!(
            feeds,
            vec![
                OpmlFeed {
                    url: "https://24.kg/rss/".into(),
                    title: Some("24.kg".into())
                },
                OpmlFeed {
                    url: "https://kun.uz/en/news/rss".into(),
                    title: Some("Kun.uz".into())
                },
            ]
        );
    }

    #[test]
    fn export_then_parse_round_trips() {
        let feeds = vec![FeedConfig {
            url: "https://astanatimes.com/feed/".into(),
            name: Some("The \"Astana\" Times & co".into()),
            ..Default::default()
        }];
        let back = parse(&export(&feeds));
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].url, "https://astanatimes.com/feed/");
        assert_eq!(back[0].title.as_deref(), Some("The \"Astana\" Times & co"));
    }

    #[test]
    fn known_feeds_are_not_added_again_and_names_are_quoted() {
        let existing = vec![FeedConfig {
            url: "https://24.kg/rss/".into(),
            ..Default::default()
        }];
        let found = vec![
            OpmlFeed {
                url: "https://24.kg/rss/".into(),
                title: None,
            },
            OpmlFeed {
                url: "https://x.uz/rss".into(),
                title: Some("Say \"hi\"".into()),
            },
        ];
        let (toml, added) = to_toml(&found, &existing);
        assert_eq!(added, 1);
        let parsed: toml::Value = toml::from_str(&toml).unwrap();
        assert_eq!(parsed["feed"][0]["name"].as_str(), Some("Say \"hi\""));
        assert_eq!(parsed["feed"][0]["url"].as_str(), Some("https://x.uz/rss"));
    }
}
