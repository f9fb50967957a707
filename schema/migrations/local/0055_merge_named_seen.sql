-- What each merge said its maker saw of the departure of the record it removed
-- (`MemberRemoved::departure_seen`), kept with the record it named. Two merges that cross (each
-- made one record into the other) leave both records pointing nowhere, and `merged_person` holds
-- no reading for them; a later merge of either takes them to the record it keeps
-- (`core/src/merged_person.rs`, `note`), and a departure of theirs the crossing merge's maker saw
-- must not reach that record, as at every server, which keeps the reading on the removed row.
ALTER TABLE merge_named ADD COLUMN departure_seen TEXT;

-- Filled from the log once, through a list made here and indexed (a store of 50,000 member
-- changes would otherwise read its log again for every merge). A row of the log damaged past
-- reading is passed over. The latest reading of a record's merges naming one record is kept.
CREATE TEMP TABLE merge_seen AS
SELECT json_extract(change, '$.body.id') AS id,
       json_extract(change, '$.body.merged_into') AS named_id,
       json_extract(change, '$.body.departure_seen') AS seen,
       json_extract(change, '$.body.departure_seen.wall_ms') AS wall_ms,
       json_extract(change, '$.body.departure_seen.counter') AS counter
FROM change_log
WHERE kind = 'member_removed' AND json_valid(change)
  AND json_extract(change, '$.body.merged_into') IS NOT NULL
  AND json_type(change, '$.body.departure_seen') = 'object';
CREATE INDEX temp.merge_seen_named ON merge_seen (id, named_id);

UPDATE merge_named SET departure_seen = (
    SELECT s.seen FROM merge_seen s
    WHERE s.id = merge_named.id AND s.named_id = merge_named.named_id
    ORDER BY s.wall_ms DESC, s.counter DESC LIMIT 1
);

DROP TABLE temp.merge_seen;
