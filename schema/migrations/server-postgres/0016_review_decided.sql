-- Who decided a review and which value they kept, as in the SQLite store's migration 0017
-- (schema/migrations/server/0017_review_decided.sql).
ALTER TABLE review ADD COLUMN resolved_by TEXT;
ALTER TABLE review ADD COLUMN chosen TEXT;
