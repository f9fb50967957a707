-- The latest departure (a death, a move, or a return) written of each member record itself, with
-- its clock reading, apart from what the record shows. A record kept by a merge shows another
-- record's departure that the merge's maker had not seen; when a later merge of that record
-- says its maker did see it, the record kept goes back to the latest of its own and of the
-- other records' not seen (`core/src/own_departure.rs`), and only this table still holds its
-- own.
CREATE TABLE own_departure (
    id   TEXT PRIMARY KEY,   -- the member record the departure was written of
    left TEXT NOT NULL,      -- JSON of the departure, `null` for a return to the household
    hlc  TEXT NOT NULL       -- JSON of the write's clock reading
) STRICT;

-- Every record each merge named as the one kept (`MemberRemoved::merged_into`), as the merge
-- named it: `merged_person` points each record at the one left now, and a later merge of a
-- record in between (seen or not) reaches the records made one with it through these.
CREATE TABLE merge_named (
    id       TEXT NOT NULL,  -- the record removed
    named_id TEXT NOT NULL,  -- the record the merge named as kept
    PRIMARY KEY (id, named_id)
) STRICT, WITHOUT ROWID;

-- A store from before fills the table from what it holds, through three lists made once here
-- and indexed; read again for every member instead, a store of 10,000 members, 50,000 member
-- changes and 1,000 departures took 26.7 s against 0.094 s (`schema/src/migrate.rs`,
-- `migration_0054_fills_a_large_store`, in release, one after the other on one machine).
-- Temporary tables stay in memory in the store's SQLCipher build (`SQLITE_TEMP_STORE=2`). A row
-- of the log damaged past reading is passed over, never a reason to refuse to open the store.
-- Every departure the log holds, by record and reading.
CREATE TEMP TABLE log_departure AS
SELECT json_extract(l.change, '$.body.id') AS id,
       f.value -> '$.value' AS left,
       l.hlc AS hlc,
       json_extract(l.hlc, '$.wall_ms') AS wall,
       json_extract(l.hlc, '$.counter') AS counter,
       json_extract(l.hlc, '$.node') AS node
FROM change_log l, json_each(l.change, '$.body.fields') f
WHERE l.kind = 'member' AND json_valid(l.change) AND json_valid(l.hlc)
  AND json_extract(f.value, '$.field') = 'left';
CREATE INDEX temp.log_departure_hlc ON log_departure (hlc);
-- Every record's departure reading, with the reading as serde writes an `Hlc`.
CREATE TEMP TABLE left_reading AS
SELECT f.record AS record, f.wall AS wall, f.counter AS counter, f.node AS node,
       json_object('wall_ms', f.wall, 'counter', f.counter, 'node',
                   lower(substr(hex(n.node), 1, 8) || '-' || substr(hex(n.node), 9, 4) || '-' ||
                         substr(hex(n.node), 13, 4) || '-' || substr(hex(n.node), 17, 4) || '-' ||
                         substr(hex(n.node), 21))) AS hlc
FROM field_clock f
JOIN clock_field c ON c.id = f.field AND c.name = 'left'
JOIN clock_node n ON n.id = f.node;
CREATE INDEX temp.left_reading_at ON left_reading (wall, counter, node);
-- Every member, under the key the readings name her by, with what she shows.
CREATE TEMP TABLE member_shown AS
SELECT unhex(replace(id, '-', '')) AS record, id,
       CASE WHEN left_reason IS NULL THEN 'null'
            ELSE json_object('reason', left_reason, 'on', left_on) END AS left
FROM person;
CREATE INDEX temp.member_shown_record ON member_shown (record);

-- The latest departure the log holds of each record ...
INSERT OR IGNORE INTO own_departure (id, left, hlc)
SELECT id, left, hlc FROM (
    SELECT id, left, hlc,
           row_number() OVER (PARTITION BY id ORDER BY wall DESC, counter DESC, node DESC) AS latest
    FROM log_departure
)
WHERE latest = 1 AND id IS NOT NULL;

-- ... then, of a member whose departure's write was pruned from the log, what she shows, unless
-- it is another record's write that a merge gave her: one the log names of another record, or
-- one another record (removed since) holds the reading of ...
INSERT OR IGNORE INTO own_departure (id, left, hlc)
SELECT id, left, hlc FROM (
    SELECT m.id AS id, m.left AS left, r.record AS record, r.wall AS wall, r.counter AS counter,
           r.node AS node, r.hlc AS hlc
    FROM member_shown m
    JOIN left_reading r ON r.record = m.record
) shown
WHERE NOT EXISTS (SELECT 1 FROM own_departure o WHERE o.id = shown.id)
  AND NOT EXISTS (SELECT 1 FROM log_departure w WHERE w.hlc = shown.hlc AND w.id <> shown.id)
  AND NOT EXISTS (SELECT 1 FROM left_reading g
                  WHERE g.wall = shown.wall AND g.counter = shown.counter AND g.node = shown.node
                    AND g.record <> shown.record);

-- ... and such a record removed since, whose write a member shows, takes it as its own.
INSERT OR IGNORE INTO own_departure (id, left, hlc)
SELECT id, left, hlc FROM (
    SELECT CASE typeof(g.record) WHEN 'blob'
                THEN lower(substr(hex(g.record), 1, 8) || '-' || substr(hex(g.record), 9, 4) || '-' ||
                           substr(hex(g.record), 13, 4) || '-' || substr(hex(g.record), 17, 4) || '-' ||
                           substr(hex(g.record), 21))
                ELSE g.record END AS id,
           m.left AS left, g.hlc AS hlc
    FROM left_reading g
    JOIN left_reading f ON f.wall = g.wall AND f.counter = g.counter AND f.node = g.node
                       AND f.record <> g.record
    JOIN member_shown m ON m.record = f.record
    WHERE NOT EXISTS (SELECT 1 FROM member_shown q WHERE q.record = g.record)
) taken
WHERE NOT EXISTS (SELECT 1 FROM own_departure o WHERE o.id = taken.id);

DROP TABLE temp.log_departure;
DROP TABLE temp.left_reading;
DROP TABLE temp.member_shown;

INSERT OR IGNORE INTO merge_named (id, named_id)
SELECT json_extract(change, '$.body.id'), json_extract(change, '$.body.merged_into')
FROM change_log
WHERE kind = 'member_removed' AND json_valid(change) AND json_extract(change, '$.body.merged_into') IS NOT NULL;
INSERT OR IGNORE INTO merge_named (id, named_id) SELECT id, kept_id FROM merged_person;
