-- The typed change log replaces the outbox. Every change this store applies is recorded with
-- its origin: made on this laptop ('local', the ones that travel), or pulled from a server with
-- that server's sequence number ('pulled', applied but never queued again). A change keeps its
-- identity (device_id, device_seq) forever, wherever it travels.
-- The outbox's rows were never sent (sync did not exist yet) and were snapshots of a shape that
-- no longer travels; a laptop with real households queues them again as typed changes when it
-- first opens (core/src/change_log.rs, `requeue_after_upgrade`).

CREATE TABLE change_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT, -- the order this store applied changes in
    origin      TEXT NOT NULL CHECK (origin IN ('local', 'pulled')),
    device_id   TEXT NOT NULL,                     -- the device that made the change
    device_seq  INTEGER NOT NULL,                  -- that device's number for it, from 1, no gaps
    server      TEXT,                              -- a pulled change: the server it came from
    server_seq  INTEGER,                           -- and that server's sequence number for it
    kind        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    hlc         TEXT NOT NULL,                     -- JSON of the hybrid logical clock reading
    household_id TEXT NOT NULL,
    change      TEXT NOT NULL,                     -- the whole change as JSON, as it travels
    recorded_at TEXT NOT NULL,
    UNIQUE (device_id, device_seq),
    CHECK ((origin = 'pulled') = (server IS NOT NULL AND server_seq IS NOT NULL))
) STRICT;
CREATE UNIQUE INDEX change_log_pulled ON change_log(server, server_seq) WHERE origin = 'pulled';
CREATE INDEX change_log_household ON change_log(household_id);

DROP TABLE outbox;

-- A demo store is marked at creation; its changes are never recorded for travel, and enrolling
-- it with a real block server is refused. The clock is the last hybrid logical clock reading.
ALTER TABLE centre ADD COLUMN demo INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1));
ALTER TABLE centre ADD COLUMN clock TEXT;
-- A store filled with the demo village before this migration took its numbers from a demo lease.
UPDATE centre SET demo = 1 WHERE EXISTS (SELECT 1 FROM number_lease WHERE granted_by = 'demo');
-- Set when the store must queue its existing households again (see the comment at the top).
ALTER TABLE centre ADD COLUMN requeue INTEGER NOT NULL DEFAULT 0;
UPDATE centre SET requeue = 1 WHERE demo = 0;
