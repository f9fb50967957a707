-- Enrollment over TLS. A device sends a code's id, never the code: the id is a digest of the
-- digest kept in code_hash, which stays the key the device's proof is checked with. Codes made
-- before have no id and can no longer be used; the operator makes new ones.
ALTER TABLE enrollment_code ADD COLUMN code_id TEXT;
CREATE UNIQUE INDEX enrollment_code_by_id ON enrollment_code (code_id);

-- The fingerprint of the district's certificate, pinned when this block enrolled with it.
ALTER TABLE upstream ADD COLUMN certificate TEXT;
