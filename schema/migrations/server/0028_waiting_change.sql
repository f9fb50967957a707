-- A change about a household not known here yet (sync/server/src/waiting.rs). A block restored
-- from a backup may lose a household that one laptop made and another laptop has since changed:
-- the second laptop's change arrives before the first laptop sends the household again. The
-- change is stored as received, its outcome `waiting: …`, and listed here; when the household's
-- record arrives it is stored again under a new number, so that every reader of the feed gets it
-- after the household, and applied. The row stays with `applied_as` set: a reader whose place
-- in the feed was the old number still finds there the change it read last.
CREATE TABLE waiting_change (
    seq           INTEGER PRIMARY KEY,    -- its number while it waited
    household_id  TEXT NOT NULL,
    origin_device TEXT NOT NULL,
    origin_seq    INTEGER NOT NULL,
    applied_as    INTEGER                 -- its number once applied
) STRICT;
CREATE INDEX waiting_change_household ON waiting_change(household_id) WHERE applied_as IS NULL;
