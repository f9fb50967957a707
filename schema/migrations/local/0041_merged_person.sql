-- The records made one with another (a supervisor's merge of two records of one person, here
-- or pulled): the record removed and the record kept. A referral of the removed record opened
-- on another laptop before it saw the merge goes to the record kept, whichever arrives first;
-- a record kept that is later made one with a third points at the third.
CREATE TABLE merged_person (
    id      TEXT PRIMARY KEY,
    kept_id TEXT NOT NULL
) STRICT;
