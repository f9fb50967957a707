-- The origin of the district's change the block's pull cursor stands on, as the district said
-- it with the cursor (`PullReply::cursor_origin`), said back at the next pull: a district
-- restored from a backup that has numbered other changes past the cursor since holds another
-- change there. NULL at the feed's start, and until the first pull after this migration.
ALTER TABLE upstream ADD COLUMN pulled_origin_device TEXT;
ALTER TABLE upstream ADD COLUMN pulled_origin_seq INTEGER;
-- A block restored from a backup, which holds its own changes numbered through this, asks the
-- district back for what it forwarded (its own changes made after the backup among them, which
-- the district's feed sends it otherwise never) until the feed is read to its end; NULL when
-- it needs none.
ALTER TABLE upstream ADD COLUMN own_pull_after INTEGER;
