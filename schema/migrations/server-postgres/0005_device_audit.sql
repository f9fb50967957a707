-- The audit logs of the devices (issue 20), as in the SQLite store's migration 0006
-- (schema/migrations/server/0006_device_audit.sql), which says what they are for.
CREATE TABLE device_audit (
    device_id   TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    at          TEXT NOT NULL,
    who         TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    hash        TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
);
