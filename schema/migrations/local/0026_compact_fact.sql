-- The facts without the two columns that made most of each row: the household's id (36
-- characters, read by nothing since local migration 0023 made facts read by their subjects) and
-- the time as text (about 35 characters), now milliseconds since 1970 in UTC. A fact row was
-- about 160 bytes of the store, 13.7 rows a person on a block-sized store (docs/benchmarks.md,
-- "The store per person"). A time this store cannot read as one becomes 0 rather than stopping
-- the upgrade; the app wrote every one of them.
CREATE TABLE fact_compact (
    subject_id  TEXT NOT NULL,                 -- the person's or the household's id
    name        TEXT NOT NULL,                 -- full fact name, e.g. person.marital_status
    value       TEXT NOT NULL,                 -- the value as JSON: "bpl", 42, true, ["a","b"]
    source      TEXT NOT NULL CHECK (source IN ('demo', 'screening', 'survey', 'document')),
    recorded_at INTEGER NOT NULL,              -- milliseconds since 1970-01-01 UTC
    PRIMARY KEY (subject_id, name)
) STRICT, WITHOUT ROWID;

INSERT INTO fact_compact (subject_id, name, value, source, recorded_at)
SELECT subject_id, name, value, source,
       coalesce(CAST(round((julianday(recorded_at) - 2440587.5) * 86400000.0) AS INTEGER), 0)
FROM fact;

DROP TABLE fact;
ALTER TABLE fact_compact RENAME TO fact;

-- The household's id carried a foreign key that removed a household's facts with it; without
-- it, these do: a household's own facts, and its members' as each member row goes (also when
-- the household's deletion removes them).
CREATE TRIGGER fact_of_deleted_household AFTER DELETE ON household
BEGIN
    DELETE FROM fact WHERE subject_id = old.id;
END;

CREATE TRIGGER fact_of_deleted_person AFTER DELETE ON person
BEGIN
    DELETE FROM fact WHERE subject_id = old.id;
END;
