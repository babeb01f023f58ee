DROP TRIGGER skill_listings_fts_update;
DROP TRIGGER skill_listings_fts_delete;
DROP TRIGGER skill_listings_fts_insert;
DROP TABLE skill_listings_fts;
DROP TABLE skill_listings;
