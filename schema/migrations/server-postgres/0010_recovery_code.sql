-- A laptop's second recovery code, as in the SQLite store's migration 0011
-- (schema/migrations/server/0011_recovery_code.sql), which says what it is for.
ALTER TABLE device ADD COLUMN recovery_code TEXT;
