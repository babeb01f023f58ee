-- Projects of the coop, with their budgets. Internal: nothing here is federated (an offer
-- published from a project points at it by id).
CREATE TABLE projects (
    id INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    client TEXT,
    status TEXT NOT NULL,
    -- Calendar days as YYYY-MM-DD: compared as text.
    start_date TEXT,
    end_date TEXT,
    lead_id BIGINT NOT NULL REFERENCES members (id),
    -- ISO 4217 code; every amount of the project is in it.
    currency TEXT NOT NULL,
    -- Money in the currency's minor units (cents), never floats.
    budget_minor BIGINT NOT NULL CHECK (budget_minor >= 0),
    hourly_rate_minor BIGINT NOT NULL CHECK (hourly_rate_minor >= 0),
    -- Hours in hundredths of an hour.
    planned_hundredths BIGINT NOT NULL CHECK (planned_hundredths >= 0),
    -- Needed skills as normalized tags, like skill listings: ' rust postgresql '.
    needed_skills TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE project_members (
    project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members (id),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (project_id, member_id)
);
CREATE INDEX project_members_member ON project_members (member_id);

-- The ledger: append-only. A correction is a new row whose `reverses` names the row it
-- cancels (at most once: UNIQUE); triggers refuse UPDATE and DELETE.
CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY NOT NULL,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    -- income, expense or time.
    kind TEXT NOT NULL,
    -- Minor units for money, hundredths of an hour for time; a reversal repeats the amount
    -- of what it reverses and counts negatively.
    amount BIGINT NOT NULL CHECK (amount > 0),
    entry_date TEXT NOT NULL,
    category TEXT NOT NULL,
    description TEXT NOT NULL,
    -- Who worked (time entries): an actor, so that a guest from another coop can be credited.
    actor_id BIGINT REFERENCES actors (id),
    entered_by BIGINT NOT NULL REFERENCES members (id),
    reverses BIGINT UNIQUE REFERENCES ledger_entries (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ledger_entries_project ON ledger_entries (project_id, id);

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries BEGIN
    SELECT RAISE(ABORT, 'ledger_entries is append-only: add a reversal instead');
END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries BEGIN
    SELECT RAISE(ABORT, 'ledger_entries is append-only: add a reversal instead');
END;
