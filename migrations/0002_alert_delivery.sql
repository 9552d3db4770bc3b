-- 0002: what the delivery worker needs beyond the outbox rows of 0001.
--
-- Additive for writers: every column 0001 had keeps its name and meaning, so
-- the ingest transaction's INSERT INTO alerts (msg_id, article_id, watchlist,
-- webhook, payload, created, next_attempt) works unchanged.
--
-- * article_id becomes nullable: feed health events (feed.failing, ...) are
--   alerts about no article. A NULL never collides in the UNIQUE key, so any
--   number of health events can go to one webhook, while article alerts keep
--   "one per (article, watchlist, webhook)". SQLite cannot drop NOT NULL in
--   place, hence the rebuild.
-- * kind: the payload's event type, so SQL can tell article alerts (subject to
--   flood control) from health events without parsing JSON.
-- * digest: the webhook-id of the digest message that carried this alert when
--   flood control folded it; NULL when it was sent on its own.
-- * requeued: when `alerts retry` put it back; the give-up age counts from here.

CREATE TABLE alerts_new (
    id            INTEGER PRIMARY KEY,
    msg_id        TEXT NOT NULL UNIQUE,
    article_id    INTEGER,                   -- NULL for feed health events
    watchlist     TEXT NOT NULL,             -- '' for feed health events
    webhook       TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    created       INTEGER NOT NULL,
    next_attempt  INTEGER NOT NULL,
    last_attempt  INTEGER,
    delivered     INTEGER,
    last_error    TEXT,
    kind          TEXT NOT NULL DEFAULT 'watchlist.match',
    digest        TEXT,
    requeued      INTEGER,
    UNIQUE (article_id, watchlist, webhook)
);
INSERT INTO alerts_new (id, msg_id, article_id, watchlist, webhook, payload, status, attempts,
                        created, next_attempt, last_attempt, delivered, last_error)
    SELECT id, msg_id, article_id, watchlist, webhook, payload, status, attempts,
           created, next_attempt, last_attempt, delivered, last_error
    FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_new RENAME TO alerts;
CREATE INDEX alerts_due ON alerts(status, next_attempt);
-- Flood control counts recent deliveries per (watchlist, webhook).
CREATE INDEX alerts_recent ON alerts(watchlist, webhook, delivered) WHERE delivered IS NOT NULL;

-- Webhooks that answered 410 Gone, by name and URL. A webhook whose configured
-- URL differs from the one recorded here is a new endpoint and is used again;
-- `alerts retry` clears the mark for the webhooks it requeues.
CREATE TABLE webhooks_gone (
    name   TEXT NOT NULL,
    url    TEXT NOT NULL,
    since  INTEGER NOT NULL,
    error  TEXT NOT NULL,
    PRIMARY KEY (name, url)
) WITHOUT ROWID;
