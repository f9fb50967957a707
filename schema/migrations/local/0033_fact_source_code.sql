-- A fact's source kept as a number rather than its word: 0 screening, 1 survey, 2 document, 3 demo.
-- SQLite stores the numbers 0 and 1 in the row's header alone, so a fact from a survey or a
-- screening takes no byte for its source where "survey" took seven; with 13.7 facts a person on
-- a block-sized store that was 85 bytes of the 2,019 a person took (docs/benchmarks.md, "The
-- store per person"). The view `fact` gives the word back.
DROP VIEW fact;
DROP TRIGGER fact_of_deleted_household;
DROP TRIGGER fact_of_deleted_person;

CREATE TABLE fact_coded (
    subject     ANY NOT NULL,                  -- the person's or the household's id, 16 bytes
    name        INTEGER NOT NULL REFERENCES fact_name (id),
    value       TEXT NOT NULL,                 -- the value as JSON: "bpl", 42, true, ["a","b"]
    source      INTEGER NOT NULL CHECK (source BETWEEN 0 AND 3),
    recorded_at INTEGER NOT NULL,              -- milliseconds since 1970-01-01 UTC
    wall        INTEGER,                       -- the clock reading of its latest write (0031)
    counter     INTEGER,
    node        INTEGER REFERENCES clock_node (id),
    PRIMARY KEY (subject, name)
) STRICT, WITHOUT ROWID;

INSERT INTO fact_coded (subject, name, value, source, recorded_at, wall, counter, node)
SELECT subject, name, value,
       CASE source WHEN 'screening' THEN 0 WHEN 'survey' THEN 1 WHEN 'document' THEN 2 ELSE 3 END,
       recorded_at, wall, counter, node
FROM fact_row;

DROP TABLE fact_row;
ALTER TABLE fact_coded RENAME TO fact_row;

CREATE VIEW fact (subject_id, name, value, source, recorded_at) AS
SELECT
    CASE typeof(f.subject)
        WHEN 'blob' THEN lower(substr(hex(f.subject), 1, 8) || '-' || substr(hex(f.subject), 9, 4) || '-'
            || substr(hex(f.subject), 13, 4) || '-' || substr(hex(f.subject), 17, 4) || '-'
            || substr(hex(f.subject), 21, 12))
        ELSE f.subject
    END,
    n.name, f.value,
    CASE f.source WHEN 0 THEN 'screening' WHEN 1 THEN 'survey' WHEN 2 THEN 'document' ELSE 'demo' END,
    f.recorded_at
FROM fact_row f JOIN fact_name n ON n.id = f.name;

CREATE TRIGGER fact_of_deleted_household AFTER DELETE ON household
BEGIN
    DELETE FROM fact_row WHERE subject IN (unhex(replace(old.id, '-', '')), old.id);
END;

CREATE TRIGGER fact_of_deleted_person AFTER DELETE ON person
BEGIN
    DELETE FROM fact_row WHERE subject IN (unhex(replace(old.id, '-', '')), old.id);
END;
