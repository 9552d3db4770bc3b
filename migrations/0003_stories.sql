-- 0003: stories, the same news republished by several outlets (see src/story.rs).
--
-- * articles.story_id: the id of the story's first article, set when an article
--   joined a story already stored; NULL when the article heads its own story (so
--   ungrouped articles, the vast majority, cost nothing). Listings show
--   COALESCE(story_id, id). It is a plain number, not a foreign key: the head may
--   be deleted by retention while later articles of the story remain, and its id
--   is never reused (AUTOINCREMENT), so the story keeps its name.
-- * story_bands: the MinHash LSH band keys of each article long enough to group,
--   one row per band. Ingest looks up a new article's keys here to find the few
--   articles worth comparing, instead of scanning. No foreign key either: with one,
--   deleting an article would make SQLite search this table by article_id, which
--   needs a second index as large as the table. The store deletes an article's
--   rows itself (prune, edits), by keys recomputed from the article's text.
--
-- No fingerprint column: the exact comparison re-shingles a candidate's stored
-- text, which costs microseconds for the handful of candidates the bands yield.
-- Articles stored before this migration have no band rows and join no story.

ALTER TABLE articles ADD COLUMN story_id INTEGER;
CREATE INDEX articles_story ON articles(story_id) WHERE story_id IS NOT NULL;

CREATE TABLE story_bands (
    key         INTEGER NOT NULL,   -- below 2^31: four bytes a row
    article_id  INTEGER NOT NULL,
    PRIMARY KEY (key, article_id)
) WITHOUT ROWID;
