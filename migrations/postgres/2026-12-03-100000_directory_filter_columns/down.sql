DROP INDEX skill_listings_search;
ALTER TABLE skill_listings DROP COLUMN search_vector;
CREATE INDEX skill_listings_search ON skill_listings USING GIN (to_tsvector('simple', search_text));
