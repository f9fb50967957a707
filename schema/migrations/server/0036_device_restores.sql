-- The restores of a laptop's store from its backups that its live copy descends from, as JSON
-- (`samanvaya_domain::restore`), none for a laptop never restored. A session or a sync file
-- from a copy of the laptop from before them (the old laptop, or its sync file found late on a
-- USB stick) is refused whole (`sync/server/src/device_restore.rs`): its numbers now mean the
-- restored copy's work, and taken, one side's changes passed for the other's.
ALTER TABLE device ADD COLUMN restores TEXT;
