-- The laptop's link to its block server: set at enrollment, then where sync stands. The secret
-- proves the laptop to the server; the store is encrypted at rest, so it is kept here.
CREATE TABLE sync_link (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    url             TEXT NOT NULL,
    server_id       TEXT NOT NULL,
    role            TEXT NOT NULL,
    secret          TEXT NOT NULL,
    enrolled_at     TEXT NOT NULL,
    acked_through   INTEGER NOT NULL DEFAULT 0, -- this laptop's changes the block has stored
    pulled_through  INTEGER NOT NULL DEFAULT 0, -- the block's feed, applied here
    rejected        INTEGER NOT NULL DEFAULT 0, -- changes the block stored but could not apply
    conflicts       INTEGER NOT NULL DEFAULT 0, -- changes whose identity fields wait for review
    last_attempt_at TEXT,
    last_success_at TEXT,
    last_error      TEXT
) STRICT;

-- A pulled change that could not be applied here, kept with its reason rather than blocking
-- every change after it.
CREATE TABLE pulled_refused (
    server      TEXT NOT NULL,
    server_seq  INTEGER NOT NULL,
    change      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (server, server_seq)
) STRICT;
