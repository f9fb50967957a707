-- The certificate the block announced it will switch to (issue 19: replacing a server's
-- certificate on purpose): the laptop accepts it beside the one pinned at enrollment, says so at
-- each session, and pins it the first time the block presents it. NULL when none is announced.
ALTER TABLE sync_link ADD COLUMN next_certificate TEXT;
