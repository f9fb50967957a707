-- Replacing a server's certificate on purpose (issue 19): the certificate its operator made to
-- switch to (`samanvaya-server new-certificate`), announced to every device at its session, and
-- which of it each device says it accepts; the switch (`use-new-certificate`) waits until every
-- enrolled device does, so that none is locked out. The block keeps its district's announced
-- certificate beside the pinned one, as a laptop does (local migration 0034).
ALTER TABLE identity ADD COLUMN next_certificate TEXT;
ALTER TABLE device ADD COLUMN knows_certificate TEXT;
ALTER TABLE upstream ADD COLUMN next_certificate TEXT;
