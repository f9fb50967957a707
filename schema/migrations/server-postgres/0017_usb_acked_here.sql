-- How far a laptop synced by USB stick knows its changes are held, as in the SQLite store's
-- migration 0018 (schema/migrations/server/0018_usb_acked_here.sql), which says what it is for.
ALTER TABLE device ADD COLUMN usb_acked_here BIGINT;
