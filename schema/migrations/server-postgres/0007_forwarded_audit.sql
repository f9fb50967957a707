-- The laptops' audit logs at the district, as in the SQLite store's migration 0008
-- (schema/migrations/server/0008_forwarded_audit.sql), which says what it is for.
CREATE TABLE forwarded_audit (
    device_id  TEXT PRIMARY KEY,
    via        TEXT NOT NULL,
    first_at   TEXT NOT NULL
);
CREATE INDEX forwarded_audit_via ON forwarded_audit(via);
