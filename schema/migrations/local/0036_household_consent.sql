-- The family's consent to what is recorded of it (issue 20): who in the household agreed (by id,
-- or NULL when a survey's consent question recorded it), the account that asked, and when. A
-- household taken from a list has none until it is visited; no screening answer is recorded
-- for it before then.
ALTER TABLE household ADD COLUMN consent_respondent TEXT;
ALTER TABLE household ADD COLUMN consent_taken_by TEXT;
ALTER TABLE household ADD COLUMN consent_taken_at TEXT;

-- A household surveyed with its consent before this version has that consent on record: the
-- earliest such survey's account and time.
UPDATE household SET
    consent_taken_by = (SELECT s.submitted_by FROM submission s
                        WHERE s.household_id = household.id AND s.consent = 1
                        ORDER BY s.submitted_at, s.id LIMIT 1),
    consent_taken_at = (SELECT s.submitted_at FROM submission s
                        WHERE s.household_id = household.id AND s.consent = 1
                        ORDER BY s.submitted_at, s.id LIMIT 1);
