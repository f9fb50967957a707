-- The same as the SQLite store's migration 0037 (schema/migrations/server/0037_restores_refused.sql),
-- which says what it is for.
ALTER TABLE device ADD COLUMN restores_refused TEXT;
ALTER TABLE device ADD COLUMN restores_set_aside TEXT;
