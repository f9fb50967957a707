-- A member's place in her household as every store holds it: the last value of the member's
-- `position` field, which the servers keep as a field with a clock. Two laptops that each add a
-- member offline both send position 2, say; every store then orders the household by this value
-- and, between equal values, by the member's id, so that the village's laptops and the servers
-- show the same order. `position` stays the laptop's own numbering (0 for the first member, one
-- after the other), which every read orders by; it always follows this order.
ALTER TABLE person ADD COLUMN shared_position INTEGER;
UPDATE person SET shared_position = position;
