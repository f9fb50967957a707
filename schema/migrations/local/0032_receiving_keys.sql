-- The benefits a household's members already receive, keyed like the facts (migration 0030): the
-- subject as its id's 16 bytes (any other id keeps its text), without the household's id and its
-- index (read through the household's members, as the facts are since 0023), and the time as
-- milliseconds. With 1.1 rows a person on a block-sized store the table and its index were 0.27 KB
-- of the store per person (docs/benchmarks.md, "The store per person"). The view `receiving`
-- gives the rows back as text, for reading by hand and by the tests.
CREATE TABLE receiving_row (
    subject     ANY NOT NULL,                  -- the person's (or the household's) id, 16 bytes
    scheme_code TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('demo', 'screening', 'survey', 'document')),
    recorded_at INTEGER NOT NULL,              -- milliseconds since 1970-01-01 UTC
    PRIMARY KEY (subject, scheme_code)
) STRICT, WITHOUT ROWID;

-- A time this store cannot read as one becomes 0 rather than stopping the upgrade; the app wrote
-- every one of them. A row whose subject is neither a household nor a member is read by nothing
-- and goes, as 0027 did for the facts.
INSERT INTO receiving_row (subject, scheme_code, source, recorded_at)
SELECT
    CASE
        WHEN length(r.subject_id) = 36
            AND substr(r.subject_id, 9, 1) = '-' AND substr(r.subject_id, 14, 1) = '-'
            AND substr(r.subject_id, 19, 1) = '-' AND substr(r.subject_id, 24, 1) = '-'
            AND length(replace(r.subject_id, '-', '')) = 32
            AND r.subject_id = lower(r.subject_id)
            AND unhex(replace(r.subject_id, '-', '')) IS NOT NULL
        THEN unhex(replace(r.subject_id, '-', ''))
        ELSE r.subject_id
    END,
    r.scheme_code, r.source,
    coalesce(CAST(round((julianday(r.recorded_at) - 2440587.5) * 86400000.0) AS INTEGER), 0)
FROM receiving r
WHERE r.subject_id IN (SELECT id FROM person) OR r.subject_id IN (SELECT id FROM household);

DROP TABLE receiving;

CREATE VIEW receiving (subject_id, scheme_code, source, recorded_at) AS
SELECT
    CASE typeof(r.subject)
        WHEN 'blob' THEN lower(substr(hex(r.subject), 1, 8) || '-' || substr(hex(r.subject), 9, 4) || '-'
            || substr(hex(r.subject), 13, 4) || '-' || substr(hex(r.subject), 17, 4) || '-'
            || substr(hex(r.subject), 21, 12))
        ELSE r.subject
    END,
    r.scheme_code, r.source, r.recorded_at
FROM receiving_row r;

-- The household's id carried a foreign key that removed a household's benefits with it; these
-- do it now, as for the facts.
CREATE TRIGGER receiving_of_deleted_household AFTER DELETE ON household
BEGIN
    DELETE FROM receiving_row WHERE subject IN (unhex(replace(old.id, '-', '')), old.id);
END;

CREATE TRIGGER receiving_of_deleted_person AFTER DELETE ON person
BEGIN
    DELETE FROM receiving_row WHERE subject IN (unhex(replace(old.id, '-', '')), old.id);
END;
