-- A laptop restored from an older backup and synced only by USB stick (issue 19): its sync file
-- says after which of its own numbers it lost what the old laptop had sent (`own_after`), and
-- the block's next answer on the stick (`samanvaya-server export-feed`) carries those changes
-- back to it, as an online pull does. NULL once no restore is waiting for them.
ALTER TABLE device ADD COLUMN usb_own_after INTEGER;
