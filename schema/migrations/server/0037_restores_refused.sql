-- The restores of the copy of a laptop refused last as one from before its live copy's restores
-- (sync/server/src/device_restore.rs), kept so that the block's operator can take it for the
-- laptop with `samanvaya-server keep-copy --device ID`: two copies restored from one backup are
-- ordered by the laptops' clocks at the restores, and a laptop whose clock had gone back made
-- the copy restored later, perhaps the only one left, look like the earlier.
ALTER TABLE device ADD COLUMN restores_refused TEXT;
-- The restores of the copy the operator's `keep-copy` put aside (the live one until then): it,
-- and any copy restored from its backups, is refused from then on, whatever its clock says.
ALTER TABLE device ADD COLUMN restores_set_aside TEXT;
