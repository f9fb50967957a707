-- The audit logs of the devices (issue 20, item 4): each laptop's hash-chained log of who did
-- what, received with the sync and checked link by link on arrival (an entry that does not
-- follow from the one before is refused), so that the block knows what was done on a laptop that
-- is later lost, stolen or tampered with. Entries name records by id, never a person.
CREATE TABLE device_audit (
    device_id   TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    who         TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    hash        TEXT NOT NULL,              -- hex
    received_at TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
) STRICT;
