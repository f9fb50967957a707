-- The survey: a draft saved at every answer, and the immutable submissions a finished survey
-- becomes. A household's facts and members are written from a submission in the same
-- transaction; the submission keeps what was answered, with who and when, for good.

CREATE TABLE survey_draft (
    id            TEXT PRIMARY KEY,                 -- UUIDv7
    household_id  TEXT NOT NULL REFERENCES household(id) ON DELETE CASCADE,
    form_id       TEXT NOT NULL,
    form_version  TEXT NOT NULL,
    answers       TEXT NOT NULL,                    -- the answers as typed, JSON
    started_by    TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
-- One survey of a household is open at a time: opening it again resumes the draft.
CREATE UNIQUE INDEX survey_draft_household ON survey_draft(household_id);

CREATE TABLE submission (
    id             TEXT PRIMARY KEY,                -- UUIDv7
    household_id   TEXT NOT NULL REFERENCES household(id) ON DELETE CASCADE,
    form_id        TEXT NOT NULL,
    form_version   TEXT NOT NULL,
    answers        TEXT NOT NULL,                   -- the answers that counted, JSON
    consent        INTEGER CHECK (consent IN (0, 1)),  -- NULL: the form asks no consent
    submitted_by   TEXT NOT NULL,
    submitted_at   TEXT NOT NULL,
    supersedes     TEXT REFERENCES submission(id)   -- the household's earlier submission
) STRICT;
CREATE INDEX submission_household ON submission(household_id, submitted_at);

-- A submission is a record of what was said on a day: it is never edited. A correction is a
-- new submission that supersedes it. (Deleting the household, a supervisor's act, takes its
-- submissions with it through the foreign key.)
CREATE TRIGGER submission_never_updated BEFORE UPDATE ON submission
BEGIN
    SELECT RAISE(ABORT, 'a submission is never edited; finish a new survey to correct it');
END;
