-- The certificates this server announced and then withdrew, as in the SQLite store's migration
-- 0012 (schema/migrations/server/0012_withdrawn_certificates.sql), which says what it is for.
ALTER TABLE identity ADD COLUMN withdrawn_certificates TEXT NOT NULL DEFAULT '';
