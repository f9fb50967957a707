-- The family's consent as the last household change carrying it said (issue 20): JSON with
-- the respondent's id, the account that asked and when; NULL until a laptop records it.
ALTER TABLE household ADD COLUMN consent TEXT;
