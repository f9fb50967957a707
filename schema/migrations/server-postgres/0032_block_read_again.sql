-- A village is the block's of every block that had forwarded a change about one of its
-- households before block_village came in (a reinstalled block office, or a village moved,
-- forwarded it beside the block that first brought it), not only of the block that first
-- brought a household of it: the first filling left those blocks refused (a review found it).
INSERT INTO block_village (village_id, block_id, since)
SELECT h.village_id, c.via, min(c.received_at)
FROM change c
JOIN household h ON h.id = c.household_id
JOIN device d ON d.id = c.via AND d.kind = 'block'
WHERE c.outcome NOT LIKE 'rejected%'
GROUP BY h.village_id, c.via
ON CONFLICT (village_id, block_id) DO NOTHING;

-- At a district, the last word to a block to read the feed again from the start (given with a
-- village, whose households are behind its cursor); at a block, the last such word it read
-- under (sync/server/src/upstream.rs, `read_again`).
ALTER TABLE device ADD COLUMN read_again TEXT;
ALTER TABLE upstream ADD COLUMN read_again TEXT;
