-- 0001: the initial schema. Times are Unix seconds (UTC) in INTEGER columns.

-- One row per configured feed, keyed by the URL written in the configuration.
-- The fetch state lives here so that a restart keeps ETags, back-off and
-- Retry-After, and so that `feeds list` shows what the daemon last saw.
CREATE TABLE feeds (
    id                   INTEGER PRIMARY KEY,
    url                  TEXT NOT NULL UNIQUE,   -- as configured
    current_url          TEXT NOT NULL,          -- after permanent redirects (301/308)
    name                 TEXT,                   -- configured name; shown as COALESCE(name, title, url)
    title                TEXT,                   -- the feed's own title
    country              TEXT,                   -- configured publishing country (source_country), not a subject tag
    etag                 TEXT,
    last_modified        TEXT,
    status               TEXT NOT NULL DEFAULT 'new',  -- new | ok | error | failing | gone | quiet
    last_http_status     INTEGER,
    last_error           TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_polled          INTEGER,
    last_success         INTEGER,
    next_poll            INTEGER,
    retry_after          INTEGER,                -- no request before this time (429/503)
    last_new_item        INTEGER,                -- when the feed last gave a new article
    created              INTEGER NOT NULL
);

-- One row per article (story). An article is reached through one or more
-- sources (feed, identity); the normalised URL is unique when present.
CREATE TABLE articles (
    -- AUTOINCREMENT: ids are never reused after retention deletes the newest
    -- rows, because alert history (kept) refers to articles by id.
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    feed_id       INTEGER NOT NULL REFERENCES feeds(id),  -- the first feed that brought it
    url           TEXT NOT NULL,                          -- normalised; '' when the item had no link
    title         TEXT NOT NULL,
    summary       TEXT NOT NULL,
    body          TEXT NOT NULL,
    lang          TEXT,
    published     INTEGER NOT NULL,
    fetched       INTEGER NOT NULL,
    content_hash  BLOB NOT NULL                           -- of title+summary+body, to notice edits
);
CREATE UNIQUE INDEX articles_url ON articles(url) WHERE url <> '';
CREATE INDEX articles_published ON articles(published DESC, id DESC);
CREATE INDEX articles_fetched ON articles(fetched);  -- retention

-- How each feed refers to an article: the deterministic item identity (see
-- parser::identity). The same item polled again finds its row here.
CREATE TABLE article_sources (
    feed_id     INTEGER NOT NULL REFERENCES feeds(id),
    identity    TEXT NOT NULL,
    article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    first_seen  INTEGER NOT NULL,
    -- The hash of the version this source last gave: an edit is a change in
    -- one source's own version, so two feeds carrying different texts of one
    -- story never make it flip back and forth.
    content_hash BLOB NOT NULL,
    PRIMARY KEY (feed_id, identity)
);
CREATE INDEX article_sources_article ON article_sources(article_id);

-- Tags, one row per (article, kind, value).
CREATE TABLE article_tags (
    article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('country', 'region', 'topic')),
    value       TEXT NOT NULL COLLATE NOCASE,   -- filters ignore ASCII case: --country kz, --region xinjiang
    PRIMARY KEY (article_id, kind, value)
) WITHOUT ROWID;
CREATE INDEX article_tags_value ON article_tags(kind, value, article_id);

-- Watchlist matches, one per (article, watchlist), with the terms and snippets
-- as JSON ([{"term", "snippet"}]).
CREATE TABLE article_matches (
    article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    watchlist   TEXT NOT NULL,
    matches     TEXT NOT NULL,
    matched_at  INTEGER NOT NULL,
    PRIMARY KEY (article_id, watchlist)
) WITHOUT ROWID;
CREATE INDEX article_matches_watchlist ON article_matches(watchlist, article_id);

-- The alert outbox: one row per (article, watchlist, webhook), written in the
-- same transaction as the article. Rows are never deleted with the article
-- (no foreign key), so alert history outlives retention.
CREATE TABLE alerts (
    id            INTEGER PRIMARY KEY,
    msg_id        TEXT NOT NULL UNIQUE,      -- sent as webhook-id, the same on every attempt
    article_id    INTEGER NOT NULL,
    watchlist     TEXT NOT NULL,
    webhook       TEXT NOT NULL,
    payload       TEXT NOT NULL,             -- the generic JSON body, frozen at creation
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    created       INTEGER NOT NULL,
    next_attempt  INTEGER NOT NULL,
    last_attempt  INTEGER,
    delivered     INTEGER,
    last_error    TEXT,
    UNIQUE (article_id, watchlist, webhook)
);
CREATE INDEX alerts_due ON alerts(status, next_attempt);

-- Items whose article retention deleted, so that a feed still carrying an old
-- item does not bring it back as a new article (and alert again). A tombstone
-- lives as long as the retention period, then goes too.
CREATE TABLE pruned_sources (
    feed_id     INTEGER NOT NULL,
    identity    TEXT NOT NULL,
    pruned_at   INTEGER NOT NULL,
    PRIMARY KEY (feed_id, identity)
) WITHOUT ROWID;
CREATE INDEX pruned_sources_at ON pruned_sources(pruned_at);

-- Full-text index over the articles, kept in sync by triggers.
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, summary, body,
    content = 'articles', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, summary, body) VALUES (new.id, new.title, new.summary, new.body);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, summary, body) VALUES ('delete', old.id, old.title, old.summary, old.body);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, body ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, summary, body) VALUES ('delete', old.id, old.title, old.summary, old.body);
    INSERT INTO articles_fts(rowid, title, summary, body) VALUES (new.id, new.title, new.summary, new.body);
END;
