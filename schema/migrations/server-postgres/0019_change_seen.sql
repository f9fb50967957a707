-- For a member change that writes an identity field (name, relation, sex, birth date) over
-- another device's write its maker had seen: that write's reading, by field, as JSON. The block
-- sends it with the change to its district (`Change::seen_at_sender`), which then does not put
-- the change up for review against that same write: two laptops' edits made one after the other
-- and forwarded in one push looked made unseen of each other there. NULL for every other change.
ALTER TABLE change ADD COLUMN seen TEXT;
