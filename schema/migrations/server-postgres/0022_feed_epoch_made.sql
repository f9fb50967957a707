-- Every feed epoch this server made, not only the current one (`identity.feed_epoch`): a
-- device that says it read the feed under an epoch made here before the current one reads it
-- again when it sees the current one, and what it shows is the restore that one was made for;
-- a device under an epoch this store never made read a feed made after the backup this server
-- was restored from, which shows a new restore (sync/server/src/feed_epoch.rs).
CREATE TABLE feed_epoch_made (
    epoch TEXT PRIMARY KEY
);
INSERT INTO feed_epoch_made (epoch) SELECT feed_epoch FROM identity WHERE feed_epoch IS NOT NULL;
