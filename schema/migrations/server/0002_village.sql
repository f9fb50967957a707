-- The villages a block serves, as the first laptop set up with each brought it (with the places
-- above it). A laptop that serves no village yet receives its village from enrollment; every
-- laptop of one village shares the same record, so each sees what the others record.
CREATE TABLE village (
    id          TEXT PRIMARY KEY,
    name_en     TEXT NOT NULL UNIQUE,
    name_hi     TEXT NOT NULL,
    above       TEXT NOT NULL DEFAULT '[]' -- JSON: the places above it, state first
) STRICT;
