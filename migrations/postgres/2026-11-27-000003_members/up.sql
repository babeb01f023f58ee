-- The coop's people. A member row is never deleted (status `left`), so a username is never
-- reused. Display name and bio as shown to the Fediverse live on the member's actor row.
CREATE TABLE members (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    actor_id BIGINT NOT NULL UNIQUE REFERENCES actors (id),
    username TEXT NOT NULL UNIQUE,
    email TEXT UNIQUE,
    password_hash TEXT,
    bio TEXT NOT NULL DEFAULT '',
    pronouns TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    avatar_url TEXT,
    role TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL,
    joined_at TIMESTAMP NOT NULL,
    eligible_from TIMESTAMP,
    buddy_id BIGINT REFERENCES members (id)
);

-- Single-use invitations (also used to reset a member's password: then member_id is set).
-- Only the SHA-256 of the secret is stored.
CREATE TABLE invitations (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    created_by BIGINT REFERENCES members (id),
    member_id BIGINT REFERENCES members (id),
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- Personal API tokens: shown once, stored hashed, revocable, `read` or `write` scope.
CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);

-- Working groups (AGs), city groups and competence groups inside the coop.
CREATE TABLE coop_groups (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE coop_group_members (
    group_id BIGINT NOT NULL REFERENCES coop_groups (id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    joined_at TIMESTAMP NOT NULL,
    PRIMARY KEY (group_id, member_id)
);

-- Voting members of other coops, as their coop attests them in its `members` collection.
-- Refreshed when the coop announces a change (Update of its Group actor) and when we start
-- following it. A coop can only attest actors on its own host.
CREATE TABLE remote_memberships (
    coop_actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    member_ap_id TEXT NOT NULL,
    fetched_at TIMESTAMP NOT NULL,
    PRIMARY KEY (coop_actor_id, member_ap_id)
);
