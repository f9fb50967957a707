-- The way down on a USB stick (issue 19, item 8): how far each laptop had pulled when it last
-- wrote a sync file, as the file says; the block's answer on the stick (a feed file,
-- `samanvaya-server export-feed`) then carries what the laptop has not seen yet, not the whole
-- village again.
ALTER TABLE device ADD COLUMN usb_pulled_through INTEGER NOT NULL DEFAULT 0;
