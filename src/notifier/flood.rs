//! Flood control: at most `[alerts] flood_max` messages per watchlist and
//! webhook within `flood_window`. Beyond that, alerts are folded into one
//! digest listing their articles, so 200 articles in a morning are not 200
//! pings. Pure planning over rows already claimed; the worker sends the plan.
//!
//! With `n` alerts due and `free` slots left in the window:
//! - `n <= free`: each is sent on its own;
//! - `n > free > 0`: `free - 1` go on their own and the rest are folded into
//!   one digest (at most [`DIGEST_MAX`] articles; any beyond wait for the next);
//! - `free == 0`: all wait until the oldest message leaves the window.
//!
//! A digest's `webhook-id` is derived from the alerts it carries, so a retry
//! of the same digest carries the same id. `flood_max = 0` turns flood control off.

use crate::config::Alerts;
use crate::model::AlertId;
use crate::store::alerts::{AlertRow, FloodUsage};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// Articles in one digest: 20 one-line entries fit the tightest target
/// (Telegram's 4096 visible characters, ntfy's 4096 bytes) with titles cut to 120.
pub const DIGEST_MAX: usize = 20;

/// One message to send.
#[derive(Debug, Clone)]
pub enum Send {
    /// An alert on its own, with its frozen payload.
    One(AlertRow),
    /// Several alerts of one watchlist folded into one message.
    Digest(Digest),
}

#[derive(Debug, Clone)]
pub struct Digest {
    /// The digest's `webhook-id`.
    pub msg_id: String,
    pub alerts: Vec<AlertRow>,
    /// The generic digest body (`outbox::digest_payload`).
    pub payload: Value,
}

impl Send {
    pub fn msg_id(&self) -> &str {
        match self {
            Send::One(row) => &row.msg_id,
            Send::Digest(d) => &d.msg_id,
        }
    }
    pub fn payload(&self) -> &Value {
        match self {
            Send::One(row) => &row.payload,
            Send::Digest(d) => &d.payload,
        }
    }
    pub fn alerts(&self) -> &[AlertRow] {
        match self {
            Send::One(row) => std::slice::from_ref(row),
            Send::Digest(d) => &d.alerts,
        }
    }
}

/// What to do with the due alerts of one (watchlist, webhook).
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub sends: Vec<Send>,
    /// Alerts held back, and when the window next has room.
    pub deferred: Vec<AlertId>,
    pub defer_until: Option<DateTime<Utc>>,
}

/// Plans the due alerts of one (watchlist, webhook), oldest first, given the
/// messages already sent in the window.
pub fn plan(due: Vec<AlertRow>, usage: FloodUsage, cfg: &Alerts, now: DateTime<Utc>) -> Plan {
    let n = due.len();
    let free = cfg.flood_max.saturating_sub(usage.messages);
    if cfg.flood_max == 0 || n <= free {
        return Plan { sends: due.into_iter().map(Send::One).collect(), ..Plan::default() };
    }
    let window = chrono::Duration::from_std(cfg.flood_window).unwrap_or(chrono::Duration::hours(1));
    let defer_until = usage.oldest.unwrap_or(now) + window;
    if free == 0 {
        let deferred = due.iter().map(|row| row.id).collect();
        return Plan { sends: Vec::new(), deferred, defer_until: Some(defer_until) };
    }
    let mut rest = due;
    let mut folded = rest.split_off(free - 1);
    let waiting = folded.split_off(folded.len().min(DIGEST_MAX));
    let mut sends: Vec<Send> = rest.into_iter().map(Send::One).collect();
    sends.push(Send::Digest(digest(folded, now)));
    let deferred: Vec<AlertId> = waiting.iter().map(|row| row.id).collect();
    let defer_until = (!deferred.is_empty()).then_some(defer_until);
    Plan { sends, deferred, defer_until }
}

/// Folds alerts of one watchlist into a digest.
fn digest(alerts: Vec<AlertRow>, now: DateTime<Utc>) -> Digest {
    let mut ids: Vec<&str> = alerts.iter().map(|row| row.msg_id.as_str()).collect();
    ids.sort_unstable();
    let hash = Sha256::digest(ids.join(",").as_bytes());
    let msg_id = format!("msg_{}", hash.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>());
    let articles = alerts
        .iter()
        .map(|row| {
            let a = &row.payload["data"]["article"];
            serde_json::json!({"id": a["id"], "url": a["url"], "title": a["title"],
                               "feed": a["feed"], "published": a["published"]})
        })
        .collect();
    let watchlist = alerts.first().map_or("", |row| row.watchlist.as_str());
    let payload = crate::outbox::digest_payload(watchlist, articles, now);
    Digest { msg_id, alerts, payload }
}
