-- At a district, the villages each block forwards for (sync/server/src/block_village.rs): a
-- village is a block's once the block forwards its first household, and the operator gives it
-- to another block when it moves (`assign-village`). A block forwarding a change about another
-- block's village is refused. The villages of the households held when this came in are their
-- block's: the one that first forwarded each household.
CREATE TABLE block_village (
    village_id TEXT NOT NULL,
    block_id   TEXT NOT NULL REFERENCES device(id),
    since      TEXT NOT NULL,
    PRIMARY KEY (village_id, block_id)
) STRICT;
CREATE INDEX block_village_block ON block_village(block_id);

INSERT INTO block_village (village_id, block_id, since)
SELECT h.village_id, h.home, min(h.created_at)
FROM household h JOIN device d ON d.id = h.home AND d.kind = 'block'
GROUP BY h.village_id, h.home;
