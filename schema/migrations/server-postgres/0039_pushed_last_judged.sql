-- At a block: the district's word on the change pushed last that it judged last (`upstream.rs`),
-- named for what it holds since 0038.
ALTER TABLE upstream RENAME COLUMN acked_origin_judged TO pushed_last_judged;
