-- The register's name search keeps each household's members' name keys in memory, in the
-- register's order, and scans that copy instead of the store (core/src/name_search.rs;
-- docs/benchmarks.md, "The name search"). This log says which households changed since a copy was
-- read: every write that could change what a search finds, or the order it lists them in, adds
-- the household it touched, from whichever connection wrote it (the window's, sync's, a CLI beside
-- the app), and a copy reads again only those. Writes that change nothing the search reads (a
-- member moved within the household, a household's address) add nothing. Only the newest touches
-- are kept: a copy older than all of them is read again whole.
CREATE TABLE register_touch (
    n            INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id TEXT NOT NULL
) STRICT;

CREATE TRIGGER register_touch_kept_short AFTER INSERT ON register_touch
WHEN NEW.n % 1000 = 0
BEGIN
    DELETE FROM register_touch WHERE n <= NEW.n - 20000;
END;

CREATE TRIGGER register_person_added AFTER INSERT ON person
BEGIN
    INSERT INTO register_touch (household_id) VALUES (NEW.household_id);
END;

CREATE TRIGGER register_person_removed AFTER DELETE ON person
BEGIN
    INSERT INTO register_touch (household_id) VALUES (OLD.household_id);
END;

CREATE TRIGGER register_person_renamed AFTER UPDATE OF name_key, household_id ON person
WHEN OLD.name_key IS NOT NEW.name_key OR OLD.household_id IS NOT NEW.household_id
BEGIN
    INSERT INTO register_touch (household_id) VALUES (OLD.household_id);
    INSERT INTO register_touch (household_id)
        SELECT NEW.household_id WHERE NEW.household_id IS NOT OLD.household_id;
END;

CREATE TRIGGER register_household_added AFTER INSERT ON household
BEGIN
    INSERT INTO register_touch (household_id) VALUES (NEW.id);
END;

CREATE TRIGGER register_household_removed AFTER DELETE ON household
BEGIN
    INSERT INTO register_touch (household_id) VALUES (OLD.id);
END;

CREATE TRIGGER register_household_moved AFTER UPDATE OF number, village_id, hamlet_id, created_at ON household
WHEN OLD.number IS NOT NEW.number OR OLD.village_id IS NOT NEW.village_id
  OR OLD.hamlet_id IS NOT NEW.hamlet_id OR OLD.created_at IS NOT NEW.created_at
BEGIN
    INSERT INTO register_touch (household_id) VALUES (NEW.id);
END;
