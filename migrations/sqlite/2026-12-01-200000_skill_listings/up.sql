-- Skill listings of our members and of the network's, for the directory.
CREATE TABLE skill_listings (
    id INTEGER PRIMARY KEY NOT NULL,
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

-- Full-text search (SQLite only: PostgreSQL uses a GIN index on to_tsvector instead). An
-- external-content FTS5 table kept in step by triggers; a documented exception to the test
-- that both backends have the same tables.
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
