//! The alert outbox after ingest: claiming due alerts, recording attempts,
//! flood-control counts, gone webhooks, listing and requeueing.
//!
//! Rows are inserted by the ingest transaction (see `store::articles`) and by
//! [`Store::enqueue_health_event`]. Delivery is at least once: nothing here
//! marks an alert delivered before the receiver answered 2xx.

use super::{Store, StoreError};
use crate::model::{AlertId, ArticleId, TermMatch};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use serde_json::Value;

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Pending,
    Delivered,
    Failed,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Pending => "pending",
            AlertStatus::Delivered => "delivered",
            AlertStatus::Failed => "failed",
        }
    }
}

impl std::fmt::Display for AlertStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for AlertStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<AlertStatus, String> {
        match s {
            "pending" => Ok(AlertStatus::Pending),
            "delivered" => Ok(AlertStatus::Delivered),
            "failed" => Ok(AlertStatus::Failed),
            other => Err(format!(
                "unknown alert status {other:?} (pending, delivered or failed)"
            )),
        }
    }
}

/// One outbox row, as `alerts list --json` prints it (one object per line).
#[derive(Debug, Clone, Serialize)]
pub struct AlertRow {
    pub id: AlertId,
    /// Sent as `webhook-id`, the same on every attempt.
    pub msg_id: String,
    /// `watchlist.match`, or a feed health event (`feed.failing`, ...).
    pub kind: String,
    /// `None` for feed health events.
    pub article_id: Option<ArticleId>,
    /// Empty for feed health events.
    pub watchlist: String,
    pub webhook: String,
    pub status: AlertStatus,
    pub attempts: u32,
    pub created: DateTime<Utc>,
    /// When it is due; `None` once delivered or failed.
    pub next_attempt: Option<DateTime<Utc>>,
    pub last_attempt: Option<DateTime<Utc>>,
    pub delivered: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// `webhook-id` of the flood-control digest that carried this alert.
    pub digest: Option<String>,
    /// When `alerts retry` last requeued it; the give-up age counts from here.
    pub requeued: Option<DateTime<Utc>>,
    /// The article's title and URL from the payload; for a health event,
    /// "feed.failing: <feed name>" and the feed's URL.
    pub title: String,
    pub url: String,
    pub matches: Vec<TermMatch>,
    /// The generic body frozen at creation; formats are rendered from it.
    #[serde(skip)]
    pub payload: Value,
}

impl AlertRow {
    /// The start of the give-up age: creation, or the last requeue.
    pub fn since(&self) -> DateTime<Utc> {
        self.requeued.unwrap_or(self.created)
    }
}

/// Number of alerts in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    pub pending: u64,
    pub delivered: u64,
    pub failed: u64,
}

/// Messages sent to one (watchlist, webhook) within a flood window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloodUsage {
    /// Messages, counting a digest once however many alerts it carried.
    pub messages: usize,
    /// The oldest of them: a slot frees when it leaves the window.
    pub oldest: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, msg_id, kind, article_id, watchlist, webhook, status, attempts, created, \
     next_attempt, last_attempt, delivered, last_error, digest, requeued, payload";

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn from_ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<AlertRow> {
    let status: String = row.get(6)?;
    let payload: String = row.get(15)?;
    let payload: Value = serde_json::from_str(&payload).unwrap_or(Value::Null);
    let kind: String = row.get(2)?;
    let (title, url) = describe(&kind, &payload);
    let status = status.parse().unwrap_or(AlertStatus::Failed);
    let next_attempt = from_ts(row.get(9)?);
    Ok(AlertRow {
        id: row.get(0)?,
        msg_id: row.get(1)?,
        kind,
        article_id: row.get(3)?,
        watchlist: row.get(4)?,
        webhook: row.get(5)?,
        status,
        attempts: row.get(7)?,
        created: from_ts(row.get(8)?),
        next_attempt: (status == AlertStatus::Pending).then_some(next_attempt),
        last_attempt: row.get::<_, Option<i64>>(10)?.map(from_ts),
        delivered: row.get::<_, Option<i64>>(11)?.map(from_ts),
        last_error: row.get(12)?,
        digest: row.get(13)?,
        requeued: row.get::<_, Option<i64>>(14)?.map(from_ts),
        title,
        url,
        matches: serde_json::from_value(payload["data"]["matches"].clone()).unwrap_or_default(),
        payload,
    })
}

/// Title and URL for listings: the article's, or the feed's for a health event.
fn describe(kind: &str, payload: &Value) -> (String, String) {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let data = &payload["data"];
    if kind.starts_with("feed.") {
        (
            format!("{kind}: {}", text(&data["feed"]["name"])),
            text(&data["feed"]["url"]),
        )
    } else {
        (
            text(&data["article"]["title"]),
            text(&data["article"]["url"]),
        )
    }
}

impl Store {
    /// Pending alerts due at `now`, oldest due first, at most `limit`.
    ///
    /// Claiming changes nothing in the database: the single delivery worker
    /// per database records each outcome when the receiver has answered, so a
    /// crash between sending and recording sends again (at least once), and
    /// never loses an alert. Receivers deduplicate on `webhook-id`.
    ///
    /// When it returns alerts, everything committed before is on disk: polls
    /// commit without waiting for the disk ([`Store::begin_group`]), and an
    /// alert sent and then lost with its poll to a power cut would be queued
    /// and sent again under a new id.
    ///
    /// # Errors
    /// The query fails, or syncing the log does.
    pub fn claim_due(
        &mut self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<AlertRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts WHERE status = 'pending' AND next_attempt <= ?1 \
             ORDER BY next_attempt, id LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![ts(now), limit as i64], from_row)?;
        let rows: Vec<AlertRow> = rows.collect::<Result<_, _>>()?;
        if !rows.is_empty() {
            self.sync_log()?;
        }
        Ok(rows)
    }

    /// One alert by id.
    ///
    /// # Errors
    /// The query fails.
    pub fn alert(&self, id: AlertId) -> Result<Option<AlertRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM alerts WHERE id = ?1");
        Ok(self.conn.query_row(&sql, [id], from_row).optional()?)
    }

    /// Records a 2xx for an alert sent on its own.
    ///
    /// # Errors
    /// The update fails.
    pub fn record_delivered(&mut self, id: AlertId, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE alerts SET status = 'delivered', attempts = attempts + 1, last_attempt = ?2, \
             delivered = ?2, last_error = NULL WHERE id = ?1",
            params![id, ts(now)],
        )?;
        Ok(())
    }

    /// Records a 2xx for a flood-control digest: every alert it carried is
    /// delivered, with the digest's `webhook-id` noted on each.
    ///
    /// # Errors
    /// The transaction fails; then none is marked.
    pub fn record_digest_delivered(
        &mut self,
        ids: &[AlertId],
        digest: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE alerts SET status = 'delivered', attempts = attempts + 1, last_attempt = ?2, \
                 delivered = ?2, digest = ?3, last_error = NULL WHERE id = ?1",
            )?;
            for id in ids {
                stmt.execute(params![id, ts(now), digest])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Records a failed attempt: pending again at `next_attempt`, or `failed`
    /// when it is `None`.
    ///
    /// # Errors
    /// The update fails.
    pub fn record_failure(
        &mut self,
        id: AlertId,
        now: DateTime<Utc>,
        error: &str,
        next_attempt: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let status = if next_attempt.is_some() {
            "pending"
        } else {
            "failed"
        };
        self.conn.execute(
            "UPDATE alerts SET status = ?3, attempts = attempts + 1, last_attempt = ?2, \
             last_error = ?4, next_attempt = COALESCE(?5, next_attempt) WHERE id = ?1",
            params![id, ts(now), status, error, next_attempt.map(ts)],
        )?;
        Ok(())
    }

    /// Marks a pending alert `failed` without an attempt (its webhook is gone
    /// or no longer configured). Returns whether it was pending.
    ///
    /// # Errors
    /// The update fails.
    pub fn mark_failed(&mut self, id: AlertId, error: &str) -> Result<bool, StoreError> {
        let changed = self.conn.execute(
            "UPDATE alerts SET status = 'failed', last_error = ?2 WHERE id = ?1 AND status = 'pending'",
            params![id, error],
        )?;
        Ok(changed == 1)
    }

    /// Moves pending alerts to `until` without counting an attempt (flood
    /// control holding them for the next window).
    ///
    /// # Errors
    /// The transaction fails.
    pub fn defer(&mut self, ids: &[AlertId], until: DateTime<Utc>) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE alerts SET next_attempt = ?2 WHERE id = ?1 AND status = 'pending'",
            )?;
            for id in ids {
                stmt.execute(params![id, ts(until)])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Messages delivered to (watchlist, webhook) after `since`, for flood control.
    ///
    /// # Errors
    /// The query fails.
    pub fn flood_usage(
        &self,
        watchlist: &str,
        webhook: &str,
        since: DateTime<Utc>,
    ) -> Result<FloodUsage, StoreError> {
        let (messages, oldest): (i64, Option<i64>) = self.conn.query_row(
            "SELECT COUNT(DISTINCT COALESCE(digest, msg_id)), MIN(delivered) FROM alerts \
             WHERE watchlist = ?1 AND webhook = ?2 AND delivered IS NOT NULL AND delivered > ?3",
            params![watchlist, webhook, ts(since)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(FloodUsage {
            messages: messages as usize,
            oldest: oldest.map(from_ts),
        })
    }

    /// The earliest `next_attempt` among pending alerts.
    ///
    /// # Errors
    /// The query fails.
    pub fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let next: Option<i64> = self.conn.query_row(
            "SELECT MIN(next_attempt) FROM alerts WHERE status = 'pending'",
            [],
            |r| r.get(0),
        )?;
        Ok(next.map(from_ts))
    }

    /// Alerts newest first, optionally of one status.
    ///
    /// # Errors
    /// The query fails.
    pub fn list_alerts(
        &self,
        status: Option<AlertStatus>,
        limit: usize,
    ) -> Result<Vec<AlertRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts WHERE ?1 IS NULL OR status = ?1 ORDER BY id DESC LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![status.map(AlertStatus::as_str), limit as i64],
            from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Puts one alert back to pending, due at `now`, with a fresh give-up age
    /// (`alerts retry ID`). A delivered alert is requeued too: the operator
    /// asked for it to be sent again. Clears the gone mark of its webhook.
    /// Returns how many alerts were requeued (0 when there is no such alert).
    ///
    /// # Errors
    /// The transaction fails.
    pub fn requeue(&mut self, id: AlertId) -> Result<usize, StoreError> {
        self.requeue_at(id, Utc::now())
    }

    /// [`Store::requeue`] at a given time.
    ///
    /// # Errors
    /// The transaction fails.
    pub fn requeue_at(&mut self, id: AlertId, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE alerts SET status = 'pending', next_attempt = ?2, requeued = ?2, \
             delivered = NULL, digest = NULL WHERE id = ?1",
            params![id, ts(now)],
        )?;
        tx.execute(
            "DELETE FROM webhooks_gone WHERE name IN (SELECT webhook FROM alerts WHERE id = ?1)",
            [id],
        )?;
        tx.commit()?;
        Ok(changed)
    }

    /// Puts every failed alert back to pending (`alerts retry --failed`) and
    /// clears the gone marks of their webhooks. Returns how many.
    ///
    /// # Errors
    /// The transaction fails.
    pub fn requeue_failed(&mut self) -> Result<usize, StoreError> {
        self.requeue_failed_at(Utc::now())
    }

    /// [`Store::requeue_failed`] at a given time.
    ///
    /// # Errors
    /// The transaction fails.
    pub fn requeue_failed_at(&mut self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM webhooks_gone WHERE name IN (SELECT webhook FROM alerts WHERE status = 'failed')",
            [],
        )?;
        let changed = tx.execute(
            "UPDATE alerts SET status = 'pending', next_attempt = ?1, requeued = ?1 WHERE status = 'failed'",
            [ts(now)],
        )?;
        tx.commit()?;
        Ok(changed)
    }

    /// Number of pending alerts.
    ///
    /// # Errors
    /// The query fails.
    pub fn pending_count(&self) -> Result<u64, StoreError> {
        Ok(self.status_counts()?.pending)
    }

    /// Number of alerts in each status (for `/metrics`).
    ///
    /// # Errors
    /// The query fails.
    pub fn status_counts(&self) -> Result<StatusCounts, StoreError> {
        let mut counts = StatusCounts::default();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT status, COUNT(*) FROM alerts GROUP BY status")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))?;
        for row in rows {
            let (status, n) = row?;
            match status.parse() {
                Ok(AlertStatus::Pending) => counts.pending = n,
                Ok(AlertStatus::Delivered) => counts.delivered = n,
                Ok(AlertStatus::Failed) => counts.failed = n,
                Err(_) => {}
            }
        }
        Ok(counts)
    }

    /// Queues a feed health event (see `outbox::health_event`) for one webhook,
    /// due at once. Returns its id.
    ///
    /// # Errors
    /// The insert fails.
    pub fn enqueue_health_event(
        &mut self,
        webhook: &str,
        payload: &Value,
        now: DateTime<Utc>,
    ) -> Result<AlertId, StoreError> {
        enqueue_health_event(&self.conn, webhook, payload, now)
    }

    /// Records that a webhook answered 410 Gone, and fails its pending alerts
    /// with `error`. Returns how many alerts were failed.
    ///
    /// # Errors
    /// The transaction fails.
    pub fn mark_webhook_gone(
        &mut self,
        name: &str,
        url: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO webhooks_gone (name, url, since, error) VALUES (?1, ?2, ?3, ?4)",
            params![name, url, ts(now), error],
        )?;
        let failed = tx.execute(
            "UPDATE alerts SET status = 'failed', last_error = ?2 WHERE webhook = ?1 AND status = 'pending'",
            params![name, error],
        )?;
        tx.commit()?;
        Ok(failed)
    }

    /// Whether the webhook `name` at `url` answered 410 Gone and was not re-enabled since.
    ///
    /// # Errors
    /// The query fails.
    pub fn webhook_gone(&self, name: &str, url: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT error FROM webhooks_gone WHERE name = ?1 AND url = ?2",
                params![name, url],
                |r| r.get(0),
            )
            .optional()?)
    }
}

/// [`Store::enqueue_health_event`] on a connection that may be inside a
/// transaction (a group commit queues it with the feed's fetch record).
pub(crate) fn enqueue_health_event(
    conn: &Connection,
    webhook: &str,
    payload: &Value,
    now: DateTime<Utc>,
) -> Result<AlertId, StoreError> {
    let kind = payload["type"].as_str().unwrap_or("feed.health");
    conn.execute(
        "INSERT INTO alerts (msg_id, kind, article_id, watchlist, webhook, payload, created, next_attempt) \
         VALUES (?1, ?2, NULL, '', ?3, ?4, ?5, ?5)",
        params![crate::outbox::new_msg_id(), kind, webhook, payload.to_string(), ts(now)],
    )?;
    Ok(conn.last_insert_rowid())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// Inserts an article alert the way the ingest transaction does.
    pub(crate) fn insert_alert(
        store: &mut Store,
        article_id: i64,
        watchlist: &str,
        webhook: &str,
        created: DateTime<Utc>,
    ) -> AlertId {
        let payload = json!({
            "type": "watchlist.match",
            "timestamp": created.to_rfc3339(),
            "data": {
                "watchlist": watchlist,
                "article": {"id": article_id, "url": format!("https://news.example/{article_id}"),
                            "title": format!("Story {article_id}"), "feed": "Test Feed",
                            "published": created.to_rfc3339(), "lang": "en",
                            "countries": ["KZ"], "regions": [], "topics": ["trade"]},
                "matches": [{"term": "Xinjiang", "snippet": "in [Xinjiang] today"}],
            }
        });
        store
            .conn
            .execute(
                "INSERT INTO alerts (msg_id, article_id, watchlist, webhook, payload, created, next_attempt) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![
                    crate::outbox::new_msg_id(),
                    article_id,
                    watchlist,
                    webhook,
                    payload.to_string(),
                    created.timestamp()
                ],
            )
            .unwrap();
        store.conn.last_insert_rowid()
    }

    fn open() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        (dir, store)
    }

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn claim_returns_only_due_pending_alerts_and_changes_nothing() {
        let (_dir, mut store) = open();
        let a = insert_alert(&mut store, 1, "xinjiang", "ops", t0());
        let b = insert_alert(&mut store, 2, "xinjiang", "ops", t0());
        store
            .defer(&[b], t0() + chrono::Duration::minutes(5))
            .unwrap();
        let due = store.claim_due(t0(), 10).unwrap();
        assert_eq!(due.iter().map(|r| r.id).collect::<Vec<_>>(), vec![a]);
        assert_eq!(due[0].title, "Story 1");
        assert_eq!(due[0].matches[0].term, "Xinjiang");
        // Claimed but not recorded: still due (a crash re-sends, never loses).
        assert_eq!(store.claim_due(t0(), 10).unwrap().len(), 1);
        assert_eq!(
            store
                .claim_due(t0() + chrono::Duration::minutes(5), 10)
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn outcomes_are_recorded_and_listed() {
        let (_dir, mut store) = open();
        let a = insert_alert(&mut store, 1, "xinjiang", "ops", t0());
        let b = insert_alert(&mut store, 2, "xinjiang", "ops", t0());
        let later = t0() + chrono::Duration::seconds(5);
        store
            .record_failure(a, t0(), "http 503", Some(later))
            .unwrap();
        store.record_failure(b, t0(), "http 400", None).unwrap();
        let a_row = store.alert(a).unwrap().unwrap();
        assert_eq!(
            (a_row.status, a_row.attempts, a_row.next_attempt),
            (AlertStatus::Pending, 1, Some(later))
        );
        store.record_delivered(a, later).unwrap();
        let failed = store.list_alerts(Some(AlertStatus::Failed), 10).unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].last_error.as_deref(), Some("http 400"));
        let delivered = store.list_alerts(Some(AlertStatus::Delivered), 10).unwrap();
        assert_eq!((delivered[0].id, delivered[0].attempts), (a, 2));
        assert_eq!(delivered[0].delivered, Some(later));
        assert_eq!(
            store.status_counts().unwrap(),
            StatusCounts {
                pending: 0,
                delivered: 1,
                failed: 1
            }
        );
        let line = serde_json::to_value(&delivered[0]).unwrap();
        for key in [
            "id",
            "msg_id",
            "article_id",
            "watchlist",
            "webhook",
            "status",
            "attempts",
            "created",
            "next_attempt",
            "last_attempt",
            "delivered",
            "last_error",
            "title",
            "url",
            "matches",
        ] {
            assert!(line.get(key).is_some(), "alerts list --json lacks {key}");
        }
        assert_eq!(line["status"], "delivered");
        assert_eq!(
            line["next_attempt"],
            Value::Null,
            "nothing is due once delivered"
        );
        assert_eq!(format!("{:<9}|", delivered[0].status), "delivered|");
    }

    #[test]
    fn requeue_puts_failed_alerts_back_with_a_fresh_give_up_age() {
        let (_dir, mut store) = open();
        let a = insert_alert(&mut store, 1, "xinjiang", "ops", t0());
        let b = insert_alert(&mut store, 2, "xinjiang", "ops", t0());
        store.record_failure(a, t0(), "http 400", None).unwrap();
        store
            .mark_webhook_gone("ops", "https://x.example/", "webhook gone", t0())
            .unwrap();
        assert_eq!(store.alert(b).unwrap().unwrap().status, AlertStatus::Failed);
        let later = t0() + chrono::Duration::days(4);
        assert_eq!(store.requeue_failed_at(later).unwrap(), 2);
        assert_eq!(
            store.webhook_gone("ops", "https://x.example/").unwrap(),
            None
        );
        let row = store.alert(a).unwrap().unwrap();
        assert_eq!(
            (row.status, row.since(), row.next_attempt),
            (AlertStatus::Pending, later, Some(later))
        );
        store.record_delivered(a, later).unwrap();
        assert_eq!(store.requeue_at(a, later).unwrap(), 1);
        assert_eq!(
            store.alert(a).unwrap().unwrap().status,
            AlertStatus::Pending
        );
        assert_eq!(store.requeue(999).unwrap(), 0);
    }

    #[test]
    fn health_events_do_not_collide_in_the_unique_key() {
        let (_dir, mut store) = open();
        let event = crate::outbox::health_event(
            "feed.failing",
            "Feed",
            "https://f.example/",
            Some("http 500"),
            t0(),
        );
        let a = store.enqueue_health_event("ops", &event, t0()).unwrap();
        let b = store.enqueue_health_event("ops", &event, t0()).unwrap();
        assert_ne!(a, b);
        let row = store.alert(a).unwrap().unwrap();
        assert_eq!((row.kind.as_str(), row.article_id), ("feed.failing", None));
        assert_eq!(
            (row.title.as_str(), row.url.as_str()),
            ("feed.failing: Feed", "https://f.example/")
        );
    }
}
