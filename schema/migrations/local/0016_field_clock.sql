-- The clock reading of the latest write of each mutable field on this laptop, made here or
-- pulled, so that a pulled write older than what the laptop holds is not applied: the field
-- keeps the later write, as on every server (sync/server/src/state.rs), and all copies end
-- equal whatever order the changes arrive in. A record is a household or member id, or a fact's
-- or benefit's subject; the field is the change's field name ("address", "name"), "fact:NAME" or
-- "receiving:SCHEME". The reading is kept as text that sorts like the clock itself (see
-- core/src/field_clock.rs). The change log holds the same readings, but it is pruned, and
-- reading it per pulled change would be slow; `Store::open` fills this table from the change log
-- once, for stores from before this migration.
CREATE TABLE field_clock (
    record TEXT NOT NULL,
    field  TEXT NOT NULL,
    hlc    TEXT NOT NULL,
    PRIMARY KEY (record, field)
) STRICT, WITHOUT ROWID;

-- A store made after this migration notes every write from its first, so its centre row starts
-- filled; a store from before is marked to be filled from its log.
ALTER TABLE centre ADD COLUMN field_clocks_filled INTEGER NOT NULL DEFAULT 1 CHECK (field_clocks_filled IN (0, 1));
UPDATE centre SET field_clocks_filled = 0;
