-- The field clocks in a compact form. Each reading was 68 characters of text and each row named
-- its record (36 characters) and its field ("fact:pregnant") in full: 3.0 KB of the store per
-- person on a block-sized store, a third of it (docs/benchmarks.md, "The store per person").
-- Now a reading is its wall time and counter as integers and its device as a number kept here,
-- a record is its id's 16 bytes (any other record keeps its text), and a field is a number.
-- Readings compare as before: wall time, then counter, then the device's id (its bytes sort as
-- its hyphenated text did), which core/src/field_clock.rs does through `clock_node`.
CREATE TABLE clock_node (
    id   INTEGER PRIMARY KEY,
    node BLOB NOT NULL UNIQUE
) STRICT;

CREATE TABLE clock_field (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE field_clock_compact (
    record  ANY NOT NULL,
    field   INTEGER NOT NULL REFERENCES clock_field (id),
    wall    INTEGER NOT NULL,
    counter INTEGER NOT NULL,
    node    INTEGER NOT NULL REFERENCES clock_node (id),
    PRIMARY KEY (record, field)
) STRICT, WITHOUT ROWID;

-- The text reading was the wall time in 20 digits, a hyphen, the counter in 10 digits, a hyphen
-- and the device's hyphenated id.
INSERT INTO clock_node (node)
SELECT DISTINCT unhex(replace(substr(hlc, 33), '-', '')) FROM field_clock;

INSERT INTO clock_field (name) SELECT DISTINCT field FROM field_clock;

-- A record becomes 16 bytes exactly when it is a hyphenated lower-case id, the form the app
-- writes, as core/src/field_clock.rs decides for new rows.
INSERT INTO field_clock_compact (record, field, wall, counter, node)
SELECT
    CASE
        WHEN length(f.record) = 36
            AND substr(f.record, 9, 1) = '-' AND substr(f.record, 14, 1) = '-'
            AND substr(f.record, 19, 1) = '-' AND substr(f.record, 24, 1) = '-'
            AND length(replace(f.record, '-', '')) = 32
            AND f.record = lower(f.record)
            AND unhex(replace(f.record, '-', '')) IS NOT NULL
        THEN unhex(replace(f.record, '-', ''))
        ELSE f.record
    END,
    c.id,
    CAST(substr(f.hlc, 1, 20) AS INTEGER),
    CAST(substr(f.hlc, 22, 10) AS INTEGER),
    n.id
FROM field_clock f
JOIN clock_field c ON c.name = f.field
JOIN clock_node n ON n.node = unhex(replace(substr(f.hlc, 33), '-', ''));

DROP TABLE field_clock;
ALTER TABLE field_clock_compact RENAME TO field_clock;
