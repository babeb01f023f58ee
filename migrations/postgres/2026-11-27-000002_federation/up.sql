-- Actors we host (the coop Group, members, the instance Application) and remote actors we
-- learned about. Local actors hold their private key; it is never served nor logged.
CREATE TABLE actors (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    ap_id TEXT NOT NULL UNIQUE,
    actor_type TEXT NOT NULL,
    local BOOLEAN NOT NULL,
    username TEXT NOT NULL,
    domain TEXT NOT NULL,
    display_name TEXT,
    summary TEXT,
    inbox TEXT NOT NULL,
    shared_inbox TEXT,
    followers_url TEXT,
    public_key_id TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    manually_approves_followers BOOLEAN NOT NULL DEFAULT FALSE,
    published TIMESTAMP NOT NULL,
    fetched_at TIMESTAMP
);
CREATE UNIQUE INDEX actors_local_username ON actors (username) WHERE local;
CREATE INDEX actors_domain ON actors (domain);

-- Private keys of local actors (PKCS#8 PEM). Never served, never logged, never selected with
-- actor rows: only the signing code reads them.
CREATE TABLE local_keys (
    actor_id BIGINT PRIMARY KEY NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    private_key_pem TEXT NOT NULL
);

-- Who follows whom. `pending` until accepted (or while awaiting an admin's approval).
CREATE TABLE follows (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    follower_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    followed_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    activity_id TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (follower_id, followed_id)
);
CREATE INDEX follows_followed ON follows (followed_id, state);
CREATE INDEX follows_activity ON follows (activity_id);

-- Ids of activities already received: a second delivery of one has no second effect.
CREATE TABLE received_activities (
    ap_id TEXT PRIMARY KEY NOT NULL,
    actor_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);

-- Notes, ours and those of actors we follow. Content is sanitized HTML.
CREATE TABLE posts (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    ap_id TEXT NOT NULL UNIQUE,
    author_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    object_type TEXT NOT NULL,
    content TEXT NOT NULL,
    object_json TEXT NOT NULL,
    local BOOLEAN NOT NULL,
    published TIMESTAMP NOT NULL,
    updated TIMESTAMP,
    deleted_at TIMESTAMP
);
CREATE INDEX posts_author ON posts (author_id, published);

-- Every activity we send, written before any network I/O.
CREATE TABLE outgoing_activities (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    ap_id TEXT NOT NULL UNIQUE,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outgoing_activities_actor ON outgoing_activities (actor_id, id);

-- One row per (activity, target inbox). Workers claim due rows with a lease, so a worker that
-- dies mid-send only delays a delivery; state moves pending -> done | failed.
CREATE TABLE deliveries (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    activity_id BIGINT NOT NULL REFERENCES outgoing_activities (id) ON DELETE CASCADE,
    inbox TEXT NOT NULL,
    host TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    leased_by TEXT,
    last_status INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (activity_id, inbox)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_host ON deliveries (host, state);

-- Remote hosts: reachability, and the admin's federation policy for each.
CREATE TABLE hosts (
    host TEXT PRIMARY KEY NOT NULL,
    policy TEXT,
    reason TEXT,
    failing_since TIMESTAMP,
    unreachable BOOLEAN NOT NULL DEFAULT FALSE,
    last_success_at TIMESTAMP,
    last_seen_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
