-- Project offers: ours (published from a project) and the network's, kept while they may be
-- seen. Published by the coop's actor.
CREATE TABLE offers (
    id INTEGER PRIMARY KEY NOT NULL,
    ap_id TEXT NOT NULL UNIQUE,
    local BOOLEAN NOT NULL,
    -- Our project (local offers only: a project never leaves the instance).
    project_id BIGINT REFERENCES projects (id),
    -- The coop that published it (ours for local offers).
    coop_actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    -- Needed skills as normalized tags, like skill listings: ' rust postgresql '.
    skills TEXT NOT NULL,
    positions INTEGER NOT NULL,
    estimated_hours INTEGER NOT NULL,
    -- Calendar days as YYYY-MM-DD: compared as text.
    period_start TEXT,
    period_end TEXT,
    -- hourly, fixed or to_be_discussed; the amount in the currency's minor units.
    compensation TEXT NOT NULL,
    amount_minor BIGINT,
    currency TEXT,
    location TEXT NOT NULL,
    remote BOOLEAN NOT NULL,
    application_deadline TEXT,
    -- network or public.
    audience TEXT NOT NULL,
    -- open, filled, withdrawn, expired.
    status TEXT NOT NULL,
    published TIMESTAMP NOT NULL,
    updated TIMESTAMP
);
CREATE INDEX offers_coop ON offers (coop_actor_id);
CREATE INDEX offers_project ON offers (project_id);

-- Applications to offers: on the offering instance (from other coops' members) and on the
-- applicant's (their own, with the answer). One per offer and applicant.
CREATE TABLE offer_applications (
    id INTEGER PRIMARY KEY NOT NULL,
    -- The id of the Offer activity that carries it (a new one after a withdrawal).
    ap_id TEXT NOT NULL UNIQUE,
    offer_id BIGINT NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    applicant_actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    -- The coop that vouches for the applicant (on the applicant's host).
    coop_actor_id BIGINT REFERENCES actors (id) ON DELETE CASCADE,
    message TEXT NOT NULL,
    hours_available INTEGER NOT NULL,
    -- pending, accepted, declined, withdrawn.
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (offer_id, applicant_actor_id)
);
CREATE INDEX offer_applications_applicant ON offer_applications (applicant_actor_id);
