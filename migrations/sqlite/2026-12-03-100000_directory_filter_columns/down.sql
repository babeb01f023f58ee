DROP TRIGGER skill_listings_fts_insert;
DROP TRIGGER skill_listings_fts_delete;
DROP TRIGGER skill_listings_fts_update;
DROP TABLE skill_listings_fts;
CREATE VIRTUAL TABLE skill_listings_fts USING fts5 (
    search_text,
    content = 'skill_listings',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);
CREATE TRIGGER skill_listings_fts_insert AFTER INSERT ON skill_listings BEGIN
    INSERT INTO skill_listings_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER skill_listings_fts_delete AFTER DELETE ON skill_listings BEGIN
    INSERT INTO skill_listings_fts (skill_listings_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER skill_listings_fts_update AFTER UPDATE ON skill_listings BEGIN
    INSERT INTO skill_listings_fts (skill_listings_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    INSERT INTO skill_listings_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
INSERT INTO skill_listings_fts (skill_listings_fts) VALUES ('rebuild');
