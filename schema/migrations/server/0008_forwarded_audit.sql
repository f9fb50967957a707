-- The laptops' audit logs at the district (issue 20, item 4): a block forwards each of its
-- laptops' logs upward under the laptop's own device id, into `device_audit` like a log that
-- arrived first-hand, checked link by link the same way. The district records which block
-- brought a laptop's log, so that only that block may add to it: a laptop's log is claimed by
-- the first block that forwards it, and only by a block through which the laptop's changes
-- reached the district.
CREATE TABLE forwarded_audit (
    device_id  TEXT PRIMARY KEY,      -- the laptop whose log this is
    via        TEXT NOT NULL,         -- the block that forwards it
    first_at   TEXT NOT NULL
) STRICT;
CREATE INDEX forwarded_audit_via ON forwarded_audit(via);
