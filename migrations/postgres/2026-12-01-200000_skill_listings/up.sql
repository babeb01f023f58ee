-- Skill listings of our members and of the network's, for the directory.
CREATE TABLE skill_listings (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    ap_id TEXT NOT NULL UNIQUE,
    -- The member's actor (ours or another coop's).
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    -- The coop that vouches for the member (on the member's host).
    coop_actor_id BIGINT REFERENCES actors (id) ON DELETE CASCADE,
    local BOOLEAN NOT NULL,
    label TEXT NOT NULL,
    -- Normalized tags, space-delimited with a space at each end: ' postgresql replication '.
    tags TEXT NOT NULL,
    level TEXT NOT NULL,
    description TEXT NOT NULL,
    hours_per_week INTEGER NOT NULL,
    -- Calendar days as YYYY-MM-DD: compared as text.
    available_from TEXT,
    available_until TEXT,
    work_mode TEXT NOT NULL,
    region TEXT NOT NULL,
    visibility TEXT NOT NULL,
    -- Label, tags and description folded (lower case, no accents) for full-text search.
    search_text TEXT NOT NULL,
    published TIMESTAMP NOT NULL,
    updated TIMESTAMP
);
CREATE INDEX skill_listings_actor ON skill_listings (actor_id);
CREATE INDEX skill_listings_coop ON skill_listings (coop_actor_id);
-- Full-text search: the text is folded in Rust, so the 'simple' configuration (no stemming,
-- no stop words) serves German and English alike; prefixes match with `:*`.
CREATE INDEX skill_listings_search ON skill_listings USING GIN (to_tsvector('simple', search_text));
