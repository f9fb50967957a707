-- The origin of the block's change the pull cursor stands on, as the block said it with the
-- cursor (`PullReply::cursor_origin`), said back at the next pull: a block restored from a
-- backup that has numbered other changes past the cursor since holds another change there.
-- NULL at the feed's start, and until the first pull after this migration.
ALTER TABLE sync_link ADD COLUMN pulled_origin_device TEXT;
ALTER TABLE sync_link ADD COLUMN pulled_origin_seq INTEGER;
