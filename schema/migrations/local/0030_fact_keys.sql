-- The facts keyed compactly: the subject (a person's or a household's id) as its 16 bytes rather
-- than 36 characters, and the fact's name as a number of `fact_name` rather than its text
-- (about 22 characters). With 13.7 facts a person on a block-sized store these were 0.8 KB of
-- the 1.2 KB a person's facts took (docs/benchmarks.md, "The store per person"). An id not in
-- the form the app writes (hyphenated, lower case) keeps its text, as in migrations 0024 and
-- 0025; the app writes no other. core/src/fact.rs reads and writes `fact_row`; the view `fact`
-- gives the rows back as text, for reading by hand and by the tests.
CREATE TABLE fact_name (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE                  -- full fact name, e.g. person.marital_status
) STRICT;

INSERT INTO fact_name (name) SELECT DISTINCT name FROM fact ORDER BY name;

CREATE TABLE fact_row (
    subject     ANY NOT NULL,                  -- the person's or the household's id, 16 bytes
    name        INTEGER NOT NULL REFERENCES fact_name (id),
    value       TEXT NOT NULL,                 -- the value as JSON: "bpl", 42, true, ["a","b"]
    source      TEXT NOT NULL CHECK (source IN ('demo', 'screening', 'survey', 'document')),
    recorded_at INTEGER NOT NULL,              -- milliseconds since 1970-01-01 UTC
    PRIMARY KEY (subject, name)
) STRICT, WITHOUT ROWID;

INSERT INTO fact_row (subject, name, value, source, recorded_at)
SELECT
    CASE
        WHEN length(f.subject_id) = 36
            AND substr(f.subject_id, 9, 1) = '-' AND substr(f.subject_id, 14, 1) = '-'
            AND substr(f.subject_id, 19, 1) = '-' AND substr(f.subject_id, 24, 1) = '-'
            AND length(replace(f.subject_id, '-', '')) = 32
            AND f.subject_id = lower(f.subject_id)
            AND unhex(replace(f.subject_id, '-', '')) IS NOT NULL
        THEN unhex(replace(f.subject_id, '-', ''))
        ELSE f.subject_id
    END,
    n.id, f.value, f.source, f.recorded_at
FROM fact f JOIN fact_name n ON n.name = f.name;

DROP TRIGGER fact_of_deleted_household;
DROP TRIGGER fact_of_deleted_person;
DROP TABLE fact;

-- An id's text from its 16 bytes, as uuid's hyphenated form writes it.
CREATE VIEW fact (subject_id, name, value, source, recorded_at) AS
SELECT
    CASE typeof(f.subject)
        WHEN 'blob' THEN lower(substr(hex(f.subject), 1, 8) || '-' || substr(hex(f.subject), 9, 4) || '-'
            || substr(hex(f.subject), 13, 4) || '-' || substr(hex(f.subject), 17, 4) || '-'
            || substr(hex(f.subject), 21, 12))
        ELSE f.subject
    END,
    n.name, f.value, f.source, f.recorded_at
FROM fact_row f JOIN fact_name n ON n.id = f.name;

-- As before (migration 0026): a household's own facts go with it, and a member's with the member.
CREATE TRIGGER fact_of_deleted_household AFTER DELETE ON household
BEGIN
    DELETE FROM fact_row WHERE subject IN (unhex(replace(old.id, '-', '')), old.id);
END;

CREATE TRIGGER fact_of_deleted_person AFTER DELETE ON person
BEGIN
    DELETE FROM fact_row WHERE subject IN (unhex(replace(old.id, '-', '')), old.id);
END;
