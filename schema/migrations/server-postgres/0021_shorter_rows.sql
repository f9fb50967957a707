-- No table changes here: this migration marks the stores whose rows may be written in shorter
-- forms (sync/server/src/stored_change.rs and field_clocks.rs). From here a change row's
-- `change` column keeps the change's body alone (its kind, version and reading are in their own
-- columns), a clock reading is kept as [wall_ms, counter, "device"], and a household's or
-- member's `clocks` as one group per write. Rows written before keep their longer forms and are
-- read as they were written. A server built before this cannot read the shorter forms, so it
-- must refuse such a store as newer than itself instead of misreading it: this version number
-- is what it refuses on.
SELECT 1;
