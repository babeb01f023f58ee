-- The directory without search text lists newest first: this index gives that order without
-- sorting, and holds the columns its filters and the stale check read, so a count of matches
-- reads the index instead of the listings' long text.
CREATE INDEX skill_listings_newest ON skill_listings (
    published, id, level, hours_per_week, available_from, available_until, work_mode,
    coop_actor_id, actor_id
);
