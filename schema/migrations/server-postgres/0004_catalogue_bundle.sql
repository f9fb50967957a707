-- Catalogue bundles (issue 19), as in the SQLite store's migration 0005
-- (schema/migrations/server/0005_catalogue_bundle.sql), which says what they are for.
CREATE TABLE catalogue_bundle (
    digest      TEXT PRIMARY KEY,
    label       TEXT NOT NULL,
    made_at     TEXT NOT NULL,
    signer      TEXT NOT NULL,
    file_hex    TEXT NOT NULL,
    bytes       BIGINT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX catalogue_bundle_newest ON catalogue_bundle(made_at);

CREATE TABLE catalogue_signer (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    public_key TEXT NOT NULL
);
