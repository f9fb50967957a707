-- When the block acknowledged each of this laptop's own changes (`Store::sync_acked`): the log
-- is pruned a month after that, as docs/sync.md says, where it was pruned a month after the
-- change was made. A laptop that had been away from its block for five weeks lost what it
-- sent at last within the hour, and a block restored that night from its backup could not be
-- given it again (found by a review). A change acknowledged before this migration is taken as
-- acknowledged now, so that it too is kept a month more.
ALTER TABLE change_log ADD COLUMN acked_at TEXT;
UPDATE change_log SET acked_at = strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')
    WHERE origin = 'local' AND device_seq <= (SELECT acked_through FROM sync_link WHERE id = 1);
