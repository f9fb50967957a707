-- Who decided a review of the queue, and which value they kept: `kept` (the value standing by
-- the clock) or `other` (put in place by a change made on the server). `resolved_at` says when.
ALTER TABLE review ADD COLUMN resolved_by TEXT;
ALTER TABLE review ADD COLUMN chosen TEXT;
