-- Proposals (ours and the network's), their votes and their comments.
CREATE TABLE proposals (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    ap_id TEXT NOT NULL UNIQUE,
    -- The coop that hosts it (ours, or the remote coop that sent it).
    coop_actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    -- The local member who opened it (NULL for remote proposals).
    author_actor_id BIGINT REFERENCES actors (id) ON DELETE SET NULL,
    local BOOLEAN NOT NULL,
    title TEXT NOT NULL,
    -- Sanitized HTML.
    body_html TEXT NOT NULL,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    counting TEXT NOT NULL,
    results TEXT NOT NULL,
    -- The option names, one a line, in order (votes match names exactly).
    options TEXT NOT NULL,
    quorum_percent INTEGER,
    quorum_coops INTEGER,
    -- Whether outside votes (Mastodon users) are taken into the advisory tally.
    open_poll BOOLEAN NOT NULL,
    opens_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP NOT NULL,
    closed BOOLEAN NOT NULL,
    -- The outcome in words (domain::proposal::Outcome::describe), once closed.
    outcome TEXT,
    -- A remote proposal's tally as its host last published it (JSON); ours is counted.
    remote_tally TEXT,
    -- Votes changed since the last tally Update went out (debounced by the proposal worker).
    update_due BOOLEAN NOT NULL,
    last_update_at TIMESTAMP,
    -- A budget change carried by a coop proposal, appended to the project's ledger if it passes.
    budget_project_id BIGINT REFERENCES projects (id) ON DELETE SET NULL,
    budget_kind TEXT,
    budget_amount BIGINT,
    budget_category TEXT,
    budget_reason TEXT,
    budget_entry_id BIGINT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX proposals_open ON proposals (closed, closes_at);

CREATE TABLE proposal_votes (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    proposal_id BIGINT NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    voter_ap_id TEXT NOT NULL,
    -- The coop the voter votes for, once known.
    voter_coop TEXT,
    option_index INTEGER NOT NULL,
    -- counted / advisory / pending / not_counted (domain::proposal::Standing).
    standing TEXT NOT NULL,
    -- Why a vote does not count.
    reason TEXT,
    -- The vote Note's id, when it came (or went) over the network.
    ap_id TEXT,
    cast_at TIMESTAMP NOT NULL,
    -- One current vote per voter and option; single choice keeps one row per voter.
    UNIQUE (proposal_id, voter_ap_id, option_index)
);
CREATE INDEX proposal_votes_pending ON proposal_votes (standing);

CREATE TABLE proposal_comments (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    proposal_id BIGINT NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    ap_id TEXT NOT NULL UNIQUE,
    author_ap_id TEXT NOT NULL,
    -- Sanitized HTML.
    content TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX proposal_comments_proposal ON proposal_comments (proposal_id, id);
