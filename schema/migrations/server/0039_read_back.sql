-- At a district, for each block: the origin of the block's change it acknowledged last (the one
-- numbered `acked_through` in the block's own order), said back at the block's sessions. A block
-- whose change under that number has another origin, or that has none, was restored from a
-- backup after forwarding it, and reads back what it forwarded (`upstream.rs`).
ALTER TABLE device ADD COLUMN acked_origin_device TEXT;
ALTER TABLE device ADD COLUMN acked_origin_seq INTEGER;
-- At a block: the district's word it last judged so, which it does not judge again.
ALTER TABLE upstream ADD COLUMN acked_origin_judged TEXT;
-- At a block, for a laptop restored from a backup: the end of the old laptop's run, as the
-- laptop says it (`SessionRequest::run_end`). The block asks the other laptops of the village
-- back the changes of that run it lacks (`SessionReply::others_wanted`).
ALTER TABLE device ADD COLUMN run_end INTEGER;
