-- The one row that says which instance this database belongs to. Actor ids embed the domain,
-- so a database must never be served under another domain by accident.
CREATE TABLE instance (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    domain TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
