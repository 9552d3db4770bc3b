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
    /// An alert on its own, with its frozen payload (boxed: rows are large).
    One(Box<AlertRow>),
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
    pub fn one(row: AlertRow) -> Send {
        Send::One(Box::new(row))
    }
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
        return Plan {
            sends: due.into_iter().map(Send::one).collect(),
            ..Plan::default()
        };
    }
    let window = chrono::Duration::from_std(cfg.flood_window).unwrap_or(chrono::Duration::hours(1));
    let defer_until = usage.oldest.unwrap_or(now) + window;
    if free == 0 {
        let deferred = due.iter().map(|row| row.id).collect();
        return Plan {
            sends: Vec::new(),
            deferred,
            defer_until: Some(defer_until),
        };
    }
    let mut rest = due;
    let mut folded = rest.split_off(free - 1);
    let waiting = folded.split_off(folded.len().min(DIGEST_MAX));
    let mut sends: Vec<Send> = rest.into_iter().map(Send::one).collect();
    sends.push(Send::Digest(digest(folded, now)));
    let deferred: Vec<AlertId> = waiting.iter().map(|row| row.id).collect();
    let defer_until = (!deferred.is_empty()).then_some(defer_until);
    Plan {
        sends,
        deferred,
        defer_until,
    }
}

/// Folds alerts of one watchlist into a digest.
fn digest(alerts: Vec<AlertRow>, now: DateTime<Utc>) -> Digest {
    let mut ids: Vec<&str> = alerts.iter().map(|row| row.msg_id.as_str()).collect();
    ids.sort_unstable();
    let hash = Sha256::digest(ids.join(",").as_bytes());
    let msg_id = format!(
        "msg_{}",
        hash.iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
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
    Digest {
        msg_id,
        alerts,
        payload,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::alerts::AlertStatus;
    use serde_json::json;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn rows(n: i64) -> Vec<AlertRow> {
        (1..=n)
            .map(|id| AlertRow {
                id,
                msg_id: format!("msg_{id}"),
                kind: "watchlist.match".into(),
                article_id: Some(id),
                watchlist: "xinjiang".into(),
                webhook: "ops".into(),
                status: AlertStatus::Pending,
                attempts: 0,
                created: t0(),
                next_attempt: Some(t0()),
                last_attempt: None,
                delivered: None,
                last_error: None,
                digest: None,
                requeued: None,
                title: format!("Story {id}"),
                url: format!("https://news.example/{id}"),
                matches: Vec::new(),
                payload: json!({"data": {"article": {"id": id, "title": format!("Story {id}")}}}),
            })
            .collect()
    }

    fn cfg(max: usize) -> Alerts {
        Alerts {
            flood_max: max,
            ..Alerts::default()
        }
    }

    fn usage(messages: usize) -> FloodUsage {
        let oldest = (messages > 0).then(|| t0() - chrono::Duration::minutes(50));
        FloodUsage { messages, oldest }
    }

    #[test]
    fn within_the_budget_every_alert_goes_alone() {
        let plan = plan(rows(3), usage(0), &cfg(3), t0());
        assert_eq!(plan.sends.len(), 3);
        assert!(plan.sends.iter().all(|s| matches!(s, Send::One(_))));
        assert!(plan.deferred.is_empty());
    }

    #[test]
    fn with_one_slot_left_everything_goes_into_one_digest() {
        let plan = plan(rows(5), usage(2), &cfg(3), t0());
        assert_eq!(plan.sends.len(), 1);
        let Send::Digest(d) = &plan.sends[0] else {
            panic!("a digest")
        };
        assert_eq!(d.alerts.len(), 5);
        assert_eq!(d.payload["data"]["articles"][4]["title"], "Story 5");
    }

    #[test]
    fn a_digest_carries_at_most_its_maximum_and_the_rest_waits() {
        let plan = plan(rows(30), usage(0), &cfg(3), t0());
        assert_eq!(plan.sends.len(), 3);
        let Send::Digest(d) = &plan.sends[2] else {
            panic!("a digest last")
        };
        assert_eq!(d.alerts.len(), DIGEST_MAX);
        assert_eq!(plan.deferred, (23..=30).collect::<Vec<_>>());
        // No message in the window yet: room again one window after now.
        assert_eq!(plan.defer_until, Some(t0() + chrono::Duration::hours(1)));
    }

    #[test]
    fn a_full_window_holds_everything_until_its_oldest_message_leaves() {
        let plan = plan(rows(2), usage(3), &cfg(3), t0());
        assert!(plan.sends.is_empty());
        assert_eq!(plan.defer_until, Some(t0() + chrono::Duration::minutes(10)));
    }

    #[test]
    fn zero_turns_flood_control_off_and_digest_ids_are_stable() {
        assert_eq!(plan(rows(100), usage(50), &cfg(0), t0()).sends.len(), 100);
        let id = |rows| match plan(rows, usage(0), &cfg(1), t0()).sends.remove(0) {
            Send::Digest(d) => d.msg_id,
            Send::One(_) => panic!("a digest"),
        };
        let mut reversed = rows(4);
        reversed.reverse();
        assert_eq!(
            id(rows(4)),
            id(reversed),
            "a retried digest keeps its webhook-id"
        );
        assert_ne!(id(rows(4)), id(rows(5)));
    }
}
