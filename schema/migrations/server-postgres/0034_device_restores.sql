-- The same as the SQLite store's migration 0036 (schema/migrations/server/0036_device_restores.sql),
-- which says what it is for.
ALTER TABLE device ADD COLUMN restores TEXT;
