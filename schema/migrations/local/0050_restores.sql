-- The restores of this laptop's store from its backups that it descends from, oldest first, as
-- JSON (`samanvaya_domain::restore`): each restore adds one with an id of its own and the last
-- change number the backup gave. Sessions and sync files say them, so that the block refuses a
-- copy of the laptop from before a restore (an old sync file found late on a USB stick) whose
-- numbers now mean the restored copy's work. None for a laptop never restored.
ALTER TABLE sync_link ADD COLUMN restores TEXT;
