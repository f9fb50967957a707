-- At a district, the blocks through which each laptop's changes come (sync/server/src/
-- block_village.rs): a laptop is a block's once the block forwards its first change, and the
-- operator's `assign-village` gives the block every laptop that made changes about the
-- village too. A block forwarding a new change of a laptop that is another block's is refused:
-- a block broken into could otherwise send changes under another block's laptop's id and
-- numbers, and the real ones would pass for duplicates. When this came in, each laptop became
-- the block's of every block that had forwarded a change of it.
CREATE TABLE origin_block (
    device_id TEXT NOT NULL,
    block_id  TEXT NOT NULL REFERENCES device(id),
    since     TEXT NOT NULL,
    PRIMARY KEY (device_id, block_id)
) STRICT;

INSERT INTO origin_block (device_id, block_id, since)
SELECT c.origin_device, c.via, min(c.received_at)
FROM change c
JOIN device d ON d.id = c.via AND d.kind = 'block'
WHERE c.origin_device <> c.via
GROUP BY c.origin_device, c.via;
