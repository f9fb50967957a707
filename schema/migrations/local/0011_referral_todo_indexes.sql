-- The to-do list reads each of its parts from an index of its own, holding the columns its
-- filter reads: the open cases with a visit planned, with a document missing, and at the block or
-- district. Without them each count read every open case's row (0.4 s each on 100,000
-- referrals; docs/benchmarks.md). The queries name these indexes (INDEXED BY): without
-- statistics, SQLite would pick the plain index on is_open.
CREATE INDEX referral_todo_visit ON referral(is_open, next_visit) WHERE is_open = 1 AND next_visit IS NOT NULL;
CREATE INDEX referral_todo_missing ON referral(is_open, due_on, missing_docs) WHERE is_open = 1 AND missing_docs > 0;
CREATE INDEX referral_todo_waiting ON referral(is_open, due_on, level) WHERE is_open = 1 AND level <> 'village';
