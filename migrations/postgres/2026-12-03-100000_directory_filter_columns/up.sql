-- SQLite's full-text index gained tags and region columns in this version (see the SQLite
-- migration). On PostgreSQL the tsvector of the folded search text is stored (a generated
-- column) and the GIN index is on it, so that ranking and rechecking a match read the stored
-- vector instead of parsing the text again. Like SQLite's FTS5 tables, this column is a
-- documented exception to the test that both backends have the same columns.
ALTER TABLE skill_listings ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED;
DROP INDEX skill_listings_search;
CREATE INDEX skill_listings_search ON skill_listings USING GIN (search_vector);
