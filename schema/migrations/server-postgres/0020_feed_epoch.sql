-- The feed's epoch: a new one each time this server finds it was restored from a backup (a
-- device says it holds more of it than it holds), since it then numbers its feed again from
-- where the backup stood, below where its devices had read it. A device that sees a new epoch
-- reads the feed again from its start. `feed_epoch_run` is the run of the server (one start of
-- its process) that made the epoch: a restore happens while the server is stopped, so one
-- restore is found once per run however many devices say so. Both NULL until a restore is found.
ALTER TABLE identity ADD COLUMN feed_epoch TEXT;
ALTER TABLE identity ADD COLUMN feed_epoch_run TEXT;
-- At a block, the district's feed epoch it last read that feed under.
ALTER TABLE upstream ADD COLUMN feed_epoch TEXT;
