-- Two tables of the server's SQLite store were made without STRICT (`recovery_code_read`, 0014,
-- and `audit_branch`, 0016), so a wrong type written to them by a later mistake would have been
-- kept silently. Both are made again as STRICT with the rows they hold; nothing refers to them
-- by a foreign key. `every_table_is_strict` (schema/src/lib.rs) keeps it so.
CREATE TABLE audit_branch_strict (
    id        TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    parent    TEXT,
    from_seq  INTEGER NOT NULL,
    from_hash TEXT NOT NULL,
    first_at  TEXT NOT NULL
) STRICT;
INSERT INTO audit_branch_strict (id, device_id, parent, from_seq, from_hash, first_at)
    SELECT id, device_id, parent, from_seq, from_hash, first_at FROM audit_branch;
DROP TABLE audit_branch;
ALTER TABLE audit_branch_strict RENAME TO audit_branch;
CREATE INDEX audit_branch_device ON audit_branch(device_id);

CREATE TABLE recovery_code_read_strict (
    device_id TEXT NOT NULL,
    read_at   TEXT NOT NULL,
    read_by   TEXT NOT NULL
) STRICT;
INSERT INTO recovery_code_read_strict (device_id, read_at, read_by)
    SELECT device_id, read_at, read_by FROM recovery_code_read;
DROP TABLE recovery_code_read;
ALTER TABLE recovery_code_read_strict RENAME TO recovery_code_read;
CREATE INDEX recovery_code_read_device ON recovery_code_read(device_id, read_at);
