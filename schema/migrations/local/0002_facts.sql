-- Facts of households and persons, in the vocabulary of schema/facts/, that the eligibility
-- engine reads. A fact that is not known has no row: unknown is never stored as zero or "no".
-- Facts kept on the person record itself (date of birth, sex, relation) are not repeated here.

CREATE TABLE fact (
    subject_id   TEXT NOT NULL,                 -- the person's or the household's id
    household_id TEXT NOT NULL REFERENCES household(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,                 -- full fact name, e.g. person.marital_status
    value        TEXT NOT NULL,                 -- the value as JSON: "bpl", 42, true, ["a","b"]
    source       TEXT NOT NULL CHECK (source IN ('demo', 'screening', 'survey', 'document')),
    recorded_at  TEXT NOT NULL,
    PRIMARY KEY (subject_id, name)
) STRICT, WITHOUT ROWID;
CREATE INDEX fact_household ON fact(household_id);

-- Schemes a person or household already receives, with where that is known from.
CREATE TABLE receiving (
    subject_id   TEXT NOT NULL,
    household_id TEXT NOT NULL REFERENCES household(id) ON DELETE CASCADE,
    scheme_code  TEXT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('demo', 'screening', 'survey', 'document')),
    recorded_at  TEXT NOT NULL,
    PRIMARY KEY (subject_id, scheme_code)
) STRICT, WITHOUT ROWID;
CREATE INDEX receiving_household ON receiving(household_id);
