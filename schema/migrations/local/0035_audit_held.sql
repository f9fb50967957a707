-- How far the block holds this laptop's audit log (the seq of its last entry there), as the last
-- online session or the block's answer on a USB stick said: a sync file carries the entries
-- after it, so the log reaches the block from a village with no network too.
ALTER TABLE sync_link ADD COLUMN audit_held INTEGER NOT NULL DEFAULT 0;
