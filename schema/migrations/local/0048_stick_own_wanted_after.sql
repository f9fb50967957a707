-- The number after which the block, in the last answer brought by USB stick, asked back its own
-- changes this laptop holds (`FeedFile::own_wanted_after`; core/src/sync_link.rs): the block
-- was restored from a backup, and the next sync file gives them back with their seals. Cleared
-- by an answer that asks nothing.
ALTER TABLE sync_link ADD COLUMN stick_own_wanted_after INTEGER;
