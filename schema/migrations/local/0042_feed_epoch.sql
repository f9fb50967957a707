-- The block's feed epoch this laptop last read its feed under (`PullReply::feed_epoch`): a
-- block restored from a backup numbers its feed again from where the backup stood, and says so
-- with a new epoch; the laptop then reads the feed again from its start, a change applied
-- before being skipped. NULL until the block names one.
ALTER TABLE sync_link ADD COLUMN feed_epoch TEXT;
