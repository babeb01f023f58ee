-- The full-text index gets the tags and the region as columns of their own, so that a search
-- by tag (`tags : "pflege"`) or region (`region : ^"frankfurt"*`) is answered by the index
-- instead of by reading every listing whose description says the word, or every listing, to
-- check its tags or region. Words still search `search_text` (label, tags and description).
DROP TRIGGER skill_listings_fts_insert;
DROP TRIGGER skill_listings_fts_delete;
DROP TRIGGER skill_listings_fts_update;
DROP TABLE skill_listings_fts;
CREATE VIRTUAL TABLE skill_listings_fts USING fts5 (
    search_text,
    tags,
    region,
    content = 'skill_listings',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);
CREATE TRIGGER skill_listings_fts_insert AFTER INSERT ON skill_listings BEGIN
    INSERT INTO skill_listings_fts (rowid, search_text, tags, region)
        VALUES (new.id, new.search_text, new.tags, new.region);
END;
CREATE TRIGGER skill_listings_fts_delete AFTER DELETE ON skill_listings BEGIN
    INSERT INTO skill_listings_fts (skill_listings_fts, rowid, search_text, tags, region)
        VALUES ('delete', old.id, old.search_text, old.tags, old.region);
END;
CREATE TRIGGER skill_listings_fts_update AFTER UPDATE ON skill_listings BEGIN
    INSERT INTO skill_listings_fts (skill_listings_fts, rowid, search_text, tags, region)
        VALUES ('delete', old.id, old.search_text, old.tags, old.region);
    INSERT INTO skill_listings_fts (rowid, search_text, tags, region)
        VALUES (new.id, new.search_text, new.tags, new.region);
END;
INSERT INTO skill_listings_fts (skill_listings_fts) VALUES ('rebuild');
