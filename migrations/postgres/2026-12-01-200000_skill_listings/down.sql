DROP TABLE skill_listings;
