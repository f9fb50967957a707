-- Replacing a server's certificate on purpose, as in the SQLite store's migration 0010
-- (schema/migrations/server/0010_next_certificate.sql), which says what it is for.
ALTER TABLE identity ADD COLUMN next_certificate TEXT;
ALTER TABLE device ADD COLUMN knows_certificate TEXT;
ALTER TABLE upstream ADD COLUMN next_certificate TEXT;
