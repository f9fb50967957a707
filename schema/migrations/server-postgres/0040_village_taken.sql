-- At a district, the villages the operator took from a block (`unassign-village`), and when:
-- that block's changes about them are refused one by one from then on, so that the rest of
-- its work goes on. Refused whole, as a village that was never the block's is, one late change
-- about the village held back everything the block forwarded after it, for all its villages,
-- until the operator gave the village back (found by a review). Given back with
-- `assign-village`, the row goes.
CREATE TABLE village_taken (
    village_id TEXT NOT NULL,
    block_id   TEXT NOT NULL REFERENCES device(id),
    taken_at   TEXT NOT NULL,
    PRIMARY KEY (village_id, block_id)
);
