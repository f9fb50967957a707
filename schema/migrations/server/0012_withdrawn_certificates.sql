-- The certificates this server announced and then withdrew (`samanvaya-server
-- withdraw-certificate`), their fingerprints separated by spaces: a device that had not heard of
-- the withdrawal still names one at its next session, which must not read as a certificate the
-- server never announced (a sign that someone else announced theirs).
ALTER TABLE identity ADD COLUMN withdrawn_certificates TEXT NOT NULL DEFAULT '';
