-- A household surveyed with the family's consent before consent travelled with the household
-- has it on record at the server too (as local migration 0036 does on the laptop): the earliest
-- consenting survey's account and time, no respondent. A consent given at a visit, which
-- arrives as the household's `consent` field, replaces it.
UPDATE household SET consent = (
    SELECT json_object('respondent', NULL,
                       'taken_by', json_extract(s.body, '$.submitted_by'),
                       'taken_at', json_extract(s.body, '$.submitted_at'))
    FROM submission s
    WHERE s.household_id = household.id AND json_extract(s.body, '$.consent') = 1
    ORDER BY s.submitted_at, s.id LIMIT 1)
WHERE consent IS NULL;
