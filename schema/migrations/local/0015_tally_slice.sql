-- The engine's tally of the village, kept per slice of 1,024 households so that the referral
-- funnel's "eligible" column does not read every household's profile at every drawing. A slice is
-- the households whose profile row number, shifted right by ten bits, is `slice`; its counts hold
-- for one day (ages move) and one catalogue (its digest). The table is derived and may be emptied
-- at any time: the triggers below drop a slice whenever one of its profiles is written or
-- removed, from any connection, so a slice that is present is never stale.
CREATE TABLE tally_slice (
    slice     INTEGER PRIMARY KEY,
    as_of     TEXT NOT NULL,                    -- YYYY-MM-DD the counts were decided on
    catalogue TEXT NOT NULL,                    -- samanvaya_eligibility::catalogue_version()
    counts    TEXT NOT NULL                     -- JSON, see core/src/tally.rs
) STRICT;

CREATE TRIGGER profile_insert_drops_tally AFTER INSERT ON profile BEGIN
    DELETE FROM tally_slice WHERE slice = NEW.rowid >> 10;
END;

CREATE TRIGGER profile_update_drops_tally AFTER UPDATE ON profile BEGIN
    DELETE FROM tally_slice WHERE slice IN (OLD.rowid >> 10, NEW.rowid >> 10);
END;

CREATE TRIGGER profile_delete_drops_tally AFTER DELETE ON profile BEGIN
    DELETE FROM tally_slice WHERE slice = OLD.rowid >> 10;
END;
