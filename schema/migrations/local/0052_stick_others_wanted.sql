-- Another laptop's old run that the block, in its last answer brought by USB stick, asked back
-- of this laptop (`FeedFile::others_wanted`; core/src/sync_link.rs), as JSON: that laptop was
-- restored from a backup, and the block, restored from one of its own, lost changes of its run
-- that it had handed to this laptop. The next sync file gives them back. Replaced by each answer.
ALTER TABLE sync_link ADD COLUMN stick_others_wanted TEXT;
