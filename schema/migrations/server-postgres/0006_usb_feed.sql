-- The way down on a USB stick, as in the SQLite store's migration 0007
-- (schema/migrations/server/0007_usb_feed.sql), which says what it is for.
ALTER TABLE device ADD COLUMN usb_pulled_through BIGINT NOT NULL DEFAULT 0;
