-- At a district, for each block: the block's change pushed last, by the block's own number and
-- by its origin, said back at the block's sessions (`SessionReply::pushed_last`). A block whose
-- change under that number has another origin, or that has none, was restored from a backup
-- after pushing it, and reads back what it forwarded (`upstream.rs`). It replaces the origin
-- of the change acknowledged last (0039), which a block restored twice could not show: the
-- district named it only when the block's numbers passed their highest, and the block had
-- judged that word already before its second backup.
ALTER TABLE device DROP COLUMN acked_origin_device;
ALTER TABLE device DROP COLUMN acked_origin_seq;
ALTER TABLE device ADD COLUMN pushed_last_seq INTEGER;
ALTER TABLE device ADD COLUMN pushed_last_device TEXT;
ALTER TABLE device ADD COLUMN pushed_last_origin_seq INTEGER;
