-- A store restored from a backup on an enrolled laptop may be older than what its block already
-- holds of this device: the laptop went on working and syncing after the backup was made, then
-- broke. The changes made after the restore would then take numbers the block holds already,
-- and be taken there for duplicates and lost; and the work the old laptop sent after the backup
-- would never come back, since a device is not sent its own changes. The restore writes the last
-- number the backup had given into `restored_through`; the first word from the block (a session,
-- or an answer on a USB stick) says how far it holds the device, whatever was made after the
-- restore is numbered after that, and `own_pull_after` asks the block's feed for the device's own
-- changes after the backup's last one until the feed has been read to its end
-- (core/src/restored.rs). The audit log cannot be numbered again (each entry's hash covers its
-- number and the entry before): `audit_restored_through` keeps the backup's last entry, and while
-- the block holds more of the device's log than that, the restored laptop's own log, which no
-- longer follows the block's copy, stays on the laptop. All three NULL when the store was not
-- restored, or once that is settled.
ALTER TABLE sync_link ADD COLUMN restored_through INTEGER;
ALTER TABLE sync_link ADD COLUMN own_pull_after INTEGER;
ALTER TABLE sync_link ADD COLUMN audit_restored_through INTEGER;
