-- The branch of the device's audit log this laptop writes, once it has one (protocol version 8):
-- a laptop restored from a backup, whose block holds entries the old laptop wrote after that
-- backup, goes on as a branch of the log that grew from the backup's last entry. The JSON of
-- the protocol's `AuditFork` (the branch's id, the branch it grew from if any, and the last
-- entry shared, with its hash); NULL while the laptop writes the device's log itself. It stays
-- in the backups made from here, so that a second restore branches from this branch.
ALTER TABLE sync_link ADD COLUMN audit_fork TEXT;
