//! Message bodies per webhook format, rendered from the generic payload that
//! was frozen when the alert was created (or from a digest or health event).
//!
//! - `json`: the generic payload as stored, byte for byte what gets signed.
//! - `slack`: an incoming-webhook message: `text` as the notification
//!   fallback plus `blocks` (mrkdwn sections and a context line).
//! - `discord`: an execute-webhook message with one embed; mentions disabled.
//! - `telegram`: a Bot API `sendMessage` request in HTML parse mode; the
//!   webhook URL is `https://api.telegram.org/bot<token>/sendMessage` and the
//!   chat comes from the webhook's `chat_id`.
//! - `ntfy`: the plain-text publish form (body = message, `Title`, `Tags` and
//!   `Click` headers), chosen over the JSON form because it posts to the topic
//!   URL the user already has. Non-ASCII header values are RFC 2047 encoded
//!   words, which ntfy decodes.
//!
//! Every body stays within its target's documented limits; long text is cut
//! at a character boundary (preferably a space) and ends with an ellipsis.

use crate::config::{WebhookConfig, WebhookFormat};
use crate::model::TermMatch;
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

/// A rendered request body with its content type and extra headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub body: Vec<u8>,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
}

/// Slack: a section block's text holds at most 3000 characters.
pub const SLACK_SECTION_MAX: usize = 3000;
/// Slack: a message holds at most 50 blocks.
pub const SLACK_BLOCKS_MAX: usize = 50;
/// Slack: the top-level `text` is truncated by Slack beyond 40,000 characters;
/// as a notification fallback it needs far less.
pub const SLACK_TEXT_MAX: usize = 3000;
/// Discord embed limits (characters): title, description, field name and
/// value, footer, number of fields, and the total over all of them.
pub const DISCORD_TITLE_MAX: usize = 256;
pub const DISCORD_DESCRIPTION_MAX: usize = 4096;
pub const DISCORD_FIELD_NAME_MAX: usize = 256;
pub const DISCORD_FIELD_VALUE_MAX: usize = 1024;
pub const DISCORD_FOOTER_MAX: usize = 2048;
pub const DISCORD_FIELDS_MAX: usize = 25;
pub const DISCORD_EMBED_TOTAL_MAX: usize = 6000;
/// Discord: message `content` holds at most 2000 characters.
pub const DISCORD_CONTENT_MAX: usize = 2000;
/// Telegram: message text is 1-4096 characters after entity parsing (counted
/// here in UTF-16 code units, as Telegram counts, which is never fewer).
pub const TELEGRAM_TEXT_MAX: usize = 4096;
/// ntfy: messages above 4096 bytes (the server's default `message-size-limit`)
/// are turned into attachments, which phones do not show inline.
pub const NTFY_BODY_MAX: usize = 4096;
/// An article title in a digest line is cut to this, so 20 entries fit every target.
const DIGEST_TITLE_MAX: usize = 120;
/// A snippet in an alert body is cut to this before the target's own limits apply.
const SNIPPET_MAX: usize = 500;

// ---------------------------------------------------------------------------
// The generic payloads, read back.
// ---------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ArticleData {
    url: String,
    title: String,
    feed: String,
    published: String,
    countries: Vec<String>,
    regions: Vec<String>,
    topics: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MatchData {
    watchlist: String,
    article: ArticleData,
    matches: Vec<TermMatch>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DigestData {
    watchlist: String,
    articles: Vec<ArticleData>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FeedRef {
    name: String,
    url: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct HealthData {
    feed: FeedRef,
    error: Option<String>,
}

/// What a payload says, by its `type`.
enum Event {
    Match(MatchData),
    Digest(DigestData),
    Health(String, HealthData),
}

impl Event {
    fn read(payload: &Value) -> Event {
        let data = payload["data"].clone();
        match payload["type"].as_str().unwrap_or_default() {
            "watchlist.digest" => Event::Digest(serde_json::from_value(data).unwrap_or_default()),
            kind if kind.starts_with("feed.") => Event::Health(
                kind.to_owned(),
                serde_json::from_value(data).unwrap_or_default(),
            ),
            _ => Event::Match(serde_json::from_value(data).unwrap_or_default()),
        }
    }
}

/// Renders `payload` for `webhook`'s format.
pub fn render(payload: &Value, webhook: &WebhookConfig) -> Rendered {
    let event = Event::read(payload);
    match webhook.format {
        WebhookFormat::Json => json_body(payload.to_string()),
        WebhookFormat::Slack => json_body(slack(&event).to_string()),
        WebhookFormat::Discord => json_body(discord(&event).to_string()),
        WebhookFormat::Telegram => {
            json_body(telegram(&event, webhook.chat_id.as_deref()).to_string())
        }
        WebhookFormat::Ntfy => ntfy(&event),
    }
}

fn json_body(body: String) -> Rendered {
    Rendered {
        body: body.into_bytes(),
        content_type: "application/json",
        headers: Vec::new(),
    }
}

// ---------------------------------------------------------------------------
// Text helpers.
// ---------------------------------------------------------------------------

/// Cuts `text` to at most `max` characters, ending with `…` when cut. The cut
/// falls on a space when one is near the end, else on a character boundary.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let keep = max.saturating_sub(1);
    let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    let head = &text[..end];
    let near = head.len().saturating_sub(40);
    let head = match head.rfind(char::is_whitespace) {
        Some(space) if space >= near && space > 0 => &head[..space],
        _ => head,
    };
    format!("{}…", head.trim_end())
}

/// Like [`cut`], measured in UTF-8 bytes (ntfy's limit is in bytes).
fn cut_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", text[..end].trim_end())
}

/// Escapes the three characters Slack's mrkdwn treats as control characters.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Escapes `<`, `>` and `&` as Telegram's HTML parse mode requires (and `"`
/// for attribute values).
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// "KZ, CN · Xinjiang, Urumqi · trade", skipping empty lists.
fn tag_line(article: &ArticleData) -> String {
    [&article.countries, &article.regions, &article.topics]
        .iter()
        .filter(|list| !list.is_empty())
        .map(|list| list.join(", "))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// "Feed · 2026-10-18T09:00:00Z", skipping what is missing.
fn source_line(article: &ArticleData) -> String {
    [article.feed.as_str(), article.published.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" · ")
}

fn title_or_url(article: &ArticleData) -> &str {
    if article.title.trim().is_empty() {
        &article.url
    } else {
        &article.title
    }
}

fn health_headline(kind: &str, feed: &FeedRef) -> String {
    let what = match kind {
        "feed.failing" => "is failing",
        "feed.quiet" => "has gone quiet",
        "feed.recovered" => "has recovered",
        _ => "changed state",
    };
    let name = if feed.name.is_empty() {
        &feed.url
    } else {
        &feed.name
    };
    format!("Feed {name} {what}")
}

// ---------------------------------------------------------------------------
// Slack.
// ---------------------------------------------------------------------------

fn slack_section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": cut_escaped(text, SLACK_SECTION_MAX)}})
}

/// [`cut`] for text that is already escaped: a cut never leaves half an
/// entity such as `&am` before the ellipsis.
fn cut_escaped(text: &str, max: usize) -> String {
    let cut_text = cut(text, max);
    let Some(head) = cut_text.strip_suffix('…') else {
        return cut_text;
    };
    match head.rfind('&') {
        Some(amp) if !head[amp..].contains(';') => format!("{}…", &head[..amp]),
        _ => cut_text,
    }
}

fn slack_link(url: &str, label: &str) -> String {
    if url.is_empty() {
        return slack_escape(label);
    }
    format!(
        "<{}|{}>",
        slack_escape(url).replace('|', "%7C"),
        slack_escape(label)
    )
}

fn slack(event: &Event) -> Value {
    let (text, blocks) = match event {
        Event::Match(m) => slack_match(m),
        Event::Digest(d) => slack_digest(d),
        Event::Health(kind, h) => {
            let headline = health_headline(kind, &h.feed);
            let mut body = format!(
                "*{}*\n{}",
                slack_escape(&headline),
                slack_link(&h.feed.url, &h.feed.url)
            );
            if let Some(error) = &h.error {
                body.push_str(&format!("\n`{}`", slack_escape(error)));
            }
            (headline, vec![slack_section(&body)])
        }
    };
    let mut blocks = blocks;
    blocks.truncate(SLACK_BLOCKS_MAX);
    json!({"text": cut_escaped(&slack_escape(&text), SLACK_TEXT_MAX), "blocks": blocks})
}

fn slack_match(m: &MatchData) -> (String, Vec<Value>) {
    let a = &m.article;
    let fallback = format!("[{}] {}", m.watchlist, title_or_url(a));
    let head = format!(
        "*{}*\n{} · watchlist *{}*",
        slack_link(&a.url, &cut(title_or_url(a), 300)),
        slack_escape(&source_line(a)),
        slack_escape(&m.watchlist)
    );
    let mut blocks = vec![slack_section(&head)];
    let quotes: Vec<String> = m
        .matches
        .iter()
        .map(|t| format!("> {}", slack_escape(&cut(&t.snippet, SNIPPET_MAX))))
        .collect();
    if !quotes.is_empty() {
        blocks.push(slack_section(&quotes.join("\n")));
    }
    let tags = tag_line(a);
    if !tags.is_empty() {
        let text = cut_escaped(&slack_escape(&tags), SLACK_SECTION_MAX);
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}));
    }
    (fallback, blocks)
}

fn slack_digest(d: &DigestData) -> (String, Vec<Value>) {
    let headline = format!(
        "{} more articles matched watchlist {}",
        d.articles.len(),
        d.watchlist
    );
    let mut blocks = vec![slack_section(&format!("*{}*", slack_escape(&headline)))];
    // Pack lines into sections, each under the section limit.
    let mut section = String::new();
    for a in &d.articles {
        let line = format!(
            "• {}\n",
            slack_link(&a.url, &cut(title_or_url(a), DIGEST_TITLE_MAX))
        );
        if section.chars().count() + line.chars().count() > SLACK_SECTION_MAX {
            blocks.push(slack_section(&section));
            section.clear();
        }
        section.push_str(&line);
    }
    if !section.is_empty() {
        blocks.push(slack_section(&section));
    }
    (headline, blocks)
}

// ---------------------------------------------------------------------------
// Discord.
// ---------------------------------------------------------------------------

fn discord(event: &Event) -> Value {
    let (content, embed) = match event {
        Event::Match(m) => discord_match(m),
        Event::Digest(d) => discord_digest(d),
        Event::Health(kind, h) => {
            let headline = health_headline(kind, &h.feed);
            let mut embed = json!({"title": cut(&headline, DISCORD_TITLE_MAX),
                                   "description": cut(h.error.as_deref().unwrap_or(""), DISCORD_DESCRIPTION_MAX)});
            if !h.feed.url.is_empty() {
                embed["url"] = json!(h.feed.url);
            }
            (headline, embed)
        }
    };
    json!({
        "content": cut(&content, DISCORD_CONTENT_MAX),
        "embeds": [embed],
        // Article text must never ping anyone.
        "allowed_mentions": {"parse": []},
    })
}

fn discord_match(m: &MatchData) -> (String, Value) {
    let a = &m.article;
    let title = cut(title_or_url(a), DISCORD_TITLE_MAX);
    let footer = cut(&source_line(a), DISCORD_FOOTER_MAX);
    let mut fields = Vec::new();
    for (name, list) in [
        ("Countries", &a.countries),
        ("Regions", &a.regions),
        ("Topics", &a.topics),
    ] {
        if !list.is_empty() {
            fields.push(json!({"name": name, "value": cut(&list.join(", "), DISCORD_FIELD_VALUE_MAX), "inline": true}));
        }
    }
    for t in &m.matches {
        if fields.len() == DISCORD_FIELDS_MAX {
            break;
        }
        fields.push(json!({"name": cut(&t.term, DISCORD_FIELD_NAME_MAX),
                           "value": cut(&t.snippet, DISCORD_FIELD_VALUE_MAX), "inline": false}));
    }
    let fields = fit_fields(
        fields,
        DISCORD_EMBED_TOTAL_MAX.saturating_sub(title.chars().count() + footer.chars().count()),
    );
    let mut embed = json!({"title": title, "footer": {"text": footer}, "fields": fields});
    if !a.url.is_empty() {
        embed["url"] = json!(a.url);
    }
    if !a.published.is_empty() {
        embed["timestamp"] = json!(a.published);
    }
    (format!("Watchlist **{}** matched", m.watchlist), embed)
}

fn fields_chars(fields: &[Value]) -> usize {
    fields
        .iter()
        .map(|f| {
            f["name"].as_str().map_or(0, |s| s.chars().count())
                + f["value"].as_str().map_or(0, |s| s.chars().count())
        })
        .sum()
}

/// Drops trailing fields until the embed's total fits `budget`.
fn fit_fields(mut fields: Vec<Value>, budget: usize) -> Vec<Value> {
    while fields_chars(&fields) > budget {
        fields.pop();
    }
    fields
}

fn discord_digest(d: &DigestData) -> (String, Value) {
    let headline = format!(
        "{} more articles matched watchlist {}",
        d.articles.len(),
        d.watchlist
    );
    let mut description = String::new();
    for a in &d.articles {
        let label = cut(title_or_url(a), DIGEST_TITLE_MAX).replace(['[', ']'], "");
        let line = if a.url.is_empty() {
            format!("• {label}\n")
        } else {
            format!("• [{label}]({})\n", a.url)
        };
        if description.chars().count() + line.chars().count() > DISCORD_DESCRIPTION_MAX {
            break;
        }
        description.push_str(&line);
    }
    let title = cut(&headline, DISCORD_TITLE_MAX);
    (
        headline,
        json!({"title": title, "description": description}),
    )
}

// ---------------------------------------------------------------------------
// Telegram.
// ---------------------------------------------------------------------------

/// HTML text with a count of its visible length (after entity parsing).
#[derive(Default)]
struct TelegramText {
    html: String,
    visible: usize,
}

impl TelegramText {
    fn units(text: &str) -> usize {
        text.encode_utf16().count()
    }
    fn room(&self) -> usize {
        TELEGRAM_TEXT_MAX.saturating_sub(self.visible)
    }
    /// Appends plain text, escaped, cut to the room left.
    fn text(&mut self, text: &str) -> &mut Self {
        self.wrapped("", "", text)
    }
    /// Appends plain text inside a tag pair, cut to the room left.
    fn wrapped(&mut self, open: &str, close: &str, text: &str) -> &mut Self {
        let room = self.room();
        if room == 0 || text.is_empty() {
            return self;
        }
        // Cut by characters until the UTF-16 count fits (astral characters count twice).
        let mut max = room;
        let text = loop {
            let candidate = cut(text, max);
            let units = Self::units(&candidate);
            if units <= room {
                break candidate;
            }
            max = max.saturating_sub(units - room);
        };
        self.visible += Self::units(&text);
        self.html.push_str(open);
        self.html.push_str(&html_escape(&text));
        self.html.push_str(close);
        self
    }
    /// Appends a link, bold when asked.
    fn link(&mut self, url: &str, label: &str, bold: bool) -> &mut Self {
        let (b_open, b_close) = if bold { ("<b>", "</b>") } else { ("", "") };
        if url.is_empty() {
            return self.wrapped(b_open, b_close, label);
        }
        let open = format!("{b_open}<a href=\"{}\">", html_escape(url));
        self.wrapped(&open, &format!("</a>{b_close}"), label)
    }
}

fn telegram(event: &Event, chat_id: Option<&str>) -> Value {
    let mut t = TelegramText::default();
    let mut preview_url = String::new();
    match event {
        Event::Match(m) => {
            let a = &m.article;
            t.wrapped("<b>", "</b>", &m.watchlist).text(": ");
            t.link(&a.url, title_or_url(a), true).text("\n");
            t.wrapped("<i>", "</i>", &source_line(a)).text("\n");
            let tags = tag_line(a);
            if !tags.is_empty() {
                t.text(&tags).text("\n");
            }
            for m in &m.matches {
                t.text("\n")
                    .wrapped("<b>", "</b>", &m.term)
                    .text(": ")
                    .text(&cut(&m.snippet, SNIPPET_MAX));
            }
            preview_url = a.url.clone();
        }
        Event::Digest(d) => {
            let headline = format!("{} more articles matched {}", d.articles.len(), d.watchlist);
            t.wrapped("<b>", "</b>", &headline).text("\n");
            for a in &d.articles {
                t.text("• ")
                    .link(&a.url, &cut(title_or_url(a), DIGEST_TITLE_MAX), false)
                    .text("\n");
            }
        }
        Event::Health(kind, h) => {
            t.wrapped("<b>", "</b>", &health_headline(kind, &h.feed))
                .text("\n")
                .text(&h.feed.url);
            if let Some(error) = &h.error {
                t.text("\n").wrapped("<code>", "</code>", error);
            }
        }
    }
    let chat: Value = match chat_id {
        Some(id) => id.parse::<i64>().map_or_else(|_| json!(id), |n| json!(n)),
        None => Value::Null,
    };
    let preview = if preview_url.is_empty() {
        json!({"is_disabled": true})
    } else {
        json!({"url": preview_url, "prefer_small_media": true})
    };
    json!({"chat_id": chat, "text": t.html, "parse_mode": "HTML", "link_preview_options": preview})
}

// ---------------------------------------------------------------------------
// ntfy.
// ---------------------------------------------------------------------------

/// A header value safe to send: control characters become spaces, and
/// non-ASCII text becomes RFC 2047 encoded words (UTF-8, base64), split at
/// character boundaries so each word stays under the 75-character line limit.
fn header_value(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.is_ascii() {
        return clean;
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in clean.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(encoded_word(&chunk));
            chunk.clear();
        }
        chunk.push(c);
    }
    words.push(encoded_word(&chunk));
    words.join(" ")
}

fn encoded_word(chunk: &str) -> String {
    format!(
        "=?UTF-8?B?{}?=",
        base64::engine::general_purpose::STANDARD.encode(chunk)
    )
}

/// A tag ntfy accepts: no commas (the separator) and no surrounding space.
fn ntfy_tag(tag: &str) -> String {
    tag.replace(',', " ").trim().to_owned()
}

fn ntfy(event: &Event) -> Rendered {
    let (title, tags, click, body) = match event {
        Event::Match(m) => {
            let a = &m.article;
            let mut body = format!("{}\n", source_line(a));
            let tags = tag_line(a);
            if !tags.is_empty() {
                body.push_str(&format!("{tags}\n"));
            }
            for t in &m.matches {
                body.push_str(&format!("\n{}: {}", t.term, cut(&t.snippet, SNIPPET_MAX)));
            }
            let title = format!("{}: {}", m.watchlist, cut(title_or_url(a), 200));
            (
                title,
                vec!["newspaper".to_owned(), ntfy_tag(&m.watchlist)],
                a.url.clone(),
                body,
            )
        }
        Event::Digest(d) => {
            let mut body = String::new();
            for a in &d.articles {
                body.push_str(&format!(
                    "• {}\n  {}\n",
                    cut(title_or_url(a), DIGEST_TITLE_MAX),
                    a.url
                ));
            }
            let title = format!("{}: {} more articles", d.watchlist, d.articles.len());
            (
                title,
                vec!["newspaper".to_owned(), ntfy_tag(&d.watchlist)],
                String::new(),
                body,
            )
        }
        Event::Health(kind, h) => {
            let emoji = match kind.as_str() {
                "feed.recovered" => "white_check_mark",
                "feed.quiet" => "zzz",
                _ => "warning",
            };
            let body = h.error.clone().unwrap_or_else(|| h.feed.url.clone());
            (
                health_headline(kind, &h.feed),
                vec![emoji.to_owned()],
                h.feed.url.clone(),
                body,
            )
        }
    };
    let mut headers = vec![
        ("Title", header_value(&title)),
        ("Tags", header_value(&tags.join(","))),
    ];
    if !click.is_empty() {
        headers.push(("Click", header_value(&click)));
    }
    Rendered {
        body: cut_bytes(body.trim_end(), NTFY_BODY_MAX).into_bytes(),
        content_type: "text/plain; charset=utf-8",
        headers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn webhook(format: WebhookFormat) -> WebhookConfig {
        WebhookConfig {
            name: "w".into(),
            url: "http://127.0.0.1/".into(),
            format,
            secret: None,
            chat_id: Some("-1001234567890".into()),
        }
    }

    /// A match whose title and snippet carry the characters each target escapes,
    /// and whose one snippet is 10 KB long.
    fn payload() -> Value {
        let long = "Грузовые поезда идут через Хоргос. ".repeat(300);
        json!({
            "type": "watchlist.match",
            "timestamp": "2026-10-18T09:00:00Z",
            "data": {
                "watchlist": "xinjiang",
                "article": {"id": 7, "url": "https://news.example/a?x=1&y=2", "title": "Trade <up> & away in Ürümqi",
                            "feed": "The Astana Times", "published": "2026-10-18T08:00:00Z", "lang": "en",
                            "countries": ["KZ", "CN"], "regions": ["Xinjiang", "Urumqi"], "topics": ["trade"]},
                "matches": [{"term": "Xinjiang", "snippet": "... capital of the [Xinjiang] Uyghur <region> & more ..."},
                            {"term": "Хоргос", "snippet": long}],
            }
        })
    }

    fn digest(n: usize) -> Value {
        let articles: Vec<Value> = (0..n)
            .map(|i| json!({"id": i, "url": format!("https://news.example/{i}"), "title": format!("Story {i} <b>"), "feed": "F"}))
            .collect();
        json!({"type": "watchlist.digest", "timestamp": "2026-10-18T09:00:00Z",
               "data": {"watchlist": "xinjiang", "count": n, "articles": articles}})
    }

    fn body_json(r: &Rendered) -> Value {
        serde_json::from_slice(&r.body).unwrap()
    }

    fn chars(v: &Value) -> usize {
        v.as_str().unwrap().chars().count()
    }

    #[test]
    fn cut_keeps_short_text_and_cuts_long_text_cleanly() {
        assert_eq!(cut("short", 10), "short");
        let long = "Ёлки ".repeat(100);
        let c = cut(&long, 50);
        assert!(c.chars().count() <= 50 && c.ends_with('…'), "{c}");
        assert!(!c.contains(" …"), "no space before the ellipsis: {c}");
        let dense = "ж".repeat(100);
        assert_eq!(cut(&dense, 10), format!("{}…", "ж".repeat(9)));
    }

    #[test]
    fn json_is_the_generic_payload_as_stored() {
        let p = payload();
        let r = render(&p, &webhook(WebhookFormat::Json));
        assert_eq!(r.content_type, "application/json");
        assert_eq!(body_json(&r), p);
        assert!(r.headers.is_empty());
    }

    #[test]
    fn slack_has_fallback_text_and_escaped_mrkdwn_blocks_within_limits() {
        let b = body_json(&render(&payload(), &webhook(WebhookFormat::Slack)));
        let text = b["text"].as_str().unwrap();
        assert!(text.contains("Trade &lt;up&gt; &amp; away"), "{text}");
        let blocks = b["blocks"].as_array().unwrap();
        assert!(!blocks.is_empty() && blocks.len() <= SLACK_BLOCKS_MAX);
        assert_eq!(blocks[0]["type"], "section");
        assert_eq!(blocks[0]["text"]["type"], "mrkdwn");
        let head = blocks[0]["text"]["text"].as_str().unwrap();
        assert!(
            head.contains(
                "<https://news.example/a?x=1&amp;y=2|Trade &lt;up&gt; &amp; away in Ürümqi>"
            ),
            "{head}"
        );
        for block in blocks.iter().filter(|b| b["type"] == "section") {
            assert!(chars(&block["text"]["text"]) <= SLACK_SECTION_MAX);
        }
        let quotes = blocks[1]["text"]["text"].as_str().unwrap();
        assert!(quotes.contains("&lt;region&gt; &amp; more"), "{quotes}");
        assert!(quotes.contains('…'), "the 10 KB snippet is cut");
        assert_eq!(blocks[2]["type"], "context");
        assert_eq!(
            blocks[2]["elements"][0]["text"],
            "KZ, CN · Xinjiang, Urumqi · trade"
        );
    }

    #[test]
    fn discord_embed_respects_every_limit() {
        let b = body_json(&render(&payload(), &webhook(WebhookFormat::Discord)));
        assert_eq!(b["allowed_mentions"]["parse"], json!([]));
        assert!(chars(&b["content"]) <= DISCORD_CONTENT_MAX);
        let embed = &b["embeds"][0];
        assert_eq!(embed["title"], "Trade <up> & away in Ürümqi");
        assert_eq!(embed["url"], "https://news.example/a?x=1&y=2");
        assert_eq!(embed["timestamp"], "2026-10-18T08:00:00Z");
        assert_eq!(
            embed["footer"]["text"],
            "The Astana Times · 2026-10-18T08:00:00Z"
        );
        let fields = embed["fields"].as_array().unwrap();
        assert!(fields.len() <= DISCORD_FIELDS_MAX);
        assert_eq!(
            fields[0],
            json!({"name": "Countries", "value": "KZ, CN", "inline": true})
        );
        let snippet = fields.iter().find(|f| f["name"] == "Хоргос").unwrap();
        let len = chars(&snippet["value"]);
        assert!(
            len <= DISCORD_FIELD_VALUE_MAX && len > DISCORD_FIELD_VALUE_MAX - 50,
            "{len}"
        );
        assert!(snippet["value"].as_str().unwrap().ends_with('…'));
        let total = chars(&embed["title"]) + chars(&embed["footer"]["text"]) + fields_chars(fields);
        assert!(total <= DISCORD_EMBED_TOTAL_MAX);
    }

    #[test]
    fn telegram_is_a_send_message_request_in_escaped_html() {
        let b = body_json(&render(&payload(), &webhook(WebhookFormat::Telegram)));
        assert_eq!(b["chat_id"], json!(-1001234567890i64));
        assert_eq!(b["parse_mode"], "HTML");
        assert_eq!(
            b["link_preview_options"]["url"],
            "https://news.example/a?x=1&y=2"
        );
        let text = b["text"].as_str().unwrap();
        assert!(text.starts_with("<b>xinjiang</b>: <b><a href=\"https://news.example/a?x=1&amp;y=2\">Trade &lt;up&gt; &amp; away in Ürümqi</a></b>\n"), "{text}");
        assert!(text.contains("&lt;region&gt; &amp; more"));
        // Visible length: strip the tags and decode the four entities we emit.
        let mut visible = String::new();
        let mut in_tag = false;
        for c in text.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => visible.push(c),
                _ => {}
            }
        }
        let visible = visible
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&");
        assert!(visible.encode_utf16().count() <= TELEGRAM_TEXT_MAX);
        assert!(visible.ends_with('…'), "the 10 KB snippet is cut");
    }

    #[test]
    fn ntfy_is_plain_text_with_title_tags_and_click_headers() {
        let r = render(&payload(), &webhook(WebhookFormat::Ntfy));
        assert_eq!(r.content_type, "text/plain; charset=utf-8");
        let header = |name: &str| {
            r.headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(header("Tags"), "newspaper,xinjiang");
        assert_eq!(header("Click"), "https://news.example/a?x=1&y=2");
        let title = header("Title");
        assert!(
            title.is_ascii() && title.starts_with("=?UTF-8?B?"),
            "{title}"
        );
        let decoded: String = title
            .split(' ')
            .map(|w| {
                let b64 = w.trim_start_matches("=?UTF-8?B?").trim_end_matches("?=");
                String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .unwrap(),
                )
                .unwrap()
            })
            .collect();
        assert_eq!(decoded, "xinjiang: Trade <up> & away in Ürümqi");
        assert!(title.split(' ').all(|w| w.len() <= 75));
        assert!(r.body.len() <= NTFY_BODY_MAX);
        let body = String::from_utf8(r.body).unwrap();
        assert!(body.starts_with("The Astana Times · 2026-10-18T08:00:00Z\nKZ, CN"));
        assert!(body.ends_with('…'));
    }

    #[test]
    fn digests_list_every_article_in_every_format() {
        let p = digest(20);
        let slack = body_json(&render(&p, &webhook(WebhookFormat::Slack)));
        let slack_text: String = slack["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["text"]["text"].as_str().unwrap().to_owned())
            .collect();
        let discord = body_json(&render(&p, &webhook(WebhookFormat::Discord)));
        let discord_text = discord["embeds"][0]["description"]
            .as_str()
            .unwrap()
            .to_owned();
        let telegram = body_json(&render(&p, &webhook(WebhookFormat::Telegram)))["text"]
            .as_str()
            .unwrap()
            .to_owned();
        let ntfy = String::from_utf8(render(&p, &webhook(WebhookFormat::Ntfy)).body).unwrap();
        for i in 0..20 {
            let url = format!("https://news.example/{i}");
            assert!(
                slack_text.contains(&format!("<{url}|Story {i} &lt;b&gt;>")),
                "slack {i}"
            );
            assert!(
                discord_text.contains(&format!("[Story {i} <b>]({url})")),
                "discord {i}"
            );
            assert!(
                telegram.contains(&format!("<a href=\"{url}\">Story {i} &lt;b&gt;</a>")),
                "telegram {i}"
            );
            assert!(
                ntfy.contains(&format!("Story {i} <b>\n  {url}")),
                "ntfy {i}"
            );
        }
        assert!(slack_text.contains("20 more articles matched watchlist xinjiang"));
    }

    #[test]
    fn health_events_render_in_every_format() {
        let p = crate::outbox::health_event(
            "feed.failing",
            "Kabar",
            "https://kabar.kg/rss",
            Some("http 500"),
            chrono::Utc::now(),
        );
        let slack = body_json(&render(&p, &webhook(WebhookFormat::Slack)));
        assert_eq!(slack["text"], "Feed Kabar is failing");
        let discord = body_json(&render(&p, &webhook(WebhookFormat::Discord)));
        assert_eq!(discord["embeds"][0]["description"], "http 500");
        let telegram = body_json(&render(&p, &webhook(WebhookFormat::Telegram)));
        assert!(
            telegram["text"]
                .as_str()
                .unwrap()
                .contains("<code>http 500</code>")
        );
        let ntfy = render(&p, &webhook(WebhookFormat::Ntfy));
        assert!(ntfy.headers.contains(&("Tags", "warning".to_owned())));
        assert!(
            ntfy.headers
                .contains(&("Click", "https://kabar.kg/rss".to_owned()))
        );
    }
}
