-- The seal of each change the district made itself (an officer's step, a review decided
-- there), as its feed gave it to this block. A district restored from a backup lost the
-- changes it made after the backup; its blocks that read them are the only place they are
-- left, and the district takes back only what its own seal shows it made (`given_back.rs`).
-- The changes themselves are rows of `change`; only the seal is kept here, so that the change
-- table every push writes stays as narrow as it was.
CREATE TABLE upstream_seal (
    origin_device TEXT NOT NULL,
    origin_seq    BIGINT NOT NULL,
    seal          TEXT NOT NULL,
    PRIMARY KEY (origin_device, origin_seq)
);
