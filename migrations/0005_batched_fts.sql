-- 0005: the full-text index is filled once per write transaction, not by a
-- trigger per inserted article (issue 10).
--
-- FTS5 writes the terms it has gathered to disk as a new segment whenever a
-- savepoint begins, and SQLite begins one for every statement that fires a
-- trigger inside a transaction. With the insert trigger every article became
-- a segment of its own, and merging those segments back was most of the index's
-- cost: 22% of the ingest benchmark's CPU. Now the store indexes the articles
-- above `fts_progress.indexed_to` in one statement just before it commits
-- (`store::search::index_new_articles`), so a poll's articles make one segment.
-- Readers never see the difference: both happen in the same transaction.
-- Article ids are AUTOINCREMENT, never reused, so everything above the mark is
-- unindexed and everything at or below it is indexed.
CREATE TABLE fts_progress (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_to  INTEGER NOT NULL      -- highest article id in articles_fts
);
INSERT INTO fts_progress (id, indexed_to) SELECT 1, COALESCE(MAX(id), 0) FROM articles;

DROP TRIGGER articles_fts_insert;
DROP TRIGGER articles_fts_delete;
DROP TRIGGER articles_fts_update;
-- Articles above the mark are not in the index yet: deleting or editing one
-- leaves the index alone (indexing reads the edited text later).
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles
WHEN old.id <= (SELECT indexed_to FROM fts_progress) BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, summary, body) VALUES ('delete', old.id, old.title, old.summary, old.body);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, body ON articles
WHEN old.id <= (SELECT indexed_to FROM fts_progress) BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, summary, body) VALUES ('delete', old.id, old.title, old.summary, old.body);
    INSERT INTO articles_fts(rowid, title, summary, body) VALUES (new.id, new.title, new.summary, new.body);
END;
