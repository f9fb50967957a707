-- How far this laptop's changes have reached the district (a device seq), as the block said at
-- the start of the last sync: the panel shows it beside what reached the block.
ALTER TABLE sync_link ADD COLUMN reached_district INTEGER NOT NULL DEFAULT 0;
