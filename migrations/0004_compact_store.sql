-- 0004: a smaller database and a cheaper ingest (issue 10). Measured on the
-- ingest benchmark: 0.89 KB of the 3.27 KB per article beyond its text went to
-- article_tags and its covering index (~19 tags an article, each value stored
-- as text twice), 0.23 KB to article_sources.
--
-- Tags:
-- * tags: one row per distinct (kind, value). The value keeps COLLATE NOCASE,
--   so filters ignore ASCII case as before (--country kz), and values that
--   differ only in case are one tag (they already counted as one in the
--   per-value counts, which grouped by the NOCASE column). Tags are never
--   deleted: the dictionary stays about as small as the gazetteer.
-- * article_tags: one row per tagged article, its tag ids as a JSON array
--   (shown tags are read from here). It goes with its article by ON DELETE
--   CASCADE.
-- * tag_articles: (tag_id, article_id), for filters and counts. No foreign key
--   (it would need an index by article_id as large as the table, as for
--   story_bands): the store deletes an article's rows by the ids in its
--   article_tags row, before the article (prune, edits).

CREATE TABLE tags (
    id     INTEGER PRIMARY KEY,
    kind   TEXT NOT NULL CHECK (kind IN ('country', 'region', 'topic')),
    value  TEXT NOT NULL COLLATE NOCASE,
    UNIQUE (kind, value)
);
-- The first spelling of a value (by article) names the tag.
INSERT OR IGNORE INTO tags (kind, value)
    SELECT kind, value FROM article_tags ORDER BY article_id, kind, value;

CREATE TABLE tag_articles (
    tag_id      INTEGER NOT NULL,
    article_id  INTEGER NOT NULL,
    PRIMARY KEY (tag_id, article_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO tag_articles (tag_id, article_id)
    SELECT t.id, o.article_id FROM article_tags o JOIN tags t ON t.kind = o.kind AND t.value = o.value;

CREATE TABLE article_tags_new (
    article_id  INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    tag_ids     TEXT NOT NULL         -- JSON array of tags.id
);
INSERT INTO article_tags_new (article_id, tag_ids)
    SELECT article_id, json_group_array(tag_id)
    FROM (SELECT article_id, tag_id FROM tag_articles ORDER BY article_id, tag_id)
    GROUP BY article_id;
DROP TABLE article_tags;
ALTER TABLE article_tags_new RENAME TO article_tags;

-- article_sources.url becomes NULL when it is the article's own URL (almost
-- every source: the first feed's, and every other feed's linked by that URL);
-- it is stored only for an item re-issued under another link. Readers take
-- COALESCE(s.url, articles.url). SQLite cannot drop NOT NULL in place, hence
-- the rebuild; rowids are kept, as listings order sources by (first_seen, rowid).
CREATE TABLE article_sources_new (
    feed_id     INTEGER NOT NULL REFERENCES feeds(id),
    identity    TEXT NOT NULL,
    article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    url         TEXT,                     -- NULL: the article's own URL
    first_seen  INTEGER NOT NULL,
    content_hash BLOB NOT NULL,
    PRIMARY KEY (feed_id, identity)
);
INSERT INTO article_sources_new (rowid, feed_id, identity, article_id, url, first_seen, content_hash)
    SELECT s.rowid, s.feed_id, s.identity, s.article_id,
           NULLIF(s.url, (SELECT a.url FROM articles a WHERE a.id = s.article_id)),
           s.first_seen, s.content_hash
    FROM article_sources s ORDER BY s.rowid;
DROP TABLE article_sources;
ALTER TABLE article_sources_new RENAME TO article_sources;
CREATE INDEX article_sources_article ON article_sources(article_id);
