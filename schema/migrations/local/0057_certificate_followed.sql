-- When this laptop last pinned its block's new certificate on the district's signed word
-- (sync/protocol/src/vouch.rs): the sync panel says so for a month, so that a facilitator whose
-- block office did not tell her of the change can ask them.
ALTER TABLE sync_link ADD COLUMN certificate_followed_at TEXT;
