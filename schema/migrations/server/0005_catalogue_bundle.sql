-- Catalogue bundles (issue 19): the scheme rules a district publishes, signed with its key, and
-- kept at every level as the signed file (hex: the server's columns are text and numbers), so
-- that a block serves its laptops exactly the bytes the district signed. The newest by
-- `made_at` is the one offered in a session. `catalogue_signer` is the district key this server
-- trusts: its own at a district, the first key its district offered at a block.
CREATE TABLE catalogue_bundle (
    digest      TEXT PRIMARY KEY,
    label       TEXT NOT NULL,
    made_at     TEXT NOT NULL,
    signer      TEXT NOT NULL,
    file_hex    TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    received_at TEXT NOT NULL
) STRICT;
CREATE INDEX catalogue_bundle_newest ON catalogue_bundle(made_at);

CREATE TABLE catalogue_signer (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    public_key TEXT NOT NULL
) STRICT;
