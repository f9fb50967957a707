-- Where a store restored from a backup numbers its own new changes: after this number, far past
-- any the old laptop can have given after the backup (`core/src/restored.rs`). Numbered after the
-- block's word instead, the new changes took numbers that the district or another laptop held
-- for the old laptop's, and were dropped there as duplicates. The numbers between the backup's
-- last and this one are the old laptop's, read back from the block whenever they come. None for
-- a laptop never restored, and for one restored before this column, which keeps the old way.
ALTER TABLE sync_link ADD COLUMN numbered_after INTEGER;
