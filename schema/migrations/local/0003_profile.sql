-- A compact copy of each household's current facts, for reading a whole district at once.
-- The `fact` table stays the record (one row per fact, with its source and time); `profile` is
-- derived from it and from the person record, rewritten in the same transaction as every change,
-- and holds in a few hundred bytes what takes dozens of rows there.

-- Words the profiles refer to by number: fact names, enum values, scheme codes.
CREATE TABLE term (
    code INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE profile (
    household_id TEXT PRIMARY KEY REFERENCES household(id) ON DELETE CASCADE,
    members      INTEGER NOT NULL,
    doc          BLOB NOT NULL                  -- see core/src/profile.rs for the encoding
) STRICT;
