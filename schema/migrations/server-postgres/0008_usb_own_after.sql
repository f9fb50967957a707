-- A restored laptop's own changes on the way down by USB stick, as in the SQLite store's
-- migration 0009 (schema/migrations/server/0009_usb_own_after.sql), which says what it is for.
ALTER TABLE device ADD COLUMN usb_own_after BIGINT;
