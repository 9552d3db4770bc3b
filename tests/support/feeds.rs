//! Builders for feed documents in the three formats, and the dev set as items.

use serde_json::Value;

/// One item of a generated feed.
#[derive(Clone, Debug)]
pub struct TestItem {
    pub guid: Option<String>,
    pub link: Option<String>,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub published: String,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn rfc2822(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|d| d.to_rfc2822())
        .unwrap_or_default()
}

/// Body paragraphs (split by blank lines) as HTML.
fn html_paragraphs(body: &str) -> String {
    body.split("\n\n")
        .map(|p| format!("<p>{}</p>", esc(p.trim())))
        .collect()
}

pub fn rss(title: &str, items: &[TestItem]) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n<channel><title>{}</title><link>https://example.kz/</link><description>test</description>\n",
        esc(title)
    );
    for i in items {
        s.push_str("<item>");
        s.push_str(&format!("<title>{}</title>", esc(&i.title)));
        if let Some(l) = &i.link {
            s.push_str(&format!("<link>{}</link>", esc(l)));
        }
        if let Some(g) = &i.guid {
            s.push_str(&format!("<guid isPermaLink=\"false\">{}</guid>", esc(g)));
        }
        s.push_str(&format!("<pubDate>{}</pubDate>", rfc2822(&i.published)));
        s.push_str(&format!("<description>{}</description>", esc(&i.summary)));
        if !i.body.is_empty() {
            s.push_str(&format!(
                "<content:encoded><![CDATA[{}]]></content:encoded>",
                html_paragraphs(&i.body)
            ));
        }
        s.push_str("</item>\n");
    }
    s.push_str("</channel></rss>\n");
    s
}

pub fn atom(title: &str, items: &[TestItem]) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>{}</title><id>urn:test:{}</id><updated>2026-10-18T09:00:00Z</updated>\n",
        esc(title),
        esc(title)
    );
    for i in items {
        s.push_str("<entry>");
        s.push_str(&format!("<title>{}</title>", esc(&i.title)));
        s.push_str(&format!(
            "<id>{}</id>",
            esc(i.guid.as_deref().unwrap_or("urn:missing"))
        ));
        if let Some(l) = &i.link {
            s.push_str(&format!("<link rel=\"alternate\" href=\"{}\"/>", esc(l)));
        }
        s.push_str(&format!(
            "<updated>{}</updated><published>{}</published>",
            i.published, i.published
        ));
        s.push_str(&format!("<summary>{}</summary>", esc(&i.summary)));
        s.push_str(&format!(
            "<content type=\"html\">{}</content>",
            esc(&html_paragraphs(&i.body))
        ));
        s.push_str("</entry>\n");
    }
    s.push_str("</feed>\n");
    s
}

pub fn json_feed(title: &str, items: &[TestItem]) -> String {
    let items: Vec<Value> = items
        .iter()
        .map(|i| {
            serde_json::json!({
                "id": i.guid.clone().or(i.link.clone()).unwrap_or_default(),
                "url": i.link,
                "title": i.title,
                "summary": i.summary,
                "content_html": html_paragraphs(&i.body),
                "date_published": i.published,
            })
        })
        .collect();
    serde_json::json!({"version": "https://jsonfeed.org/version/1.1", "title": title, "items": items}).to_string()
}

/// The labelled dev-set articles.
pub fn dev_set() -> Vec<Value> {
    let bytes = super::fixture_bytes("dev-set/articles.json");
    serde_json::from_slice(&bytes).expect("dev set parses")
}

/// A dev-set article as a feed item.
pub fn dev_item(a: &Value) -> TestItem {
    let s = |k: &str| a[k].as_str().unwrap_or_default().to_string();
    TestItem {
        guid: Some(format!("urn:steppewatch:{}", s("id"))),
        link: Some(s("url")),
        title: s("title"),
        summary: s("summary"),
        body: s("body"),
        published: s("published"),
    }
}
