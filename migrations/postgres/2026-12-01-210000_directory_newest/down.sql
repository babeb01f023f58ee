DROP INDEX skill_listings_newest;
