//! Alert policy with no I/O: the alert key, its stable message id, the generic
//! payload, the retry schedule and the give-up age.

use crate::model::{Article, ArticleId, Match};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

/// A new stable message id, sent as `webhook-id` on every attempt of one alert.
pub fn new_msg_id() -> String {
    let bytes: [u8; 16] = rand::random();
    let mut id = String::from("msg_");
    for b in bytes {
        id.push_str(&format!("{b:02x}"));
    }
    id
}

/// The generic `json` body of SPEC for one (article, watchlist) match.
pub fn payload(article_id: ArticleId, article: &Article, m: &Match, now: DateTime<Utc>) -> Value {
    json!({
        "type": "watchlist.match",
        "timestamp": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "data": {
            "watchlist": m.watchlist,
            "article": {
                "id": article_id,
                "url": article.url,
                "title": article.title,
                "feed": article.feed,
                "published": article.published.to_rfc3339_opts(SecondsFormat::Secs, true),
                "lang": article.lang,
                "countries": article.tags.countries,
                "regions": article.tags.regions,
                "topics": article.tags.topics,
            },
            "matches": m.matches,
        }
    })
}
