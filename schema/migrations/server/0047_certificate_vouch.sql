-- The certificates this server has presented (its `tls` folder made anew after a theft gives a
-- new one), each with the number of the last start that presented it, counted up from 1 (not
-- the time: a server's clock set back would put its new certificate before the old): a block
-- reports them to its district, whose operator vouches for the new one
-- (sync/server/src/vouch.rs).
CREATE TABLE own_certificate (
    fingerprint TEXT PRIMARY KEY,
    presented   INTEGER NOT NULL
) STRICT;

-- At a district: the certificates a block reported presenting, oldest first, the one it
-- presents now last, separated by spaces; NULL until a block of this version reports them.
ALTER TABLE device ADD COLUMN certificates TEXT;

-- The district's signed statements about a block's certificates: at a district those it made,
-- at a block those its district sent about it, which it serves to its laptops.
CREATE TABLE certificate_vouch (
    block_id  TEXT NOT NULL,
    made_at   TEXT NOT NULL,
    statement TEXT NOT NULL,
    PRIMARY KEY (block_id, made_at)
) STRICT;
