-- The branches of the devices' audit logs, as in the SQLite store's migration 0016
-- (schema/migrations/server/0016_audit_branch.sql), which says what they are for.
CREATE TABLE audit_branch (
    id        TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    parent    TEXT,
    from_seq  BIGINT NOT NULL,
    from_hash TEXT NOT NULL,
    first_at  TEXT NOT NULL
);
CREATE INDEX audit_branch_device ON audit_branch(device_id);
