-- A household surveyed with the family's consent before consent travelled with the household
-- has it on record at the server too (as local migration 0036 does on the laptop): the earliest
-- consenting survey's account and time, no respondent. A consent given at a visit, which
-- arrives as the household's `consent` field, replaces it.
UPDATE household h SET consent = (
    SELECT json_build_object('respondent', NULL,
                             'taken_by', s.body::json->>'submitted_by',
                             'taken_at', s.body::json->>'submitted_at')::text
    FROM submission s
    WHERE s.household_id = h.id AND (s.body::json->>'consent') = 'true'
    ORDER BY s.submitted_at, s.id LIMIT 1)
WHERE h.consent IS NULL;
