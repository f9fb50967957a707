-- How many of this laptop's own changes the block acknowledged were pruned from the log
-- (`Store::prune_acked`): the sync panel counts what reached the block as the changes still
-- in the log plus these. It counted numbers before, and a laptop restored from a backup numbers
-- its new work far past the old laptop's run (0051). A store from before has pruned a dense
-- run of numbers: what it pruned is the numbers acknowledged less the changes left.
ALTER TABLE sync_link ADD COLUMN pruned INTEGER NOT NULL DEFAULT 0;
UPDATE sync_link SET pruned = max(0,
        coalesce((SELECT max(c.device_seq) FROM change_log c, centre
                  WHERE c.device_id = centre.device_id AND c.device_seq <= sync_link.acked_through), 0)
        - (SELECT count(*) FROM change_log c, centre
           WHERE c.device_id = centre.device_id AND c.device_seq <= sync_link.acked_through))
    WHERE numbered_after IS NULL;
