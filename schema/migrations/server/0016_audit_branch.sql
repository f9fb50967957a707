-- The branches of the devices' audit logs (protocol version 8). A laptop restored from a backup
-- goes on from the backup's last audit entry, while its block may already hold entries the old
-- laptop wrote after that backup; the restored laptop's entries then travel as a branch of the
-- log, kept in `device_audit` under the branch's own id. This row says whose branch it is, which
-- log it grew from (another branch of the same device, or the device's own log when NULL), and
-- the last entry it shares with that log: its number and hash, which the server checked against
-- the log it grew from before keeping the branch's first entry.
CREATE TABLE audit_branch (
    id        TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    parent    TEXT,
    from_seq  INTEGER NOT NULL,
    from_hash TEXT NOT NULL,
    first_at  TEXT NOT NULL
);
CREATE INDEX audit_branch_device ON audit_branch(device_id);
